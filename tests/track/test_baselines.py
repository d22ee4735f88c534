"""Block matching and optical flow recover known motion of synthetic speckle."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from echostrain.track import load
from echostrain.track.blockmatch import regularise


def translating_speckle(n_frames=6, velocity=(0.6, -0.4), size=96, seed=0):
    """Speckle-like texture moving by ``velocity`` (dx, dy) px per frame."""
    rng = np.random.default_rng(seed)
    base = ndimage.gaussian_filter(rng.standard_normal((size + 40, size + 40)), 1.5, mode="wrap")
    base = (base - base.min()) / (base.max() - base.min())
    frames = [
        ndimage.shift(base, (t * velocity[1], t * velocity[0]), order=3, mode="grid-wrap")[20:20 + size, 20:20 + size]
        for t in range(n_frames)
    ]
    return np.clip(np.asarray(frames, np.float32), 0, 1)


@pytest.mark.parametrize("method", ["blockmatch", "opticalflow"])
def test_known_translation_forward_and_backward(method):
    v = np.array([0.6, -0.4])
    frames = translating_speckle(velocity=tuple(v))
    q = np.array([[0, 40.0, 50.0], [0, 60.0, 35.0], [5, 48.0, 44.0], [2, 30.0, 60.0]])
    res = load(method).track(frames, q)
    truth = q[None, :, 1:] + (np.arange(6)[:, None, None] - q[None, :, :1]) * v
    err = np.linalg.norm(res.tracks_px - truth, axis=-1)
    assert err.max() < 0.5, err.max()  # frame-to-frame accumulation drifts by < 0.1 px per frame
    assert np.median(err) < 0.15
    assert res.visible.all() and res.method == method


def test_regularisation_averages_neighbours_only():
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [100.0, 0.0]])
    disp = np.array([[1.0, 0.0], [3.0, 0.0], [10.0, 0.0]])
    out = regularise(xy, disp, np.ones(3), sigma_px=2.0)
    assert 1.0 < out[0, 0] < out[1, 0] < 3.0  # pulled towards each other
    assert out[2, 0] == pytest.approx(10.0)  # far away: untouched
