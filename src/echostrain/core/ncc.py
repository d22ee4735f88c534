"""Normalised cross-correlation (NCC) of image patches, by FFT, for many patches at once.

One kernel for the two places that match speckle patterns: block-matching
speckle tracking (:mod:`echostrain.track.blockmatch`, where the peak's
position is the displacement) and the decorrelation measurement
(:mod:`echostrain.realism.decorrelation`, where the peak's value is the
correlation). For a zero-mean template :math:`t` of :math:`n` pixels and a
search region :math:`r`, the NCC surface at offset :math:`u` is

.. math::

    \\rho(u) = \\frac{\\sum_i t_i \\, r_{i+u}}
                    {\\lVert t \\rVert \\, \\sqrt{\\sum_i r_{i+u}^2 - (\\sum_i r_{i+u})^2 / n}},

the numerator a cross-correlation computed with real FFTs, the window
energies from integral images (summed-area tables) [1]_. The integer peak is
refined with a three-point fit per axis: a Gaussian (a parabola through the
logarithms) where the three values are positive, a parabola otherwise [2]_.

All arrays are stacks: the first axis indexes the patches.

References
----------
.. [1] J. P. Lewis, "Fast normalized cross-correlation," *Vision Interface*,
   1995, pp. 120–123.
.. [2] L. N. Bohs, B. J. Geiman, M. E. Anderson, S. C. Gebhart and
   G. E. Trahey, "Speckle tracking for multi-dimensional flow estimation,"
   *Ultrasonics* 38 (2000), 369–375.

Examples
--------
A random patch found again 2 px down and 1 px right:

>>> rng = np.random.default_rng(0)
>>> region = rng.normal(size=(1, 15, 15))
>>> tmpl = region[:, 4:11, 3:10] - region[:, 4:11, 3:10].mean()
>>> shape = fft_shape(region.shape[1:])
>>> num = cross_correlation(template_spectrum(tmpl, shape), region_spectrum(region, shape), shape, (9, 9))
>>> ncc = num / (np.sqrt((tmpl**2).sum()) * window_norms(region, (7, 7)))
>>> idx, iy, ix = interior_peak(ncc)
>>> int(iy[0]), int(ix[0])
(4, 3)
"""

from __future__ import annotations

import numpy as np
from scipy import fft as sfft


def fft_shape(shape_px: tuple[int, int]) -> tuple[int, int]:
    """FFT size (rows, columns) for regions of ``shape_px``: fast lengths, the last one for a real FFT."""
    ly, lx = (int(v) for v in shape_px)
    return sfft.next_fast_len(ly), sfft.next_fast_len(lx, real=True)


def template_spectrum(templates: np.ndarray, fft_shape_px: tuple[int, int], *, workers: int | None = None) -> np.ndarray:
    """Conjugate real spectrum of zero-mean templates ``[N, h, w]``, zero-padded to ``fft_shape_px``."""
    return np.conj(sfft.rfft2(templates, s=fft_shape_px, workers=workers))


def region_spectrum(regions: np.ndarray, fft_shape_px: tuple[int, int], *, workers: int | None = None) -> np.ndarray:
    """Real spectrum of search regions ``[N, H, W]``, zero-padded to ``fft_shape_px``."""
    return sfft.rfft2(regions, s=fft_shape_px, workers=workers)


def cross_correlation(
    template_spec: np.ndarray,
    region_spec: np.ndarray,
    fft_shape_px: tuple[int, int],
    out_shape_px: tuple[int, int],
    *,
    workers: int | None = None,
) -> np.ndarray:
    """NCC numerator ``[N, ny, nx]``: :math:`\\sum_i t_i r_{i+u}` for offsets ``u`` from the region's corner."""
    ny, nx = out_shape_px
    return sfft.irfft2(template_spec * region_spec, s=fft_shape_px, workers=workers)[:, :ny, :nx]


def integral_image(stack: np.ndarray) -> np.ndarray:
    """Summed-area tables ``[N, H + 1, W + 1]`` (float64, zero first row and column) of ``stack [N, H, W]``."""
    out = np.zeros((stack.shape[0], stack.shape[1] + 1, stack.shape[2] + 1), dtype=np.float64)
    np.cumsum(np.cumsum(stack, axis=1), axis=2, out=out[:, 1:, 1:])
    return out


def box_sums(integral: np.ndarray, window_px: tuple[int, int]) -> np.ndarray:
    """Sums over every ``h × w`` window, from summed-area tables ``[N, H + 1, W + 1]``."""
    h, w = window_px
    return integral[:, h:, w:] - integral[:, :-h, w:] - integral[:, h:, :-w] + integral[:, :-h, :-w]


def window_norms(regions: np.ndarray, window_px: tuple[int, int]) -> np.ndarray:
    """:math:`\\sqrt{n}` × standard deviation of every ``h × w`` window of ``regions [N, H, W]``.

    The NCC denominator's region part, ``[N, H − h + 1, W − w + 1]``; ≥ 0
    (rounding that would make the variance negative gives 0).
    """
    h, w = window_px
    s1 = box_sums(integral_image(regions), window_px)
    s2 = box_sums(integral_image(regions * regions), window_px)
    return np.sqrt(np.maximum(s2 - s1 * s1 / (h * w), 0.0))


def interior_peak(ncc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer peak of each surface ``ncc [N, ny, nx]`` away from its border.

    Returns ``(index, row, column)``, int arrays [N], with row in
    ``1 … ny − 2`` and column in ``1 … nx − 2``, so both neighbours of the
    peak exist on each axis. NaN never wins (a surface all NaN gives
    ``(1, 1)``).
    """
    inner = ncc[:, 1:-1, 1:-1]
    n = inner.shape[0]
    flat = np.where(np.isnan(inner), -np.inf, inner).reshape(n, -1)
    arg = np.argmax(flat, axis=1)
    return np.arange(n), arg // inner.shape[2] + 1, arg % inner.shape[2] + 1


def subpixel_offset(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Offset in ``[−0.5, 0.5]`` of the peak through samples (−1, a), (0, b), (1, c).

    A Gaussian fit where all three are positive, a parabola otherwise; 0
    where neither is defined.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 1.0]) - 0.3
    >>> g = np.exp(-x**2)
    >>> round(float(subpixel_offset(g[:1], g[1:2], g[2:])[0]), 6)
    0.3
    """
    pos = (a > 0) & (b > 0) & (c > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        la, lb, lc = (np.log(np.where(pos, v, 1.0)) for v in (a, b, c))
        g = 0.5 * (la - lc) / (la - 2 * lb + lc)
        p = 0.5 * (a - c) / (a - 2 * b + c)
    off = np.where(pos, g, p)
    return np.clip(np.nan_to_num(off), -0.5, 0.5)


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


def subpixel_peak_value(
    b: np.ndarray, rows: tuple[np.ndarray, np.ndarray], cols: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """Sub-pixel peak value (≤ 1) of NCC surfaces from the integer peak ``b`` and its 4 neighbours.

    Speckle correlation peaks are close to Gaussian, and sharp when the speckle
    is only 1–2 px (a parabola underestimates a Gaussian peak half a pixel
    away by ~4 % per axis), so the peak is a separable Gaussian fitted to the
    log of the values; where a neighbour is ≤ 0 it falls back to parabolas.
    ``rows`` are the values above and below the peak, ``cols`` left and right.

    Examples
    --------
    >>> x = np.array([-1.0, 0.0, 1.0]) - 0.5
    >>> g = np.exp(-x**2)
    >>> round(float(subpixel_peak_value(g[1:2], (g[:1], g[2:]), (g[1:2] * 0 + 0.5, g[1:2] * 0 + 0.5))[0]), 3)
    1.0
    """
    log_gain = _log_gain(rows[0], b, rows[1]) + _log_gain(cols[0], b, cols[1])
    parabolic = b + _parabolic_gain(rows[0], b, rows[1]) + _parabolic_gain(cols[0], b, cols[1])
    with np.errstate(invalid="ignore", over="ignore"):
        gaussian = b * np.exp(log_gain)
    return np.minimum(np.where(np.isfinite(gaussian), gaussian, parabolic), 1.0)
