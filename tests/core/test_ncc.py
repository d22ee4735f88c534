"""The one NCC kernel against brute force and analytic peaks."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from echostrain.core import checks, errors, ncc, vocabulary
from echostrain.core.ncc import (
    box_sums,
    cross_correlation,
    fft_shape,
    integral_image,
    interior_peak,
    region_spectrum,
    subpixel_offset,
    subpixel_peak_value,
    template_spectrum,
    window_norms,
)


def brute_ncc(tmpl: np.ndarray, region: np.ndarray) -> np.ndarray:
    h, w = tmpl.shape
    t = tmpl - tmpl.mean()
    out = np.zeros((region.shape[0] - h + 1, region.shape[1] - w + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            win = region[i:i + h, j:j + w]
            out[i, j] = (t * (win - win.mean())).sum() / np.sqrt((t * t).sum() * ((win - win.mean()) ** 2).sum())
    return out


def fft_ncc(tmpl: np.ndarray, region: np.ndarray) -> np.ndarray:
    t = (tmpl - tmpl.mean())[None]
    r = region[None]
    shape = fft_shape(r.shape[1:])
    n_out = (r.shape[1] - t.shape[1] + 1, r.shape[2] - t.shape[2] + 1)
    num = cross_correlation(template_spectrum(t, shape), region_spectrum(r, shape), shape, n_out)
    return (num / (np.sqrt((t * t).sum()) * window_norms(r, t.shape[1:])))[0]


def test_surface_equals_brute_force_on_a_rectangular_patch():
    rng = np.random.default_rng(1)
    region = rng.normal(size=(17, 23))
    tmpl = region[5:12, 4:13] + 0.3 * rng.normal(size=(7, 9))
    np.testing.assert_allclose(fft_ncc(tmpl, region), brute_ncc(tmpl, region), atol=1e-10)


def test_box_sums_and_window_norms_match_direct_sums():
    rng = np.random.default_rng(2)
    a = rng.uniform(size=(2, 9, 11))
    sums = box_sums(integral_image(a), (3, 4))
    direct = np.array([[[a[n, i:i + 3, j:j + 4].sum() for j in range(8)] for i in range(7)] for n in range(2)])
    np.testing.assert_allclose(sums, direct, atol=1e-12)
    norms = window_norms(a, (3, 4))
    direct_std = np.array([[[a[n, i:i + 3, j:j + 4].std() * np.sqrt(12) for j in range(8)] for i in range(7)]
                           for n in range(2)])
    np.testing.assert_allclose(norms, direct_std, atol=1e-12)


def test_integer_shift_is_found_with_correlation_one():
    rng = np.random.default_rng(3)
    region = rng.normal(size=(21, 21))
    tmpl = region[7:14, 5:12]  # offset (7, 5) from the region's corner
    surface = fft_ncc(tmpl, region)[None]
    idx, iy, ix = interior_peak(surface)
    assert (int(iy[0]), int(ix[0])) == (7, 5)
    assert surface[0, 7, 5] == pytest.approx(1.0, abs=1e-12)


def test_interior_peak_ignores_nan_and_the_border():
    s = np.zeros((1, 5, 5))
    s[0, 0, 0] = 9.0  # on the border: never the peak
    s[0, 2, 3] = np.nan
    s[0, 3, 1] = 0.5
    _, iy, ix = interior_peak(s)
    assert (int(iy[0]), int(ix[0])) == (3, 1)


@pytest.mark.parametrize("true_offset", [-0.4, -0.1, 0.0, 0.25, 0.45])
def test_gaussian_peak_offset_and_value_are_exact(true_offset):
    x = np.array([-1.0, 0.0, 1.0]) - true_offset
    g = 0.9 * np.exp(-(x**2) / 0.8)
    a, b, c = (np.array([v]) for v in g)
    assert subpixel_offset(a, b, c)[0] == pytest.approx(true_offset, abs=1e-12)
    flat = np.array([0.9 * np.exp(-1 / 0.8)])
    value = subpixel_peak_value(b, (a, c), (flat * 0 + b * np.exp(-1 / 0.8), flat * 0 + b * np.exp(-1 / 0.8)))
    assert value[0] == pytest.approx(0.9, abs=1e-12)


def test_offset_falls_back_to_a_parabola_and_clips():
    # a neighbour ≤ 0: parabola through (−1, 0), (0, 1), (1, 0.5) peaks at +1/6
    assert subpixel_offset(np.array([0.0]), np.array([1.0]), np.array([0.5]))[0] == pytest.approx(1 / 6)
    assert subpixel_offset(np.array([0.0]), np.array([0.0]), np.array([0.0]))[0] == 0.0


@pytest.mark.parametrize("module", [ncc, checks, errors, vocabulary])
def test_core_doctests(module):
    result = doctest.testmod(module, extraglobs={"np": np})
    assert result.failed == 0
