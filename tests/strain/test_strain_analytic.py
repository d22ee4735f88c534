import numpy as np
import pytest

from echostrain.anatomy import LAYER_ENDO, LAYER_EPI, LAYER_MID, ellipsoidal_myocardium
from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.motion import cardiac_time_course, deform_wall
from echostrain.strain import average_gls, bullseye_pct, compute_strain, detect_ed_es, smooth_tracks


@pytest.fixture()
def wall():
    myo = ellipsoidal_myocardium(spacing_mm=(0.3, 0.25), view="a4c")
    return myo, myo.sample_points(points_per_segment=6)


def test_uniform_shortening_of_18_percent_gives_gls_minus_18(wall):
    myo, pts = wall
    # Scale the whole myocardium by 0.82 about the apex: every length shortens by exactly 18 %.
    apex = pts.xy_px[pts.select(LAYER_ENDO)][18]
    scale = np.array([1.0, 0.91, 0.82])[:, None, None]
    tracks = apex + (pts.xy_px[None] - apex) * scale
    r = compute_strain(tracks, myo.spacing_mm, pts.layer, pts.segment, view="a4c")
    assert (r.ed_frame, r.es_frame) == (0, 2)
    assert r.gls_pct == pytest.approx(-18.0, abs=0.01)
    assert r.gls_curves_pct["mid"][2] == pytest.approx(-18.0, abs=0.01)
    np.testing.assert_allclose(r.segment_es_pct, -18.0, atol=0.01)
    assert r.transverse_curve_pct[2] == pytest.approx(-18.0, abs=0.01)


def test_uniform_shortening_through_the_motion_model(wall):
    myo, pts = wall
    tracks = deform_wall(pts, np.full(6, -18.0), np.array([0.0, 0.5, 1.0, 0.4]))
    r = compute_strain(tracks, myo.spacing_mm, pts.layer, pts.segment, view="a4c")
    assert r.es_frame == 2
    assert r.gls_pct == pytest.approx(-18.0, abs=0.01)
    assert r.gls_curves_pct["endo"][1] == pytest.approx(-9.0, abs=0.01)
    # Thickening keeps wall area: 1/(1 − 0.18) − 1 = +21.95 % (the mean over nodes of 1/factor).
    assert r.transverse_curve_pct[2] == pytest.approx(100 * (1 / 0.82 - 1), abs=0.01)


def test_one_akinetic_segment_and_five_at_minus_20(wall):
    myo, pts = wall
    pattern = np.array([-20.0, -20.0, 0.0, -20.0, -20.0, -20.0])
    tracks = deform_wall(pts, pattern, np.array([0.0, 1.0]))
    r = compute_strain(tracks, myo.spacing_mm, pts.layer, pts.segment, view="a4c", ed_frame=0, es_frame=1)
    np.testing.assert_allclose(r.segment_es_pct, pattern, atol=1e-9)
    # The segments tile the line, so GLS is their length-weighted mean (here equal lengths).
    assert r.gls_pct == pytest.approx(pattern.mean(), abs=0.05)
    summary = r.summary()
    assert summary["segments"][2]["name"] == "apical inferoseptal"
    assert summary["segments"][2]["aha18"] == 15
    assert summary["segments"][2]["end_systolic_pct"] == pytest.approx(0.0, abs=1e-9)


def test_segmental_strain_follows_the_time_course(wall):
    myo, pts = wall
    fps, hr = 50.0, 72.0
    course = cardiac_time_course(60, fps, hr)
    pattern = np.array([-22.0, -18.0, -5.0, 8.0, -15.0, -20.0])  # one dyskinetic segment
    tracks = deform_wall(pts, pattern, course)
    r = compute_strain(tracks, myo.spacing_mm, pts.layer, pts.segment, view="a4c", ed_frame=0, es_frame=int(np.argmax(course)))
    np.testing.assert_allclose(r.segment_curves_pct, pattern[:, None] * course[None], atol=1e-9)


@pytest.mark.parametrize(
    "fps,hr,start_rr",
    [(30.0, 60.0, 0.0), (50.0, 72.0, 0.0), (80.0, 95.0, 0.0), (45.0, 110.0, 0.0), (50.0, 72.0, 0.6), (60.0, 55.0, 0.8)],
)
def test_ed_es_found_on_a_noisy_cycle_within_one_frame(wall, fps, hr, start_rr):
    myo, pts = wall
    rng = np.random.default_rng(int(fps + hr))
    rr = fps * 60 / hr  # frames per cycle
    start = int(round(start_rr * rr))  # the clip may start in diastole
    n = int(round(rr)) + 1
    course = cardiac_time_course(n + start, fps, hr)[start:]
    tracks = deform_wall(pts, np.full(6, -18.0), course)
    tracks = tracks + rng.normal(0.0, 0.3, tracks.shape)  # 0.3 px tracking noise
    r = compute_strain(tracks, myo.spacing_mm, pts.layer, pts.segment)
    true_ed = int(np.argmin(course[: n - 2]))  # the first end-diastole in the clip
    true_es = true_ed + int(np.argmax(course[true_ed:]))
    assert abs(r.ed_frame - true_ed) <= 1
    assert abs(r.es_frame - true_es) <= 1


def test_ed_es_on_two_cycles_keeps_the_first():
    course = cardiac_time_course(101, 50.0, 60.0)  # two cycles
    length = 80.0 * (1 - 0.18 * course)
    assert detect_ed_es(length) == (0, int(np.argmax(course[:50])))


def test_detect_ed_es_rules():
    length = np.array([10.0, 9.0, 8.0, 7.5, 8.5, 9.5, 9.8, 10.1])
    assert detect_ed_es(length) == (0, 3)
    assert detect_ed_es(length[3:]) == (4, 0)  # starts at ES, ends at ED
    assert detect_ed_es(length, ed_frame=2) == (2, 3)
    assert detect_ed_es(length, es_frame=5) == (0, 5)
    with pytest.raises(ParameterError):
        detect_ed_es(length, ed_frame=8)


def test_smoothing_removes_noise_but_keeps_strain(wall):
    myo, pts = wall
    course = cardiac_time_course(50, 50.0, 60.0)
    tracks = deform_wall(pts, np.full(6, -20.0), course)
    noisy = tracks + np.random.default_rng(0).normal(0, 0.5, tracks.shape)
    es = int(np.argmax(course))
    raw = compute_strain(noisy, myo.spacing_mm, pts.layer, pts.segment, ed_frame=0, es_frame=es)
    smooth = compute_strain(noisy, myo.spacing_mm, pts.layer, pts.segment, ed_frame=0, es_frame=es, smooth_frames=9)
    true = -20.0 * course
    err_raw = np.abs(raw.gls_curves_pct["endo"] - true).mean()
    err_smooth = np.abs(smooth.gls_curves_pct["endo"] - true).mean()
    assert err_smooth < 0.8 * err_raw
    np.testing.assert_allclose(smooth_tracks(tracks, 7), tracks, atol=0.5)  # the ES peak is blunted a little


def test_average_gls_and_bullseye(wall):
    myo, pts = wall
    results = []
    for view, e in (("a4c", -20.0), ("a2c", -18.0), ("a3c", -16.0)):
        tracks = deform_wall(pts, np.full(6, e), np.array([0.0, 1.0]))
        results.append(compute_strain(tracks, myo.spacing_mm, pts.layer, pts.segment, view=view))
    assert average_gls(results) == pytest.approx(-18.0, abs=0.01)
    eye = bullseye_pct(results)
    assert sorted(eye) == list(range(1, 19))
    assert eye[3] == pytest.approx(-20.0) and eye[1] == pytest.approx(-18.0) and eye[14] == pytest.approx(-16.0)
    with pytest.raises(ParameterError, match="once"):
        average_gls([results[0], results[0]])


def test_mid_only_and_unlabelled_lines(wall):
    myo, pts = wall
    tracks = deform_wall(pts, np.full(6, -15.0), np.array([0.0, 1.0]))
    mid = pts.select(LAYER_MID)
    r = compute_strain(tracks[:, mid], myo.spacing_mm, pts.layer[mid], np.full(mid.size, -1))
    assert r.gls_layer == "mid"
    assert np.all(np.isnan(r.segment_curves_pct))
    assert r.transverse_curve_pct is None
    assert r.summary()["segments"][0]["end_systolic_pct"] is None


def test_bad_inputs_raise_one_line_errors(wall):
    myo, pts = wall
    tracks = deform_wall(pts, np.full(6, -15.0), np.array([0.0, 1.0]))
    nan = tracks.copy()
    nan[1, 5, 0] = np.nan
    epi = pts.select(LAYER_EPI)
    cases = [
        (lambda: compute_strain(tracks[:1], myo.spacing_mm, pts.layer, pts.segment), "at least 2 frames"),
        (lambda: compute_strain(tracks[0], myo.spacing_mm, pts.layer, pts.segment), "shape"),
        (lambda: compute_strain(nan, myo.spacing_mm, pts.layer, pts.segment), "frame 1, point 5"),
        (lambda: compute_strain(tracks, myo.spacing_mm, pts.layer[:-1], pts.segment), "one code per point"),
        (lambda: compute_strain(tracks[:, ::-1], myo.spacing_mm, pts.layer[::-1], pts.segment[::-1]), "wall order"),
        (lambda: compute_strain(tracks[:, epi], myo.spacing_mm, pts.layer[epi], pts.segment[epi]), "nothing to measure"),
    ]
    for call, text in cases:
        with pytest.raises(InvalidDataError, match=text) as info:
            call()
        assert "\n" not in str(info.value)
    with pytest.raises(ParameterError, match="spacing_mm"):
        compute_strain(tracks, (0.0, 0.3), pts.layer, pts.segment)


def test_es_lies_after_ed_even_when_the_line_only_lengthens():
    """A tracker that reads lengthening all beat long (seen on a real clip) gave ES = ED, then an error."""
    from echostrain.strain.phases import detect_ed_es, shortest_after

    ed, es = detect_ed_es(np.linspace(80.0, 90.0, 12), ed_frame=0)
    assert ed == 0 and es >= 1
    rising = np.linspace(0.0, 5.0, 8)  # a GLS curve that only lengthens, as track_beats sees it per beat
    assert shortest_after(rising, 0, 8) == 1
    assert shortest_after(rising, 3, 3) == 4  # an empty window still gives the frame after ED
    ed, es = detect_ed_es(np.r_[np.linspace(90.0, 95.0, 6), np.linspace(95.0, 90.0, 6)], ed_frame=5)
    assert (ed, es) == (5, 11)  # a normal beat: ES at the shortest frame
