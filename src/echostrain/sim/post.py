"""From beam-space I/Q to a B-mode image: envelope, TGC, log compression, scan conversion."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from echostrain.core.errors import ParameterError
from echostrain.sim.probe import SectorScan


@dataclass(frozen=True)
class BModeSettings:
    """Display settings: dynamic range and gain (dB), TGC, output pixel size (mm).

    ``tgc_db_per_cm`` adds a gain growing linearly with depth; ``auto_tgc``
    first divides the envelope by the calibrated on-axis echo amplitude of a
    unit scatterer, so uniform tissue is equally bright at every depth.
    ``reference`` is the envelope level shown at 0 dB (full white before
    ``gain_db``); None means 1 with ``auto_tgc`` (a unit point scatterer on
    the axis is white at any depth) and the 99th percentile of the frame
    without it.
    """

    dynamic_range_db: float = 60.0
    gain_db: float = 0.0
    tgc_db_per_cm: float = 0.0
    auto_tgc: bool = True
    pixel_mm: float = 0.25
    reference: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.dynamic_range_db) and self.dynamic_range_db > 0):
            raise ParameterError(f"dynamic range must be positive (dB), got {self.dynamic_range_db}")
        if not (math.isfinite(self.pixel_mm) and self.pixel_mm > 0):
            raise ParameterError(f"pixel size must be positive (mm), got {self.pixel_mm}")
        if self.reference is not None and not (math.isfinite(self.reference) and self.reference > 0):
            raise ParameterError(f"reference level must be positive, got {self.reference}")


def envelope(iq: np.ndarray) -> np.ndarray:
    """Envelope (magnitude) of complex I/Q."""
    return np.abs(iq)


def depth_gain(scan: SectorScan, tgc_db_per_cm: float, on_axis_amplitude: np.ndarray | None = None) -> np.ndarray:
    """Per-row gain factor ``[n_samples]``: linear dB/cm TGC, divided by the on-axis amplitude if given."""
    r_cm = scan.ranges_m() * 100.0
    gain = 10.0 ** (tgc_db_per_cm * r_cm / 20.0)
    if on_axis_amplitude is not None:
        gain = gain / np.maximum(on_axis_amplitude, 1e-12)
    return gain


def log_compress(env: np.ndarray, reference: float, dynamic_range_db: float, gain_db: float = 0.0) -> np.ndarray:
    """Grey levels in [0, 1]: ``(20·log10(env / reference) + gain + DR) / DR``, clipped."""
    db = 20.0 * np.log10(np.maximum(env, 1e-30) / reference) + gain_db
    return np.clip((db + dynamic_range_db) / dynamic_range_db, 0.0, 1.0)


class ScanConverter:
    """Bilinear map from the beam-space grid to a Cartesian image with square pixels.

    The image spans x ∈ [−depth·sin θmax, +depth·sin θmax] (columns) and
    z ∈ [0, depth] (rows); pixel ``(col, row)`` has its centre at
    ``x = x_min + col·pixel``, ``z = row·pixel``. Pixels outside the sector are 0.
    """

    def __init__(self, scan: SectorScan, pixel_mm: float = 0.25) -> None:
        self.scan = scan
        self.pixel_m = pixel_mm * 1e-3
        self.x_min_m = -scan.depth_m * math.sin(scan.half_angle_rad)
        self.width = int(math.floor(-2 * self.x_min_m / self.pixel_m)) + 1
        self.height = int(math.floor(scan.depth_m / self.pixel_m)) + 1
        x = self.x_min_m + self.pixel_m * np.arange(self.width)
        z = self.pixel_m * np.arange(self.height)
        xx, zz = np.meshgrid(x, z)
        r = np.hypot(xx, zz)
        u = np.divide(xx, r, out=np.zeros_like(r), where=r > 0)
        u_lines = scan.u_lines()
        fr = (r - scan.ranges_m()[0]) / scan.range_step_m
        fu = (u - u_lines[0]) / (u_lines[1] - u_lines[0])
        inside = (fr >= 0) & (fr <= scan.n_samples - 1) & (fu >= 0) & (fu <= scan.n_lines - 1)
        self.mask = inside
        pix = np.flatnonzero(inside.reshape(-1))
        fr, fu = fr.reshape(-1)[pix], fu.reshape(-1)[pix]
        i0 = np.minimum(np.floor(fr).astype(np.int64), scan.n_samples - 2)
        j0 = np.minimum(np.floor(fu).astype(np.int64), scan.n_lines - 2)
        tr, tu = fr - i0, fu - j0
        n_u = scan.n_lines
        cols = np.concatenate([i0 * n_u + j0, (i0 + 1) * n_u + j0, i0 * n_u + j0 + 1, (i0 + 1) * n_u + j0 + 1])
        vals = np.concatenate([(1 - tr) * (1 - tu), tr * (1 - tu), (1 - tr) * tu, tr * tu])
        rows = np.tile(pix, 4)
        import scipy.sparse as sp  # here, so that importing the settings stays light

        self._matrix = sp.csr_matrix(
            (vals.astype(np.float32), (rows, cols)), shape=(self.height * self.width, scan.n_samples * n_u)
        )

    @property
    def spacing_mm(self) -> tuple[float, float]:
        """(dy, dx) of the output image in mm."""
        return (self.pixel_m * 1e3, self.pixel_m * 1e3)

    def __call__(self, beam_image: np.ndarray) -> np.ndarray:
        """Cartesian image ``[height, width]`` (float32) of a beam-space image ``[n_samples, n_lines]``."""
        flat = np.asarray(beam_image, dtype=np.float32).reshape(-1)
        return (self._matrix @ flat).reshape(self.height, self.width)

    def xz_m_to_px(self, x_m: np.ndarray, z_m: np.ndarray) -> np.ndarray:
        """Image pixel coordinates ``[..., 2]`` (x, y) of physical positions (m)."""
        return np.stack([(np.asarray(x_m) - self.x_min_m) / self.pixel_m, np.asarray(z_m) / self.pixel_m], axis=-1)

    def px_to_xz_m(self, xy_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Physical positions (x, z) in m of image pixel coordinates (x, y)."""
        xy = np.asarray(xy_px, dtype=float)
        return self.x_min_m + xy[..., 0] * self.pixel_m, xy[..., 1] * self.pixel_m


def to_uint8(grey: np.ndarray) -> np.ndarray:
    """[0, 1] grey → uint8 with rounding."""
    return np.round(np.clip(grey, 0.0, 1.0) * 255.0).astype(np.uint8)
