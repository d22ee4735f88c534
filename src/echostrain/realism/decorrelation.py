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
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from echostrain import __version__
from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.core.ncc import (
    cross_correlation,
    fft_shape,
    interior_peak,
    region_spectrum,
    subpixel_peak_value,
    template_spectrum,
    window_norms,
)
from echostrain.io import EchoVideo, read_video, sector_mask
from echostrain.realism.profile import DecorrelationProfile
from echostrain.realism.tissue_patches import (
    PatchLayout,
    fan_rows,
    measurement_region,
    patch_layout,
)

#: Depth assumed for the fan height when a clip has no pixel spacing (mm).
ASSUMED_FAN_DEPTH_MM = 150.0
#: Fewest frames a clip needs (lags 1 and 2).
MIN_FRAMES = 3
#: Gaussian pre-smoothing (σ, mm) of the frames before matching (see ``measure_decorrelation``).
DEFAULT_SMOOTH_MM = 0.3
_EPS = 1e-12


# --------------------------------------------------------------------------- measurement


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
        self.fft_shape = fft_shape((self.ly, self.lx))
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
        tspec = template_spectrum(tmpl, self.fft_shape, workers=-1)
        rspec = region_spectrum(region, self.fft_shape, workers=-1)
        wnorm = window_norms(region, (self.ph, self.pw))  # [N, ny, nx]
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
        num = cross_correlation(tspec, rspec, self.fft_shape, (self.ny, self.nx), workers=-1)
        denom = tnorm[:, None, None] * wnorm
        with np.errstate(invalid="ignore", divide="ignore"):
            ncc = np.where(denom > _EPS * max(float(np.max(denom, initial=0.0)), 1.0),
                           num / denom, np.nan)
        idx, iy, ix = interior_peak(ncc)
        b = ncc[idx, iy, ix]
        value = subpixel_peak_value(
            b, (ncc[idx, iy - 1, ix], ncc[idx, iy + 1, ix]), (ncc[idx, iy, ix - 1], ncc[idx, iy, ix + 1])
        )
        return np.where(np.isfinite(b), value, np.nan)


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


def _check_inputs(
    video: EchoVideo, fps: float | None, max_lag_frames: int, depth_bins_mm: Sequence[float]
) -> tuple[float, int, np.ndarray]:
    """Frame rate, largest lag and depth edges of a measurement, checked against the clip."""
    src = video.source
    frames = video.frames
    if frames.ndim != 3 or frames.shape[0] < MIN_FRAMES:
        raise InvalidDataError(
            f"{src}: decorrelation needs a clip of at least {MIN_FRAMES} frames, got shape {frames.shape}"
        )
    n_t = int(frames.shape[0])
    rate = fps if fps is not None else video.fps
    if rate is None:
        raise ParameterError(f"{src} has no frame rate; give `fps` (frames/s)")
    rate = _check_positive(rate, "fps")
    k_max = _check_int(max_lag_frames, "max_lag_frames", 1)
    if k_max >= n_t:
        raise ParameterError(
            f"max_lag_frames={k_max} needs a clip of more than {k_max} frames; {src} has {n_t}"
        )
    edges = np.asarray(depth_bins_mm, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(
        np.diff(edges) <= 0
    ):
        raise ParameterError(
            f"depth_bins_mm must be ≥2 increasing edges in mm, got {list(np.ravel(edges))}"
        )
    return rate, k_max, edges


def _pixel_spacing(
    video: EchoVideo, spacing_mm: tuple[float, float] | None, fan_rows: tuple[int, int]
) -> tuple[tuple[float, float], bool]:
    """Pixel size (dy, dx) in mm — given, the clip's, or estimated from the fan height — and whether estimated."""
    spacing = spacing_mm if spacing_mm is not None else video.spacing_mm
    estimated = spacing is None
    if spacing is None:
        pix = ASSUMED_FAN_DEPTH_MM / (fan_rows[1] - fan_rows[0] + 1)
        spacing = (pix, pix)
    dy, dx = (_check_positive(v, "spacing_mm") for v in spacing)
    return (dy, dx), estimated


def _correlations(
    frames: np.ndarray, layout: PatchLayout, k_max: int, smooth_mm: float,
    spacing_mm: tuple[float, float], source: str,
) -> np.ndarray:
    """Best-match correlation ``corr[t, k − 1, n]`` of patch n from frame t to t + k (NaN where t + k ≥ T)."""
    n_t = frames.shape[0]
    dy, dx = spacing_mm
    if smooth_mm > 0:
        frames = ndimage.gaussian_filter(
            frames.astype(np.float32), sigma=(0.0, smooth_mm / dy, smooth_mm / dx), mode="nearest"
        )
    matcher = _Matcher(frames, layout.centres, layout.half_px, layout.search_px)
    corr = np.full((n_t - 1, k_max, len(layout.centres)), np.nan)
    for t in range(n_t - 1):
        matcher.drop_before(t)
        for k in range(1, k_max + 1):
            if t + k < n_t:
                corr[t, k - 1] = matcher.best_match(t, t + k)
    if not np.isfinite(corr).any():
        raise InvalidDataError(
            f"{source}: no tissue patch has any texture (constant grey); "
            "check the clip is not blank"
        )
    return corr


def _binned_means(
    corr: np.ndarray, depth_mm: np.ndarray, n_phase: int, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean [K], spread [K], by_phase [P, K], by_depth [D, K]) of ``corr [T − 1, K, N]``."""
    n_starts, k_max = corr.shape[:2]
    n_t = n_starts + 1
    with np.errstate(invalid="ignore"), _quiet_nanmean():
        mean = np.nanmean(corr, axis=(0, 2))
        per_patch = np.nanmean(corr, axis=0)  # [K, N]
        spread = np.nanstd(per_patch, axis=1)
        phase_of_start = np.minimum(np.arange(n_starts) * n_phase // n_t, n_phase - 1)
        by_phase = np.full((n_phase, k_max), np.nan)
        for p in range(n_phase):
            sel = phase_of_start == p
            if sel.any():
                by_phase[p] = np.nanmean(corr[sel], axis=(0, 2))
        n_depth = edges.size - 1
        by_depth = np.full((n_depth, k_max), np.nan)
        dbin = np.digitize(depth_mm, edges) - 1
        for d in range(n_depth):
            sel = dbin == d
            if sel.any():
                by_depth[d] = np.nanmean(corr[:, :, sel], axis=(0, 2))
    return mean, spread, by_phase, by_depth


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
    rate, k_max, edges = _check_inputs(video, fps, max_lag_frames, depth_bins_mm)
    patch_mm = _check_positive(patch_mm, "patch_mm")
    search_mm = _check_positive(search_mm, "search_mm")
    n_wanted = _check_int(n_patches, "n_patches", 1)
    n_phase = _check_int(phase_bins, "phase_bins", 1)
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    fan = sector_mask(video, threshold=sector_threshold)
    rows = fan_rows(fan)
    spacing, estimated = _pixel_spacing(video, spacing_mm, rows)
    tissue, footprint, mask_note = measurement_region(video, fan, mask, spacing, sector_threshold)
    layout = patch_layout(tissue, footprint, spacing, patch_mm, search_mm, n_wanted, generator, video.source)
    corr = _correlations(video.frames, layout, k_max, smooth_mm, spacing, video.source)
    depth_mm = (layout.centres[:, 0] - rows[0]) * spacing[0]
    mean, spread, by_phase, by_depth = _binned_means(corr, depth_mm, n_phase, edges)

    cid = clip_id if clip_id is not None else _default_clip_id(video.source)
    lags_k = list(range(1, k_max + 1))
    provenance = _provenance(
        video, rate, spacing, estimated, rows, layout, mask_note, n_phase,
        patch_mm=patch_mm, search_mm=search_mm, max_lag_frames=k_max,
    )
    return DecorrelationProfile(
        lags_ms=np.array(lags_k, dtype=np.float64) * 1000.0 / rate,
        mean=mean,
        spread=spread,
        phase_bins=[
            f"time {100.0 * p / n_phase:.0f}-{100.0 * (p + 1) / n_phase:.0f}%" for p in range(n_phase)
        ],
        by_phase=by_phase,
        depth_bins_mm=edges,
        by_depth=by_depth,
        n_patches=len(layout.centres),
        clip_ids=[cid],
        provenance=provenance,
        lag_frames={cid: lags_k},
    )


def _provenance(
    video: EchoVideo, rate: float, spacing_mm: tuple[float, float], estimated: bool,
    fan_rows: tuple[int, int], layout: PatchLayout, mask_note: str, n_phase: int,
    *, patch_mm: float, search_mm: float, max_lag_frames: int,
) -> dict[str, Any]:
    """Where a measured profile's numbers come from."""
    (hy, hx), (top_row, bottom_row) = layout.half_px, fan_rows
    provenance: dict[str, Any] = {
        "source_files": [video.source],
        "fps": rate,
        "n_frames": int(video.frames.shape[0]),
        "image_size_hw": [int(s) for s in video.frames.shape[1:]],
        "spacing_mm": list(spacing_mm),
        "spacing_estimated": bool(estimated),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "echostrain_version": __version__,
        "method": "best-match NCC, FFT search, parabolic sub-pixel peak value",
        "patch_mm": patch_mm,
        "patch_px": [2 * hy + 1, 2 * hx + 1],
        "search_mm": search_mm,
        "search_px": list(layout.search_px),
        "max_lag_frames": max_lag_frames,
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
    return provenance


class _quiet_nanmean:
    """Silence "Mean of empty slice" / "Degrees of freedom" warnings of nan-reductions."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc: object) -> None:
        self._ctx.__exit__(*exc)
