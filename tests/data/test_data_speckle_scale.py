"""Coarser speckle augmentation against Gaussian-filtered noise, whose autocorrelation width is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter

from echostrain.core.errors import ParameterError
from echostrain.data.clips import ClipSettings, ClipSource, draw_clip
from echostrain.data.speckle_scale import SpeckleScale, axial_sigma_mm, coarsen_speckle

SIGMA0_PX = 1.0
FWHM0_PX = 2.0 * math.sqrt(2.0 * math.log(2.0)) * math.sqrt(2.0) * SIGMA0_PX  # ACF of noise blurred by σ0


def _speckle(n_frames: int = 2, size: int = 192) -> torch.Tensor:
    noise = np.random.default_rng(0).standard_normal((n_frames, size, size))
    field = np.stack([gaussian_filter(f, SIGMA0_PX) for f in noise])
    return torch.as_tensor(np.clip(0.5 + 0.8 * field, 0.0, 1.0), dtype=torch.float32)


def _acf_fwhm_px(images: np.ndarray, axis: int) -> float:
    """FWHM (px) of the mean autocorrelation of ``images`` [L, H, W] along ``axis`` (1: y, 2: x)."""
    x = images - images.mean(axis=(1, 2), keepdims=True)
    spectrum = np.abs(np.fft.fft2(x)) ** 2
    acf = np.fft.ifft2(spectrum).real.mean(axis=0)
    line = acf[:, 0] if axis == 1 else acf[0, :]
    line = line / line[0]
    half = np.flatnonzero(line < 0.5)[0]  # first lag below half, interpolated
    return 2.0 * ((half - 1) + (line[half - 1] - 0.5) / (line[half - 1] - line[half]))


def test_the_blur_width_follows_the_fwhm_sum_rule() -> None:
    assert axial_sigma_mm(1.0, 1.0) == 0.0
    sigma = axial_sigma_mm(0.45, 1.31)
    assert math.sqrt(0.45**2 + (2.355 * math.sqrt(2.0) * sigma) ** 2) == pytest.approx(1.31, rel=1e-3)


def test_axial_speckle_reaches_the_target_and_keeps_its_contrast() -> None:
    frames = _speckle()
    sector = np.ones(frames.shape[1:], bool)
    assert _acf_fwhm_px(frames.numpy(), 1) == pytest.approx(FWHM0_PX, rel=0.1)
    scale = SpeckleScale(probability=1.0, sim_axial_fwhm_mm=FWHM0_PX, axial_fwhm_mm=(8.0, 8.0),
                         lateral_sigma_share=(0.0, 0.0), local_mean_mm=25.0)
    out = coarsen_speckle(frames, sector, 1.0, np.random.default_rng(1), scale=scale).numpy()
    assert _acf_fwhm_px(out, 1) == pytest.approx(8.0, rel=0.12)  # along the beam: the target
    assert _acf_fwhm_px(out, 2) == pytest.approx(FWHM0_PX, rel=0.12)  # across: unchanged
    assert out.std() == pytest.approx(frames.numpy().std(), rel=0.15)  # contrast restored, not flattened


def test_outside_the_sector_stays_dark_and_the_same_seed_gives_the_same_clip() -> None:
    frames = _speckle()
    sector = np.zeros(frames.shape[1:], bool)
    sector[20:150, 30:170] = True
    scale = SpeckleScale(probability=1.0)
    a = coarsen_speckle(frames, sector, 0.3, np.random.default_rng(4), scale=scale)
    b = coarsen_speckle(frames, sector, 0.3, np.random.default_rng(4), scale=scale)
    assert torch.equal(a, b) and float(a[:, ~sector].abs().max()) == 0.0
    assert coarsen_speckle(frames, sector, 0.3, np.random.default_rng(4),
                           scale=SpeckleScale(probability=0.0)) is frames


def test_draw_clip_coarsens_the_picture() -> None:
    frames = _speckle(n_frames=10, size=96)
    tracks = np.tile(np.array([[40.0, 30.0], [70.0, 60.0], [60.0, 45.0], [50.0, 55.0]], np.float32)[None], (10, 1, 1))
    source = ClipSource(frames=(frames * 255).to(torch.uint8), tracks=tracks,
                        layer=np.array([0, 1, 2, -1], np.int8), segment=np.array([1, 2, 3, 0], np.int8),
                        sector=np.ones((96, 96), bool), spacing_mm=(0.3, 0.3))
    widths = []
    for seed in range(4):  # the same draw with the option off and on: only the picture differs
        off = draw_clip(source, ClipSettings(clip_frames=8, n_points=4, points="tracks"), np.random.default_rng(seed))
        on = draw_clip(source, ClipSettings(clip_frames=8, n_points=4, points="tracks", coarse_speckle=True),
                       np.random.default_rng(seed))
        widths.append(_acf_fwhm_px(on["frames"][:, 0].numpy(), 1) / _acf_fwhm_px(off["frames"][:, 0].numpy(), 1))
    assert max(widths) > 1.5 and min(widths) > 0.99


@pytest.mark.parametrize("kwargs", [{"probability": -0.1}, {"axial_fwhm_mm": (0.3, 1.0)},
                                    {"axial_fwhm_mm": (2.0, 1.0)}, {"lateral_sigma_share": (0.5, 0.2)},
                                    {"local_mean_mm": 0.0}])
def test_impossible_ranges_are_refused(kwargs: dict) -> None:
    with pytest.raises(ParameterError, match="speckle scale"):
        SpeckleScale(**kwargs)
