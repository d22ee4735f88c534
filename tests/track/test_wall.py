"""The contour → wall points → tracks → strain flow (track.wall) on analytic motion with known strain."""

from __future__ import annotations

import numpy as np
import pytest
from analytic_wall import FPS, STRAIN_PCT, ExactTracker, contour_gls_pct, wall_scene

from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import LAYER_ENDO, LAYER_EPI
from echostrain.io.video import EchoVideo
from echostrain.motion.analytic import deform_wall
from echostrain.track.wall import query_points, track_wall, track_wall_cycle, wall_points

def test_query_points_put_the_frame_first():
    q = query_points(np.array([[1.0, 2.0], [3.0, 4.0]]), 5)
    assert q.tolist() == [[5.0, 1.0, 2.0], [5.0, 3.0, 4.0]]


def test_exact_tracking_reproduces_the_contour_gls_of_its_own_ed_and_es_contours(tmp_path):
    myo, contour, course, video = wall_scene(1, tmp_path)
    _, wall = wall_points(str(contour), video, points_per_segment=8)
    truth = deform_wall(wall, STRAIN_PCT, course)
    tracked = track_wall(ExactTracker(truth), video, wall, view="a4c", smoothing_points=0)
    es = tracked.strain.es_frame
    assert es == int(np.argmax(course))
    endo = wall.layer == LAYER_ENDO
    expected = contour_gls_pct(truth[0, endo], truth[es, endo])
    assert tracked.strain.gls_curves_pct["endo"][es] == pytest.approx(expected, abs=1e-4)  # float32 tracks
    np.testing.assert_allclose(tracked.strain.segment_es_pct, STRAIN_PCT * course[es], atol=0.05)
    # regularised along the wall (the default), exact tracks lose under 0.1 % of strain (the apex's median)
    smoothed = track_wall(ExactTracker(truth), video, wall, view="a4c")
    assert smoothed.strain.gls_curves_pct["endo"][es] == pytest.approx(expected, abs=0.1)
    np.testing.assert_allclose(smoothed.strain.segment_es_pct, STRAIN_PCT * course[es], atol=0.6)
    np.testing.assert_allclose(smoothed.tracks_px[0], truth[0], atol=1e-4)  # the ED frame is kept (float32 tracks)
    ts = tracked.track_set(video, "exact")
    assert ts.tracks.shape == truth.shape and (ts.layer == wall.layer).all() and ts.view == "a4c"


def test_periodic_motion_over_three_beats_gives_zero_drift_and_consistency(tmp_path):
    myo, contour, course, video = wall_scene(3, tmp_path)
    _, wall = wall_points(str(contour), video, points_per_segment=6)
    truth = deform_wall(wall, STRAIN_PCT, course)
    cyc = track_wall_cycle(ExactTracker(truth), video, wall, view="a4c")
    assert cyc.next_ed == 50  # one RR interval at 50 frames/s and 60 bpm
    assert cyc.drift_mm == pytest.approx(0.0, abs=1e-5) and cyc.fb_mm == pytest.approx(0.0, abs=1e-5)
    assert (wall.layer == LAYER_EPI).sum() == 37


def test_wall_points_checks_the_query_frame_and_the_spacing(tmp_path):
    myo, contour, course, video = wall_scene(1, tmp_path)
    with pytest.raises(ParameterError, match="`query_frame` 99"):
        wall_points(str(contour), video, query_frame=99)
    no_spacing = EchoVideo(video.frames, spacing_mm=None, fps=FPS)
    with pytest.raises(ParameterError, match="`spacing_mm`"):
        wall_points(str(contour), no_spacing)


def test_contour_frame_must_be_the_tracked_frame_and_points_are_bounded(tmp_path):
    import json

    from echostrain.track.wall import MAX_POINTS_PER_SEGMENT

    _, contour, _, video = wall_scene(1, tmp_path)
    data = json.loads(contour.read_text())
    for frame, text in ((5, "drawn on frame 5, but the wall is tracked from frame 0"),
                        (99, "drawn on frame 99, but")):
        contour.write_text(json.dumps({**data, "frame": frame}))
        with pytest.raises(ParameterError, match=text):
            wall_points(str(contour), video)
    contour.write_text(json.dumps({**data, "frame": 5}))
    _, wall = wall_points(str(contour), video, query_frame=5)  # the frame it was drawn on
    assert len(wall) > 0
    with pytest.raises(ParameterError, match=f"within 1…{MAX_POINTS_PER_SEGMENT}"):
        wall_points(str(contour), video, query_frame=5, points_per_segment=1_000_000_000)


def test_given_es_must_follow_ed():
    from echostrain.strain.phases import detect_ed_es

    length = np.array([10.0, 9.5, 9.0, 9.2, 9.8, 10.0])
    assert detect_ed_es(length, 0, 2) == (0, 2)
    for ed, es in ((3, 3), (4, 1)):
        with pytest.raises(ParameterError, match=f"ES frame {es} must come after the ED frame {ed}"):
            detect_ed_es(length, ed, es)
