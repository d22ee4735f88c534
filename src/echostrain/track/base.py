"""The interface every tracker follows, and the checks of its input.

A tracker takes a clip ``frames`` (float [T, H, W] grey in [0, 1]) and query
points ``queries`` (float [N, 3]: query frame t, x px, y px) and returns a
:class:`TrackResult`: the (x, y) position of every point in every frame
(before its query frame too), a visibility flag and a confidence.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from echostrain.core.checks import first_outside
from echostrain.core.errors import GeometryError, InvalidDataError, ParameterError
from echostrain.io.sector import SECTOR_THRESHOLD

#: Fewest frames a clip needs to be tracked.
MIN_TRACK_FRAMES = 3
#: Smallest frame side (px) any tracker accepts (optical flow's pyramid needs 12 px).
MIN_TRACK_SIZE_PX = 16


@dataclass
class TrackResult:
    """Tracked points.

    Attributes:
        tracks_px: float32 [T, N, 2] (x, y) px in the input frames.
        visible: bool [T, N] — the point is in the image (and, for TAS-Net, judged visible).
        confidence: float32 [T, N] in [0, 1].
        method: the tracker's name.
        seconds: wall time of :meth:`Tracker.track`.
    """

    tracks_px: np.ndarray
    visible: np.ndarray
    confidence: np.ndarray
    method: str
    seconds: float = 0.0


def check_not_blank(frames: np.ndarray, source: str) -> None:
    """InvalidDataError if every pixel of ``frames`` (float in [0, 1]) is black: a blank clip has nothing to track."""
    if float(np.max(frames)) <= SECTOR_THRESHOLD:  # no pixel of any frame would be in the sector
        raise InvalidDataError(f"{source} is blank (every pixel black), so there is nothing to track; check the file")


def check_track_input(frames: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert: frames float32 [T, H, W] in [0, 1], queries float64 [N, 3] (t, x, y)."""
    f = np.asarray(frames)
    if f.ndim == 4 and f.shape[1] == 1:
        f = f[:, 0]
    if f.ndim != 3:
        raise InvalidDataError(f"frames must be [T, H, W] grey, got shape {f.shape}")
    if f.shape[0] < MIN_TRACK_FRAMES:
        raise InvalidDataError(
            f"the clip has {f.shape[0]} frame(s); tracking needs at least {MIN_TRACK_FRAMES}"
        )
    if min(f.shape[1], f.shape[2]) < MIN_TRACK_SIZE_PX:
        raise InvalidDataError(
            f"the frames are {f.shape[2]}×{f.shape[1]} px; tracking needs at least "
            f"{MIN_TRACK_SIZE_PX}×{MIN_TRACK_SIZE_PX} px (the image is too small: give the full-size clip)"
        )
    if f.dtype == np.uint8:
        f = f.astype(np.float32) / 255.0
    else:
        f = f.astype(np.float32, copy=False)
    if not np.isfinite(f).all():
        raise InvalidDataError("the frames contain NaN or infinite values; clean the clip first")
    if f.min() < 0.0 or f.max() > 1.0 + 1e-6:
        raise InvalidDataError(
            f"frame values range from {f.min():g} to {f.max():g}; give grey levels in [0, 1] (or uint8)"
        )
    q = np.asarray(queries, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 3:
        raise ParameterError(f"queries must be [N, 3] (t, x, y), got shape {q.shape}")
    if q.shape[0] == 0:
        raise ParameterError("no query points: give at least one (t, x, y) point to track")
    if not np.isfinite(q).all():
        raise ParameterError("a query point is NaN or infinite; fix the point list")
    t_max, h, w = f.shape[0] - 1, f.shape[1], f.shape[2]
    bad_t = (q[:, 0] < 0) | (q[:, 0] > t_max) | (np.round(q[:, 0]) != q[:, 0])
    if bad_t.any():
        i = int(np.argmax(bad_t))
        raise ParameterError(f"query {i} has frame {q[i, 0]:g}; query frames are integers in [0, {t_max}]")
    i = first_outside(q[:, 1:3], (h, w))
    if i is not None:
        raise GeometryError(
            f"query {i} (x={q[i, 1]:g}, y={q[i, 2]:g}) lies outside the {w}×{h} px image; "
            "check the points belong to this clip and use (x, y) order"
        )
    return f, q


class Tracker(ABC):
    """A point tracker (see the module docstring)."""

    name: str = "tracker"

    def track(self, frames: np.ndarray, queries: np.ndarray) -> TrackResult:
        """Track ``queries`` [N, 3] (t, x, y) through ``frames`` [T, H, W]."""
        f, q = check_track_input(frames, queries)
        start = time.perf_counter()
        result = self._track(f, q)
        result.seconds = time.perf_counter() - start
        return result

    @abstractmethod
    def _track(self, frames: np.ndarray, queries: np.ndarray) -> TrackResult:
        """Track validated input (frames float32 [T, H, W], queries float64 [N, 3])."""


def chain_from_query(
    n_frames: int,
    queries: np.ndarray,
    step: Callable[[int, int, np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Frame-to-frame accumulation forward and backward from each point's query frame.

    ``step(t0, t1, xy)`` returns the positions at frame t1 (and a score per
    point) of points at ``xy`` [M, 2] in frame t0 (t1 = t0 ± 1).
    Returns (tracks [T, N, 2], score [T, N]).
    """
    n = queries.shape[0]
    tracks = np.zeros((n_frames, n, 2), np.float64)
    score = np.ones((n_frames, n), np.float64)
    qt = queries[:, 0].astype(int)
    tracks[qt, np.arange(n)] = queries[:, 1:3]
    for t in range(n_frames - 1):  # forward: points whose query frame is ≤ t
        sel = np.flatnonzero(qt <= t)
        if sel.size:
            tracks[t + 1, sel], score[t + 1, sel] = step(t, t + 1, tracks[t, sel])
    for t in range(n_frames - 1, 0, -1):  # backward: points whose query frame is ≥ t
        sel = np.flatnonzero(qt >= t)
        if sel.size:
            tracks[t - 1, sel], score[t - 1, sel] = step(t, t - 1, tracks[t, sel])
    return tracks, score

