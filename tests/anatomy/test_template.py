import json

import numpy as np
import pytest

from echostrain.anatomy import ellipsoidal_myocardium
from echostrain.anatomy.template import template_scene
from echostrain.core.errors import GeometryError
from echostrain.io import EchoVideo


def _fan_clip(spacing_mm=(0.5, 0.5)):
    h, w = 300, 400
    yy, xx = np.mgrid[0:h, 0:w]
    apex = (200.0, 0.0)
    r = np.hypot(xx - apex[0], yy - apex[1])
    theta = np.arctan2(xx - apex[0], yy - apex[1])
    fan = (np.abs(theta) < np.deg2rad(37)) & (r < 295)
    img = np.where(fan, 0.3 + 0.3 * np.sin(xx / 9.0) ** 2, 0.0).astype(np.float32)
    return EchoVideo(np.stack([img, img]), spacing_mm=spacing_mm, fps=30.0, source="synthetic")


def _contour_file(tmp_path, myo):
    path = tmp_path / "ed.json"
    path.write_text(json.dumps({"endo": myo.endo_xy_px.tolist(), "epi": myo.epi_xy_px.tolist()}))
    return path


def test_template_places_the_fan_apex_at_the_probe(tmp_path):
    clip = _fan_clip()
    myo = ellipsoidal_myocardium(apex_xy_mm=(100.0, 40.0), spacing_mm=(0.5, 0.5))  # pixels of the clip
    scene = template_scene(clip, _contour_file(tmp_path, myo), view="a4c")
    endo_mm = scene.myocardium.endo_xy_px
    expected = (myo.endo_xy_px - np.array([200.0, 0.0])) * 0.5
    np.testing.assert_allclose(endo_mm, expected, atol=1e-9)
    # The echogenicity at a physical point equals the clip's grey level there (smoothed a little).
    x_mm, z_mm = 10.0, 80.0
    col, row = int(200 + x_mm / 0.5), int(z_mm / 0.5)
    assert scene.echogenicity.sample(np.array([x_mm]), np.array([z_mm]))[0] == pytest.approx(
        clip.frames[0, row, col], abs=0.05
    )
    assert scene.params.spacing_estimated is False


def test_template_spacing_estimated_from_the_fan_and_contour_checks(tmp_path):
    clip = _fan_clip(spacing_mm=None)
    myo = ellipsoidal_myocardium(apex_xy_mm=(100.0, 40.0), spacing_mm=(0.5, 0.5))
    scene = template_scene(clip, _contour_file(tmp_path, myo), view="a2c", depth_mm=150.0)
    assert scene.params.spacing_estimated and scene.params.spacing_mm[0] == pytest.approx(150.0 / 294, rel=0.01)
    deep = ellipsoidal_myocardium(apex_xy_mm=(100.0, 40.0), spacing_mm=(0.5, 0.5))
    with pytest.raises(GeometryError, match="outside the simulated"):
        template_scene(_fan_clip(), _contour_file(tmp_path, deep), view="a2c", depth_mm=80.0)
    big = ellipsoidal_myocardium(apex_xy_mm=(100.0, 120.0), spacing_mm=(0.5, 0.5))
    with pytest.raises(GeometryError, match="outside"):
        template_scene(clip, _contour_file(tmp_path, big), view="a2c")
