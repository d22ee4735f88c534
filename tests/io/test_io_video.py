"""EchoVideo validation and to_unit_float conversions."""

from __future__ import annotations

import numpy as np
import pytest

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.io import EchoVideo, to_unit_float


def test_echovideo_properties():
    v = EchoVideo(np.zeros((4, 3, 5), np.float32), spacing_mm=[0.2, 0.3], fps=20, source="x")
    assert v.n_frames == 4
    assert v.shape_hw == (3, 5)
    assert v.spacing_mm == (0.2, 0.3)
    assert v.duration_s == pytest.approx(0.2)
    np.testing.assert_allclose(v.frame_times_s(), [0, 0.05, 0.1, 0.15])


def test_echovideo_without_fps(one_line):
    v = EchoVideo(np.zeros((2, 3, 5), np.float32), source="clip.npy")
    assert v.duration_s is None
    with pytest.raises(ParameterError) as exc:
        v.frame_times_s()
    assert "clip.npy" in one_line(exc.value)


@pytest.mark.parametrize(
    "frames, error, text",
    [
        (
            np.zeros((1, 3, 3), np.float32),
            InvalidDataError,
            "has 1 frame; a clip needs at least 2 frames",
        ),
        (np.zeros((3, 3), np.float32), InvalidDataError, "3-D"),
        (np.zeros((2, 3, 3), np.float64), InvalidDataError, "float32"),
        (np.full((2, 3, 3), np.nan, np.float32), InvalidDataError, "NaN"),
        (np.full((2, 3, 3), 1.5, np.float32), InvalidDataError, "[0, 1]"),
    ],
)
def test_echovideo_rejects_bad_frames(frames, error, text, one_line):
    with pytest.raises(error) as exc:
        EchoVideo(frames, source="clip.npy")
    msg = one_line(exc.value)
    assert text in msg and "clip.npy" in msg


@pytest.mark.parametrize(
    "kwargs",
    [
        {"spacing_mm": (0.0, 0.2)},
        {"spacing_mm": (np.nan, 0.2)},
        {"spacing_mm": (1,)},
        {"fps": -3},
        {"fps": np.inf},
    ],
)
def test_echovideo_rejects_bad_parameters(kwargs, one_line):
    with pytest.raises(ParameterError) as exc:
        EchoVideo(np.zeros((2, 3, 3), np.float32), **kwargs)
    one_line(exc.value)


def test_to_unit_float_integer_types():
    np.testing.assert_allclose(to_unit_float(np.array([0, 255], np.uint8), "a"), [0, 1])
    np.testing.assert_allclose(to_unit_float(np.array([0, 65535], np.uint16), "a"), [0, 1])
    np.testing.assert_allclose(
        to_unit_float(np.array([0, 4095], np.uint16), "a", max_value=4095), [0, 1]
    )
    np.testing.assert_allclose(to_unit_float(np.array([False, True]), "a"), [0, 1])
    out = to_unit_float(np.array([0.25, 0.5], np.float64), "a")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [0.25, 0.5])


def test_to_unit_float_rgb_luma():
    rgb = np.zeros((2, 1, 3, 3), np.uint8)
    rgb[..., 0, 0] = 255  # pure red
    rgb[..., 1, 1] = 255  # pure green
    rgb[..., 2, 2] = 255  # pure blue
    grey = to_unit_float(rgb, "rgb")
    assert grey.shape == (2, 1, 3)
    np.testing.assert_allclose(grey[0, 0], [0.299, 0.587, 0.114], atol=1e-6)
    rgba = np.concatenate([rgb, np.zeros((2, 1, 3, 1), np.uint8)], axis=-1)
    np.testing.assert_allclose(to_unit_float(rgba, "rgba"), grey)


@pytest.mark.parametrize(
    "array, text",
    [
        (np.array([0.0, 2.0]), "divide 8-bit data by 255"),
        (np.array([0.0, np.nan]), "NaN"),
        (np.array([-1, 300], np.int32), "convert frames to uint8"),
        (np.array(["a"]), "not supported"),
    ],
)
def test_to_unit_float_rejects(array, text, one_line):
    with pytest.raises(InvalidDataError) as exc:
        to_unit_float(array, "src.npy")
    msg = one_line(exc.value)
    assert text in msg and "src.npy" in msg
