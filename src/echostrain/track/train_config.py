"""What a TAS-Net training run does: :class:`TrainConfig` (stored as ``config.json`` of the run)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from echostrain.core.errors import ParameterError
from echostrain.track.model_config import TASNetConfig

#: Fields that must be whole numbers ≥ 1.
_POSITIVE_INTS = ("steps", "batch_size", "clip_frames", "n_points", "train_iterations",
                  "checkpoint_every", "validate_every")
#: Fields a resumed run may change: how often it saves, where, and on what hardware.
_RUN_ONLY = ("checkpoint_every", "validate_every", "threads", "device", "out")


@dataclass
class TrainConfig:
    """What a training run does (stored as config.json).

    ``data``: folder(s) of simulated sequences (several joined by
    ``os.pathsep``); ``out``: the run folder; ``init_weights``: start from
    these weights (fine-tuning; their architecture wins over ``model``);
    ``imaging_augment``: add the imaging-chain effects of
    :mod:`echostrain.data.appearance` to the clip augmentation;
    ``scene_motion``: add the whole-scene motion of
    :mod:`echostrain.data.scene_motion` (heart shifting and turning in the sector);
    ``coarse_speckle``: widen the speckle along the beam as
    :mod:`echostrain.data.speckle_scale` does (a clinical pulse);
    ``neighbour_levels``: give the model (new, or ``init_weights`` widened,
    their new input starting at zero) that many levels of frame-to-frame
    correlation (:class:`~echostrain.track.model_config.TASNetConfig`); None
    keeps the architecture of ``model`` or of ``init_weights``.
    The defaults are those of the shipped weights (4000 steps).
    """

    data: str
    out: str
    steps: int = 4000
    batch_size: int = 2
    lr: float = 5e-4
    weight_decay: float = 1e-4
    clip_frames: int = 32
    n_points: int = 48
    train_iterations: int = 3
    seed: int = 0
    device: str = "cpu"
    checkpoint_every: int = 100
    validate_every: int = 200
    val_sequences: int = 8
    threads: int | None = None
    model: dict[str, Any] = field(default_factory=lambda: TASNetConfig().to_dict())
    init_weights: str | None = None
    imaging_augment: bool = False
    scene_motion: bool = False
    coarse_speckle: bool = False
    neighbour_levels: int | None = None

    def __post_init__(self) -> None:
        for name in _POSITIVE_INTS:
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"`{name}` must be at least 1, got {getattr(self, name)}")
        if self.neighbour_levels is not None:  # the architecture's own rule (init weights are checked on widening)
            TASNetConfig(**{**self.model, "neighbour_levels": int(self.neighbour_levels)})
        if self.clip_frames < 4:
            raise ParameterError(f"`clip_frames` must be at least 4, got {self.clip_frames}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError(f"`lr` must be positive, got {self.lr}")

    def identity(self) -> dict[str, Any]:
        """The fields a resumed run must share (everything but how often it saves and where)."""
        d = asdict(self)
        for key in _RUN_ONLY:
            d.pop(key)
        return d
