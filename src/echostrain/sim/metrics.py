"""Image-quality measures of simulated frames: PSF widths, speckle statistics, cyst contrast.

All work on the beam-space envelope ``[n_samples, n_lines]`` of a scan.
Lateral sizes are converted to mm at the measurement range (``u`` steps ×
range).
"""

from __future__ import annotations

import numpy as np

from echostrain.core.errors import InvalidDataError
from echostrain.sim.probe import SectorScan


def half_max_width(profile: np.ndarray, step: float, level: float = 0.5) -> float:
    """Width of the main lobe of ``profile`` at ``level`` × its peak (linear interpolation), in ``step`` units."""
    p = np.asarray(profile, dtype=float)
    k = int(np.argmax(p))
    p = p / p[k]
    lo = k
    while lo > 0 and p[lo - 1] >= level:
        lo -= 1
    hi = k
    while hi < p.size - 1 and p[hi + 1] >= level:
        hi += 1
    if lo == 0 or hi == p.size - 1:
        raise InvalidDataError("the main lobe reaches the edge of the window; use a larger window")
    left = lo - (p[lo] - level) / (p[lo] - p[lo - 1])
    right = hi + (p[hi] - level) / (p[hi] - p[hi + 1])
    return float((right - left) * step)


def point_target_widths_mm(
    env: np.ndarray, scan: SectorScan, x_m: float, z_m: float, window_mm: float = 4.0
) -> tuple[float, float]:
    """Axial and lateral −6 dB widths (mm) of the point target nearest (x, z)."""
    r = float(np.hypot(x_m, z_m))
    u = float(x_m / r)
    ranges, lines = scan.ranges_m(), scan.u_lines()
    du = lines[1] - lines[0]
    i = int(np.argmin(np.abs(ranges - r)))
    j = int(np.argmin(np.abs(lines - u)))
    hr = int(window_mm * 1e-3 / scan.range_step_m)
    hu = int(window_mm * 2e-3 / r / du)
    patch = env[max(i - hr, 0) : i + hr + 1, max(j - hu, 0) : j + hu + 1]
    i0, j0 = np.unravel_index(np.argmax(patch), patch.shape)
    axial = half_max_width(patch[:, j0], scan.range_step_m * 1e3)
    lateral = half_max_width(patch[i0, :], du * r * 1e3)
    return axial, lateral


def _depth_normalised(env: np.ndarray, rows: slice, lines: slice, window_rows: int) -> np.ndarray:
    """Region of the envelope divided by its depth trend (row means smoothed over ``window_rows``).

    Smoothing the trend over many speckle cells keeps the speckle's own
    variance, which dividing each row by its own mean would partly remove.
    """
    from scipy.ndimage import uniform_filter1d

    region = np.asarray(env[rows, lines], dtype=float)
    trend = uniform_filter1d(region.mean(axis=1), size=max(int(window_rows), 1), mode="nearest")
    return region / trend[:, None]


def envelope_snr(env: np.ndarray, rows: slice, lines: slice, window_rows: int = 101) -> float:
    """Mean/std of the envelope in a region, after dividing by its smoothed depth trend.

    Fully developed speckle (Rayleigh envelope) gives 1.91.
    """
    region = _depth_normalised(env, rows, lines, window_rows)
    return float(region.mean() / region.std())


def autocorrelation_fwhm_mm(
    env: np.ndarray, scan: SectorScan, rows: slice, lines: slice, window_rows: int = 101
) -> tuple[float, float]:
    """Axial and lateral FWHM (mm, lateral at the region's mid range) of the envelope's autocovariance."""
    region = _depth_normalised(env, rows, lines, window_rows)
    region = region - region.mean()
    spec = np.fft.fft2(region, s=(2 * region.shape[0], 2 * region.shape[1]))
    acf = np.fft.ifft2(np.abs(spec) ** 2).real
    acf = np.fft.fftshift(acf)
    ci, cj = acf.shape[0] // 2, acf.shape[1] // 2
    r_mid = float(np.mean(scan.ranges_m()[rows]))
    du = scan.u_lines()[1] - scan.u_lines()[0]
    axial = half_max_width(acf[:, cj], scan.range_step_m * 1e3)
    lateral = half_max_width(acf[ci, :], du * r_mid * 1e3)
    return axial, lateral


def cyst_contrast_db(env: np.ndarray, scan: SectorScan, center_xz_m: tuple[float, float], radius_m: float) -> float:
    """``20·log10(mean inside / mean around)``: inside = within 0.7 radius, around = a ring 1.3–2 radii."""
    from echostrain.sim.grid import polar_grid_xz_m

    x, z = polar_grid_xz_m(scan.ranges_m(), scan.u_lines())
    d = np.hypot(x - center_xz_m[0], z - center_xz_m[1])
    inside = d < 0.7 * radius_m
    ring = (d > 1.3 * radius_m) & (d < 2.0 * radius_m)
    if not inside.any() or not ring.any():
        raise InvalidDataError("the cyst is not inside the scan")
    return float(20 * np.log10(env[inside].mean() / env[ring].mean()))
