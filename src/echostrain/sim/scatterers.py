"""Scatterers: positions (m) and reflection amplitudes, and ways to fill a sector with them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echostrain.anatomy.echomap import EchogenicityMap
from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.core.limits import check_allocation
from echostrain.sim.probe import PhasedArray, SectorScan


@dataclass(frozen=True)
class Scatterers:
    """Point scatterers in the imaging plane.

    ``x_m`` (lateral) and ``z_m`` (depth, ≥ 0) in metres with the probe at
    the origin; ``amplitude`` is the reflection coefficient (any real sign).
    """

    x_m: np.ndarray
    z_m: np.ndarray
    amplitude: np.ndarray

    def __post_init__(self) -> None:
        x = np.asarray(self.x_m, dtype=np.float64).reshape(-1)
        z = np.asarray(self.z_m, dtype=np.float64).reshape(-1)
        a = np.asarray(self.amplitude, dtype=np.float64).reshape(-1)
        if not (x.size == z.size == a.size):
            raise InvalidDataError(f"scatterer arrays differ in length: x {x.size}, z {z.size}, amplitude {a.size}")
        if x.size == 0:
            raise InvalidDataError("no scatterers: give at least one scatterer (x, z, amplitude)")
        for name, arr in (("x", x), ("z", z), ("amplitude", a)):
            bad = ~np.isfinite(arr)
            if bad.any():
                raise InvalidDataError(
                    f"scatterer {name} is NaN/inf at index {int(np.flatnonzero(bad)[0])}; remove or fix those scatterers"
                )
        if np.any(z < 0):
            raise InvalidDataError("scatterers must lie in front of the probe (z ≥ 0 m)")
        object.__setattr__(self, "x_m", x)
        object.__setattr__(self, "z_m", z)
        object.__setattr__(self, "amplitude", a)

    def __len__(self) -> int:
        return int(self.x_m.size)

    @property
    def range_m(self) -> np.ndarray:
        return np.hypot(self.x_m, self.z_m)

    @staticmethod
    def concatenate(parts: list[Scatterers]) -> Scatterers:
        """All scatterers of several sets in one set."""
        return Scatterers(
            np.concatenate([p.x_m for p in parts]),
            np.concatenate([p.z_m for p in parts]),
            np.concatenate([p.amplitude for p in parts]),
        )


def effective_bandwidth_pct(probe: PhasedArray, *, scan: SectorScan | None = None) -> float:
    """Band (%) that sets the nominal axial cell: the probe's, narrowed by the scan's receive filter if any.

    Without a filter it is the probe's band and the cell ``c / (2 B_probe)``.
    With one the cell lengthens by ``sqrt(1 + B_probe² / (2 B_rx²))``, i.e.
    the band used is ``(1 / B_probe² + 1 / (2 B_rx²))^(−1/2)``. The factor
    is an approximation fitted to PyMUST's pulse-echo spectrum, whose
    envelope FWHM grows by 6.0 / 4.5 / 3.4 behind a 9 / 12 / 16 % filter
    (this formula: 5.9 / 4.47 / 3.42); it is not the product of Gaussian
    bands (PyMUST's ``bandwidth`` is already the pulse-echo band, and its
    window is not Gaussian).
    """
    if scan is None or scan.rx_bandwidth_pct is None:
        return probe.bandwidth_pct
    return (probe.bandwidth_pct**-2 + 0.5 * scan.rx_bandwidth_pct**-2) ** -0.5


def resolution_cell(probe: PhasedArray, *, scan: SectorScan | None = None) -> tuple[float, float]:
    """Nominal −6 dB resolution cell: axial size c / (2 · bandwidth) in m, lateral angle 1.2 λ / aperture in rad.

    The bandwidth is :func:`effective_bandwidth_pct`: a receive filter lengthens the cell.
    """
    bw_hz = probe.center_frequency_hz * effective_bandwidth_pct(probe, scan=scan) / 100.0
    return probe.speed_of_sound_m_s / (2.0 * bw_hz), 1.2 * probe.wavelength_m / probe.aperture_m


def resolution_cell_area_m2(probe: PhasedArray, range_m: float | np.ndarray, *,
                            scan: SectorScan | None = None) -> np.ndarray:
    """Approximate −6 dB resolution-cell area at a range (m²): axial size × lateral angle × range."""
    axial_m, lateral_rad = resolution_cell(probe, scan=scan)
    return axial_m * lateral_rad * np.asarray(range_m, dtype=float)


def sector_cell_count(probe: PhasedArray, scan: SectorScan) -> float:
    """Number of resolution cells in the sector (the count is independent of range; longer behind a receive filter)."""
    axial_m, lateral_rad = resolution_cell(probe, scan=scan)
    return (scan.depth_m - scan.min_depth_m) / axial_m * (2 * scan.half_angle_rad) / lateral_rad


def fill_sector(
    probe: PhasedArray,
    scan: SectorScan,
    per_cell: float,
    rng: np.random.Generator,
    echogenicity: EchogenicityMap | None = None,
    dynamic_range_db: float = 60.0,
) -> Scatterers:
    """Scatterers uniformly distributed (by area) in the sector, ``per_cell`` per resolution cell.

    Fully developed speckle needs about 10 or more per cell. Amplitudes are
    Gaussian (Rayleigh envelope) with variance ``1 / per_cell``, so the
    speckle's brightness does not depend on the density: echogenicity 1
    tissue has about the RMS echo of a unit point scatterer. With an
    ``echogenicity`` map (mm, probe at the origin), each amplitude is scaled
    by :func:`amplitude_from_echogenicity` of the map at the scatterer.
    """
    if not (np.isfinite(per_cell) and per_cell > 0):
        raise ParameterError(f"scatterers per resolution cell must be positive, got {per_cell}")
    n = int(round(per_cell * sector_cell_count(probe, scan)))
    check_allocation((n,), 64, f"`per_cell` {per_cell:g} (scatterers per resolution cell)",
                     fix="use fewer scatterers per cell")
    r0, r1 = scan.min_depth_m, scan.depth_m
    r = np.sqrt(rng.uniform(r0**2, r1**2, n))  # uniform per unit area
    theta = rng.uniform(-scan.half_angle_rad, scan.half_angle_rad, n)
    x, z = r * np.sin(theta), r * np.cos(theta)
    amp = rng.standard_normal(n) / np.sqrt(per_cell)
    if echogenicity is not None:
        values = np.clip(echogenicity.sample(x * 1e3, z * 1e3), 0.0, 1.0)
        amp *= amplitude_from_echogenicity(values, dynamic_range_db)
    return Scatterers(x, z, amp)


def amplitude_from_echogenicity(values: np.ndarray, dynamic_range_db: float = 60.0) -> np.ndarray:
    """Scatterer amplitude for echogenicity in [0, 1]: the inverse of log compression.

    A value v is shown at grey level v after compression with the given
    dynamic range, so its amplitude is ``10 ** ((v − 1) · DR / 20)``; 0 → −DR dB.
    """
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)) or v.min(initial=0.0) < 0 or v.max(initial=0.0) > 1:
        raise InvalidDataError("echogenicity must be finite values in [0, 1]")
    if dynamic_range_db <= 0:
        raise ParameterError(f"dynamic range must be positive (dB), got {dynamic_range_db}")
    return 10.0 ** ((v - 1.0) * dynamic_range_db / 20.0)

