"""How to simulate a sequence: :class:`SequenceConfig`, apart from the simulation so it imports cheaply."""

from __future__ import annotations

from dataclasses import dataclass, field

from echostrain.core.checks import check_view
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import DEFAULT_PROBE
from echostrain.motion.parameters import FPS_RANGE, HEART_RATE_RANGE_BPM, check_pathology, frames_for_one_cycle
from echostrain.sim.coherence import CoherenceModel, default_coherence
from echostrain.sim.post import BModeSettings
from echostrain.sim.probe import SectorScan


#: Most frames a sequence may have (about 20 s at 100 frames/s).
MAX_FRAMES = 2000


def check_n_frames(n_frames: int) -> int:
    """``n_frames`` if a simulated sequence can have it: 2…2000 frames holding a full cycle.

    Checked before any work, so a dataset of sequences that could never be made
    is refused at once rather than failing sequence by sequence.
    """
    if n_frames < 2:
        raise ParameterError(f"a sequence needs at least 2 frames, got {n_frames}")
    if n_frames > MAX_FRAMES:
        raise ParameterError(f"`n_frames` {n_frames} is above the limit of {MAX_FRAMES} frames; simulate fewer frames")
    need = frames_for_one_cycle(HEART_RATE_RANGE_BPM[1], FPS_RANGE[0])
    if n_frames < need:
        raise ParameterError(
            f"`n_frames` {n_frames} cannot hold a full cardiac cycle at ≥ {FPS_RANGE[0]:.0f} frames/s; "
            f"use at least {need} frames"
        )
    return int(n_frames)


@dataclass(frozen=True)
class SequenceConfig:
    """How to simulate a sequence (everything but the seed)."""

    view: str = "a4c"
    n_frames: int | None = None  # None: one cycle, ED to the next ED
    engine: str = "fast"
    pathology: str | None = None  # None: drawn (normal, regional, global)
    per_cell: float = 10.0  # scatterers per resolution cell
    probe: str = DEFAULT_PROBE
    scan: SectorScan = field(default_factory=SectorScan)
    settings: BModeSettings = field(default_factory=BModeSettings)
    points_per_segment: int = 8  # true myocardial tracks: 3 layers × (6·m + 1) points
    n_tissue_points: int = 64
    device: str = "cpu"
    # speckle decorrelation: the model fitted to real clips by default; None: amplitudes never change (c = 1)
    coherence: CoherenceModel | None = field(default_factory=default_coherence)

    def __post_init__(self) -> None:
        object.__setattr__(self, "view", check_view(self.view))
        if self.pathology is not None:
            object.__setattr__(self, "pathology", check_pathology(self.pathology))
        if self.n_frames is not None:
            check_n_frames(self.n_frames)
        if not self.per_cell > 0:
            raise ParameterError(f"scatterers per resolution cell must be positive, got {self.per_cell}")
