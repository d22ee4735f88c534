"""Smoothing of tracked points: along time (:func:`smooth_tracks`) and along the wall (:func:`regularise_wall`)."""

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


def regularise_wall(
    tracks_px: np.ndarray, layer: np.ndarray, *, window_points: int, ref_frame: int = 0
) -> np.ndarray:
    """Tracks whose displacement from ``ref_frame`` is smoothed along each wall line.

    The length of a polyline through tracked points grows with their scatter:
    points spaced ``s`` apart with independent errors of SD ``σ`` across the
    line lengthen each chord to about ``sqrt(s² + 2σ²)``, so a noisy tracker
    reads too little shortening. Speckle-tracking software therefore
    regularises the tracked wall in space [1]_. Here, within each layer
    (codes ≥ 0, points in wall order), the displacement ``d = x(t) − x(ref)``
    is filtered along the line by a running median of ``window_points``
    points (robust to a point that jumped) and then a Savitzky–Golay filter
    of the same length and order 2. The reference frame is unchanged, and so
    is any displacement that is linear in the point index (a translation; a
    uniform stretch of evenly spaced points on a straight line); quadratic
    displacement is kept up to the median's effect at its extremum. On a curved
    wall a uniform stretch moves by a fraction of a pixel (−18 % through the
    motion model reads −17.92 %).

    Parameters
    ----------
    tracks_px : ndarray
        ``[T, N, 2]`` (x, y) px.
    layer : ndarray
        ``[N]`` layer code per point (−1: not on a wall line, left as is).
    window_points : int
        Odd number ≥ 3 of neighbouring points (an even value is rounded up);
        capped at each line's length (largest odd ≤ its points). Lines of fewer
        than 4 points are left as they are.
    ref_frame : int
        The frame whose positions are kept (the ED frame of the strain).

    Returns
    -------
    ndarray
        ``[T, N, 2]`` float64.

    References
    ----------
    .. [1] Voigt J-U et al., "Definitions for a common standard for 2D speckle
       tracking echocardiography", Eur Heart J Cardiovasc Imaging 16 (2015) 1–11.

    Examples
    --------
    >>> import numpy as np
    >>> ed = np.stack([np.arange(9.0), np.zeros(9)], axis=-1)
    >>> tracks = np.stack([ed, ed * 0.9])          # a uniform 10 % shortening
    >>> out = regularise_wall(tracks, np.zeros(9, int), window_points=5)
    >>> bool(np.allclose(out, tracks))
    True
    """
    tr = np.asarray(tracks_px, dtype=float)
    lay = np.asarray(layer).reshape(-1)
    if tr.ndim != 3 or tr.shape[-1] != 2 or lay.shape[0] != tr.shape[1]:
        raise ParameterError(f"tracks must be (T, N, 2) with one layer code per point, got {tr.shape} and "
                             f"{lay.shape[0]} codes")
    w = int(window_points)
    if w < 3:
        raise ParameterError(f"`window_points` must be at least 3, got {window_points}")
    if not 0 <= ref_frame < tr.shape[0]:
        raise ParameterError(f"`ref_frame` {ref_frame} is outside the tracks' frames 0…{tr.shape[0] - 1}")
    from scipy.ndimage import median_filter
    from scipy.signal import savgol_filter

    w += 1 - w % 2
    out = tr.copy()
    for code in np.unique(lay[lay >= 0]):
        idx = np.flatnonzero(lay == code)
        wl = min(w, idx.size if idx.size % 2 else idx.size - 1)
        if wl < 3 or idx.size < 4:
            continue
        d = tr[:, idx] - tr[ref_frame, idx]
        d = median_filter(d, size=(1, wl, 1), mode="nearest")
        d = savgol_filter(d, window_length=wl, polyorder=2, axis=1, mode="interp")
        out[:, idx] = tr[ref_frame, idx] + d
    return out
