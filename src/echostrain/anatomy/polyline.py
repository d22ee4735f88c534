"""Polylines in image pixels measured in millimetres.

A polyline is an array ``[..., K, 2]`` of ``(x, y)`` pixel points. Lengths are
in mm given ``spacing_mm = (dy, dx)``, so anisotropic pixels are handled.
"""

from __future__ import annotations

import numpy as np

from echostrain.core.errors import GeometryError, ParameterError


def check_spacing_mm(spacing_mm: tuple[float, float] | np.ndarray) -> tuple[float, float]:
    """Return ``(dy, dx)`` as floats after checking both are positive and finite."""
    arr = np.asarray(spacing_mm, dtype=float).reshape(-1)
    if arr.shape != (2,) or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ParameterError(
            f"spacing_mm must be two positive numbers (dy, dx) in mm, got {spacing_mm!r}"
        )
    return float(arr[0]), float(arr[1])


def to_mm(xy_px: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Scale ``(x, y)`` pixel coordinates to millimetres (x by dx, y by dy)."""
    dy, dx = check_spacing_mm(spacing_mm)
    return np.asarray(xy_px, dtype=float) * np.array([dx, dy])


def chord_lengths_mm(xy_px: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Lengths in mm of the K−1 chords of polylines ``[..., K, 2]``; returns ``[..., K−1]``."""
    d = np.diff(to_mm(xy_px, spacing_mm), axis=-2)
    return np.hypot(d[..., 0], d[..., 1])


def polyline_length_mm(xy_px: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Total length in mm of polylines ``[..., K, 2]``; returns ``[...]``."""
    return chord_lengths_mm(xy_px, spacing_mm).sum(axis=-1)


def cumulative_arc_mm(xy_px: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Arc length in mm from the first point to each point of one polyline ``[K, 2]``."""
    return np.concatenate([[0.0], np.cumsum(chord_lengths_mm(xy_px, spacing_mm))])


def check_polyline(xy_px: np.ndarray, name: str = "contour", min_points: int = 3) -> np.ndarray:
    """Validate one polyline ``[K, 2]`` (finite, ≥ ``min_points``, no zero length)."""
    xy = np.asarray(xy_px, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise GeometryError(f"{name} must be an array of (x, y) points with shape (K, 2), got {xy.shape}")
    if xy.shape[0] < min_points:
        raise GeometryError(
            f"{name} has {xy.shape[0]} points; it needs at least {min_points} (x, y) points"
        )
    if not np.all(np.isfinite(xy)):
        bad = int(np.flatnonzero(~np.all(np.isfinite(xy), axis=1))[0])
        raise GeometryError(f"{name} has a non-finite point at index {bad}; remove or fix it")
    if np.all(np.hypot(*np.diff(xy, axis=0).T) == 0):
        raise GeometryError(f"{name} has zero length (all points coincide)")
    return xy


def resample_at_fractions(
    xy_px: np.ndarray, fractions: np.ndarray, spacing_mm: tuple[float, float] = (1.0, 1.0)
) -> np.ndarray:
    """Points at the given fractions (0…1) of the arc length of one polyline ``[K, 2]``.

    Arc length is measured in mm (so anisotropic pixels are respected); the
    result is in pixels, shape ``[len(fractions), 2]``.
    """
    xy = np.asarray(xy_px, dtype=float)
    s = cumulative_arc_mm(xy, spacing_mm)
    keep = np.concatenate([[True], np.diff(s) > 0])  # drop repeated points
    s, xy = s[keep], xy[keep]
    target = np.clip(np.asarray(fractions, dtype=float), 0.0, 1.0) * s[-1]
    return np.stack([np.interp(target, s, xy[:, 0]), np.interp(target, s, xy[:, 1])], axis=-1)


def resample_polyline(
    xy_px: np.ndarray, n_points: int, spacing_mm: tuple[float, float] = (1.0, 1.0)
) -> np.ndarray:
    """Resample one polyline to ``n_points`` equally spaced in arc length (mm)."""
    if n_points < 2:
        raise ParameterError(f"n_points must be at least 2, got {n_points}")
    return resample_at_fractions(xy_px, np.linspace(0.0, 1.0, n_points), spacing_mm)


def polygon_mask(polygon_xy_px: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """Bool mask [H, W] of the pixels inside (or on) a closed polygon of (x, y) px."""
    from PIL import Image, ImageDraw

    poly = np.asarray(polygon_xy_px, dtype=np.float64)
    h, w = (int(v) for v in shape_hw)
    img = Image.new("1", (w, h), 0)
    ImageDraw.Draw(img).polygon([tuple(p) for p in poly.tolist()], fill=1, outline=1)
    return np.asarray(img, dtype=bool)


def myocardium_mask(endo_xy_px: np.ndarray, epi_xy_px: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """Bool mask [H, W] of the wall between an endocardial and an epicardial polyline (same base-to-base order)."""
    return polygon_mask(np.concatenate([endo_xy_px, np.asarray(epi_xy_px)[::-1]]), shape_hw)


def first_self_crossing(xy: np.ndarray) -> tuple[int, int] | None:
    """Indices ``(i, j)`` of the first two non-adjacent segments of a polyline that cross, or None."""
    p = np.asarray(xy, dtype=float)
    a, b = p[:-1], p[1:]
    n = len(a)
    if n < 3:
        return None
    d = b - a

    def cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]

    # segment i against segment j: proper crossings (each segment's ends on opposite sides of the other)
    r = a[None, :, :] - a[:, None, :]  # [i, j]: a_j − a_i
    s1 = cross(d[:, None, :], r)
    s2 = cross(d[:, None, :], r + d[None, :, :])
    t1 = cross(d[None, :, :], -r)
    t2 = cross(d[None, :, :], -r + d[:, None, :])
    hit = (s1 * s2 < 0) & (t1 * t2 < 0)
    hit &= np.triu(np.ones((n, n), dtype=bool), k=2)  # non-adjacent, each pair once
    found = np.argwhere(hit)
    return (int(found[0, 0]), int(found[0, 1])) if found.size else None
