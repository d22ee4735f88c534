"""``echostrain track``: points or the wall of an ED contour tracked through a clip, written as a tracks file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from echostrain.core.checks import check_device
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import LAYER_NONE, SEGMENT_NONE
from echostrain.io import TrackSet, read_video, write_tracks
from echostrain.io.overlay_files import check_overlay_out, write_overlay
from echostrain.io.points import read_points_csv
from echostrain.track import check_track_input, load
from echostrain.track.base import check_not_blank
from echostrain.core.vocabulary import POINTS_PER_SEGMENT, WALL_SMOOTHING_POINTS
from echostrain.track.wall import check_wall_smoothing, query_points, regularise_tracks, wall_points


@dataclass(frozen=True)
class ClipTracking:
    """What :func:`track_clip` wrote: the tracks file (and overlay), the method and its time."""

    tracks: TrackSet
    method: str
    seconds: float
    tracks_path: Path
    overlay_path: Path | None


def _queries(video, *, points, contour, query_frame, view, points_per_segment):
    """Queries [N, 3] with their layer and segment codes and view (all none for plain points)."""
    if contour is not None:
        myo, wall = wall_points(str(contour), video, view=view, points_per_segment=points_per_segment,
                                query_frame=query_frame)
        return query_points(wall.xy_px, query_frame), wall.layer, wall.segment, myo.view
    if not 0 <= query_frame < video.n_frames:
        raise ParameterError(f"`query_frame` {query_frame} is outside the clip's frames 0…{video.n_frames - 1}")
    pts = read_points_csv(points)
    q = pts if pts.shape[1] == 3 else query_points(pts, query_frame)
    n = len(q)
    return q, np.full(n, LAYER_NONE, np.int8), np.full(n, SEGMENT_NONE, np.int8), None


def track_clip(
    clip: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    points: str | os.PathLike[str] | None = None,
    contour: str | os.PathLike[str] | None = None,
    method: str = "tasnet",
    weights: str | os.PathLike[str] | None = None,
    query_frame: int = 0,
    view: str | None = None,
    points_per_segment: int = POINTS_PER_SEGMENT,
    spacing_mm: tuple[float, float] | None = None,
    fps: float | None = None,
    overlay: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    wall_smoothing: int = WALL_SMOOTHING_POINTS,
) -> ClipTracking:
    """Track ``points`` (CSV) or the wall of ``contour`` through ``clip``; write the tracks (and an overlay MP4).

    Exactly one of ``points`` and ``contour`` is given. The wall of a contour is
    regularised along the wall with ``wall_smoothing`` points
    (:func:`~echostrain.track.wall.regularise_tracks`; 0: as tracked); plain
    points are written as tracked. Everything is read and checked before a model
    is loaded or a file written.
    """
    check_wall_smoothing(wall_smoothing)
    if (points is None) == (contour is None):
        raise ParameterError("give exactly one of `points` (a CSV) or `contour` (an ED contour)")
    device = check_device(device)
    if overlay is not None:
        check_overlay_out(overlay, parameter="overlay")
    video = read_video(clip, spacing_mm=spacing_mm, fps=fps)
    check_not_blank(video.frames, str(clip))
    video.require_spacing()
    queries, layer, segment, the_view = _queries(video, points=points, contour=contour, query_frame=query_frame,
                                                 view=view, points_per_segment=points_per_segment)
    check_track_input(video.frames, queries)  # cheap checks before loading a model
    tracker = load(method, weights=weights, device=device)
    result = tracker.track(video.frames, queries)
    # plain points carry no layer code, so only a contour's wall is regularised
    ts = TrackSet(tracks=regularise_tracks(result.tracks_px, layer, query_frame, wall_smoothing), spacing_mm=video.spacing_mm, layer=layer,
                  segment=segment, view=the_view, fps=video.fps, source=str(out))
    tracks_path = Path(write_tracks(out, ts))
    movie = None
    if overlay is not None:
        try:
            movie = write_overlay(overlay, video.frames, ts.tracks, labels=ts.layer, fps=video.fps,
                                  spacing_mm=video.spacing_mm)
        except BaseException:  # the outputs appear together or not at all (Ctrl-C included)
            tracks_path.unlink(missing_ok=True)
            raise
    return ClipTracking(ts, tracker.name, result.seconds, tracks_path, movie)
