"""The one place where a contour becomes tracks and strain: contour → wall points → track → strain.

Every job that measures strain on a clip goes through here: the ``track``
and ``analyze`` commands, the real-cohort evaluation and the refinement loop.

* :func:`query_points` — the ``(t, x, y)`` query array every tracker takes;
* :func:`wall_points` — labelled wall points of an ED myocardium contour;
* :func:`track_wall` — track them, regularise them along the wall
  (:func:`regularise_tracks`) and measure strain with ED = the query frame;
* :func:`track_wall_cycle` — the same from frame 0, with the end of the cycle
  (next ED), the cycle drift and the forward–backward consistency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echostrain.anatomy.myocardium import Myocardium, WallPoints, myocardium_of
from echostrain.anatomy.polyline import to_mm
from echostrain.core.checks import clip_to_image
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import POINTS_PER_SEGMENT, WALL_SMOOTHING_POINTS
from echostrain.io.contours import read_myocardium_contours
from echostrain.io.tracks import TrackSet
from echostrain.io.video import EchoVideo
from echostrain.strain import StrainResult, compute_strain, regularise_wall
from echostrain.strain.phases import next_ed_frame
from echostrain.track.base import Tracker


def query_points(xy_px: np.ndarray, frame: int = 0) -> np.ndarray:
    """Queries ``[N, 3]`` ``(t, x, y)`` for points ``xy_px [N, 2]`` given on one frame.

    Examples
    --------
    >>> query_points(np.array([[10.0, 20.0]]), frame=3).tolist()
    [[3.0, 10.0, 20.0]]
    """
    xy = np.asarray(xy_px, dtype=np.float64).reshape(-1, 2)
    return np.concatenate([np.full((len(xy), 1), float(frame)), xy], axis=1)


#: Most wall points per segment and layer (3 layers × (6·m + 1) points are tracked).
MAX_POINTS_PER_SEGMENT = 100


def check_wall_smoothing(points: int, parameter: str = "wall_smoothing") -> int:
    """``points`` as a window of :func:`regularise_tracks`: 0 (off) or at least 3; else ParameterError."""
    if isinstance(points, bool) or int(points) != points or not (points == 0 or 3 <= points <= 99):
        raise ParameterError(f"`{parameter}` must be 0 (tracks as they are) or a window of 3…99 points along "
                             f"the wall, got {points}")
    return int(points)


def regularise_tracks(tracks_px: np.ndarray, layer: np.ndarray, query_frame: int, smoothing_points: int) -> np.ndarray:
    """Tracked wall points with their displacement from the query frame smoothed along each layer's line.

    A polyline through scattered points reads too long, so a tracker's scatter
    along the wall would read as too little shortening
    (:func:`echostrain.strain.regularise_wall`). ``smoothing_points`` 0 returns
    the tracks as they are.
    """
    n = check_wall_smoothing(smoothing_points)
    tr = np.asarray(tracks_px, dtype=np.float64)
    return tr if n == 0 else regularise_wall(tr, layer, window_points=n, ref_frame=query_frame)


def wall_points(
    contour: str,
    video: EchoVideo,
    *,
    view: str | None = None,
    points_per_segment: int = POINTS_PER_SEGMENT,
    query_frame: int = 0,
) -> tuple[Myocardium, WallPoints]:
    """The myocardium of a contour file drawn on ``video`` and its labelled wall points.

    Parameters
    ----------
    contour : str
        Myocardium contour file (endo + epi, CSV/JSON, px; see docs/formats.md).
    video : EchoVideo
        The clip the contour was drawn on; it must have a pixel spacing.
    view : str, optional
        Apical view (default: the file's, else ``a4c``).
    points_per_segment : int
        Points per segment and layer.
    query_frame : int
        The frame the contour is drawn on; it must be one of the clip's.

    Raises
    ------
    ParameterError
        The clip has no pixel spacing, or ``query_frame`` is not one of its frames.
    GeometryError
        The contour is unusable or lies outside the image.
    """
    video.require_spacing()
    if not 0 <= query_frame < video.n_frames:
        raise ParameterError(
            f"`query_frame` {query_frame} is outside {video.source}'s frames 0…{video.n_frames - 1}"
        )
    if isinstance(points_per_segment, bool) or not 1 <= int(points_per_segment) <= MAX_POINTS_PER_SEGMENT:
        raise ParameterError(
            f"`points_per_segment` must be within 1…{MAX_POINTS_PER_SEGMENT}, got {points_per_segment}"
        )
    contours = read_myocardium_contours(str(contour), image_shape_hw=video.shape_hw)
    drawn = contours["frame"]
    if drawn is not None and drawn != query_frame:
        raise ParameterError(
            f"{contour} was drawn on frame {drawn}, but the wall is tracked from frame {query_frame}; "
            f"give `query_frame` {drawn} or fix the contour's \"frame\""
            if drawn < video.n_frames else
            f"{contour} was drawn on frame {drawn}, but {video.source} has frames 0…{video.n_frames - 1}; "
            "check that the contour belongs to this clip"
        )
    myo = myocardium_of(contours, view=view, spacing_mm=video.spacing_mm, image_shape_hw=video.shape_hw)
    return myo, myo.sample_points(points_per_segment)


@dataclass
class WallTracking:
    """Wall points tracked through a clip, and their strain (ED = the query frame)."""

    tracks_px: np.ndarray  # float64 [T, N, 2]
    wall: WallPoints
    view: str
    strain: StrainResult
    method: str
    seconds: float

    def track_set(self, video: EchoVideo, source: str) -> TrackSet:
        """The tracks file of this tracking (tracks, spacing, layer and segment codes, view, fps)."""
        return TrackSet(tracks=self.tracks_px, spacing_mm=video.spacing_mm, layer=self.wall.layer,
                        segment=self.wall.segment, view=self.view, fps=video.fps, source=source)


def track_wall(
    tracker: Tracker,
    video: EchoVideo,
    wall: WallPoints,
    *,
    view: str,
    query_frame: int = 0,
    es_frame: int | None = None,
    smoothing_points: int = WALL_SMOOTHING_POINTS,
) -> WallTracking:
    """Track ``wall`` (given on ``query_frame``, the ED frame) and measure its strain.

    Parameters
    ----------
    tracker : Tracker
        Any tracker of :func:`echostrain.track.load`.
    video : EchoVideo
        The clip, with its pixel spacing.
    wall : WallPoints
        Labelled wall points (:func:`wall_points`).
    view : str
        Apical view of the wall.
    query_frame : int
        Frame the points are given on; it is the ED frame of the strain.
    es_frame : int, optional
        ES frame (default: detected, the shortest endocardium).
    smoothing_points : int
        Window of the regularisation along the wall (:func:`regularise_tracks`); 0: none.
    """
    check_wall_smoothing(smoothing_points, "smoothing_points")
    res = tracker.track(video.frames, query_points(wall.xy_px, query_frame))
    tracks = regularise_tracks(res.tracks_px, wall.layer, query_frame, smoothing_points)
    strain = compute_strain(tracks, video.spacing_mm, wall.layer, wall.segment, view=view, fps=video.fps,
                            ed_frame=query_frame, es_frame=es_frame)
    return WallTracking(tracks, wall, view, strain, res.method, res.seconds)


@dataclass
class WallCycle:
    """A wall tracked from ED (frame 0): its strain, the end of its cycle and two tracking-quality figures."""

    tracks_px: np.ndarray  # float [T, N, 2]
    strain: StrainResult  # ED = frame 0
    next_ed: int
    drift_mm: float  # mean distance between ED and the next ED
    fb_mm: float  # mean distance to the start after tracking forward to the last frame and back
    seconds: float


def _mean_distance_mm(a_px: np.ndarray, b_px: np.ndarray, spacing_mm: tuple[float, float]) -> float:
    return float(np.linalg.norm(to_mm(a_px - b_px, spacing_mm), axis=-1).mean())


def track_wall_cycle(tracker: Tracker, video: EchoVideo, wall: WallPoints, *, view: str,
                     smoothing_points: int = WALL_SMOOTHING_POINTS) -> WallCycle:
    """Track ``wall`` from frame 0 (ED) forward, then back from the last frame.

    The cycle ends at the next ED (:func:`~echostrain.strain.phases.next_ed_frame`);
    ``drift_mm`` is the mean distance of the points between ED and that frame,
    ``fb_mm`` the mean distance to the start after tracking back from the last
    frame (positions clipped into the image).
    """
    fwd = track_wall(tracker, video, wall, view=view, query_frame=0, smoothing_points=smoothing_points)
    st = fwd.strain
    end = next_ed_frame(st.gls_curves_pct[st.gls_layer], st.es_frame)
    last = video.n_frames - 1
    back = tracker.track(video.frames, query_points(clip_to_image(fwd.tracks_px[last], video.shape_hw), last))
    spacing = video.spacing_mm
    return WallCycle(fwd.tracks_px, st, end, _mean_distance_mm(fwd.tracks_px[end], fwd.tracks_px[0], spacing),
                     _mean_distance_mm(back.tracks_px[0], wall.xy_px, spacing), fwd.seconds)
