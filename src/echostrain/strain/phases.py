"""End-diastole and end-systole from a length (or strain) curve."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from echostrain.core.errors import InvalidDataError, ParameterError


def detect_ed_es(
    length_mm: np.ndarray, ed_frame: int | None = None, es_frame: int | None = None
) -> tuple[int, int]:
    """Frames of end-diastole (longest) and end-systole (shortest) of one cycle.

    ED is the longest frame of the first stretch of frames within 10 % of the
    length range of the maximum (so a clip ending at the next ED keeps its
    first one); ES is the shortest frame, on the curve smoothed over 3
    frames, from ED to the next such stretch (or the clip's end), or, when ED
    is the last frame, the shortest frame before it. Frames that are given
    are kept; with only ES given, ED is the longest frame before it.
    """
    length = np.asarray(length_mm, dtype=float)
    n = length.shape[0]
    if length.ndim != 1 or n < 2 or not np.all(np.isfinite(length)):
        raise InvalidDataError("the length curve must be a finite 1-D array of at least 2 frames")
    for name, f in (("ED", ed_frame), ("ES", es_frame)):
        if f is not None and not 0 <= f < n:
            raise ParameterError(f"{name} frame {f} is outside the clip (0…{n - 1})")
    if ed_frame is not None and es_frame is not None:
        return int(ed_frame), int(es_frame)
    smooth = uniform_filter1d(length, size=3, mode="nearest") if n >= 5 else length
    if es_frame is not None:
        return (int(np.argmax(length[: es_frame + 1])) if es_frame > 0 else int(np.argmax(length))), int(es_frame)
    near_max = length >= length.max() - 0.10 * (length.max() - length.min())
    if ed_frame is None:
        first = int(np.argmax(near_max))
        run_end = first + (int(np.argmin(near_max[first:])) if not near_max[first:].all() else n - first)
        ed = first + int(np.argmax(length[first:run_end]))
    else:
        ed = int(ed_frame)
    if ed == n - 1:
        return ed, int(np.argmin(smooth[:ed]))
    after = near_max[ed + 1 :] & ~near_max[ed : n - 1]  # starts of later near-max stretches
    stop = ed + 1 + int(np.argmax(after)) if after.any() else n
    return ed, ed + int(np.argmin(smooth[ed:stop]))


def next_ed_frame(gls_curve_pct: np.ndarray, es_frame: int) -> int:
    """End of the cycle: the frame after ES where the line is longest again (the last frame if none follows)."""
    curve = np.asarray(gls_curve_pct, dtype=float)
    after = np.arange(es_frame + 1, curve.size)
    return int(after[np.argmax(curve[after])]) if after.size else curve.size - 1
