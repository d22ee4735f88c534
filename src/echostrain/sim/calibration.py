"""Point-spread function of the reference engine, measured once per probe and cached.

The fast engine models the beamformed I/Q of a scatterer at range ``r_k`` and
``u_k = sin θ_k`` with amplitude ``a`` as

    a · A(r_k, u_k) · e^{jφ0} · k_d(r − r_k, u − u_k) · e^{jκ (r − r_k)}

with a baseband kernel ``k_d`` (peak 1; one per calibration depth ``d``,
blended between depths), an axial phase slope ``κ`` (rad/m, the echo's mean
frequency: ``κ ≈ 4π f / c``), a constant phase ``φ0`` and an amplitude map
``A(r, u)`` (diffraction, elevation focus, element directivity). All of
them are measured here from point targets simulated by the SIMUS engine
with the same probe and transmit — none is taken from the datasheet.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from echostrain.core.errors import CorruptInputError, ParameterError
from echostrain.sim.grid import polar_grid_xz_m
from echostrain.sim.probe import PhasedArray, SectorScan
from echostrain.sim.scatterers import Scatterers

CALIBRATION_VERSION = 1

#: Half extent and step of the stored kernels: range (m) and u.
KERNEL_HALF_RANGE_M = 2.4e-3
KERNEL_RANGE_STEP_M = 0.04e-3
KERNEL_HALF_U = 0.24
KERNEL_U_STEP = 0.004
#: Depths (m) of the measured kernels: a diverging wave's PSF changes slowly with depth.
KERNEL_DEPTHS_M = (0.015, 0.03, 0.05, 0.08, 0.11, 0.14)
#: A focused transmit's PSF changes quickly about the focus: kernels every 10 mm.
FOCUSED_KERNEL_DEPTHS_M = tuple(np.round(np.arange(0.015, 0.1451, 0.01), 4))
#: Kernel half range behind a receive filter of band B, in units of c / B (see kernel_half_range_m).
KERNEL_REACH_C_OVER_B = 0.9
#: Scan fields hashed into the key and stored in the file only when set (earlier calibrations keep keys and files).
OPTIONAL_SCAN_FIELDS = ("rx_bandwidth_pct", "tx_focus_m")


@dataclass(frozen=True)
class PsfCalibration:
    """Measured PSF model of one probe and transmit (see the module docstring)."""

    probe_key: str
    probe_name: str
    sector_deg: float
    rx_apodization: str
    kernel_depths_m: np.ndarray  # [D]
    kernels: np.ndarray  # complex64 [D, Kr, Ku], baseband, value 1 at the centre
    kernel_range_step_m: float
    kernel_u_step: float
    phase_slope_rad_m: float
    phase0_rad: float
    gain_ranges_m: np.ndarray  # [R]
    gain_u: np.ndarray  # [U]
    gain_amplitude: np.ndarray  # [R, U]
    rx_bandwidth_pct: float | None = None  # the scan's receive filter (None: none)
    tx_focus_m: float | None = None  # the scan's transmit focus (None: one diverging wave)

    def gain(self, range_m: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Amplitude ``A(r, u)`` of a unit scatterer, bilinear in (r, u), clamped at the table's edges."""
        return bilinear(self.gain_ranges_m, self.gain_u, self.gain_amplitude, range_m, u)

    def save(self, path: str | Path) -> Path:
        """Write the calibration as a compressed ``.npz`` (atomic)."""
        from echostrain.io.atomic import atomic_path

        meta = {
            "version": CALIBRATION_VERSION,
            "probe_key": self.probe_key,
            "probe_name": self.probe_name,
            "sector_deg": self.sector_deg,
            "rx_apodization": self.rx_apodization,
            "kernel_range_step_m": self.kernel_range_step_m,
            "kernel_u_step": self.kernel_u_step,
            "phase_slope_rad_m": self.phase_slope_rad_m,
            "phase0_rad": self.phase0_rad,
        }
        # Files without these are calibrations without a filter, of a diverging wave.
        for key in OPTIONAL_SCAN_FIELDS:
            if getattr(self, key) is not None:
                meta[key] = getattr(self, key)
        target = Path(path)
        with atomic_path(target) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(
                    fh,
                    meta=np.asarray(json.dumps(meta)),
                    kernel_depths_m=self.kernel_depths_m,
                    kernels=self.kernels.astype(np.complex64),
                    gain_ranges_m=self.gain_ranges_m,
                    gain_u=self.gain_u,
                    gain_amplitude=self.gain_amplitude,
                )
        return target

    @classmethod
    def load(cls, path: str | Path) -> PsfCalibration:
        """Read a calibration written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: data[k] for k in ("kernel_depths_m", "kernels", "gain_ranges_m", "gain_u", "gain_amplitude")}
        except (OSError, KeyError, ValueError) as exc:
            raise CorruptInputError(f"PSF calibration {path} cannot be read ({exc}); delete it to recalibrate") from exc
        if meta.get("version") != CALIBRATION_VERSION:
            raise CorruptInputError(f"PSF calibration {path} has version {meta.get('version')}; delete it to recalibrate")
        meta.pop("version")
        return cls(**meta, **arrays)


def bilinear(xs: np.ndarray, ys: np.ndarray, table: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of ``table[len(xs), len(ys)]`` at points (x, y), clamped to the table."""
    x = np.clip(np.asarray(x, dtype=float), xs[0], xs[-1])
    y = np.clip(np.asarray(y, dtype=float), ys[0], ys[-1])
    i = np.clip(np.searchsorted(xs, x) - 1, 0, len(xs) - 2)
    j = np.clip(np.searchsorted(ys, y) - 1, 0, len(ys) - 2)
    tx = (x - xs[i]) / (xs[i + 1] - xs[i])
    ty = (y - ys[j]) / (ys[j + 1] - ys[j])
    return (
        table[i, j] * (1 - tx) * (1 - ty)
        + table[i + 1, j] * tx * (1 - ty)
        + table[i, j + 1] * (1 - tx) * ty
        + table[i + 1, j + 1] * tx * ty
    )


def probe_key(probe: PhasedArray, scan: SectorScan) -> str:
    """Short hash of everything the PSF depends on (probe, transmit sector and focus, receive apodization and filter, version)."""
    key = {
        "probe": asdict(probe),
        "sector_deg": round(float(scan.sector_deg), 6),
        "rx_apodization": scan.rx_apodization,
        "v": CALIBRATION_VERSION,
    }
    # Absent when unset (no filter, a diverging wave): earlier calibrations keep their keys.
    for name in OPTIONAL_SCAN_FIELDS:
        if getattr(scan, name) is not None:
            key[name] = round(float(getattr(scan, name)), 9)
    blob = json.dumps(key, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def kernel_half_range_m(probe: PhasedArray, scan: SectorScan) -> float:
    """Half extent in range of the stored kernels (m): 2.4 mm, longer behind a narrow receive filter.

    The filter's impulse response falls to 10⁻³ of its peak at
    ``±1.39 / B`` s, i.e. ``±0.7 c / B`` in range; the kernel covers that
    with a margin for the probe's own pulse.
    """
    band_hz = scan.rx_band_hz(probe.center_frequency_hz)
    if band_hz is None:
        return KERNEL_HALF_RANGE_M
    return max(KERNEL_HALF_RANGE_M, KERNEL_REACH_C_OVER_B * probe.speed_of_sound_m_s / band_hz)


def _kernel_depths_m(scan: SectorScan) -> tuple[float, ...]:
    """Depths at which the kernels of this scan's transmit are measured."""
    return FOCUSED_KERNEL_DEPTHS_M if scan.focused else KERNEL_DEPTHS_M


def check_calibratable(probe: PhasedArray, scan: SectorScan) -> None:
    """Refuse a receive band so narrow that neighbouring calibration targets would show in each other's kernels.

    The kernel targets are ``min(diff(depths))`` apart and each kernel spans
    ``±kernel_half_range_m``; a target's filtered response falls below
    0.3 % of its peak (``exp(−π² k² / ln 2)``, k = 0.65) beyond ``0.65 c / B``
    in range. Raises :class:`ParameterError` naming the narrowest band that
    still calibrates.
    """
    band_hz = scan.rx_band_hz(probe.center_frequency_hz)
    if band_hz is None:
        return
    spacing_m = float(np.min(np.diff(_kernel_depths_m(scan))))
    c = probe.speed_of_sound_m_s
    half_m = kernel_half_range_m(probe, scan)
    if half_m + 0.65 * c / band_hz > spacing_m:
        narrowest = 100.0 * (KERNEL_REACH_C_OVER_B + 0.65) * c / spacing_m / probe.center_frequency_hz
        raise ParameterError(
            f"receive band {scan.rx_bandwidth_pct:g} % is too narrow to calibrate for probe {probe.name}"
            f"{' with a transmit focus' if scan.focused else ''} (kernels ±{half_m * 1e3:.1f} mm, targets "
            f"{spacing_m * 1e3:.0f} mm apart); use at least {math.ceil(narrowest * 2) / 2:g} %"
        )


def _kernel_offsets(half_range_m: float = KERNEL_HALF_RANGE_M) -> tuple[np.ndarray, np.ndarray]:
    nr = int(round(half_range_m / KERNEL_RANGE_STEP_M))
    nu = int(round(KERNEL_HALF_U / KERNEL_U_STEP))
    return np.arange(-nr, nr + 1) * KERNEL_RANGE_STEP_M, np.arange(-nu, nu + 1) * KERNEL_U_STEP


def _beamform_points(engine, x: np.ndarray, z: np.ndarray, rf_sets: list[np.ndarray],
                     tx_delays: np.ndarray | None = None) -> list[np.ndarray]:
    """DAS of several RF sets of one transmit at the same arbitrary points (one matrix)."""
    das = engine.das_points(x, z, tx_delays=tx_delays)
    return [(das @ engine.element_iq(rf).reshape(-1, order="F")).reshape(x.shape) for rf in rf_sets]


def _steered_patches(engine, targets: Scatterers, r: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Focused scans: the image ``[..., len(u)]`` at ranges ``r[..., j]`` of line ``u[j]``, each from its own transmit.

    ``r`` is ``[..., len(u)]``; each column is one SIMUS call steered and
    focused along that line, beamformed on that line only.
    """
    out = np.empty(r.shape, dtype=complex)
    for j, uj in enumerate(u):
        delays = engine.focused_tx_delays(np.array([uj]))
        rf = engine.rf(targets, tx_delays=delays)
        rj = r[..., j]
        (out[..., j],) = _beamform_points(engine, rj * uj, rj * np.sqrt(1 - uj**2), [rf], tx_delays=delays)
    return out


def calibrate_psf(probe: PhasedArray, scan: SectorScan | None = None) -> PsfCalibration:
    """Measure the PSF model of ``probe`` with SIMUS for the scan's transmit and apodization.

    Point targets at distinct depths (their kernels do not overlap; see
    :func:`check_calibratable`) are
    simulated together: on the axis for the kernels, over a range × u
    table for the amplitude map. Takes about ten seconds. With a transmit
    focus each kernel column ``u`` is imaged by a transmit steered along it
    (the line sees an on-axis target ``u`` away), and each amplitude-map
    column by its own line's transmit: 121 + 17 SIMUS calls, about a minute.
    """
    from echostrain.sim.engines.simus_engine import SimusEngine

    scan = scan or SectorScan()
    check_calibratable(probe, scan)
    depth_m = max(scan.depth_m, 0.15)
    engine = SimusEngine(probe, scan.with_(depth_m=depth_m))
    u_max = math.sin(scan.half_angle_rad)

    # Kernels: on-axis targets, fine local polar patches.
    half_range_m = kernel_half_range_m(probe, scan)
    kdepths = np.array([d for d in _kernel_depths_m(scan) if d < depth_m - half_range_m - 0.6e-3])
    dr, du = _kernel_offsets(half_range_m)
    targets = Scatterers(np.zeros(kdepths.size), kdepths, np.ones(kdepths.size))
    r = kdepths[:, None, None] + dr[None, :, None] + 0 * du[None, None, :]
    if scan.focused:
        patches = _steered_patches(engine, targets, r, du)
    else:
        u = 0 * r + du[None, None, :]
        (patches,) = _beamform_points(engine, r * u, r * np.sqrt(1 - u**2), [engine.rf(targets)])
    c_r, c_u = dr.size // 2, du.size // 2
    centre = patches[:, c_r, c_u]
    fit = slice(c_r - 6, c_r + 7)  # ±0.24 mm around the peak
    slopes = [np.polyfit(dr[fit], np.unwrap(np.angle(p[fit, c_u])), 1)[0] for p in patches]
    kappa = float(np.median(slopes))
    phase0 = float(np.angle(np.mean(centre / np.abs(centre))))
    kernels = patches / centre[:, None, None] * np.exp(-1j * kappa * dr)[None, :, None]

    # Amplitude map: targets on a range × u grid, one target per depth in each call.
    g_ranges = np.arange(0.005, depth_m + 1e-9, 0.01)
    g_u = np.linspace(-1.15 * u_max, 1.15 * u_max, 17)
    g_u = g_u[np.abs(g_u) < 0.99]
    n_r, n_u = g_ranges.size, g_u.size
    if scan.focused:  # one call per column: its line's transmit, targets at every range of the line
        gain = np.empty((n_r, n_u))
        for j, uj in enumerate(g_u):
            line = Scatterers(g_ranges * uj, g_ranges * np.sqrt(1 - uj**2), np.ones(n_r))
            gain[:, j] = np.abs(_steered_patches(engine, line, g_ranges[:, None], g_u[j : j + 1])[:, 0])
    else:  # one diverging wave: each call holds one target per range, in rotating columns
        rf_sets, cols = [], []
        for call in range(n_u):
            col = (np.arange(n_r) + call) % n_u
            ux = g_u[col]
            rf_sets.append(engine.rf(Scatterers(g_ranges * ux, g_ranges * np.sqrt(1 - ux**2), np.ones(n_r))))
            cols.append(col)
        gx, gz = polar_grid_xz_m(g_ranges, g_u)
        images = _beamform_points(engine, gx, gz, rf_sets)
        gain = np.empty((n_r, n_u))
        for call, (image, col) in enumerate(zip(images, cols)):
            gain[np.arange(n_r), col] = np.abs(image[np.arange(n_r), col])

    return PsfCalibration(
        probe_key=probe_key(probe, scan),
        probe_name=probe.name,
        sector_deg=float(scan.sector_deg),
        rx_apodization=scan.rx_apodization,
        kernel_depths_m=kdepths,
        kernels=kernels.astype(np.complex64),
        kernel_range_step_m=KERNEL_RANGE_STEP_M,
        kernel_u_step=KERNEL_U_STEP,
        phase_slope_rad_m=kappa,
        phase0_rad=phase0,
        gain_ranges_m=g_ranges,
        gain_u=g_u,
        gain_amplitude=gain,
        rx_bandwidth_pct=scan.rx_bandwidth_pct,
        tx_focus_m=scan.tx_focus_m,
    )


def _shipped_dir() -> Path:
    return Path(__file__).resolve().parent / "calibrations"


def cache_dir() -> Path:
    """Where calibrations computed on this machine are kept (``$ECHOSTRAIN_CACHE`` or ~/.cache/echostrain)."""
    root = os.environ.get("ECHOSTRAIN_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "echostrain")
    return Path(root) / "psf"


def load_calibration(probe: PhasedArray, scan: SectorScan | None = None, compute: bool = True) -> PsfCalibration:
    """The PSF calibration of a probe and scan: shipped, cached, or computed now (and cached)."""
    scan = scan or SectorScan()
    key = probe_key(probe, scan)
    for folder in (_shipped_dir(), cache_dir()):
        path = folder / f"{key}.npz"
        if path.exists():
            return PsfCalibration.load(path)
    if not compute:
        raise CorruptInputError(f"no PSF calibration for probe {probe.name} and this scan; run calibrate_psf first")
    calib = calibrate_psf(probe, scan)
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    calib.save(folder / f"{key}.npz")
    return calib
