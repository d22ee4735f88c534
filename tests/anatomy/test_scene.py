import dataclasses
import time

import numpy as np
import pytest
from matplotlib.path import Path

from echostrain.anatomy import (
    PARAMETER_RANGES,
    VIEWS,
    ApicalScene,
    EchogenicityMap,
    Myocardium,
    SceneParameters,
    build_scene,
    lv_contours_mm,
    sample_parameters,
    sample_scene,
    sector_grid,
    sector_margin_mm,
)
from echostrain.anatomy.scene import APEX_WALL_RATIO, SECTOR_MARGIN_MM
from echostrain.core.errors import GeometryError, InvalidDataError, ParameterError


@pytest.fixture(scope="module")
def scenes():
    """Two scenes per view (built once for the module)."""
    return {(view, seed): sample_scene(view, np.random.default_rng(seed)) for view in VIEWS for seed in (0, 1)}


def _scene_params(view, seed):
    return sample_parameters(view, np.random.default_rng(seed))


# ---------------------------------------------------------------------- EchogenicityMap


def test_echomap_bilinear_sampling_and_nearest_outside():
    # A ramp linear in x and z is reproduced exactly by bilinear interpolation.
    z, x = np.mgrid[0:5, 0:7].astype(float)
    img = (0.05 * x + 0.1 * z).astype(np.float32)
    em = EchogenicityMap(img, x0_mm=-3.0, z0_mm=1.0, pixel_mm=0.5)
    xs = np.array([-3.0, -2.25, -0.1, -0.2])
    zs = np.array([1.0, 1.75, 2.9, 3.0])
    expected = 0.05 * (xs + 3.0) / 0.5 + 0.1 * (zs - 1.0) / 0.5
    np.testing.assert_allclose(em.sample(xs, zs), expected, atol=1e-6)
    # Outside: the nearest edge pixel.
    assert em.sample(-100.0, 1.0) == pytest.approx(img[0, 0])
    assert em.sample(100.0, 100.0) == pytest.approx(img[-1, -1])
    assert em.sample(np.zeros((2, 3)), np.ones((2, 3))).shape == (2, 3)
    np.testing.assert_allclose(em.x_mm[[0, -1]], [-3.0, 0.0])
    np.testing.assert_allclose(em.z_mm[[0, -1]], [1.0, 3.0])
    assert em.image.dtype == np.float32 and not em.image.flags.writeable


@pytest.mark.parametrize(
    "image, error",
    [
        (np.zeros(5), InvalidDataError),
        (np.zeros((1, 5)), InvalidDataError),
        (np.full((3, 3), np.nan), InvalidDataError),
        (np.full((3, 3), 1.2), InvalidDataError),
        (np.full((3, 3), -0.1), InvalidDataError),
    ],
)
def test_echomap_rejects_bad_images(image, error):
    with pytest.raises(error):
        EchogenicityMap(image, 0.0, 0.0, 0.5)


@pytest.mark.parametrize("pixel", [0.0, -1.0, np.inf, "a"])
def test_echomap_rejects_bad_pixel_size(pixel):
    with pytest.raises(ParameterError):
        EchogenicityMap(np.zeros((3, 3)), 0.0, 0.0, pixel)


def test_sector_grid_covers_the_bounding_box_symmetrically():
    x0, z0, h, w = sector_grid(150.0, 75.0, 0.5)
    half = 150.0 * np.sin(np.radians(37.5))
    assert z0 == 0.0 and (h - 1) * 0.5 == pytest.approx(150.0)
    assert x0 == pytest.approx(-(w - 1) / 2 * 0.5)
    assert half <= -x0 < half + 0.5
    assert sector_margin_mm(0.0, 75.0, 150.0, 75.0) == pytest.approx(75.0 * np.sin(np.radians(37.5)))
    assert sector_margin_mm(0.0, -1.0, 150.0, 75.0) < 0


# ---------------------------------------------------------------------- parameters


@pytest.mark.parametrize("view", VIEWS)
def test_parameters_within_documented_ranges(view):
    for seed in range(50):
        p = _scene_params(view, seed)
        assert p.view == view
        for name, (lo, hi) in PARAMETER_RANGES.items():
            assert lo <= getattr(p, name) <= hi, (seed, name, getattr(p, name))
        ratio = p.apex_wall_mm / p.wall_mm
        assert APEX_WALL_RATIO[0] - 1e-12 <= ratio <= APEX_WALL_RATIO[1] + 1e-12


def test_parameters_reproducible_and_seed_dependent():
    a = _scene_params("a4c", 7)
    b = _scene_params("a4c", 7)
    c = _scene_params("a4c", 8)
    assert a == b
    assert a != c
    assert set(a.to_dict()) == {f.name for f in dataclasses.fields(SceneParameters)}


def test_unknown_view_is_a_parameter_error():
    rng = np.random.default_rng(0)
    with pytest.raises(ParameterError):
        sample_parameters("plax", rng)
    with pytest.raises(ParameterError):
        sample_scene("a5c", rng)
    with pytest.raises(ParameterError):
        dataclasses.replace(_scene_params("a2c", 0), view="psax")


def test_lv_that_does_not_fit_is_rejected():
    p = dataclasses.replace(_scene_params("a2c", 0), apex_depth_mm=4.0)
    with pytest.raises(ParameterError, match="sector"):
        build_scene(p, np.random.default_rng(0))
    with pytest.raises(ParameterError):
        dataclasses.replace(_scene_params("a2c", 0), blood_echo=1.5)


# ---------------------------------------------------------------------- geometry


@pytest.mark.parametrize("view", VIEWS)
def test_lv_contours_geometry(view):
    for seed in range(12):
        p = _scene_params(view, seed)
        endo, epi = lv_contours_mm(p)
        assert 80 <= len(endo) <= 200 and endo.shape == epi.shape
        Myocardium(endo, epi, view=view, spacing_mm=(1.0, 1.0))  # validates
        pts = np.concatenate([endo, epi])
        assert sector_margin_mm(pts[:, 0], pts[:, 1], 150.0, 75.0).min() >= SECTOR_MARGIN_MM
        # First-wall hinge on the left; apex on top; base deeper.
        assert endo[0, 0] < endo[-1, 0] and epi[0, 0] < epi[-1, 0]
        apex_z = endo[:, 1].min()
        assert apex_z == pytest.approx(p.apex_depth_mm, abs=0.5)
        assert min(endo[0, 1], endo[-1, 1]) > apex_z + 0.6 * p.lv_length_mm
        # Epicardium outside the endocardium: farther from the LV centroid at matched points.
        centroid = endo.mean(axis=0)
        assert np.all(np.hypot(*(epi - centroid).T) > np.hypot(*(endo - centroid).T))
        # Smooth: no kinks (the turn between consecutive chords is small and changes gradually).
        for line in (endo, epi):
            d = np.diff(line, axis=0)
            turn = np.diff(np.unwrap(np.arctan2(d[:, 1], d[:, 0])))
            assert np.abs(turn).max() < np.radians(20)
            assert np.abs(np.diff(turn)).max() < np.radians(5)
        # Wall thickness at the middle of the mid segments (distance to the epicardial line).
        myo = Myocardium(endo, epi, view=view)
        wp = myo.sample_points(points_per_segment=6, layers=(0,))
        dense_epi = np.stack(
            [np.interp(np.linspace(0, len(epi) - 1, 4000), np.arange(len(epi)), epi[:, i]) for i in (0, 1)], -1
        )
        for segment in (1, 4):
            k = np.flatnonzero(wp.segment == segment)[3]
            thickness = np.hypot(*(dense_epi - wp.xy_px[k]).T).min()
            assert abs(thickness - p.wall_mm) <= 0.25 * p.wall_mm, (seed, segment, thickness, p.wall_mm)
        # Apex thinner than the mid-wall.
        k_apex = int(np.argmin(endo[:, 1]))
        assert np.hypot(*(epi[k_apex] - endo[k_apex])) == pytest.approx(p.apex_wall_mm, rel=0.05)


# ---------------------------------------------------------------------- scenes


def test_same_seed_same_scene_and_different_seeds_differ(scenes):
    again = sample_scene("a4c", np.random.default_rng(0))
    first = scenes[("a4c", 0)]
    assert again.params == first.params
    assert again.echogenicity.image.tobytes() == first.echogenicity.image.tobytes()
    np.testing.assert_array_equal(again.myocardium.endo_xy_px, first.myocardium.endo_xy_px)
    other = scenes[("a4c", 1)]
    assert other.params != first.params
    assert other.echogenicity.image.tobytes() != first.echogenicity.image.tobytes()


def _mean_in_polygon(em: EchogenicityMap, poly: np.ndarray) -> float:
    xx, zz = em.grid_mm()
    inside = Path(poly).contains_points(np.stack([xx.ravel(), zz.ravel()], -1)).reshape(xx.shape)
    return float(em.image[inside].mean())


@pytest.mark.parametrize("view", VIEWS)
def test_scene_contents(scenes, view):
    for seed in (0, 1):
        sc = scenes[(view, seed)]
        p, em, myo = sc.params, sc.echogenicity, sc.myocardium
        assert isinstance(sc, ApicalScene) and sc.view == view and myo.view == view
        assert myo.spacing_mm == (1.0, 1.0)
        x0, z0, h, w = sector_grid(150.0, 75.0, 0.5)
        assert em.shape == (h, w) and em.x0_mm == pytest.approx(x0) and em.z0_mm == 0.0
        assert em.image.min() >= 0.0 and em.image.max() <= 1.0
        endo, epi = myo.endo_xy_px, myo.epi_xy_px
        # Myocardium clearly brighter than the LV cavity.
        myo_mean = _mean_in_polygon(em, np.concatenate([endo, epi[::-1]]))
        centroid = endo.mean(axis=0)
        cavity_mean = _mean_in_polygon(em, centroid + 0.7 * (endo - centroid))
        assert myo_mean - cavity_mean > 0.25, (seed, myo_mean, cavity_mean)
        assert myo_mean == pytest.approx(p.myocardium_echo, abs=0.08)
        # Pericardium band brighter than the myocardium: just outside the second wall's mid and apical parts.
        k = np.arange(int(0.55 * len(endo)), int(0.85 * len(endo)))
        normal = (epi[k] - endo[k]) / np.hypot(*(epi[k] - endo[k]).T)[:, None]
        peri_pts = epi[k] + 0.5 * p.pericardium_mm * normal
        peri_mean = em.sample(peri_pts[:, 0], peri_pts[:, 1]).mean()
        assert peri_mean > myo_mean + 0.05, (seed, peri_mean, myo_mean)
        # Bright annulus spots at the hinges.
        for hinge in (endo[0], endo[-1]):
            assert em.sample(*hinge) > myo_mean
        # Smooth at the 1 mm scale: neighbouring pixels (0.5 mm) differ little.
        assert np.abs(np.diff(em.image, axis=1)).max() < 0.35
        assert np.abs(np.diff(em.image, axis=0)).max() < 0.35
        lm = sc.landmarks
        assert lm["mv_hinge_first"][0] < lm["mv_hinge_second"][0]
        # An atrium below the base.
        la = lm["la_centre"]
        if la[1] < 145.0:
            assert la[1] > lm["base_centre"][1]
            assert em.sample(*la) < cavity_mean + 0.1


def test_a4c_has_a_dark_rv_left_of_the_septum(scenes):
    for seed in (0, 1):
        sc = scenes[("a4c", seed)]
        em, lm, endo = sc.echogenicity, sc.landmarks, sc.myocardium.endo_xy_px
        rv = lm["rv_centre"]
        septum_x = np.interp(rv[1], endo[: len(endo) // 2, 1][::-1], endo[: len(endo) // 2, 0][::-1])
        assert rv[0] < septum_x - sc.params.wall_mm
        assert em.sample(*rv) < sc.params.blood_echo * 1.5 + 0.05
        assert lm["tv_hinge_lateral"][0] < lm["tv_hinge_septal"][0] < lm["mv_hinge_first"][0]
        assert lm["tv_hinge_septal"][1] < lm["mv_hinge_first"][1]  # tricuspid annulus more apical
        assert lm["ra_centre"][0] < lm["la_centre"][0]


def test_a3c_has_a_dark_lvot_right_of_the_base(scenes):
    for seed in (0, 1):
        sc = scenes[("a3c", seed)]
        em, lm = sc.echogenicity, sc.landmarks
        root = lm["aortic_root"]
        assert root[0] > lm["base_centre"][0] + 5.0
        assert root[1] > lm["mv_hinge_second"][1]
        assert em.sample(*root) < sc.params.blood_echo * 1.5 + 0.05
        assert lm["la_centre"][0] < root[0]


def test_a2c_has_no_rv(scenes):
    sc = scenes[("a2c", 0)]
    assert "rv_centre" not in sc.landmarks
    # Left of the inferior wall there is tissue, not a blood-filled chamber.
    endo, epi = sc.myocardium.endo_xy_px, sc.myocardium.epi_xy_px
    k = len(endo) // 4
    outside = epi[k] + 12.0 * (epi[k] - endo[k]) / np.hypot(*(epi[k] - endo[k]))
    value = float(sc.echogenicity.sample(*outside))
    # closer to the scene's tissue grey level than to its blood (the two may be close: 0.25 against 0.20)
    assert abs(value - sc.params.tissue_echo) < abs(value - sc.params.blood_echo), value


def test_build_scene_is_fast_and_respects_pixel_size():
    p = _scene_params("a4c", 3)
    t0 = time.perf_counter()
    sc = build_scene(p, np.random.default_rng(3))
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0  # typically ≈ 0.1 s
    coarse = build_scene(p, np.random.default_rng(3), pixel_mm=1.0)
    assert coarse.echogenicity.pixel_mm == 1.0
    assert coarse.echogenicity.shape[0] == 151
    np.testing.assert_array_equal(coarse.myocardium.endo_xy_px, sc.myocardium.endo_xy_px)


def test_patchiness_modulates_tissue_and_zero_keeps_it_flat():
    """A blotchy field of the documented strength: 0 gives the plain texture, 0.3 spreads tissue grey levels."""
    from dataclasses import replace

    from echostrain.anatomy.scene import build_scene, sample_parameters

    p = replace(sample_parameters("a2c", 3), patchiness=0.0, texture_strength=0.1, near_field_clutter=0.0)
    flat = build_scene(p, 5).echogenicity
    blotchy = build_scene(replace(p, patchiness=0.3), 5).echogenicity
    # surrounding tissue far from the heart: the right third of the image at 40–60 mm depth
    rows = slice(int(40 / flat.pixel_mm), int(60 / flat.pixel_mm))
    cols = slice(int(0.8 * flat.shape[1]), flat.shape[1])
    sd_flat = float(flat.image[rows, cols].std() / flat.image[rows, cols].mean())
    sd_blotchy = float(blotchy.image[rows, cols].std() / blotchy.image[rows, cols].mean())
    assert sd_flat < 0.15
    assert sd_blotchy > sd_flat + 0.1, (sd_flat, sd_blotchy)
    with pytest.raises(ParameterError, match="patchiness"):
        replace(p, patchiness=1.5)


def test_contours_that_cross_themselves_or_lie_on_each_other_are_refused():
    from echostrain.anatomy.myocardium import Myocardium
    from echostrain.anatomy.polyline import first_self_crossing
    from echostrain.anatomy.shapes import ellipsoidal_myocardium

    good = ellipsoidal_myocardium(view="a4c", spacing_mm=(0.3, 0.3))
    endo, epi = good.endo_xy_px, good.epi_xy_px
    assert first_self_crossing(endo) is None and first_self_crossing(np.array([[0, 0], [2, 2], [2, 0], [0, 2]])) == (0, 2)
    with pytest.raises(GeometryError, match="lies on the endocardium"):
        Myocardium(endo, endo.copy(), spacing_mm=(0.3, 0.3))
    crossed = endo.copy()
    k = len(crossed) // 4
    crossed[[k, k + 3]] = crossed[[k + 3, k]]  # two swapped points make the line fold over itself
    with pytest.raises(GeometryError, match="crosses itself"):
        Myocardium(crossed, epi, spacing_mm=(0.3, 0.3))
