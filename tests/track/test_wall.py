"""The contour → wall points → tracks → strain flow (track.wall) on analytic motion with known strain."""

from __future__ import annotations

import json

import numpy as np
import pytest

from echostrain.anatomy.shapes import ellipsoidal_myocardium
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import LAYER_ENDO, LAYER_EPI
from echostrain.io.video import EchoVideo
from echostrain.motion.analytic import cardiac_time_course, deform_wall
from echostrain.track.base import TrackResult, Tracker
from echostrain.track.wall import query_points, track_wall, track_wall_cycle, wall_points

SPACING = (0.3, 0.3)
FPS = 50.0
STRAIN_PCT = np.array([-19.0, -18.0, -8.0, -21.0, -20.0, -17.0])


class ExactTracker(Tracker):
    """Follows known tracks: each query takes the known track nearest to it on its frame."""

    name = "exact"

    def __init__(self, tracks_px: np.ndarray):
        self.truth = tracks_px

    def _track(self, frames, queries):
        q = np.asarray(queries, dtype=float)
        t = q[:, 0].astype(int)
        idx = np.array([np.argmin(np.linalg.norm(self.truth[ti] - xy, axis=-1)) for ti, xy in zip(t, q[:, 1:])])
        tracks = self.truth[:, idx] + (q[:, 1:] - self.truth[t, idx])[None]
        n_t, n = tracks.shape[:2]
        return TrackResult(tracks.astype(np.float32), np.ones((n_t, n), bool), np.ones((n_t, n), np.float32), self.name)


def _scene(n_beats: int, tmp_path):
    """An ellipsoidal A4C wall, its ED contour file, known tracks over ``n_beats`` and a blank clip."""
    myo = ellipsoidal_myocardium(view="a4c", spacing_mm=SPACING)
    contour = tmp_path / "ed.json"
    contour.write_text(json.dumps({"endo": myo.endo_xy_px.tolist(), "epi": myo.epi_xy_px.tolist(), "view": "a4c"}))
    per_beat = 50
    course = cardiac_time_course(per_beat * n_beats + 1, FPS, 60.0)
    h = int(np.ceil(max(myo.endo_xy_px[:, 1].max(), myo.epi_xy_px[:, 1].max()))) + 20
    w = int(np.ceil(max(myo.endo_xy_px[:, 0].max(), myo.epi_xy_px[:, 0].max()))) + 20
    video = EchoVideo(np.zeros((len(course), h, w), np.float32), spacing_mm=SPACING, fps=FPS)
    return myo, contour, course, video


def _contour_gls_pct(endo_ed: np.ndarray, endo_es: np.ndarray) -> float:
    def length(line):
        d = np.diff(line * np.array([SPACING[1], SPACING[0]]), axis=0)
        return np.hypot(d[:, 0], d[:, 1]).sum()

    return float((length(endo_es) - length(endo_ed)) / length(endo_ed) * 100.0)


def test_query_points_put_the_frame_first():
    q = query_points(np.array([[1.0, 2.0], [3.0, 4.0]]), 5)
    assert q.tolist() == [[5.0, 1.0, 2.0], [5.0, 3.0, 4.0]]


def test_exact_tracking_reproduces_the_contour_gls_of_its_own_ed_and_es_contours(tmp_path):
    myo, contour, course, video = _scene(1, tmp_path)
    _, wall = wall_points(str(contour), video, points_per_segment=8)
    truth = deform_wall(wall, STRAIN_PCT, course)
    tracked = track_wall(ExactTracker(truth), video, wall, view="a4c")
    es = tracked.strain.es_frame
    assert es == int(np.argmax(course))
    endo = wall.layer == LAYER_ENDO
    expected = _contour_gls_pct(truth[0, endo], truth[es, endo])
    assert tracked.strain.gls_curves_pct["endo"][es] == pytest.approx(expected, abs=1e-4)  # float32 tracks
    np.testing.assert_allclose(tracked.strain.segment_es_pct, STRAIN_PCT * course[es], atol=0.05)
    ts = tracked.track_set(video, "exact")
    assert ts.tracks.shape == truth.shape and (ts.layer == wall.layer).all() and ts.view == "a4c"


def test_periodic_motion_over_three_beats_gives_zero_drift_and_consistency(tmp_path):
    myo, contour, course, video = _scene(3, tmp_path)
    _, wall = wall_points(str(contour), video, points_per_segment=6)
    truth = deform_wall(wall, STRAIN_PCT, course)
    cyc = track_wall_cycle(ExactTracker(truth), video, wall, view="a4c")
    assert cyc.next_ed == 50  # one RR interval at 50 frames/s and 60 bpm
    assert cyc.drift_mm == pytest.approx(0.0, abs=1e-5) and cyc.fb_mm == pytest.approx(0.0, abs=1e-5)
    assert (wall.layer == LAYER_EPI).sum() == 37


def test_wall_points_checks_the_query_frame_and_the_spacing(tmp_path):
    myo, contour, course, video = _scene(1, tmp_path)
    with pytest.raises(ParameterError, match="`query_frame` 99"):
        wall_points(str(contour), video, query_frame=99)
    no_spacing = EchoVideo(video.frames, spacing_mm=None, fps=FPS)
    with pytest.raises(ParameterError, match="`spacing_mm`"):
        wall_points(str(contour), no_spacing)
