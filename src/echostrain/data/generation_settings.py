"""What defines a generated dataset: :class:`GenerationSettings` (stored in ``generation.json``)."""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

import numpy as np

from echostrain.core.checks import check_view
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import ENGINES, VIEWS
from echostrain.sim.coherence import CoherenceModel, default_coherence
from echostrain.sim.probe import SectorScan, get_probe
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
    # receive filter band (% of fc), drawn per sequence log-uniformly in [lo, hi]; None: no filter
    rx_bandwidth_range_pct: tuple[float, float] | None = None
    # transmit focus (mm), one focused transmit per line; None: one diverging wave
    tx_focus_mm: float | None = None

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
        if self.rx_bandwidth_range_pct is not None:
            object.__setattr__(self, "rx_bandwidth_range_pct", check_band_range(self.rx_bandwidth_range_pct))
        if self.tx_focus_mm is not None:
            try:
                object.__setattr__(self, "tx_focus_mm", float(self.tx_focus_mm))
            except (TypeError, ValueError):
                raise ParameterError(f"`tx_focus_mm` must be a number of mm, got {self.tx_focus_mm!r}") from None
        # A focus outside the image, or a band too narrow to calibrate, is refused here, before any sequence.
        lowest = None if self.rx_bandwidth_range_pct is None else self.rx_bandwidth_range_pct[0]
        if lowest is not None or self.tx_focus_mm is not None:
            from echostrain.sim.calibration import check_calibratable

            check_calibratable(get_probe(), self.scan(rx_bandwidth_pct=lowest))

    def coherence_model(self) -> CoherenceModel | None:
        return None if self.coherence is None else CoherenceModel.from_dict(self.coherence)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["views"] = list(self.views)
        if self.rx_bandwidth_range_pct is not None:
            d["rx_bandwidth_range_pct"] = list(self.rx_bandwidth_range_pct)
        return d

    @classmethod
    def stored_dict(cls, stored: dict[str, Any]) -> dict[str, Any]:
        """A stored ``generation.json`` with the settings it predates filled in with their defaults.

        A field added later with a plain default (``rx_bandwidth_range_pct``,
        ``tx_focus_mm``) is absent from older files; its default reproduces
        what those generations did. Fields with a default factory are not
        filled (every stored file has them).
        """
        defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
        return {**{k: v for k, v in defaults.items() if k not in stored}, **stored}

    def scan(self, rx_bandwidth_pct: float | None = None):  # -> SectorScan
        """The scan of a sequence with receive band ``rx_bandwidth_range_pct`` (drawn per sequence) and this focus."""
        focus_m = None if self.tx_focus_mm is None else float(self.tx_focus_mm) * 1e-3
        return SectorScan(rx_bandwidth_pct=rx_bandwidth_pct, tx_focus_m=focus_m)

    def draw_rx_bandwidth_pct(self, rng: np.random.Generator) -> float | None:
        """One sequence's receive band (% of fc): log-uniform in the range, to 0.5 % (None without a range).

        Rounded so that sequences share the few PSF calibrations they need.
        """
        if self.rx_bandwidth_range_pct is None:
            return None
        lo, hi = np.log(self.rx_bandwidth_range_pct[0]), np.log(self.rx_bandwidth_range_pct[1])
        value = float(np.exp(lo + (hi - lo) * rng.random()))
        return float(np.clip(round(value * 2.0) / 2.0, *self.rx_bandwidth_range_pct))


def check_band_range(band: tuple[float, float] | list[float]) -> tuple[float, float]:
    """``(lo, hi)`` of a receive-band range (% of fc) if ``0 < lo ≤ hi ≤ 200``."""
    from echostrain.sim.probe import MAX_RX_BANDWIDTH_PCT

    try:
        lo, hi = (float(b) for b in band)
    except (TypeError, ValueError):
        raise ParameterError(f"`rx_bandwidth_range_pct` must be a pair (lo, hi) in % of the centre frequency, got {band!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo <= hi <= MAX_RX_BANDWIDTH_PCT):
        raise ParameterError(
            f"`rx_bandwidth_range_pct` must satisfy 0 < lo ≤ hi ≤ {MAX_RX_BANDWIDTH_PCT:.0f} (% of the centre frequency), "
            f"got {lo}, {hi}"
        )
    return lo, hi
