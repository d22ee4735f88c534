"""Temporal smoothing of tracked points."""

from __future__ import annotations

import numpy as np

from echostrain.core.errors import ParameterError


def smooth_tracks(tracks_px: np.ndarray, window_frames: int, polyorder: int = 2) -> np.ndarray:
    """Savitzky–Golay smoothing of ``tracks[T, N, 2]`` along time.

    ``window_frames`` is odd and ≥ 3 (an even value is rounded up); it is
    capped at the largest odd number ≤ T. Clips with fewer frames than
    ``polyorder + 2`` are returned unchanged.
    """
    tr = np.asarray(tracks_px, dtype=float)
    w = int(window_frames)
    if w < 3:
        raise ParameterError(f"smoothing window must be at least 3 frames, got {window_frames}")
    w += 1 - w % 2
    t = tr.shape[0]
    w = min(w, t if t % 2 else t - 1)
    if w <= polyorder:
        return tr.copy()
    from scipy.signal import savgol_filter  # scipy.signal takes ~0.4 s to import: only when smoothing

    return savgol_filter(tr, window_length=w, polyorder=polyorder, axis=0, mode="interp")
