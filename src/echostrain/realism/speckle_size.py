"""Speckle size: axial and lateral FWHM (mm) of the speckle autocorrelation, by depth.

One method for real clips and simulated sequences, so the two can be
compared. Structure is removed first: every frame minus its Gaussian-smoothed
self (σ = ``detrend_mm``), so the tissue's echogenicity (walls, cavity
borders) does not widen the autocorrelation. Square tissue patches of
``patch_mm`` (wholly inside the tissue mask of
:func:`~echostrain.realism.tissue_patches.tissue_mask`, or one given) are windowed (Hann), their autocorrelation computed by FFT
(zero-padded) and normalised to 1 at lag 0. Each patch's autocorrelation is
read along the beam through its centre (axial: the direction from the fan's
apex, the probe) and across it (lateral), at 0.02 mm steps; the profiles are
averaged per depth bin and the FWHM is twice the lag where the mean profile
falls to 0.5.

References
----------
.. [1] Wagner RF, Smith SW, Sandrik JM, Lopez H. Statistics of speckle in
   ultrasound B-scans. IEEE Trans Sonics Ultrason 1983;30:156–163 (speckle
   size from the autocovariance of the image).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.io import EchoVideo
from echostrain.io.sector import fan_apex_px, sector_mask
from echostrain.realism.tissue_patches import odd_px, tissue_mask

#: Step (mm) at which the autocorrelation is read along a direction.
_STEP_MM = 0.02
#: Share of a patch's pixels that must be tissue.
_MIN_TISSUE = 0.999


@dataclass(frozen=True)
class SpeckleSize:
    """Speckle FWHM by depth bin.

    Attributes
    ----------
    depth_mm : ndarray
        Bin centres (distance from the fan's apex).
    axial_fwhm_mm, lateral_fwhm_mm : ndarray
        FWHM of the mean autocorrelation along and across the beam (NaN where
        a bin has no patch).
    n_patches : ndarray
        Patches per bin.
    source : str
        Clip measured.
    """

    depth_mm: np.ndarray
    axial_fwhm_mm: np.ndarray
    lateral_fwhm_mm: np.ndarray
    n_patches: np.ndarray
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()}


def _fwhm_mm(profile: np.ndarray) -> float:
    """Twice the first lag (mm) where a profile sampled at ``_STEP_MM`` from lag 0 falls to 0.5."""
    below = np.flatnonzero(profile < 0.5)
    if below.size == 0 or below[0] == 0:
        return math.nan
    i = int(below[0])
    a, b = profile[i - 1], profile[i]
    return 2.0 * _STEP_MM * (i - 1 + (a - 0.5) / (a - b))


def _patch_acf(patch: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of a windowed, mean-free patch, lag 0 at the centre."""
    p = (patch - patch.mean()) * window
    n0, n1 = p.shape
    spec = np.fft.rfft2(p, s=(2 * n0, 2 * n1))
    acf = np.fft.fftshift(np.fft.irfft2(np.abs(spec) ** 2, s=(2 * n0, 2 * n1)))
    return acf / acf[n0, n1] if acf[n0, n1] > 0 else np.full_like(acf, np.nan)


def measure_speckle_size(
    video: EchoVideo,
    *,
    spacing_mm: tuple[float, float] | None = None,
    patch_mm: float = 8.0,
    detrend_mm: float = 3.0,
    n_bins: int = 4,
    n_frames: int = 6,
    max_patches: int = 400,
    seed: int = 0,
    tissue: np.ndarray | None = None,
) -> SpeckleSize:
    """Axial and lateral speckle FWHM (mm) of a clip, by depth (see the module docstring).

    Parameters
    ----------
    video : EchoVideo
        The clip (real or simulated).
    spacing_mm : (dy, dx), optional
        Pixel size, if the clip has none.
    patch_mm : float
        Side of the square patches.
    detrend_mm : float
        σ of the Gaussian whose smoothing is subtracted (structure removal).
    n_bins : int
        Depth bins between the shallowest and deepest tissue patch.
    n_frames : int
        Frames measured, evenly spread over the clip.
    max_patches : int
        Patches per frame at most (drawn at random from the seed).
    seed : int
        Seed of the patch draw.
    tissue : ndarray of bool, optional
        Where patches may lie, ``[H, W]`` (default: the sector minus the dark cavity).

    Examples
    --------
    >>> size = measure_speckle_size(read_video("clip.mp4", spacing_mm=(0.2, 0.2)))  # doctest: +SKIP
    >>> size.lateral_fwhm_mm  # doctest: +SKIP
    """
    spacing = spacing_mm if spacing_mm is not None else video.spacing_mm
    if spacing is None:
        raise ParameterError(f"{video.source} has no pixel size; give `spacing_mm` (dy, dx) in mm")
    dy, dx = (float(v) for v in spacing)
    if not (patch_mm > 0 and detrend_mm > 0 and n_bins >= 1 and n_frames >= 1 and max_patches >= 1):
        raise ParameterError("`patch_mm` and `detrend_mm` must be positive; `n_bins`, `n_frames`, `max_patches` ≥ 1")
    frames = video.frames.astype(np.float64)
    sector = sector_mask(video.frames)
    if tissue is None:
        tissue = tissue_mask(frames.mean(axis=0), sector, (dy, dx))
    elif np.shape(tissue) != frames.shape[1:]:
        raise ParameterError(f"`tissue` must be a mask of the frame's shape {frames.shape[1:]}, got {np.shape(tissue)}")
    tissue = np.asarray(tissue, dtype=bool)
    ny, nx = odd_px(patch_mm, dy), odd_px(patch_mm, dx)
    share = ndimage.uniform_filter(tissue.astype(float), size=(ny, nx), mode="constant")
    ok = tissue & (share >= _MIN_TISSUE)
    ok[: ny // 2 + 1], ok[-(ny // 2 + 1):], ok[:, : nx // 2 + 1], ok[:, -(nx // 2 + 1):] = False, False, False, False
    rows, cols = np.nonzero(ok)
    if rows.size == 0:
        raise InvalidDataError(f"{video.source}: no {patch_mm:g} mm tissue patch fits in the sector; use smaller `patch_mm`")
    ax, ay = fan_apex_px(sector)
    depth = np.hypot((cols - ax) * dx, (rows - ay) * dy)
    edges = np.linspace(depth.min(), depth.max() + 1e-9, n_bins + 1)
    rng = np.random.default_rng(seed)
    window = np.outer(np.hanning(ny + 2)[1:-1], np.hanning(nx + 2)[1:-1])
    lags = np.arange(0.0, patch_mm / 2, _STEP_MM)
    sums = np.zeros((n_bins, 2, lags.size))
    counts = np.zeros(n_bins, int)
    for t in np.unique(np.linspace(0, len(frames) - 1, n_frames).round().astype(int)):
        img = frames[t] - ndimage.gaussian_filter(frames[t], (detrend_mm / dy, detrend_mm / dx))
        for i in rng.choice(rows.size, size=min(max_patches, rows.size), replace=False):
            r, c = rows[i], cols[i]
            acf = _patch_acf(img[r - ny // 2 : r + ny // 2 + 1, c - nx // 2 : c + nx // 2 + 1], window)
            if not np.isfinite(acf).all():
                continue
            theta = math.atan2((c - ax) * dx, (r - ay) * dy)
            axial = np.array([math.sin(theta) / dx, math.cos(theta) / dy])  # px per mm along the beam (x, y)
            lateral = np.array([math.cos(theta) / dx, -math.sin(theta) / dy])
            b = min(int(np.searchsorted(edges, depth[i], side="right")) - 1, n_bins - 1)
            for k, direction in enumerate((axial, lateral)):
                xy = np.outer(lags, direction)
                sums[b, k] += ndimage.map_coordinates(acf, [ny + xy[:, 1], nx + xy[:, 0]], order=1)
            counts[b] += 1
    mean = sums / np.maximum(counts, 1)[:, None, None]
    fwhm = np.array([[_fwhm_mm(mean[b, k]) if counts[b] else math.nan for k in range(2)] for b in range(n_bins)])
    return SpeckleSize(0.5 * (edges[:-1] + edges[1:]), fwhm[:, 0], fwhm[:, 1], counts, video.source)
