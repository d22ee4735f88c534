"""Real-cohort mode on analytic motion: contour references, per-beat figures, and their refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
from analytic_wall import FRAMES_PER_BEAT, SPACING, STRAIN_PCT, ExactTracker, contour_gls_pct, wall_scene

from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import LAYER_ENDO, LAYER_EPI
from echostrain.evaluate import real
from echostrain.evaluate.contour_reference import distance_to_polyline_mm
from echostrain.evaluate.real_report import write_real_evaluation
from echostrain.motion.analytic import deform_wall
from echostrain.track.wall import wall_points


def _cohort(tmp_path, n_beats, monkeypatch):
    """A clip of ``n_beats`` periodic beats, its ED and ES contours, and ``load`` patched to the exact tracker."""
    _, contour, course, video = wall_scene(n_beats, tmp_path)
    _, wall = wall_points(str(contour), video, points_per_segment=8)
    truth = deform_wall(wall, STRAIN_PCT, course)
    clips, contours = tmp_path / "clips", tmp_path / "contours"
    clips.mkdir()
    contours.mkdir()
    np.savez(clips / "lv.npz", frames=np.zeros(video.frames.shape, np.uint8) + 80, fps=np.float64(video.fps),
             spacing_mm=np.array(SPACING))
    es = int(np.argmax(course[:FRAMES_PER_BEAT]))
    endo, epi = wall.layer == LAYER_ENDO, wall.layer == LAYER_EPI
    # the tracker's own contours: its wall at ED and at ES
    (contours / "lv.json").write_text(json.dumps({"endo": truth[0, endo].tolist(), "epi": truth[0, epi].tolist(),
                                                  "view": "a4c", "frame": 0}))
    (contours / "lv_es.json").write_text(json.dumps({"endo": truth[es, endo].tolist(), "epi": truth[es, epi].tolist(),
                                                     "view": "a4c", "frame": es}))
    monkeypatch.setattr(real, "load", lambda name, weights=None: ExactTracker(truth))
    return clips, contours, truth, wall, es


def test_an_exact_tracker_reproduces_the_contour_gls_of_its_own_ed_and_es_contours(tmp_path, monkeypatch):
    clips, contours, truth, wall, es = _cohort(tmp_path, 1, monkeypatch)
    (row,) = real.evaluate_real(clips, [contours], None, ["exact"], smoothing_points=0)
    (smoothed,) = real.evaluate_real(clips, [contours], None, ["exact"])  # regularised along the wall (default)
    endo = wall.layer == LAYER_ENDO
    expected = contour_gls_pct(truth[0, endo], truth[es, endo])
    assert row["contour_gls_pct"] == pytest.approx(expected, abs=1e-9)
    # the cohort mode samples its wall points again from the ED contour (≤ 0.12 px from these), so the
    # tracked wall is the true one shifted by those offsets
    assert row["tracked_gls_at_es_pct"] == pytest.approx(expected, abs=0.02)
    assert abs(row["tracked_minus_contour_gls_pct"]) < 0.02 and row["es_distance_mm"] < 0.02
    assert row["es_contour_frame"] == es and expected < -10.0
    # regularised, exact tracks lose under 0.1 % of strain (the running median at the apex)
    assert smoothed["tracked_gls_at_es_pct"] == pytest.approx(expected, abs=0.1)
    assert smoothed["es_distance_mm"] < 0.05


def test_periodic_motion_over_three_beats_gives_zero_spread_and_zero_drift(tmp_path, monkeypatch):
    clips, contours, truth, wall, es = _cohort(tmp_path, 3, monkeypatch)
    (row,) = real.evaluate_real(clips, [contours], None, ["exact"], beats=True)
    beats = row["_beats"]
    assert [(b.ed, b.next_ed) for b in beats] == [(0, 50), (50, 100), (100, 150)]
    assert [b.es for b in beats] == [es, es + 50, es + 100]
    assert row["n_beats"] == 3
    assert row["beat_gls_sd_pct"] == pytest.approx(0.0, abs=1e-4) and row["beat_gls_range_pct"] == pytest.approx(0.0, abs=1e-4)
    assert row["beat_drift_mm"] == pytest.approx(0.0, abs=1e-5) and row["beat_fb_mm"] == pytest.approx(0.0, abs=1e-5)
    assert row["beat_gls_mean_pct"] == pytest.approx(row["gls_pct"], abs=1e-4)
    np.testing.assert_allclose(beats[1].segment_peak_pct, beats[0].segment_peak_pct, atol=1e-4)
    given = real.evaluate_real(clips, [contours], None, ["exact"], ed_frames={"lv": [0, 50, 100]})[0]
    assert [(b.ed, b.es, b.next_ed) for b in given["_beats"]] == [(0, es, 50), (50, es + 50, 100)]
    out = tmp_path / "out"
    md = write_real_evaluation([row], out)
    assert "beat GLS SD (%)" in md and "ES distance (mm)" in md
    per_beat = (out / "per_beat.csv").read_text().splitlines()
    assert len(per_beat) == 4 and per_beat[0].startswith("clip,method,beat,ed_frame")
    header = (out / "per_clip.csv").read_text().splitlines()[0].split(",")
    assert (out / "gls_lv.png").stat().st_size > 0 and "_beats" not in header and "n_beats" in header


def test_refusals_name_the_problem(tmp_path, monkeypatch):
    clips, contours, truth, wall, es = _cohort(tmp_path, 1, monkeypatch)
    es_file = contours / "lv_es.json"
    data = json.loads(es_file.read_text())
    for frame, text in ((999, "outside the clip"), (0, "not after the ED frame")):
        es_file.write_text(json.dumps({**data, "frame": frame}))
        with pytest.raises(ParameterError, match=text):
            real.evaluate_real(clips, [contours], None, ["exact"])
    es_file.write_text(json.dumps({k: v for k, v in data.items() if k != "frame"}))
    with pytest.raises(ParameterError, match="needs its frame"):
        real.evaluate_real(clips, [contours], None, ["exact"])
    es_file.unlink()
    short = np.load(clips / "lv.npz")
    np.savez(clips / "lv.npz", frames=short["frames"][:19], fps=short["fps"], spacing_mm=short["spacing_mm"])
    monkeypatch.setattr(real, "load", lambda name, weights=None: ExactTracker(truth[:19]))
    with pytest.raises(ParameterError, match="no full beat"):
        real.evaluate_real(clips, [contours], None, ["exact"], beats=True)
    with pytest.raises(ParameterError, match="outside the clip"):
        real.evaluate_real(clips, [contours], None, ["exact"], ed_frames={"lv": [0, 40]})
    with pytest.raises(ParameterError, match="not in the cohort"):
        real.evaluate_real(clips, [contours], None, ["exact"], ed_frames={"other": [0, 20]})


def test_distance_to_a_polyline_is_exact():
    line = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]])
    pts = np.array([[5.0, -3.0], [13.0, 5.0], [10.0, 12.0], [10.0, 0.0]])
    np.testing.assert_allclose(distance_to_polyline_mm(pts, line, (0.5, 0.5)), [1.5, 1.5, 1.0, 0.0])


def test_trackers_of_your_own_sit_next_to_the_named_methods(tmp_path, monkeypatch):
    clips, contours, truth, wall, es = _cohort(tmp_path, 1, monkeypatch)
    rows = real.evaluate_real(clips, [contours], None, ["exact"], trackers={"mine": ExactTracker(truth)})
    assert [r["method"] for r in rows] == ["exact", "mine"]
    assert rows[1]["tracked_gls_at_es_pct"] == pytest.approx(rows[0]["tracked_gls_at_es_pct"])
    with pytest.raises(ParameterError, match="both in `methods` and in `trackers`"):
        real.evaluate_real(clips, [contours], None, ["exact"], trackers={"exact": ExactTracker(truth)})
    with pytest.raises(ParameterError, match="no tracker"):
        real.evaluate_real(clips, [contours], None, [])
