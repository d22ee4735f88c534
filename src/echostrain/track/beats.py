"""Per-beat figures of a wall tracked through a clip of several beats.

A clip's beats run from one ED to the next (:func:`echostrain.strain.phases.beat_frames`
finds them on the tracked endocardial strain curve, or they are given). For each beat
the strain is measured again with that beat's ED as the reference length, so a
tracker that drifts does not carry one beat's error into the next:

* ``gls_pct``: the GLS line's strain at the beat's ES;
* ``segment_peak_pct``: each segment's most negative strain within the beat;
* ``drift_mm``: mean distance of the points between the beat's ED and the next ED;
* ``fb_mm``: the points tracked back from the next ED to the ED (queries at the next
  ED), mean distance to where they started.

Over the beats, the spread of GLS (standard deviation and range) says how steady the
measurement is; a periodic motion tracked exactly gives 0 for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from echostrain.anatomy.polyline import to_mm
from echostrain.core.checks import clip_to_image
from echostrain.core.errors import ParameterError
from echostrain.io.video import EchoVideo
from echostrain.strain import compute_strain
from echostrain.strain.phases import beat_frames, shortest_after
from echostrain.track.base import Tracker
from echostrain.track.wall import WallTracking, query_points


@dataclass(frozen=True)
class Beat:
    """One beat of a tracked wall: its frames and figures (see the module docstring)."""

    ed: int
    es: int
    next_ed: int
    gls_pct: float
    segment_peak_pct: np.ndarray  # float [6], NaN for segments without points
    drift_mm: float
    fb_mm: float


@dataclass(frozen=True)
class BeatSpread:
    """GLS over the beats of a clip: mean, standard deviation (ddof 0) and range (max − min), %."""

    n_beats: int
    gls_mean_pct: float
    gls_sd_pct: float
    gls_range_pct: float


def check_ed_frames(ed_frames: Sequence[int], n_frames: int) -> list[tuple[int, int]]:
    """Given ED frames → consecutive (ED, next ED) pairs, checked: increasing, inside the clip, ≥ 2 frames apart."""
    eds = [int(f) for f in ed_frames]
    if len(eds) < 2:
        raise ParameterError(f"`ed_frames` needs at least two ED frames (one full beat), got {eds}")
    for f in eds:
        if not 0 <= f < n_frames:
            raise ParameterError(f"ED frame {f} of `ed_frames` is outside the clip (0…{n_frames - 1})")
    if any(b - a < 2 for a, b in zip(eds, eds[1:])):
        raise ParameterError(f"`ed_frames` {eds} must increase by at least 2 frames per beat")
    return list(zip(eds, eds[1:]))


def min_beat_frames(fps: float | None) -> int:
    """Fewest frames of a beat: 0.4 s (150 beats/min) at ``fps``, at least 4 (4 when the rate is unknown)."""
    return max(4, int(round(0.4 * fps))) if fps else 4


def _mean_distance_mm(a_px: np.ndarray, b_px: np.ndarray, spacing_mm: tuple[float, float]) -> float:
    return float(np.linalg.norm(to_mm(a_px - b_px, spacing_mm), axis=-1).mean())


def track_beats(
    tracker: Tracker,
    video: EchoVideo,
    tracked: WallTracking,
    *,
    ed_frames: Sequence[int] | None = None,
) -> list[Beat]:
    """The full beats of ``tracked`` (a wall tracked from its first ED), with their figures.

    ``ed_frames`` gives the beats (ED frames in order, the first the frame the wall
    was given on); by default they are found on the tracked GLS curve. Raises
    :class:`ParameterError` when the clip holds no full beat.
    """
    st = tracked.strain
    n_t = tracked.tracks_px.shape[0]
    first = int(st.ed_frame)
    curve = st.gls_curves_pct[st.gls_layer]
    if ed_frames is None:
        frames = beat_frames(curve, first_ed=first, min_beat_frames=min_beat_frames(video.fps))
    else:
        pairs = check_ed_frames(ed_frames, n_t)
        if pairs[0][0] != first:
            raise ParameterError(f"the first of `ed_frames` must be the frame the wall is given on ({first}), "
                                 f"got {pairs[0][0]}")
        frames = [(a, shortest_after(curve, a, b + 1), b) for a, b in pairs]
    if not frames:
        raise ParameterError(
            f"{video.source}: no full beat (ED to the next ED) found in {n_t} frames; "
            "give `ed_frames`, or use a clip that holds a whole cycle"
        )
    wall, spacing = tracked.wall, video.spacing_mm
    beats = []
    for ed, es, nxt in frames:
        part = compute_strain(tracked.tracks_px[ed:nxt + 1], spacing, wall.layer, wall.segment, view=tracked.view,
                              ed_frame=0, es_frame=es - ed, fps=video.fps)
        with np.errstate(invalid="ignore"):
            peak = np.array([np.nan if np.all(np.isnan(row)) else float(np.nanmin(row))
                             for row in part.segment_curves_pct])
        start = clip_to_image(tracked.tracks_px[nxt], video.shape_hw)
        back = tracker.track(video.frames, query_points(start, nxt)).tracks_px[ed]
        beats.append(Beat(ed, es, nxt, part.gls_pct, peak,
                          _mean_distance_mm(tracked.tracks_px[nxt], tracked.tracks_px[ed], spacing),
                          _mean_distance_mm(back, tracked.tracks_px[ed], spacing)))
    return beats


def beat_spread(beats: Sequence[Beat]) -> BeatSpread:
    """Mean, SD and range of the beats' GLS."""
    g = np.array([b.gls_pct for b in beats], dtype=float)
    if g.size == 0:
        raise ParameterError("beat_spread needs at least one beat")
    return BeatSpread(int(g.size), float(g.mean()), float(g.std()), float(g.max() - g.min()))
