"""Classical speckle tracking: normalised cross-correlation block matching.

For each pair of consecutive frames, the block (``kernel_px`` square, a few
speckle sizes) around every point is searched in the next frame over
±``search_px`` by normalised cross-correlation (:mod:`echostrain.core.ncc`, all points at once);
the integer peak is refined to sub-pixel by a Gaussian fit to the peak and
its neighbours (parabolas where a neighbour is ≤ 0). The displacements are
then regularised in space, as clinical speckle tracking does: each point's
displacement becomes the average of its neighbours' (Gaussian weights of
σ = ``smooth_px``) weighted by their peak correlation. Positions are
accumulated frame to frame, forward and backward from each query frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echostrain.core.checks import inside_image
from echostrain.core.ncc import (
    cross_correlation,
    fft_shape,
    interior_peak,
    region_spectrum,
    subpixel_offset,
    template_spectrum,
    window_norms,
)
from echostrain.track.base import TrackResult, Tracker, chain_from_query


@dataclass(frozen=True)
class BlockMatchSettings:
    """Kernel and search half-size in px, spatial regularisation σ in px (0: none)."""

    kernel_px: int = 21
    search_px: int = 8
    smooth_px: float = 6.0


def _patches(frame: np.ndarray, centres: np.ndarray, half: int) -> np.ndarray:
    """Square patches [M, 2h+1, 2h+1] around integer (x, y) centres, zero outside the frame."""
    pad = np.pad(frame, half, mode="constant")
    offs = np.arange(-half, half + 1)
    rows = centres[:, 1, None, None] + half + offs[None, :, None]
    cols = centres[:, 0, None, None] + half + offs[None, None, :]
    return pad[rows, cols]


def ncc_displacements(
    a: np.ndarray, b: np.ndarray, xy: np.ndarray, half_kernel: int, search: int
) -> tuple[np.ndarray, np.ndarray]:
    """Displacement (dx, dy) px [M, 2] of the block of ``a`` around each point in ``b``, and the peak NCC [M]."""
    h, w = a.shape
    centres = np.stack([np.clip(np.round(xy[:, 0]), 0, w - 1), np.clip(np.round(xy[:, 1]), 0, h - 1)], 1).astype(int)
    k = 2 * half_kernel + 1
    tmpl = _patches(a, centres, half_kernel).astype(np.float64)
    region = _patches(b, centres, half_kernel + search).astype(np.float64)
    tmpl = tmpl - tmpl.mean(axis=(1, 2), keepdims=True)
    tnorm = np.sqrt((tmpl * tmpl).sum(axis=(1, 2)))
    n_pos = 2 * search + 1
    shape = fft_shape(region.shape[1:])
    num = cross_correlation(template_spectrum(tmpl, shape), region_spectrum(region, shape), shape, (n_pos, n_pos))
    wnorm = window_norms(region, (k, k))
    with np.errstate(invalid="ignore", divide="ignore"):
        ncc = np.where(wnorm * tnorm[:, None, None] > 1e-9, num / (wnorm * tnorm[:, None, None]), 0.0)
    idx, iy, ix = interior_peak(ncc)
    peak = ncc[idx, iy, ix]
    sub_y = subpixel_offset(ncc[idx, iy - 1, ix], peak, ncc[idx, iy + 1, ix])
    sub_x = subpixel_offset(ncc[idx, iy, ix - 1], peak, ncc[idx, iy, ix + 1])
    disp = np.stack([ix + sub_x - search, iy + sub_y - search], axis=1)
    return disp, np.clip(peak, 0.0, 1.0)


def regularise(xy: np.ndarray, disp: np.ndarray, weight: np.ndarray, sigma_px: float) -> np.ndarray:
    """Displacements averaged over neighbours: Gaussian (σ px) in space × match quality."""
    if sigma_px <= 0 or len(xy) < 2:
        return disp
    d2 = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    wgt = np.exp(-d2 / (2 * sigma_px**2)) * np.maximum(weight, 1e-3)[None, :]
    return (wgt @ disp) / wgt.sum(axis=1, keepdims=True)


class BlockMatchTracker(Tracker):
    """NCC block matching with spatial regularisation (classical STE)."""

    name = "blockmatch"

    def __init__(self, settings: BlockMatchSettings | None = None) -> None:
        self.settings = settings or BlockMatchSettings()

    def _track(self, frames: np.ndarray, queries: np.ndarray) -> TrackResult:
        s = self.settings
        half = s.kernel_px // 2

        def step(t0: int, t1: int, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            disp, peak = ncc_displacements(frames[t0], frames[t1], xy, half, s.search_px)
            return xy + regularise(xy, disp, peak, s.smooth_px), peak

        tracks, score = chain_from_query(frames.shape[0], queries, step)
        visible = inside_image(tracks, frames.shape[1:])
        return TrackResult(tracks.astype(np.float32), visible, score.astype(np.float32), self.name)
