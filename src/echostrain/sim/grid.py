"""Beam-space (range × u = sin θ) grids and their Cartesian positions."""

from __future__ import annotations

import numpy as np


def polar_grid_xz_m(ranges_m: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x = r·u``, ``z = r·√(1 − u²)`` (m) on the grid of ranges × ``u = sin θ``, each ``[R, U]``."""
    r = np.asarray(ranges_m, dtype=float)[:, None]
    uu = np.asarray(u, dtype=float)[None, :]
    return r * uu, r * np.sqrt(1.0 - uu**2)
