"""Echogenicity maps: a grey-level image of the tissue in physical millimetres.

An :class:`EchogenicityMap` is an image in [0, 1] on a regular grid in the
imaging plane, with the probe at the origin, ``x`` lateral (right positive)
and ``z`` depth (down positive), both in mm. A value ``v`` is the grey level
the tissue should show after log compression: the simulator turns it into a
scatterer amplitude ``10 ** ((v − 1) · DR / 20)`` for a dynamic range DR.

The pixel ``(row i, column j)`` has its centre at
``x = x0_mm + j · pixel_mm`` and ``z = z0_mm + i · pixel_mm``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.core.vocabulary import MAX_SECTOR_DEG


def _check_sector(depth_mm: float, sector_deg: float) -> tuple[float, float]:
    depth = float(depth_mm)
    sector = float(sector_deg)
    if not (math.isfinite(depth) and depth > 0):
        raise ParameterError(f"sector depth must be a positive number of mm, got {depth_mm}")
    if not (math.isfinite(sector) and 1.0 <= sector <= MAX_SECTOR_DEG):
        raise ParameterError(f"sector angle must be within 1…{MAX_SECTOR_DEG:.0f} degrees, got {sector_deg}")
    return depth, sector


def sector_grid(depth_mm: float, sector_deg: float, pixel_mm: float) -> tuple[float, float, int, int]:
    """Grid covering a sector's bounding box: ``(x0_mm, z0_mm, height, width)``.

    The box spans x from ``−depth · sin(half-angle)`` to ``+depth · sin(half-angle)``
    and z from 0 to ``depth``. The grid is symmetric about x = 0 (the middle
    column is at x = 0), starts at z = 0 and has square pixels of ``pixel_mm``;
    its outer pixel centres lie on or just beyond the box (at most one pixel).
    """
    depth, sector = _check_sector(depth_mm, sector_deg)
    pixel = float(pixel_mm)
    if not (math.isfinite(pixel) and pixel > 0):
        raise ParameterError(f"pixel size must be a positive number of mm, got {pixel_mm}")
    half_width = depth * math.sin(math.radians(sector) / 2.0)
    half_cols = int(math.ceil(half_width / pixel - 1e-9))
    width = 2 * half_cols + 1
    height = int(math.ceil(depth / pixel - 1e-9)) + 1
    if width < 2 or height < 2:
        raise ParameterError(f"pixel size {pixel_mm} mm is too coarse for a {depth_mm} mm, {sector_deg}° sector")
    return -half_cols * pixel, 0.0, height, width


def sector_margin_mm(x_mm: np.ndarray, z_mm: np.ndarray, depth_mm: float, sector_deg: float) -> np.ndarray:
    """Signed distance (mm) of points from the sector's outline; positive inside.

    The sector is the fan of half-angle ``sector_deg / 2`` about the z axis
    with its apex at the probe (the origin), cut at range ``depth_mm``. The
    value is the smallest of the distances to the two edge rays and to the
    arc (for points in front of the probe).
    """
    depth, sector = _check_sector(depth_mm, sector_deg)
    half = math.radians(sector) / 2.0
    x = np.asarray(x_mm, dtype=float)
    z = np.asarray(z_mm, dtype=float)
    to_left_edge = z * math.sin(half) + x * math.cos(half)
    to_right_edge = z * math.sin(half) - x * math.cos(half)
    to_arc = depth - np.hypot(x, z)
    return np.minimum(np.minimum(to_left_edge, to_right_edge), to_arc)


@dataclass(frozen=True, eq=False)
class EchogenicityMap:
    """An echogenicity image ``[H, W]`` in [0, 1] on a square grid in mm.

    Pixel ``(i, j)`` is centred at ``x = x0_mm + j · pixel_mm`` (lateral) and
    ``z = z0_mm + i · pixel_mm`` (depth). The image is stored as a read-only
    float32 copy. Maps compare by identity (compare ``image`` bytes for content).
    """

    image: np.ndarray
    x0_mm: float
    z0_mm: float
    pixel_mm: float

    def __post_init__(self) -> None:
        img = np.asarray(self.image)
        if img.ndim != 2 or min(img.shape) < 2:
            raise InvalidDataError(
                f"echogenicity image must be 2-D with at least 2×2 pixels, got shape {img.shape}"
            )
        if not np.issubdtype(img.dtype, np.number) or np.iscomplexobj(img):
            raise InvalidDataError(f"echogenicity image must hold real numbers, got dtype {img.dtype}")
        img = np.array(img, dtype=np.float32, copy=True)
        if not np.all(np.isfinite(img)):
            raise InvalidDataError("echogenicity image has NaN/inf values; give finite values in [0, 1]")
        if img.min() < 0.0 or img.max() > 1.0:
            raise InvalidDataError(
                f"echogenicity values must lie in [0, 1], got {img.min():.3g}…{img.max():.3g}; clip or rescale them"
            )
        img.flags.writeable = False
        for name in ("x0_mm", "z0_mm", "pixel_mm"):
            value = getattr(self, name)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParameterError(f"{name} must be a number (mm), got {value!r}") from None
            if not math.isfinite(value):
                raise ParameterError(f"{name} must be finite, got {value}")
            object.__setattr__(self, name, value)
        if self.pixel_mm <= 0:
            raise ParameterError(f"pixel_mm must be positive, got {self.pixel_mm}")
        object.__setattr__(self, "image", img)

    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)``: rows (depth) and columns (lateral)."""
        return int(self.image.shape[0]), int(self.image.shape[1])

    @property
    def x_mm(self) -> np.ndarray:
        """Lateral positions (mm) of the column centres, ``[W]``."""
        return self.x0_mm + np.arange(self.shape[1]) * self.pixel_mm

    @property
    def z_mm(self) -> np.ndarray:
        """Depths (mm) of the row centres, ``[H]``."""
        return self.z0_mm + np.arange(self.shape[0]) * self.pixel_mm

    @property
    def extent_mm(self) -> tuple[float, float, float, float]:
        """``(x_min, x_max, z_max, z_min)`` of the pixel edges, for ``matplotlib.imshow(extent=...)``."""
        h, w = self.shape
        p = self.pixel_mm
        return (self.x0_mm - p / 2, self.x0_mm + (w - 0.5) * p, self.z0_mm + (h - 0.5) * p, self.z0_mm - p / 2)

    def grid_mm(self) -> tuple[np.ndarray, np.ndarray]:
        """``(X, Z)``: the mm coordinates of every pixel centre, each ``[H, W]``."""
        return np.meshgrid(self.x_mm, self.z_mm)

    def sample(self, x_mm: np.ndarray, z_mm: np.ndarray) -> np.ndarray:
        """Bilinear values at points ``(x_mm, z_mm)`` (broadcast together), in [0, 1].

        Points outside the grid take the value of the nearest edge pixel
        (``mode="nearest"``, as the simulator's sampler does); the result has
        the broadcast shape of the inputs and dtype float64.
        """
        from scipy.ndimage import map_coordinates

        x, z = np.broadcast_arrays(np.asarray(x_mm, dtype=float), np.asarray(z_mm, dtype=float))
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(z))):
            raise InvalidDataError("sample points must be finite (mm)")
        col = (x - self.x0_mm) / self.pixel_mm
        row = (z - self.z0_mm) / self.pixel_mm
        coords = np.stack([row.reshape(-1), col.reshape(-1)])
        values = map_coordinates(self.image, coords, order=1, mode="nearest")
        return np.clip(values, 0.0, 1.0).astype(float).reshape(x.shape)

    def fan_mask(self, depth_mm: float, sector_deg: float) -> np.ndarray:
        """Boolean ``[H, W]``: pixel centres inside the sector (probe at the origin)."""
        xx, zz = self.grid_mm()
        return sector_margin_mm(xx, zz, depth_mm, sector_deg) >= 0.0
