"""What defines a generated dataset: :class:`GenerationSettings` (stored in ``generation.json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from echostrain.core.checks import check_view
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import ENGINES, VIEWS
from echostrain.sim.coherence import CoherenceModel, default_coherence
from echostrain.sim.sequence_config import check_n_frames


@dataclass(frozen=True)
class GenerationSettings:
    """What defines the sequences of a generation (stored in ``generation.json``)."""

    seed: int = 0
    views: tuple[str, ...] = VIEWS
    dysfunction_share: float = 0.3
    engine: str = "fast"
    n_frames: int | None = None
    per_cell: float = 10.0
    # speckle decorrelation model (CoherenceModel.to_dict()); None: none. Default: the shipped model.
    coherence: dict[str, Any] | None = field(default_factory=lambda: default_coherence().to_dict())

    def __post_init__(self) -> None:
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ParameterError(f"`seed` must be a non-negative integer, got {self.seed}")
        views = tuple(check_view(v) for v in self.views)
        if not views:
            raise ParameterError(f"`views` needs at least one of {', '.join(VIEWS)}")
        object.__setattr__(self, "views", views)
        if not 0.0 <= self.dysfunction_share <= 1.0:
            raise ParameterError(f"`dysfunction_share` must be within 0…1, got {self.dysfunction_share}")
        if self.engine not in ENGINES:
            raise ParameterError(f"unknown `engine` {self.engine!r}; use one of {', '.join(ENGINES)}")
        if self.n_frames is not None:
            check_n_frames(self.n_frames)
        if not self.per_cell > 0:
            raise ParameterError(f"`per_cell` must be positive, got {self.per_cell}")
        if self.coherence is not None:
            object.__setattr__(self, "coherence", CoherenceModel.from_dict(self.coherence).to_dict())

    def coherence_model(self) -> CoherenceModel | None:
        return None if self.coherence is None else CoherenceModel.from_dict(self.coherence)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["views"] = list(self.views)
        return d
