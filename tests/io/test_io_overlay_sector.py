"""overlay_points colours and clipping; sector_mask on a synthetic fan."""

from __future__ import annotations

import numpy as np
import pytest

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.io import EchoVideo, overlay_points, sector_mask


def test_overlay_draws_label_colours():
    frames = np.zeros((2, 20, 30), np.float32)
    pts = np.array([[5.2, 4.8], [15, 10], [25, 15], [10, 15]])  # (x, y)
    out = overlay_points(frames, pts, labels=np.array([0, 1, 2, -1]), radius_px=1)
    assert out.shape == (2, 20, 30, 3) and out.dtype == np.uint8
    assert tuple(out[0, 5, 5]) == (255, 0, 0)  # endo red at (row 5, col 5)
    assert tuple(out[1, 10, 15]) == (255, 255, 0)  # mid yellow
    assert tuple(out[0, 15, 25]) == (0, 255, 255)  # epi cyan
    assert tuple(out[0, 15, 10]) == (200, 200, 200)  # not myocardium grey
    assert tuple(out[0, 4, 5]) == (255, 0, 0)  # radius 1 covers the 4-neighbours
    assert tuple(out[0, 4, 4]) == (0, 0, 0)  # ... but not the diagonal
    assert tuple(out[0, 0, 0]) == (0, 0, 0)


def test_overlay_per_frame_points_nan_and_outside():
    frames = np.full((2, 10, 10), 128, np.uint8)
    pts = np.array([[[2, 3], [np.nan, 1]], [[-5, 3], [12, 4]]], dtype=float)  # [T, N, 2]
    colors = np.array([[0, 0, 255], [0, 255, 0]], np.uint8)
    out = overlay_points(frames, pts, colors=colors, radius_px=0)
    assert tuple(out[0, 3, 2]) == (0, 0, 255)
    changed = (out != 128).any(axis=-1)
    assert changed[0].sum() == 1  # NaN point skipped
    assert changed[1].sum() == 0  # both points outside the image: nothing drawn


def test_overlay_disc_cut_at_border():
    out = overlay_points(np.zeros((1, 10, 10), np.float32), np.array([[0.0, 0.0]]), radius_px=2)
    drawn = (out[0] != 0).any(axis=-1)
    assert drawn[0, 0] and drawn[2, 0] and drawn[0, 2] and not drawn[3, 0]


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"labels": np.array([7])}, ParameterError),
        ({"colors": np.zeros((2, 3), np.uint8)}, ParameterError),
        ({"radius_px": -1}, ParameterError),
        ({"points_xy": np.zeros((3, 1, 2))}, InvalidDataError),
    ],
)
def test_overlay_errors(kwargs, error, one_line):
    args = {"frames": np.zeros((2, 5, 5), np.float32), "points_xy": np.zeros((1, 2))} | kwargs
    with pytest.raises(error) as exc:
        overlay_points(**args)
    one_line(exc.value)


def fan_clip(h: int = 80, w: int = 100, t: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A speckled 70° fan from an apex at the top centre, plus its true mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot(xx - w / 2, yy + 2.0)
    theta = np.degrees(np.arctan2(xx - w / 2, yy + 2.0))
    fan = (np.abs(theta) <= 35) & (r <= h - 5)
    frames = rng.uniform(0.05, 1.0, (t, h, w)).astype(np.float32) * fan
    frames[:, 30:40, 45:55] = 0.0  # a dark cavity inside the fan: must be filled
    frames[:, 2:5, 2:8] = 0.8  # a text label outside the fan: smaller component, dropped
    return frames, fan


def test_sector_mask_of_fan():
    frames, fan = fan_clip()
    mask = sector_mask(frames)
    assert mask.dtype == bool and mask.shape == fan.shape
    assert (mask == fan).mean() > 0.995
    assert mask[35, 50]  # cavity filled
    assert not mask[3, 4]  # label dropped


def test_sector_mask_accepts_uint8_and_echovideo():
    frames, _ = fan_clip()
    u8 = np.rint(frames * 255).astype(np.uint8)
    np.testing.assert_array_equal(sector_mask(u8), sector_mask(EchoVideo(frames)))


def test_sector_mask_blank_clip(one_line):
    with pytest.raises(InvalidDataError) as exc:
        sector_mask(np.zeros((3, 10, 10), np.float32))
    assert "no sector" in one_line(exc.value)
