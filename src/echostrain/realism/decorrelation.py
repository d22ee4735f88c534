"""Speckle decorrelation of tissue patches over time, measured on a clip.

Method (:func:`measure_decorrelation`)
--------------------------------------
1. Tissue mask: the imaging sector (:func:`echostrain.io.sector_mask`) minus
   the dark cavity — pixels whose local mean (≈3 mm box on the time-averaged
   image) is below the 35th percentile of the sector — or a mask the caller
   gives (e.g. the myocardium).
2. Every frame is smoothed by a small Gaussian (``smooth_mm``, σ = 0.3 mm by
   default) so that the correlation peak is smooth enough to interpolate.
   Patches of ``patch_mm`` (odd pixel size from the pixel spacing) are centred
   at random tissue pixels far enough from the image border for the search.
3. For every start frame t and lag k = 1…K with t + k < T, the normalised
   cross-correlation (NCC) of the patch at t with every position of a
   ±``search_mm`` window at t + k is computed (FFT cross-correlation plus
   integral-image window statistics). The integer peak is refined by fitting
   a separable Gaussian to the peak and its four neighbours (parabolas where a
   neighbour is ≤ 0), and the fitted peak value is the measurement — so
   in-plane displacement, integer or sub-pixel, does not masquerade as
   decorrelation (a pure translation measures ≥ 0.98).
4. The measurements are averaged per lag (``mean``), per time bin of the start
   frame (``by_phase``: the clip is cut into equal time bins, because ED/ES are
   not known) and per depth bin of the patch centre (``by_depth``, mm below
   the top row of the fan). ``spread`` is the standard deviation over patches
   of each patch's time-averaged correlation.

Lags are reported in ms (k · 1000 / fps) so clips with different frame rates
can be compared (:func:`combine_profiles`, :func:`curve_mae`).

Note: the best match over a search window is biased upwards when the true
correlation is low (the maximum of noisy values); keep the search window no
larger than the expected frame-to-frame motion.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import fft as sfft
from scipy import ndimage

from echostrain import __version__
from echostrain.core.errors import (
    CorruptInputError,
    InputNotFoundError,
    InvalidDataError,
    ParameterError,
)
from echostrain.io import EchoVideo, read_video, sector_mask, write_text_atomic
from echostrain.core.jsonsafe import json_ready

#: ``format`` field of the JSON file.
PROFILE_FORMAT = "echostrain.decorrelation_profile"
#: Version of the JSON layout.
PROFILE_FORMAT_VERSION = 1
#: Depth assumed for the fan height when a clip has no pixel spacing (mm).
ASSUMED_FAN_DEPTH_MM = 150.0
#: Fewest frames a clip needs (lags 1 and 2).
MIN_FRAMES = 3
#: Gaussian pre-smoothing (σ, mm) of the frames before matching (see ``measure_decorrelation``).
DEFAULT_SMOOTH_MM = 0.3
#: Box size of the local mean used to find the dark cavity (mm).
CAVITY_WINDOW_MM = 3.0
#: Pixels with a local mean below this percentile of the sector are cavity.
CAVITY_PERCENTILE = 35.0

_EPS = 1e-12


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


# --------------------------------------------------------------------------- masks


def _odd_px(length_mm: float, pixel_mm: float) -> int:
    """Odd pixel count closest to ``length_mm`` (at least 3)."""
    half = max(1, int(round(length_mm / pixel_mm / 2.0)))
    return 2 * half + 1


def tissue_mask(
    mean_image: np.ndarray, sector: np.ndarray, spacing_mm: tuple[float, float]
) -> np.ndarray:
    """Sector pixels that are not dark cavity, bool [H, W].

    Cavity: local mean over a ≈3 mm box (of ``mean_image``, e.g. the time
    average of the clip) below the 35th percentile of the sector's local means.
    """
    dy, dx = spacing_mm
    size = (_odd_px(CAVITY_WINDOW_MM, dy), _odd_px(CAVITY_WINDOW_MM, dx))
    local = ndimage.uniform_filter(np.asarray(mean_image, dtype=np.float64), size=size,
                                   mode="nearest")
    if not sector.any():
        return np.zeros_like(sector, dtype=bool)
    threshold = np.percentile(local[sector], CAVITY_PERCENTILE)
    return sector & (local >= threshold)


def _fan_rows(sector: np.ndarray) -> tuple[int, int]:
    rows = np.flatnonzero(sector.any(axis=1))
    return int(rows[0]), int(rows[-1])


# --------------------------------------------------------------------------- measurement


def _box_sums(integral: np.ndarray, h: int, w: int) -> np.ndarray:
    """Sums over every h×w window from a zero-padded integral image [N, Y+1, X+1]."""
    return integral[:, h:, w:] - integral[:, :-h, w:] - integral[:, h:, :-w] + integral[:, :-h, :-w]


def _integral(a: np.ndarray) -> np.ndarray:
    out = np.zeros((a.shape[0], a.shape[1] + 1, a.shape[2] + 1), dtype=np.float64)
    np.cumsum(np.cumsum(a, axis=1), axis=2, out=out[:, 1:, 1:])
    return out


def _parabolic_gain(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Rise of the parabola through (−1, a), (0, b), (1, c) from b to its vertex (≥ 0)."""
    curv = a - 2.0 * b + c
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = (a - c) ** 2 / (-8.0 * curv)
    ok = np.isfinite(gain) & (curv < 0)
    return np.where(ok, gain, 0.0)


def _log_gain(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Rise of log(value) to the vertex of a Gaussian through three samples (NaN if not all > 0)."""
    positive = (a > 0) & (b > 0) & (c > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        la, lb, lc = (np.log(np.where(positive, v, 1.0)) for v in (a, b, c))
    return np.where(positive, _parabolic_gain(la, lb, lc), np.nan)


def _peak_value(
    b: np.ndarray, rows: tuple[np.ndarray, np.ndarray], cols: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Sub-pixel peak of an NCC surface from its integer peak ``b`` and the 4 neighbours.

    Speckle correlation peaks are close to Gaussian, and sharp when the speckle
    is only 1–2 px (a parabola underestimates a Gaussian peak half a pixel
    away by ~4 % per axis), so the peak is a separable Gaussian fitted to the
    log of the values; where a neighbour is ≤ 0 it falls back to parabolas.
    """
    log_gain = _log_gain(rows[0], b, rows[1]) + _log_gain(cols[0], b, cols[1])
    parabolic = b + _parabolic_gain(rows[0], b, rows[1]) + _parabolic_gain(cols[0], b, cols[1])
    with np.errstate(invalid="ignore", over="ignore"):
        gaussian = b * np.exp(log_gain)
    return np.minimum(np.where(np.isfinite(gaussian), gaussian, parabolic), 1.0)


class _Matcher:
    """Best-match NCC of N fixed patch positions between frames (FFT-based)."""

    def __init__(
        self,
        frames: np.ndarray,
        centres_yx: np.ndarray,
        half_patch: tuple[int, int],
        search: tuple[int, int],
    ) -> None:
        self.frames = frames
        hy, hx = half_patch
        sy, sx = search
        self.ph, self.pw = 2 * hy + 1, 2 * hx + 1
        # surface over ±(s + 1) so that a peak at ±s still has both neighbours
        self.my, self.mx = sy + 1, sx + 1
        self.ly, self.lx = self.ph + 2 * self.my, self.pw + 2 * self.mx
        self.ny, self.nx = 2 * self.my + 1, 2 * self.mx + 1
        self.fy = sfft.next_fast_len(self.ly)
        self.fx = sfft.next_fast_len(self.lx, real=True)
        cy, cx = centres_yx[:, 0], centres_yx[:, 1]
        self.rows = (cy - hy - self.my)[:, None, None] + np.arange(self.ly)[None, :, None]
        self.cols = (cx - hx - self.mx)[:, None, None] + np.arange(self.lx)[None, None, :]
        self._cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    def frame_data(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(template spectrum, template norm, region spectrum, window std·√n) for frame t."""
        if t in self._cache:
            return self._cache[t]
        region = self.frames[t][self.rows, self.cols].astype(np.float64)  # [N, ly, lx]
        region -= region.mean(axis=(1, 2), keepdims=True)
        tmpl = region[:, self.my:self.my + self.ph, self.mx:self.mx + self.pw]
        tmpl = tmpl - tmpl.mean(axis=(1, 2), keepdims=True)
        tnorm = np.sqrt(np.einsum("nij,nij->n", tmpl, tmpl))
        tspec = np.conj(sfft.rfft2(tmpl, s=(self.fy, self.fx), workers=-1))
        rspec = sfft.rfft2(region, s=(self.fy, self.fx), workers=-1)
        n = self.ph * self.pw
        s1 = _box_sums(_integral(region), self.ph, self.pw)
        s2 = _box_sums(_integral(region * region), self.ph, self.pw)
        wnorm = np.sqrt(np.maximum(s2 - s1 * s1 / n, 0.0))  # [N, ny, nx]
        data = (tspec, tnorm, rspec, wnorm)
        self._cache[t] = data
        return data

    def drop_before(self, t: int) -> None:
        for key in [k for k in self._cache if k < t]:
            del self._cache[key]

    def best_match(self, t0: int, t1: int) -> np.ndarray:
        """Sub-pixel peak NCC of each patch of frame t0 searched in frame t1, float [N]."""
        tspec, tnorm, _, _ = self.frame_data(t0)
        _, _, rspec, wnorm = self.frame_data(t1)
        num = sfft.irfft2(tspec * rspec, s=(self.fy, self.fx), workers=-1)[:, : self.ny, : self.nx]
        denom = tnorm[:, None, None] * wnorm
        with np.errstate(invalid="ignore", divide="ignore"):
            ncc = np.where(denom > _EPS * max(float(np.max(denom, initial=0.0)), 1.0),
                           num / denom, np.nan)
        inner = ncc[:, 1:-1, 1:-1]
        n_pat = inner.shape[0]
        flat = np.where(np.isnan(inner), -np.inf, inner).reshape(n_pat, -1)
        arg = np.argmax(flat, axis=1)
        peak = flat[np.arange(n_pat), arg]
        iy = arg // inner.shape[2] + 1
        ix = arg % inner.shape[2] + 1
        idx = np.arange(n_pat)
        b = ncc[idx, iy, ix]
        value = _peak_value(
            b, (ncc[idx, iy - 1, ix], ncc[idx, iy + 1, ix]), (ncc[idx, iy, ix - 1], ncc[idx, iy, ix + 1])
        )
        return np.where(np.isfinite(peak), value, np.nan)


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def _check_positive(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a positive number, got {value!r}") from exc
    if not (math.isfinite(v) and v > 0):
        raise ParameterError(f"{name} must be a positive number, got {value!r}")
    return v


def _default_clip_id(source: str) -> str:
    name = Path(source).stem if source and not source.startswith("<") else ""
    return name or source or "clip"


def measure_decorrelation(
    video: EchoVideo | str | os.PathLike[str],
    max_lag_frames: int = 4,
    patch_mm: float = 4.0,
    search_mm: float = 2.0,
    spacing_mm: tuple[float, float] | None = None,
    smooth_mm: float = DEFAULT_SMOOTH_MM,
    mask: np.ndarray | None = None,
    n_patches: int = 300,
    rng: np.random.Generator | int | None = None,
    clip_id: str | None = None,
    phase_bins: int = 2,
    depth_bins_mm: Sequence[float] = (0.0, 50.0, 100.0, 150.0),
    *,
    fps: float | None = None,
    sector_threshold: float = 2 / 255,
) -> DecorrelationProfile:
    """Measure motion-compensated speckle correlation versus lag on one clip.

    Args:
        video: the clip (or a path that :func:`echostrain.io.read_video` opens).
        max_lag_frames: K, the largest lag in frames (1 ≤ K < T).
        patch_mm: patch side in mm (odd pixel size from the spacing).
        search_mm: half-size of the search window in mm (at least 1 px).
        spacing_mm: pixel size (dy, dx) in mm; overrides the clip's. When neither
            is known it is estimated: the fan height is taken as 150 mm
            (``provenance["spacing_estimated"] = True``).
        smooth_mm: σ (mm) of a Gaussian filter applied to every frame before
            matching (0: none). Speckle only 1–2 px across makes the NCC surface
            too sharp for a sub-pixel peak fit (a half-pixel shift would read
            as ~0.9); light smoothing removes that bias and, applied to real
            and simulated clips alike, keeps them comparable.
        mask: bool [H, W] region to measure in (e.g. the myocardium); default:
            the sector minus the dark cavity.
        n_patches: number of patch positions (fewer if the mask is small).
        rng: a numpy Generator or seed for the patch positions.
        clip_id: name stored in the profile (default: the file stem).
        phase_bins: number of equal time bins over the clip (ED/ES are not
            known, so "phase" is time within the clip).
        depth_bins_mm: depth bin edges in mm below the top row of the fan.
        fps: frame rate; overrides the clip's. Required if the clip has none.
        sector_threshold: grey threshold of :func:`echostrain.io.sector_mask`
            (raise it for clips with a noisy background).

    Raises:
        InvalidDataError: fewer than 3 frames, an empty tissue mask, a clip
            without texture; ParameterError: no fps, bad lags or sizes, a patch
            that does not fit inside the tissue region.
    """
    if isinstance(video, (str, os.PathLike)):
        video = read_video(video, fps=fps)
    if not isinstance(video, EchoVideo):
        raise InvalidDataError(
            f"measure_decorrelation needs an EchoVideo or a clip path, got {type(video).__name__}"
        )
    src = video.source
    frames = video.frames
    if frames.ndim != 3 or frames.shape[0] < MIN_FRAMES:
        raise InvalidDataError(
            f"{src}: decorrelation needs a clip of at least {MIN_FRAMES} frames, got shape {frames.shape}"
        )
    n_t, height, width = (int(s) for s in frames.shape)
    rate = fps if fps is not None else video.fps
    if rate is None:
        raise ParameterError(f"{src} has no frame rate; give --fps (frames/s)")
    rate = _check_positive(rate, "fps")
    k_max = _check_int(max_lag_frames, "max_lag_frames", 1)
    if k_max >= n_t:
        raise ParameterError(
            f"max_lag_frames={k_max} needs a clip of more than {k_max} frames; {src} has {n_t}"
        )
    patch_mm = _check_positive(patch_mm, "patch_mm")
    search_mm = _check_positive(search_mm, "search_mm")
    n_want = _check_int(n_patches, "n_patches", 1)
    n_phase = _check_int(phase_bins, "phase_bins", 1)
    edges = np.asarray(depth_bins_mm, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(
        np.diff(edges) <= 0
    ):
        raise ParameterError(
            f"depth_bins_mm must be ≥2 increasing edges in mm, got {list(np.ravel(edges))}"
        )
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    # --- sector, spacing, tissue mask
    fan = sector_mask(video, threshold=sector_threshold)
    top_row, bottom_row = _fan_rows(fan)
    spacing = spacing_mm if spacing_mm is not None else video.spacing_mm
    estimated = spacing is None
    if spacing is None:
        fan_px = bottom_row - top_row + 1
        pix = ASSUMED_FAN_DEPTH_MM / fan_px
        spacing = (pix, pix)
    dy, dx = (_check_positive(v, "spacing_mm") for v in spacing)

    if mask is None:
        tissue = tissue_mask(frames.mean(axis=0), fan, (dy, dx))
        mask_note = (
            f"sector (threshold {sector_threshold:.4g}) minus dark cavity (local mean over "
            f"{CAVITY_WINDOW_MM:g} mm below the {CAVITY_PERCENTILE:g}th percentile)"
        )
        footprint_region = fan
    else:
        tissue = np.asarray(mask)
        if tissue.shape != (height, width):
            raise ParameterError(
                f"mask shape {tissue.shape} does not match the frames' {(height, width)}"
            )
        tissue = tissue.astype(bool)
        mask_note = "given mask"
        footprint_region = tissue
    if not tissue.any():
        raise InvalidDataError(
            f"{src}: the tissue mask is empty; give a mask that covers tissue "
            "(or check the clip is not blank)"
        )

    # --- patch geometry and candidate centres
    hy, hx = _odd_px(patch_mm, dy) // 2, _odd_px(patch_mm, dx) // 2
    sy, sx = max(1, math.ceil(search_mm / dy - 1e-9)), max(1, math.ceil(search_mm / dx - 1e-9))
    my, mx = hy + sy + 1, hx + sx + 1
    ok = tissue.copy()
    ok[:my, :] = False
    ok[height - my:, :] = False
    ok[:, :mx] = False
    ok[:, width - mx:] = False
    if ok.any():
        # centres whose whole patch lies inside the region (box filter = erosion, but O(H·W))
        inside = ndimage.uniform_filter(
            footprint_region.astype(np.float32), size=(2 * hy + 1, 2 * hx + 1), mode="constant"
        )
        ok &= inside >= 1.0 - 1e-4
    cand = np.argwhere(ok)
    if cand.size == 0:
        raise ParameterError(
            f"a {patch_mm:g} mm patch ({2 * hy + 1}×{2 * hx + 1} px) with a ±{search_mm:g} mm "
            f"search does not fit inside the tissue region of {src}; use a smaller patch_mm "
            "or search_mm"
        )
    pick = generator.choice(len(cand), size=min(n_want, len(cand)), replace=False)
    centres = cand[np.sort(pick)]
    n_pat = len(centres)

    # --- correlations: corr[t, k-1, n], NaN where t + k ≥ T
    if smooth_mm > 0:
        frames = ndimage.gaussian_filter(
            frames.astype(np.float32), sigma=(0.0, smooth_mm / dy, smooth_mm / dx), mode="nearest"
        )
    matcher = _Matcher(frames, centres, (hy, hx), (sy, sx))
    corr = np.full((n_t - 1, k_max, n_pat), np.nan)
    for t in range(n_t - 1):
        matcher.drop_before(t)
        for k in range(1, k_max + 1):
            if t + k < n_t:
                corr[t, k - 1] = matcher.best_match(t, t + k)
    if not np.isfinite(corr).any():
        raise InvalidDataError(
            f"{src}: no tissue patch has any texture (constant grey); "
            "check the clip is not blank"
        )

    with np.errstate(invalid="ignore"), _quiet_nanmean():
        mean = np.nanmean(corr, axis=(0, 2))
        per_patch = np.nanmean(corr, axis=0)  # [K, N]
        spread = np.nanstd(per_patch, axis=1)
        starts = np.arange(n_t - 1)
        phase_of_start = np.minimum(starts * n_phase // n_t, n_phase - 1)
        by_phase = np.full((n_phase, k_max), np.nan)
        for p in range(n_phase):
            sel = phase_of_start == p
            if sel.any():
                by_phase[p] = np.nanmean(corr[sel], axis=(0, 2))
        depth_mm = (centres[:, 0] - top_row) * dy
        n_depth = edges.size - 1
        by_depth = np.full((n_depth, k_max), np.nan)
        dbin = np.digitize(depth_mm, edges) - 1
        for d in range(n_depth):
            sel = dbin == d
            if sel.any():
                by_depth[d] = np.nanmean(corr[:, :, sel], axis=(0, 2))

    phase_labels = [
        f"time {100.0 * p / n_phase:.0f}-{100.0 * (p + 1) / n_phase:.0f}%" for p in range(n_phase)
    ]
    cid = clip_id if clip_id is not None else _default_clip_id(src)
    lags_k = list(range(1, k_max + 1))
    provenance: dict[str, Any] = {
        "source_files": [src],
        "fps": rate,
        "n_frames": n_t,
        "image_size_hw": [height, width],
        "spacing_mm": [dy, dx],
        "spacing_estimated": bool(estimated),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "echostrain_version": __version__,
        "method": "best-match NCC, FFT search, parabolic sub-pixel peak value",
        "patch_mm": patch_mm,
        "patch_px": [2 * hy + 1, 2 * hx + 1],
        "search_mm": search_mm,
        "search_px": [sy, sx],
        "max_lag_frames": k_max,
        "mask": mask_note,
        "phase_binning": f"{n_phase} equal time bins of the start frame over the clip "
        "(ED/ES not known)",
        "depth_reference": f"mm below the top row of the fan (row {top_row})",
    }
    if estimated:
        provenance["spacing_note"] = (
            f"estimated: fan height {bottom_row - top_row + 1} px taken as "
            f"{ASSUMED_FAN_DEPTH_MM:g} mm"
        )
    return DecorrelationProfile(
        lags_ms=np.array(lags_k, dtype=np.float64) * 1000.0 / rate,
        mean=mean,
        spread=spread,
        phase_bins=phase_labels,
        by_phase=by_phase,
        depth_bins_mm=edges,
        by_depth=by_depth,
        n_patches=n_pat,
        clip_ids=[cid],
        provenance=provenance,
        lag_frames={cid: lags_k},
    )


class _quiet_nanmean:
    """Silence "Mean of empty slice" / "Degrees of freedom" warnings of nan-reductions."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)


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
