"""Realism report (real vs simulated decorrelation curves) on synthetic profiles."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from echostrain.core.errors import ParameterError
from echostrain.realism import DecorrelationProfile
from echostrain.realism.report import realism_report


def profile(c: float, fps: float = 50.0, k: int = 4, clip: str = "clip", phase_shift: float = 0.0):
    lags = np.arange(1, k + 1, dtype=float)
    mean = c**lags
    return DecorrelationProfile(
        lags_ms=lags * 1000.0 / fps,
        mean=mean,
        spread=np.full(k, 0.02),
        phase_bins=["time 0-50%", "time 50-100%"],
        by_phase=np.stack([mean - phase_shift, mean + phase_shift]),
        depth_bins_mm=[0.0, 50.0],
        by_depth=mean[None, :],
        n_patches=100,
        clip_ids=[clip],
    )


def test_identical_curves_give_zero_mae_and_a_png(tmp_path):
    out = tmp_path / "r.png"
    rep = realism_report([profile(0.9, clip="a"), profile(0.9, clip="b")], [profile(0.9, clip="s")], out)
    assert rep["mae"] == pytest.approx(0.0, abs=1e-12)
    assert set(rep["mae_per_real"]) == {"a", "b"}
    assert all(v == pytest.approx(0.0, abs=1e-12) for v in rep["mae_per_real"].values())
    np.testing.assert_allclose(rep["lags_ms"], [20, 40, 60, 80])
    assert rep["phase"]["lag_ms"] == pytest.approx(20.0)
    assert rep["phase"]["mae"] == pytest.approx(0.0, abs=1e-12)
    assert rep["phase_skipped"] is None
    img = Image.open(out)
    assert img.format == "PNG" and img.size[0] > 500
    json.dumps(rep, allow_nan=False)  # JSON-ready
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_the_baseline_is_scored_per_real_clip(tmp_path):
    reals = [profile(0.9, clip="fast"), profile(0.7, clip="slow")]
    rep = realism_report(reals, [profile(0.9, clip="s")], tmp_path / "r.png", baseline=[profile(0.7, clip="b")])
    per_clip = rep["mae_per_real_baseline"]
    assert list(per_clip) == ["fast", "slow"]
    assert per_clip["slow"] == pytest.approx(0.0, abs=1e-12)
    # c**k at lags of 20..80 ms, compared on a 1-ms grid (curve_mae)
    lags, grid = 20.0 * np.arange(1, 5), np.arange(20.0, 81.0)
    expected = float(np.mean(np.abs(np.interp(grid, lags, 0.9 ** np.arange(1, 5))
                                    - np.interp(grid, lags, 0.7 ** np.arange(1, 5)))))
    assert per_clip["fast"] == pytest.approx(expected)
    assert rep["mae_per_real"]["slow"] == pytest.approx(expected)
    without = realism_report(reals, [profile(0.9, clip="s")], tmp_path / "r2.png")
    assert without["mae_per_real_baseline"] is None and without["mae_baseline"] is None


def test_different_rates_and_frame_rates(tmp_path):
    real = [profile(0.9, fps=50.0, k=5, clip="r1", phase_shift=0.02)]
    sim = [profile(0.6, fps=30.0, k=3, clip="s1")]
    rep = realism_report(real, sim, tmp_path / "r.png", labels=["patient 1"])
    assert rep["mae"] > 0.05
    assert list(rep["mae_per_real"]) == ["patient 1"]
    # phase panel at the first lag both cover: max(20, 33.3) ms, interpolated
    assert rep["phase"]["lag_ms"] == pytest.approx(1000.0 / 30.0)
    expected_real = np.interp(1000 / 30, [0, 20, 40], [1.0, 0.9 - 0.02, 0.81 - 0.02])
    assert rep["phase"]["real"][0] == pytest.approx(expected_real)
    assert rep["phase"]["sim"][0] == pytest.approx(0.6)


def test_phase_panel_skipped_without_bins(tmp_path):
    p = profile(0.8)
    bare = DecorrelationProfile(lags_ms=p.lags_ms, mean=p.mean, spread=p.spread, n_patches=10,
                                clip_ids=["bare"])
    rep = realism_report([p], [bare], tmp_path / "r.png")
    assert rep["phase"] is None and "phase bins" in rep["phase_skipped"]
    assert (tmp_path / "r.png").is_file()


def test_duplicate_labels_are_made_unique(tmp_path):
    rep = realism_report([profile(0.9, clip="x"), profile(0.8, clip="x")], [profile(0.9)],
                         tmp_path / "r.png")
    assert list(rep["mae_per_real"]) == ["x", "x (2)"]
    assert rep["mae_per_real"]["x"] < rep["mae_per_real"]["x (2)"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ParameterError, match="at least one real"):
        realism_report([], [profile(0.9)], tmp_path / "r.png")
    with pytest.raises(ParameterError, match="at least one simulated"):
        realism_report([profile(0.9)], [], tmp_path / "r.png")
    with pytest.raises(ParameterError, match=".png"):
        realism_report([profile(0.9)], [profile(0.9)], tmp_path / "r.jpg")
    with pytest.raises(ParameterError, match="labels"):
        realism_report([profile(0.9)], [profile(0.9)], tmp_path / "r.png", labels=["a", "b"])
    # lag ranges that do not overlap: 20–40 ms vs 100–200 ms
    with pytest.raises(ParameterError):
        realism_report([profile(0.9, k=2)], [profile(0.9, fps=10.0, k=2)], tmp_path / "r.png")
    assert not (tmp_path / "r.png").exists()
