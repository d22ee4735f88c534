"""The decorrelation profile: speckle correlation versus lag, its JSON file, and combining clips.

A :class:`DecorrelationProfile` is what
:func:`echostrain.realism.decorrelation.measure_decorrelation` returns and
what ``echostrain decorrelation measure`` writes; :func:`combine_profiles`
pools several clips on a common lag grid in ms, and :func:`curve_mae`
compares two mean curves.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from echostrain import __version__
from echostrain.core.errors import CorruptInputError, InputNotFoundError, InvalidDataError, ParameterError
from echostrain.core.jsonsafe import json_ready
from echostrain.io import write_text_atomic

#: ``format`` field of the JSON file.
PROFILE_FORMAT = "echostrain.decorrelation_profile"
#: Version of the JSON layout.
PROFILE_FORMAT_VERSION = 1

# --------------------------------------------------------------------------- profile


def _float_array(value: Any, name: str, ndim: int) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"decorrelation profile: {name} must be numbers") from exc
    if arr.size == 0 and arr.ndim != ndim:
        arr = arr.reshape((0,) * ndim)
    if arr.ndim != ndim:
        raise InvalidDataError(
            f"decorrelation profile: {name} must be {ndim}-D, got shape {arr.shape}"
        )
    return arr


@dataclass
class DecorrelationProfile:
    """Speckle correlation versus time lag, overall and per phase and depth bin.

    Attributes:
        lags_ms: lags in ms, increasing, float [K].
        mean: mean best-match correlation per lag, float [K].
        spread: standard deviation over patches per lag, float [K].
        phase_bins: labels of the phase (time) bins, P of them.
        by_phase: mean correlation per phase bin and lag, float [P, K] (NaN: no data).
        depth_bins_mm: depth bin edges in mm below the top of the fan, float [D + 1].
        by_depth: mean correlation per depth bin and lag, float [D, K] (NaN: no data).
        n_patches: number of patches measured (summed over clips).
        clip_ids: the clips measured.
        provenance: where the numbers come from (source files, fps, spacing and
            whether it was estimated, date, echostrain version, parameters).
        lag_frames: optional lags in frames per clip id.
    """

    lags_ms: np.ndarray
    mean: np.ndarray
    spread: np.ndarray
    phase_bins: list[str] = field(default_factory=list)
    by_phase: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    depth_bins_mm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    by_depth: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    n_patches: int = 0
    clip_ids: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    lag_frames: dict[str, list[int]] | None = None

    def __post_init__(self) -> None:
        self.lags_ms = _float_array(self.lags_ms, "lags_ms", 1)
        k = self.lags_ms.size
        if k == 0:
            raise InvalidDataError("decorrelation profile: lags_ms is empty; it needs ≥1 lag")
        if not np.all(np.isfinite(self.lags_ms)) or np.any(self.lags_ms <= 0):
            raise InvalidDataError("decorrelation profile: lags_ms must be positive finite")
        if np.any(np.diff(self.lags_ms) <= 0):
            raise InvalidDataError("decorrelation profile: lags_ms must be strictly increasing")
        self.mean = _float_array(self.mean, "mean", 1)
        self.spread = _float_array(self.spread, "spread", 1)
        for name in ("mean", "spread"):
            if getattr(self, name).shape != (k,):
                raise InvalidDataError(
                    f"decorrelation profile: {name} must have {k} values (one per lag), "
                    f"got {getattr(self, name).shape}"
                )
        self.phase_bins = [str(s) for s in self.phase_bins]
        self.by_phase = _float_array(self.by_phase, "by_phase", 2)
        if self.by_phase.size == 0:
            self.by_phase = np.zeros((len(self.phase_bins), k)) * np.nan
        if self.by_phase.shape != (len(self.phase_bins), k):
            raise InvalidDataError(
                f"decorrelation profile: by_phase must be {len(self.phase_bins)}×{k}, "
                f"got {self.by_phase.shape}"
            )
        self.depth_bins_mm = _float_array(self.depth_bins_mm, "depth_bins_mm", 1)
        n_depth = max(self.depth_bins_mm.size - 1, 0)
        self.by_depth = _float_array(self.by_depth, "by_depth", 2)
        if self.by_depth.size == 0:
            self.by_depth = np.zeros((n_depth, k)) * np.nan
        if self.by_depth.shape != (n_depth, k):
            raise InvalidDataError(
                f"decorrelation profile: by_depth must be {n_depth}×{k} (one row per depth "
                f"bin), got {self.by_depth.shape}"
            )
        self.n_patches = int(self.n_patches)
        self.clip_ids = [str(c) for c in self.clip_ids]
        self.provenance = dict(self.provenance)
        if self.lag_frames is not None:
            self.lag_frames = {str(c): [int(v) for v in ks] for c, ks in self.lag_frames.items()}

    @property
    def max_lag_ms(self) -> float:
        """The largest measured lag in ms."""
        return float(self.lags_ms[-1])

    def interpolate(self, lag_ms: float | np.ndarray) -> float | np.ndarray:
        """Mean correlation at ``lag_ms`` (linear in lag; 1.0 at lag 0).

        Lags outside [0, max measured lag] raise ParameterError.
        """
        lag = np.asarray(lag_ms, dtype=np.float64)
        if not np.all(np.isfinite(lag)) or np.any(lag < 0) or np.any(lag > self.max_lag_ms + 1e-9):
            raise ParameterError(
                f"lag {lag_ms} ms is outside the measured range 0–{self.max_lag_ms:g} ms; "
                "measure with a larger max_lag_frames"
            )
        out = np.interp(lag, np.r_[0.0, self.lags_ms], np.r_[1.0, self.mean])
        return float(out) if out.ndim == 0 else out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (NaN as None)."""
        return {
            "format": PROFILE_FORMAT,
            "format_version": PROFILE_FORMAT_VERSION,
            "lags_ms": json_ready(self.lags_ms),
            "mean": json_ready(self.mean),
            "spread": json_ready(self.spread),
            "phase_bins": list(self.phase_bins),
            "by_phase": json_ready(self.by_phase),
            "depth_bins_mm": json_ready(self.depth_bins_mm),
            "by_depth": json_ready(self.by_depth),
            "n_patches": self.n_patches,
            "clip_ids": list(self.clip_ids),
            "lag_frames": self.lag_frames,
            "provenance": self.provenance,
        }

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write the profile as JSON atomically; return the path."""
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False, default=_json_default)
        return write_text_atomic(path, text + "\n")

    @classmethod
    def from_dict(cls, data: Any, source: str = "decorrelation profile") -> DecorrelationProfile:
        """Build a profile from :meth:`to_dict` output."""
        if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
            raise CorruptInputError(
                f"{source} is not an echostrain decorrelation profile (no "
                f"'format: {PROFILE_FORMAT}' field)"
            )
        if data.get("format_version") != PROFILE_FORMAT_VERSION:
            raise CorruptInputError(
                f"{source}: profile format version {data.get('format_version')!r} is not "
                f"supported (expected {PROFILE_FORMAT_VERSION})"
            )
        keys = ("lags_ms", "mean", "spread", "phase_bins", "by_phase", "depth_bins_mm",
                "by_depth", "n_patches", "clip_ids", "provenance")
        missing = [k for k in keys if k not in data]
        if missing:
            raise CorruptInputError(f"{source}: profile lacks field(s) {', '.join(missing)}")
        try:
            return cls(**{k: data[k] for k in keys}, lag_frames=data.get("lag_frames"))
        except InvalidDataError as exc:
            raise CorruptInputError(f"{source}: {exc}") from exc
        except (TypeError, ValueError, AttributeError) as exc:
            raise CorruptInputError(f"{source}: malformed profile ({exc})") from exc

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> DecorrelationProfile:
        """Read a profile written by :meth:`to_json`."""
        p = Path(os.fspath(path)).expanduser()
        if not p.is_file():
            raise InputNotFoundError(f"profile {p} does not exist or is not a file; check the path")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptInputError(f"{p} is not valid JSON: {' '.join(str(exc).split())}") from exc
        return cls.from_dict(data, source=str(p))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


# --------------------------------------------------------------------------- combining


def _curve(profile: DecorrelationProfile, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Interpolate a [K] curve (1.0 at lag 0) onto ``grid``; NaN stays NaN nearby."""
    xs = np.r_[0.0, profile.lags_ms]
    ys = np.r_[1.0, values]
    good = np.isfinite(ys)
    if good.sum() < 2:
        return np.full(grid.shape, np.nan)
    return np.interp(grid, xs[good], ys[good])


def _weighted_nanmean(stack: np.ndarray, weights: np.ndarray) -> np.ndarray:
    w = weights.reshape((-1,) + (1,) * (stack.ndim - 1)) * np.isfinite(stack)
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, np.nansum(np.nan_to_num(stack) * w, axis=0) / total, np.nan)
    return out


def combine_profiles(profiles: Sequence[DecorrelationProfile]) -> DecorrelationProfile:
    """Patch-count-weighted mean of several clips' curves on a common lag grid (ms).

    The grid is the union of the clips' lags up to the smallest maximum lag;
    each curve is interpolated onto it (linear, 1.0 at lag 0). ``by_phase``
    and ``by_depth`` are combined when all profiles share the same bins, else
    left empty. ``spread`` is the pooled standard deviation.
    """
    profs = list(profiles)
    if not profs:
        raise ParameterError("combine_profiles needs at least one profile")
    for p in profs:
        if not isinstance(p, DecorrelationProfile):
            raise ParameterError(
                f"combine_profiles takes DecorrelationProfile objects, got {type(p).__name__}"
            )
    top = min(p.max_lag_ms for p in profs)
    grid = np.unique(np.round(np.concatenate([p.lags_ms for p in profs]), 9))
    grid = grid[grid <= top + 1e-9]
    weights = np.array([max(p.n_patches, 0) for p in profs], dtype=np.float64)
    if weights.sum() <= 0:
        weights = np.ones(len(profs))
    means = np.stack([_curve(p, p.mean, grid) for p in profs])
    spreads = np.stack([np.interp(grid, p.lags_ms, p.spread) for p in profs])
    mean = _weighted_nanmean(means, weights)
    pooled = _weighted_nanmean(spreads**2 + (means - mean) ** 2, weights)
    spread = np.sqrt(pooled)

    same_phase = all(p.phase_bins == profs[0].phase_bins for p in profs)
    if same_phase and profs[0].phase_bins:
        phase_labels = list(profs[0].phase_bins)
        by_phase = _weighted_nanmean(
            np.stack([np.stack([_curve(p, row, grid) for row in p.by_phase]) for p in profs]),
            weights,
        )
    else:
        phase_labels, by_phase = [], np.zeros((0, grid.size))
    ref_edges = profs[0].depth_bins_mm
    same_depth = all(
        p.depth_bins_mm.shape == ref_edges.shape and np.allclose(p.depth_bins_mm, ref_edges)
        for p in profs
    )
    if same_depth and ref_edges.size >= 2:
        edges = ref_edges.copy()
        by_depth = _weighted_nanmean(
            np.stack([np.stack([_curve(p, row, grid) for row in p.by_depth]) for p in profs]),
            weights,
        )
    else:
        edges, by_depth = np.zeros(0), np.zeros((0, grid.size))

    clip_ids = [c for p in profs for c in p.clip_ids]
    lag_frames: dict[str, list[int]] = {}
    for p in profs:
        lag_frames.update(p.lag_frames or {})
    provenance = {
        "combined_from": [p.provenance for p in profs],
        "combination": "patch-count-weighted mean on the union lag grid (ms) up to the "
        "smallest maximum lag; linear interpolation with correlation 1 at lag 0",
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "echostrain_version": __version__,
    }
    return DecorrelationProfile(
        lags_ms=grid,
        mean=mean,
        spread=spread,
        phase_bins=phase_labels,
        by_phase=by_phase,
        depth_bins_mm=edges,
        by_depth=by_depth,
        n_patches=int(sum(p.n_patches for p in profs)),
        clip_ids=clip_ids,
        provenance=provenance,
        lag_frames=lag_frames or None,
    )


def curve_mae(a: DecorrelationProfile, b: DecorrelationProfile) -> float:
    """Mean absolute difference of the mean curves over their common measured lag range.

    The range runs from the larger first lag to the smaller last lag, sampled
    on a 1-ms grid (both ends included). Raises ParameterError when the
    measured ranges do not overlap.
    """
    lo = max(float(a.lags_ms[0]), float(b.lags_ms[0]))
    hi = min(a.max_lag_ms, b.max_lag_ms)
    if hi < lo - 1e-9:
        raise ParameterError(
            f"the profiles' lag ranges do not overlap ({a.lags_ms[0]:g}–{a.max_lag_ms:g} ms vs "
            f"{b.lags_ms[0]:g}–{b.max_lag_ms:g} ms); measure with more lags"
        )
    grid = np.arange(lo, hi, 1.0)
    grid = np.r_[grid, hi] if grid.size == 0 or grid[-1] < hi - 1e-9 else grid
    diff = np.abs(_curve(a, a.mean, grid) - _curve(b, b.mean, grid))
    if not np.isfinite(diff).any():
        raise InvalidDataError("curve_mae: the profiles have no finite correlation values")
    return float(np.nanmean(diff))
