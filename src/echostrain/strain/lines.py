"""Length and Lagrangian strain of tracked lines of points."""

from __future__ import annotations

import numpy as np

from echostrain.anatomy.polyline import polyline_length_mm
from echostrain.core.errors import InvalidDataError, ParameterError


def line_length_mm(line_tracks_px: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Length in mm of a tracked line ``[T, K, 2]`` (points in wall order) at each frame → ``[T]``."""
    tr = np.asarray(line_tracks_px, dtype=float)
    if tr.ndim != 3 or tr.shape[-1] != 2 or tr.shape[1] < 2:
        raise InvalidDataError(f"a tracked line must have shape (T, K≥2, 2), got {tr.shape}")
    return polyline_length_mm(tr, spacing_mm)


def lagrangian_strain_pct(length_mm: np.ndarray, ref_frame: int) -> np.ndarray:
    """Lagrangian strain ``(L(t) − L(ref)) / L(ref) × 100`` in percent (negative = shortening)."""
    length = np.asarray(length_mm, dtype=float)
    if not 0 <= ref_frame < length.shape[0]:
        raise ParameterError(f"reference frame {ref_frame} is outside the clip (0…{length.shape[0] - 1})")
    ref = length[ref_frame]
    if not ref > 0:
        raise InvalidDataError(f"the line has zero length at the reference frame {ref_frame}")
    return (length - ref) / ref * 100.0
