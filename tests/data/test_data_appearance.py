"""Imaging-chain augmentation: each effect against what it must do to a known image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from echostrain.core.errors import ParameterError
from echostrain.data.appearance import EFFECT_PROBABILITY, imaging_augment

L, H, W = 6, 48, 40
SECTOR = np.ones((H, W), dtype=bool)


def only(effect: str) -> dict[str, float]:
    return {effect: 1.0}


def test_tgc_is_a_smooth_gain_per_row_the_same_on_every_frame():
    frames = torch.full((L, H, W), 0.4)
    out = imaging_augment(frames, SECTOR, np.random.default_rng(0), probabilities=only("tgc"))
    gain = out / 0.4
    assert torch.allclose(gain, gain[:1].expand_as(gain))  # same on every frame
    assert torch.allclose(gain[0], gain[0, :, :1].expand(H, W))  # one gain per row
    assert gain.min() >= 0.55 - 1e-5 and gain.max() <= 1.6 + 1e-5
    assert (gain[0, 1:, 0] - gain[0, :-1, 0]).abs().max() < 0.1  # smooth along depth


def test_dropout_dims_a_band_only():
    frames = torch.full((L, H, W), 0.5)
    out = imaging_augment(frames, SECTOR, np.random.default_rng(1), probabilities=only("dropout"))
    assert out.max() == pytest.approx(0.5, abs=1e-6)
    assert out.min() >= 0.5 * 0.15 - 1e-6 and out.min() <= 0.5 * 0.6 + 1e-6
    dimmed = (out[0] < 0.45).float().mean()
    assert 0.02 < dimmed < 0.6


def test_clutter_adds_one_stationary_positive_field():
    frames = torch.rand((L, H, W), generator=torch.Generator().manual_seed(0)) * 0.5
    out = imaging_augment(frames, SECTOR, np.random.default_rng(2), probabilities=only("clutter"))
    added = out - frames
    assert added.min() >= -1e-6 and added.max() <= 0.36
    assert torch.allclose(added, added[:1].expand_as(added), atol=1e-6)
    assert added.mean() > 0.005


def test_smoothing_blurs_and_keeps_the_mean():
    frames = torch.rand((L, H, W), generator=torch.Generator().manual_seed(1)) * 0.8
    out = imaging_augment(frames, SECTOR, np.random.default_rng(3), probabilities=only("smoothing"))
    assert out.std() < 0.8 * frames.std()
    assert out.mean() == pytest.approx(float(frames.mean()), abs=0.01)


def test_persistence_lags_a_step_in_time():
    frames = torch.zeros((L, H, W))
    frames[1:] = 0.9
    out = imaging_augment(frames, SECTOR, np.random.default_rng(4), probabilities=only("persistence"))
    level = out[:, 10, 10]
    assert level[0] == 0 and torch.all(level[1:] > 0)
    assert 0.9 * 0.65 - 1e-6 <= level[1] <= 0.9 * 0.9 + 1e-6
    assert torch.all(level[2:] >= level[1:-1]) and level[-1] < 0.9


def test_compression_keeps_the_order_of_grey_levels():
    frames = torch.linspace(0, 1, L * H * W).reshape(L, H, W)
    out = imaging_augment(frames, SECTOR, np.random.default_rng(5), probabilities=only("compression"))
    flat = out.reshape(-1)
    assert torch.all(flat[1:] >= flat[:-1] - 1e-6)
    assert not torch.allclose(out, frames, atol=1e-3)


def test_outside_the_sector_stays_black_and_the_same_seed_gives_the_same_clip():
    sector = np.zeros((H, W), dtype=bool)
    sector[5:40, 8:30] = True
    frames = torch.rand((L, H, W), generator=torch.Generator().manual_seed(2))
    every = {name: 1.0 for name in EFFECT_PROBABILITY}
    a = imaging_augment(frames, sector, np.random.default_rng(6), probabilities=every)
    b = imaging_augment(frames, sector, np.random.default_rng(6), probabilities=every)
    assert torch.equal(a, b)
    assert torch.all(a[:, ~torch.as_tensor(sector)] == 0)
    assert a.min() >= 0 and a.max() <= 1
    assert not torch.equal(a, imaging_augment(frames, sector, np.random.default_rng(7), probabilities=every))
    with pytest.raises(ParameterError, match="unknown imaging effect"):
        imaging_augment(frames, sector, np.random.default_rng(6), probabilities={"blur": 1.0})

