"""Real-texture warps: the stored truth is the warp (analytic checks on a textured ellipsoidal wall)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter, map_coordinates, spline_filter

from echostrain.anatomy.shapes import ellipsoidal_myocardium
from echostrain.core.errors import GeometryError, ParameterError
from echostrain.io.video import EchoVideo
from echostrain.sim.warp import WarpConfig, plan_warp, warp_clip, warp_frame

SPACING = (0.3, 0.3)
N_FRAMES = 20


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A textured 400×270 px clip (the whole image is the sector) and an ellipsoidal A4C ED contour."""
    folder = tmp_path_factory.mktemp("warp")
    myo = ellipsoidal_myocardium(view="a4c", spacing_mm=SPACING)
    contour = folder / "ed.json"
    contour.write_text(json.dumps({"endo": myo.endo_xy_px.tolist(), "epi": myo.epi_xy_px.tolist(), "view": "a4c"}))
    texture = gaussian_filter(np.random.default_rng(0).normal(size=(400, 270)), 1.5)
    texture = 0.5 + 0.4 * texture / np.abs(texture).max()
    clip = EchoVideo(np.repeat(texture[None].astype(np.float32), 3, axis=0), spacing_mm=SPACING, fps=50.0)
    config = WarpConfig(view="a4c", n_frames=N_FRAMES, pathology="normal")
    return clip, contour, config, warp_clip(clip, contour, config, seed=4)


def test_stored_truth_sampled_back_through_the_warp_lands_on_the_ed_points(scene):
    clip, contour, config, data = scene
    plan, _ = plan_warp(clip, contour, config, seed=4)
    ed = data.tracks[0].astype(np.float64)
    moved = 0.0
    for t in range(N_FRAMES):
        field = plan.field(t)
        back, _, _ = field.inverse(data.tracks[t].astype(np.float64), 1e-5, 200)
        assert np.max(np.abs(back - ed)) < 0.05, t
        moved = max(moved, float(np.max(np.abs(data.tracks[t] - ed))))
    assert moved > 10.0  # the base descends by tens of pixels: the check is not trivial


def test_frames_carry_the_ed_image_with_the_truth(scene):
    """A coordinate ramp warped by the field, read at the true positions, gives the ED coordinates."""
    clip, contour, config, data = scene
    plan, _ = plan_warp(clip, contour, config, seed=4)
    h, w = plan.shape_hw
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    out_xy = np.stack([xx.ravel(), yy.ravel()], axis=-1)
    wall = data.track_layer >= 0
    ed = data.tracks[0, wall].astype(np.float64)
    for t in (data.es_index, N_FRAMES - 1):
        field = plan.field(t)
        at_truth = data.tracks[t, wall].astype(np.float64)
        for axis, ramp in ((0, xx), (1, yy)):
            warped, _, _, _ = warp_frame(spline_filter(ramp, order=3, mode="mirror"), field, out_xy)
            read = map_coordinates(warped.reshape(h, w), [at_truth[:, 1], at_truth[:, 0]], order=1)
            assert np.max(np.abs(read - ed[:, axis])) < 0.05, (t, axis)


def test_first_frame_is_the_ed_frame_and_true_strain_is_the_drawn_motion(scene):
    clip, _, _, data = scene
    assert data.engine == "warp"
    assert np.array_equal(data.frames[0], np.round(clip.frames[0] * 255).astype(np.uint8))
    assert not np.array_equal(data.frames[data.es_index], data.frames[0])
    target = data.parameters["motion"]["gls_target_pct"]
    assert abs(float(data.gls_pct[data.es_index]) - target) < 1.0  # the field smoothing changes it slightly
    assert data.parameters["warp"]["inverse_residual_px"] < 1e-3


def test_same_seed_same_warp_and_noise_is_seeded(scene):
    clip, contour, _, data = scene
    again = warp_clip(clip, contour, WarpConfig(view="a4c", n_frames=N_FRAMES, pathology="normal"), seed=4)
    assert np.array_equal(again.frames, data.frames) and np.array_equal(again.tracks, data.tracks)
    noisy = [warp_clip(clip, contour, WarpConfig(view="a4c", n_frames=N_FRAMES, pathology="normal", noise_sd=8.0),
                       seed=4) for _ in range(2)]
    assert np.array_equal(noisy[0].frames, noisy[1].frames)
    assert np.array_equal(noisy[0].tracks, data.tracks)  # noise changes the images, not the motion
    diff = noisy[0].frames.astype(float) - data.frames
    assert 6.0 < diff.std() < 10.0


def test_bad_warp_input(scene, tmp_path):
    clip, contour, config, _ = scene
    outside = tmp_path / "outside.json"
    pts = json.loads(contour.read_text())
    pts["endo"] = [[x + 200.0, y] for x, y in pts["endo"]]
    outside.write_text(json.dumps(pts))
    with pytest.raises(GeometryError, match="outside the image"):
        warp_clip(clip, outside, config, seed=1)
    with pytest.raises(ParameterError, match="pixel size"):
        warp_clip(EchoVideo(clip.frames), contour, config, seed=1)
    with pytest.raises(ParameterError, match="outside the clip"):
        warp_clip(clip, contour, WarpConfig(frame=7), seed=1)
    for bad in ({"noise_sd": -1.0}, {"noise_sd": float("nan")}, {"n_frames": 1}, {"view": "plax"},
                {"pathology": "tired"}, {"field_smoothing_mm": 50.0}):
        with pytest.raises(ParameterError):
            WarpConfig(**bad)
