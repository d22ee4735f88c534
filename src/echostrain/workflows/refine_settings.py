"""The sizes of the refinement loop, apart from the loop so the CLI reads its defaults cheaply."""

from __future__ import annotations

from dataclasses import dataclass

from echostrain.core.errors import ParameterError


@dataclass(frozen=True)
class RefineSettings:
    """Sizes of the loop: rounds, sequences per clip, fine-tuning steps and learning rate, checks, seed."""

    iterations: int = 3
    per_clip: int = 2
    steps_per_round: int = 300
    batch_size: int = 2
    lr: float = 2e-4
    smooth_frames: int = 5
    max_closure_mm: float = 4.0
    seed: int = 0
    test_sequences: int = 6

    def __post_init__(self) -> None:
        for name in ("iterations", "per_clip", "steps_per_round", "batch_size", "test_sequences"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"`{name}` must be at least 1, got {getattr(self, name)}")
