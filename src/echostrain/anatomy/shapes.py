"""Simple analytic LV shapes (truncated ellipses), for demos and tests."""

from __future__ import annotations

import numpy as np

from echostrain.anatomy.myocardium import Myocardium
from echostrain.anatomy.polyline import check_spacing_mm
from echostrain.core.errors import ParameterError


def _half_ellipse_mm(
    semi_lateral_mm: float, semi_long_mm: float, apex_xy_mm: tuple[float, float], base_y_mm: float, n: int
) -> np.ndarray:
    """Ellipse arc from the left base point through the apex (top) to the right base point."""
    cos_end = (semi_long_mm - (base_y_mm - apex_xy_mm[1])) / semi_long_mm
    if not -1.0 < cos_end < 1.0:
        raise ParameterError("the ellipse does not reach the base level; use a longer semi-axis")
    phi_end = float(np.arccos(cos_end))
    phi = np.linspace(-phi_end, phi_end, n)
    x = apex_xy_mm[0] + semi_lateral_mm * np.sin(phi)
    y = apex_xy_mm[1] + semi_long_mm * (1.0 - np.cos(phi))
    return np.stack([x, y], axis=-1)


def ellipsoidal_myocardium(
    length_mm: float = 85.0,
    base_width_mm: float = 45.0,
    wall_mm: float = 10.0,
    apex_wall_mm: float = 8.0,
    apex_xy_mm: tuple[float, float] = (40.0, 25.0),
    spacing_mm: tuple[float, float] = (0.3, 0.3),
    view: str = "a4c",
    n_points: int = 121,
) -> Myocardium:
    """A truncated-ellipse LV myocardium, apex at the top, in pixels.

    ``length_mm`` is the endocardial apex-to-base distance, ``base_width_mm``
    the endocardial hinge-to-hinge distance, ``wall_mm``/``apex_wall_mm`` the
    wall thickness at the equator and apex. ``apex_xy_mm`` is the endocardial
    apex position (x lateral, y depth) in mm from the image's top-left corner.
    """
    dy, dx = check_spacing_mm(spacing_mm)
    if min(length_mm, base_width_mm, wall_mm, apex_wall_mm) <= 0:
        raise ParameterError("length, width and wall thickness must be positive (mm)")
    phi_base = np.deg2rad(110.0)  # the base lies a little below the ellipse's equator
    semi_long = length_mm / (1.0 - np.cos(phi_base))
    semi_lat = 0.5 * base_width_mm / np.sin(phi_base)
    base_y = apex_xy_mm[1] + length_mm
    endo = _half_ellipse_mm(semi_lat, semi_long, apex_xy_mm, base_y, n_points)
    epi_apex = (apex_xy_mm[0], apex_xy_mm[1] - apex_wall_mm)
    epi = _half_ellipse_mm(semi_lat + wall_mm, semi_long + apex_wall_mm, epi_apex, base_y, n_points)
    scale = np.array([1.0 / dx, 1.0 / dy])
    return Myocardium(endo * scale, epi * scale, view=view, spacing_mm=(dy, dx))
