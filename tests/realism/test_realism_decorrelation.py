"""Speckle decorrelation measurement on synthetic clips (no real data)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

from echostrain.core.errors import (
    CorruptInputError,
    EchoStrainError,
    InvalidDataError,
    ParameterError,
)
from echostrain.io import EchoVideo
from echostrain.realism import (
    DecorrelationProfile,
    combine_profiles,
    curve_mae,
    measure_decorrelation,
)

SIZE = 128
SPACING = (0.1, 0.1)


def speckle(rng: np.random.Generator, shape: tuple[int, int], sigma: float = 1.2) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian random field smoothed to speckle size (periodic)."""
    f = ndimage.gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return f / f.std()


def as_video(fields: list[np.ndarray], fps: float = 50.0, spacing=SPACING) -> EchoVideo:
    img = np.clip(0.5 + 0.1 * np.asarray(fields), 0.0, 1.0).astype(np.float32)
    return EchoVideo(img, spacing_mm=spacing, fps=fps, source="synthetic")


def renewal_clip(c: float, n_frames: int = 8, seed: int = 1) -> EchoVideo:
    rng = np.random.default_rng(seed)
    f = speckle(rng, (SIZE, SIZE))
    fields = [f]
    for _ in range(n_frames - 1):
        f = c * f + np.sqrt(1.0 - c * c) * speckle(rng, (SIZE, SIZE))
        fields.append(f)
    return as_video(fields)


def full_mask() -> np.ndarray:
    return np.ones((SIZE, SIZE), dtype=bool)


@pytest.mark.parametrize("velocity", [(0.0, 1.0), (0.3, 0.7), (1.0, 1.5), (1.5, -1.2)])
def test_pure_translation_is_not_decorrelation(velocity):
    rng = np.random.default_rng(7)
    base = speckle(rng, (200, 200), sigma=1.5)
    lo, hi = 36, 36 + SIZE
    fields = [
        ndimage.shift(base, (t * velocity[0], t * velocity[1]), order=3, mode="grid-wrap")[
            lo:hi, lo:hi
        ]
        for t in range(7)
    ]
    prof = measure_decorrelation(
        as_video(fields), max_lag_frames=4, patch_mm=2.0, search_mm=0.8, mask=full_mask(),
        n_patches=150, rng=0,
    )
    assert prof.mean.shape == (4,)
    assert prof.mean[0] >= 0.98
    assert np.all(prof.mean >= 0.95)
    np.testing.assert_allclose(prof.lags_ms, [20.0, 40.0, 60.0, 80.0])


def test_half_pixel_shift_of_sharp_speckle_is_not_decorrelation():
    # speckle ~1.5 px across (like the simulator's axial speckle at 0.25 mm pixels),
    # shifted by half a pixel each frame: the worst case for a sub-pixel peak fit
    rng = np.random.default_rng(3)
    base = speckle(rng, (200, 200), sigma=0.6)
    spec = np.fft.fft2(base)
    fields = [
        np.real(np.fft.ifft2(ndimage.fourier_shift(spec, (0.5 * t, 0.5 * t))))[36:164, 36:164]
        for t in range(5)
    ]
    prof = measure_decorrelation(
        as_video(fields), max_lag_frames=3, patch_mm=2.0, search_mm=0.6, mask=full_mask(),
        n_patches=150, rng=0,
    )
    assert prof.mean[0] >= 0.98 and prof.mean[2] >= 0.98
    # without the smoothing the same clip reads as decorrelated: the bias the default removes
    raw = measure_decorrelation(
        as_video(fields), max_lag_frames=3, patch_mm=2.0, search_mm=0.6, mask=full_mask(),
        n_patches=150, rng=0, smooth_mm=0.0,
    )
    assert raw.mean[0] < prof.mean[0] - 0.01


@pytest.mark.parametrize("c", [0.9, 0.7])
def test_renewed_speckle_gives_c_to_the_lag(c):
    prof = measure_decorrelation(
        renewal_clip(c, n_frames=24), max_lag_frames=4, patch_mm=4.0, search_mm=0.2,
        mask=full_mask(), n_patches=200, rng=0,
    )
    expected = c ** np.arange(1, 5)
    assert abs(prof.mean[0] - c) <= 0.02
    # below ~0.45 the best match over the search window is biased upwards (documented)
    high = expected >= 0.45
    np.testing.assert_allclose(prof.mean[high], expected[high], atol=0.03)
    assert np.all(prof.mean[~high] >= expected[~high] - 0.02)
    assert np.all(prof.mean[~high] <= expected[~high] + 0.1)
    assert np.all(np.diff(prof.mean) < 0)
    assert prof.by_phase.shape == (2, 4)
    # each time bin has fewer frame pairs (the late bin only 2 at lag 4): check lags 1-2
    np.testing.assert_allclose(prof.by_phase[:, :2], expected[None, :2].repeat(2, 0), atol=0.05)
    assert prof.n_patches == 200
    assert np.all(prof.spread >= 0) and np.all(prof.spread < 0.2)
    assert prof.provenance["spacing_estimated"] is False
    assert prof.provenance["fps"] == 50.0


def test_default_tissue_mask_and_estimated_spacing():
    # left half: bright speckle renewed with c = 0.8; right half: dark "cavity" whose
    # speckle is renewed completely every frame. No spacing in the clip.
    rng = np.random.default_rng(3)
    fields = [speckle(rng, (SIZE, SIZE))]
    for _ in range(4):
        f = 0.8 * fields[-1] + 0.6 * speckle(rng, (SIZE, SIZE))
        f[:, 64:] = speckle(rng, (SIZE, SIZE))[:, 64:]
        fields.append(f)
    img = np.clip(0.5 + 0.1 * np.asarray(fields), 0, 1)
    img[:, :, 64:] *= 0.2
    video = EchoVideo(img.astype(np.float32), fps=25.0, source="/tmp/some/clip_a.npy")
    prof = measure_decorrelation(video, max_lag_frames=2, patch_mm=15.0, search_mm=1.0,
                                 n_patches=50, rng=1, depth_bins_mm=(0, 75, 150))
    assert prof.provenance["spacing_estimated"] is True
    assert prof.provenance["spacing_mm"][0] == pytest.approx(150.0 / SIZE)
    assert prof.provenance["patch_px"] == [13, 13]
    assert prof.clip_ids == ["clip_a"]
    assert abs(prof.mean[0] - 0.8) < 0.05  # the cavity (correlation ≈ 0) was left out
    assert prof.by_depth.shape == (2, 2)
    np.testing.assert_allclose(prof.lags_ms, [40.0, 80.0])


def test_json_round_trip(tmp_path):
    prof = measure_decorrelation(
        renewal_clip(0.8, n_frames=5), max_lag_frames=3, patch_mm=3.0, search_mm=0.2,
        mask=full_mask(), n_patches=40, rng=2, clip_id="syn", phase_bins=3,
        depth_bins_mm=(0, 5, 10, 20, 40),
    )
    assert np.isnan(prof.by_depth).any()  # deep bins have no patches: stored as null
    out = prof.to_json(tmp_path / "profile.json")
    assert not [p for p in tmp_path.iterdir() if p.name != "profile.json"]
    back = DecorrelationProfile.from_json(out)
    np.testing.assert_array_equal(back.lags_ms, prof.lags_ms)
    np.testing.assert_array_equal(back.mean, prof.mean)
    np.testing.assert_array_equal(back.spread, prof.spread)
    np.testing.assert_array_equal(back.by_phase, prof.by_phase)
    np.testing.assert_array_equal(back.by_depth, prof.by_depth)
    np.testing.assert_array_equal(back.depth_bins_mm, prof.depth_bins_mm)
    assert back.phase_bins == prof.phase_bins and len(back.phase_bins) == 3
    assert back.clip_ids == ["syn"] and back.n_patches == 40
    assert back.lag_frames == {"syn": [1, 2, 3]}
    assert back.provenance == json.loads(json.dumps(prof.provenance))
    assert back.interpolate(0.0) == 1.0
    assert back.interpolate(10.0) == pytest.approx((1.0 + prof.mean[0]) / 2)

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CorruptInputError):
        DecorrelationProfile.from_json(bad)
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(CorruptInputError):
        DecorrelationProfile.from_json(bad)


def make_profile(lags, mean, n, cid):
    lags = np.asarray(lags, float)
    return DecorrelationProfile(
        lags_ms=lags, mean=np.asarray(mean, float), spread=np.zeros(len(lags)),
        phase_bins=["a"], by_phase=np.asarray([mean], float),
        depth_bins_mm=[0, 100], by_depth=np.asarray([mean], float),
        n_patches=n, clip_ids=[cid],
    )


def test_combine_and_mae_known_curves():
    # a: 1 - 0.002·lag at 50-ms steps to 200 ms; b: 1 - 0.004·lag at 40-ms steps to 160 ms
    a = make_profile([50, 100, 150, 200], [0.9, 0.8, 0.7, 0.6], 100, "a")
    b = make_profile([40, 80, 120, 160], [0.84, 0.68, 0.52, 0.36], 300, "b")
    assert a.interpolate(75.0) == pytest.approx(0.85)
    assert np.allclose(a.interpolate(np.array([0.0, 25.0])), [1.0, 0.95])
    with pytest.raises(ParameterError):
        a.interpolate(250.0)

    comb = combine_profiles([a, b])
    np.testing.assert_allclose(comb.lags_ms, [40, 50, 80, 100, 120, 150, 160])
    lag = comb.lags_ms
    np.testing.assert_allclose(comb.mean, (100 * (1 - 0.002 * lag) + 300 * (1 - 0.004 * lag)) / 400)
    np.testing.assert_allclose(comb.by_phase[0], comb.mean)
    assert comb.clip_ids == ["a", "b"] and comb.n_patches == 400
    assert np.all(comb.spread > 0)  # pooled spread includes the between-clip difference

    # |diff| = 0.002·lag on the common range 50..160 ms → mean 0.002·105
    assert curve_mae(a, b) == pytest.approx(0.002 * 105.0, rel=1e-6)
    assert curve_mae(a, a) == 0.0
    far = make_profile([300, 400], [0.5, 0.4], 10, "far")
    with pytest.raises(ParameterError):
        curve_mae(b, far)
    with pytest.raises(ParameterError):
        combine_profiles([])


def test_bad_input_errors():
    video = renewal_clip(0.8, n_frames=4)
    with pytest.raises(ParameterError, match="`fps`"):
        measure_decorrelation(EchoVideo(video.frames, spacing_mm=SPACING), mask=full_mask())
    for k in (0, 4, 10):
        with pytest.raises(ParameterError, match="max_lag_frames"):
            measure_decorrelation(video, max_lag_frames=k, mask=full_mask())
    with pytest.raises(ParameterError, match="patch"):
        measure_decorrelation(video, max_lag_frames=1, patch_mm=20.0, mask=full_mask())
    with pytest.raises(InvalidDataError, match="empty"):
        measure_decorrelation(video, max_lag_frames=1, mask=np.zeros((SIZE, SIZE), bool))
    for n in (1, 2):
        with pytest.raises(InvalidDataError, match="at least [23] frames"):
            measure_decorrelation(as_video([speckle(np.random.default_rng(n), (SIZE, SIZE))] * n), mask=full_mask())
    blank = EchoVideo(np.zeros((4, 32, 32), np.float32), fps=20.0)
    with pytest.raises(InvalidDataError):
        measure_decorrelation(blank, max_lag_frames=1)
    flat = EchoVideo(np.full((4, 64, 64), 0.5, np.float32), fps=20.0, spacing_mm=SPACING)
    with pytest.raises(InvalidDataError, match="texture"):
        measure_decorrelation(flat, max_lag_frames=1, patch_mm=1.0, search_mm=0.2)
    with pytest.raises(ParameterError):
        measure_decorrelation(video, max_lag_frames=1, mask=np.ones((3, 3), bool))
    # every message is one line
    for exc_call in (
        lambda: measure_decorrelation(video, max_lag_frames=7, mask=full_mask()),
        lambda: measure_decorrelation(video, max_lag_frames=1, patch_mm=20.0, mask=full_mask()),
    ):
        with pytest.raises(EchoStrainError) as info:
            exc_call()
        assert "\n" not in str(info.value)
