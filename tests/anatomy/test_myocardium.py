import numpy as np
import pytest

from echostrain.anatomy import (
    AHA18_NAMES,
    LAYER_ENDO,
    LAYER_EPI,
    LAYER_MID,
    VIEW_TO_AHA18,
    VIEWS,
    Myocardium,
    aha18_segment,
    apex_fraction,
    ellipsoidal_myocardium,
    polyline_length_mm,
    resample_polyline,
    segment_names,
)
from echostrain.core.errors import GeometryError, ParameterError


def test_resample_polyline_equal_arc_steps_with_anisotropic_pixels():
    # An L-shaped line: 10 px down (dy = 0.5 mm → 5 mm) then 10 px right (dx = 0.25 mm → 2.5 mm).
    line = np.array([[0.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    spacing = (0.5, 0.25)
    assert polyline_length_mm(line, spacing) == pytest.approx(7.5)
    res = resample_polyline(line, 4, spacing)  # steps of 2.5 mm
    steps = np.hypot(np.diff(res[:, 0]) * 0.25, np.diff(res[:, 1]) * 0.5)
    np.testing.assert_allclose(steps, 2.5, atol=1e-12)
    np.testing.assert_allclose(res[[0, -1]], line[[0, -1]])
    np.testing.assert_allclose(res[2], [0.0, 10.0])  # the corner is 5 mm along


def test_apex_of_symmetric_shape_is_in_the_middle():
    myo = ellipsoidal_myocardium()
    assert apex_fraction(myo.endo_xy_px, myo.spacing_mm) == pytest.approx(0.5, abs=1e-3)


def test_sample_points_layers_segments_and_boundaries():
    myo = ellipsoidal_myocardium(spacing_mm=(0.3, 0.25))
    m = 5
    pts = myo.sample_points(points_per_segment=m)
    assert len(pts) == 3 * (6 * m + 1)
    for code in (LAYER_ENDO, LAYER_MID, LAYER_EPI):
        idx = pts.select(code)
        assert idx.size == 6 * m + 1
        seg = pts.segment[idx]
        assert list(np.bincount(seg)) == [m, m, m, m, m, m + 1]
        assert np.all(np.diff(seg) >= 0)
    endo = pts.xy_px[pts.select(LAYER_ENDO)]
    # Segment boundaries: the first point of segment 3 is the apex (smallest y of this shape).
    apex_point = endo[3 * m]
    assert apex_point[1] == pytest.approx(endo[:, 1].min(), abs=1e-6)
    # Segments of one wall have equal arc length (thirds hinge → apex).
    fine = myo.sample_points(points_per_segment=50).xy_px[: 6 * 50 + 1]
    dy, dx = myo.spacing_mm
    chords = np.hypot(np.diff(fine[:, 0]) * dx, np.diff(fine[:, 1]) * dy)
    seg_len = [chords[s * 50 : (s + 1) * 50].sum() for s in range(6)]
    np.testing.assert_allclose(seg_len, np.mean(seg_len), rtol=1e-3)
    # Mid-wall lies halfway between endo and epi.
    epi = pts.xy_px[pts.select(LAYER_EPI)]
    mid = pts.xy_px[pts.select(LAYER_MID)]
    np.testing.assert_allclose(mid, 0.5 * (endo + epi))


def test_myocardium_validation_errors():
    myo = ellipsoidal_myocardium()
    with pytest.raises(GeometryError, match="at least 3"):
        Myocardium(myo.endo_xy_px[:2], myo.epi_xy_px)
    with pytest.raises(GeometryError, match="opposite directions"):
        Myocardium(myo.endo_xy_px, myo.epi_xy_px[::-1])
    with pytest.raises(GeometryError, match="apex"):
        half = myo.endo_xy_px[: len(myo.endo_xy_px) // 2]
        Myocardium(half, myo.epi_xy_px[: len(myo.epi_xy_px) // 2])
    nan = myo.endo_xy_px.copy()
    nan[4, 0] = np.nan
    with pytest.raises(GeometryError, match="index 4"):
        Myocardium(nan, myo.epi_xy_px)
    with pytest.raises(GeometryError, match="outside"):
        Myocardium(myo.endo_xy_px, myo.epi_xy_px, image_shape_hw=(100, 100))
    with pytest.raises(ParameterError, match="unknown view"):
        Myocardium(myo.endo_xy_px, myo.epi_xy_px, view="plax")


def test_aha18_table_covers_each_segment_once_and_names_agree():
    numbers = sorted(n for v in VIEWS for n in VIEW_TO_AHA18[v])
    assert numbers == list(range(1, 19))
    for view in VIEWS:
        for s, name in enumerate(segment_names(view)):
            assert AHA18_NAMES[aha18_segment(view, s)] == name
    assert segment_names("a4c")[0] == "basal inferoseptal"
    assert segment_names("a2c")[5] == "basal anterior"
    assert segment_names("A3C")[3] == "apical anteroseptal"


def test_load_myocardium_from_json_and_csv(tmp_path):
    import json

    from echostrain.anatomy import load_myocardium

    myo = ellipsoidal_myocardium(view="a2c")
    (tmp_path / "m.json").write_text(
        json.dumps({"endo": myo.endo_xy_px.tolist(), "epi": myo.epi_xy_px.tolist(), "view": "a2c", "frame": 0})
    )
    loaded = load_myocardium(str(tmp_path / "m.json"), spacing_mm=(0.3, 0.3))
    assert loaded.view == "a2c"
    np.testing.assert_allclose(loaded.endo_xy_px, myo.endo_xy_px)
    rows = ["layer,x,y"] + [f"endo,{x},{y}" for x, y in myo.endo_xy_px] + [f"epi,{x},{y}" for x, y in myo.epi_xy_px]
    (tmp_path / "m.csv").write_text("\n".join(rows))
    loaded = load_myocardium(str(tmp_path / "m.csv"), view="a3c", spacing_mm=(0.3, 0.3), image_shape_hw=(400, 300))
    assert loaded.view == "a3c"
    np.testing.assert_allclose(loaded.epi_xy_px, myo.epi_xy_px)
    with pytest.raises(GeometryError, match="outside"):
        load_myocardium(str(tmp_path / "m.csv"), image_shape_hw=(200, 200))
