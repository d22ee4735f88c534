"""Speckle size against analytic speckle: Gaussian-filtered noise has a known autocorrelation width."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.io import EchoVideo
from echostrain.realism.speckle_size import measure_speckle_size

PIXEL_MM = 0.1


def _tissue(shape, cavity_cols):
    mask = np.ones(shape, bool)
    mask[:, :cavity_cols] = False
    return mask


def _speckle(sigma_px: tuple[float, float], shape=(600, 400), cavity_cols: int = 0) -> EchoVideo:
    """Frames of white noise filtered by a Gaussian of ``sigma_px`` (rows, cols); optional dark cavity on the left."""
    noise = np.random.default_rng(0).normal(size=(3, *shape))
    f = ndimage.gaussian_filter(noise, (0, *sigma_px))
    f = 0.5 + 0.1 * f / f.std()
    f[:, :, :cavity_cols] = 0.02
    return EchoVideo(np.clip(f, 0.01, 1.0).astype(np.float32), spacing_mm=(PIXEL_MM, PIXEL_MM))


def _expected_fwhm_mm(sigma_px: float) -> float:
    """FWHM of the autocorrelation of noise filtered by a Gaussian of σ: a Gaussian of σ√2."""
    return 2.0 * math.sqrt(2.0 * math.log(2.0)) * math.sqrt(2.0) * sigma_px * PIXEL_MM


def test_isotropic_speckle_gives_the_analytic_width_in_both_directions():
    size = measure_speckle_size(_speckle((4.0, 4.0), cavity_cols=170), detrend_mm=10.0,
                                tissue=_tissue((600, 400), 170))
    want = _expected_fwhm_mm(4.0)  # 1.33 mm
    assert np.all(size.n_patches > 50)
    for got in (size.axial_fwhm_mm, size.lateral_fwhm_mm):
        assert np.all(np.abs(got / want - 1.0) < 0.1), (got, want)


def test_axial_and_lateral_are_told_apart_along_the_beam():
    """A strip under the fan's apex: the beams run down the rows, so rows are axial and columns lateral."""
    size = measure_speckle_size(_speckle((3.0, 6.0), shape=(600, 200), cavity_cols=85), detrend_mm=10.0, n_bins=2,
                                tissue=_tissue((600, 200), 85))
    deep = size.depth_mm > 30.0  # shallow patches sit at wide angles to the vertical
    assert deep.any()
    assert np.all(np.abs(size.axial_fwhm_mm[deep] / _expected_fwhm_mm(3.0) - 1.0) < 0.15)
    assert np.all(np.abs(size.lateral_fwhm_mm[deep] / _expected_fwhm_mm(6.0) - 1.0) < 0.15)
    assert np.all(size.lateral_fwhm_mm[deep] > 1.6 * size.axial_fwhm_mm[deep])


def test_bad_input():
    clip = _speckle((3.0, 3.0), shape=(100, 100))
    with pytest.raises(ParameterError, match="pixel size"):
        measure_speckle_size(EchoVideo(clip.frames))
    with pytest.raises(ParameterError):
        measure_speckle_size(clip, patch_mm=-1.0)
    with pytest.raises(InvalidDataError, match="patch"):
        measure_speckle_size(clip, patch_mm=50.0)
    with pytest.raises(ParameterError, match="tissue"):
        measure_speckle_size(clip, tissue=np.ones((5, 5), bool))
