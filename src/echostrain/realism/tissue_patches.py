"""Where the decorrelation is measured: the tissue mask and the patch layout.

The tissue mask is the imaging sector minus the dark cavity (or a mask the
caller gives); patches are centred at random tissue pixels whose whole patch
lies in the region and whose search window stays inside the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.io import EchoVideo

#: Box size of the local mean used to find the dark cavity (mm).
CAVITY_WINDOW_MM = 3.0
#: Pixels with a local mean below this percentile of the sector are cavity.
CAVITY_PERCENTILE = 35.0


def odd_px(length_mm: float, pixel_mm: float) -> int:
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
    size = (odd_px(CAVITY_WINDOW_MM, dy), odd_px(CAVITY_WINDOW_MM, dx))
    local = ndimage.uniform_filter(np.asarray(mean_image, dtype=np.float64), size=size,
                                   mode="nearest")
    if not sector.any():
        return np.zeros_like(sector, dtype=bool)
    threshold = np.percentile(local[sector], CAVITY_PERCENTILE)
    return sector & (local >= threshold)


def fan_rows(sector: np.ndarray) -> tuple[int, int]:
    """First and last image rows of the imaging sector."""
    rows = np.flatnonzero(sector.any(axis=1))
    return int(rows[0]), int(rows[-1])


def measurement_region(
    video: EchoVideo, fan: np.ndarray, mask: np.ndarray | None, spacing_mm: tuple[float, float],
    sector_threshold: float,
) -> tuple[np.ndarray, np.ndarray, str]:
    """(tissue mask, region every patch must lie in, how the mask was made)."""
    if mask is None:
        tissue = tissue_mask(video.frames.mean(axis=0), fan, spacing_mm)
        note = (
            f"sector (threshold {sector_threshold:.4g}) minus dark cavity (local mean over "
            f"{CAVITY_WINDOW_MM:g} mm below the {CAVITY_PERCENTILE:g}th percentile)"
        )
        footprint = fan
    else:
        tissue = np.asarray(mask)
        if tissue.shape != video.frames.shape[1:]:
            raise ParameterError(
                f"mask shape {tissue.shape} does not match the frames' {tuple(video.frames.shape[1:])}"
            )
        tissue = tissue.astype(bool)
        note = "given mask"
        footprint = tissue
    if not tissue.any():
        raise InvalidDataError(
            f"{video.source}: the tissue mask is empty; give a mask that covers tissue "
            "(or check the clip is not blank)"
        )
    return tissue, footprint, note


@dataclass(frozen=True)
class PatchLayout:
    """Patch centres (row, col) px [N, 2], patch half-size and search half-size (rows, cols) px."""

    centres: np.ndarray
    half_px: tuple[int, int]
    search_px: tuple[int, int]


def patch_layout(
    tissue: np.ndarray, footprint: np.ndarray, spacing_mm: tuple[float, float], patch_mm: float,
    search_mm: float, n_wanted: int, generator: np.random.Generator, source: str,
) -> PatchLayout:
    """Random tissue centres whose patch lies in ``footprint`` and whose search stays in the image."""
    dy, dx = spacing_mm
    height, width = tissue.shape
    hy, hx = odd_px(patch_mm, dy) // 2, odd_px(patch_mm, dx) // 2
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
            footprint.astype(np.float32), size=(2 * hy + 1, 2 * hx + 1), mode="constant"
        )
        ok &= inside >= 1.0 - 1e-4
    cand = np.argwhere(ok)
    if cand.size == 0:
        raise ParameterError(
            f"a {patch_mm:g} mm patch ({2 * hy + 1}×{2 * hx + 1} px) with a ±{search_mm:g} mm "
            f"search does not fit inside the tissue region of {source}; use a smaller patch_mm "
            "or search_mm"
        )
    pick = generator.choice(len(cand), size=min(n_wanted, len(cand)), replace=False)
    return PatchLayout(cand[np.sort(pick)], (hy, hx), (sy, sx))
