"""``echostrain decorrelation measure`` and ``echostrain realism`` on synthetic clips."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

SIZE = 96
SPACING = (0.2, 0.2)
FAST = ("--patch-mm", "3", "--search-mm", "0.6", "--n-patches", "60")


def run(*args):
    return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def speckle(rng, shape, sigma=1.2):
    f = ndimage.gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return f / f.std()


def make_clip(path, c, n_frames=10, fps=50.0, velocity=(0.4, 0.7), seed=1, frames=None):
    """NPZ clip: speckle renewed by a ← c·a + √(1−c²)·n each frame, translated by ``velocity`` px/frame."""
    if frames is None:
        rng = np.random.default_rng(seed)
        big = SIZE + 40
        f = speckle(rng, (big, big))
        out = []
        for t in range(n_frames):
            if t:
                f = c * f + np.sqrt(1.0 - c * c) * speckle(rng, (big, big))
            moved = ndimage.shift(f, (t * velocity[0], t * velocity[1]), order=3, mode="grid-wrap")
            out.append(moved[20:20 + SIZE, 20:20 + SIZE])
        frames = np.clip(0.5 + 0.1 * np.asarray(out), 0.0, 1.0).astype(np.float32)
    np.savez(path, frames=frames, fps=np.float64(fps), spacing_mm=np.array(SPACING))
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    return {
        "slow": make_clip(d / "slow.npz", 0.95, seed=1),
        "slow2": make_clip(d / "slow2.npz", 0.95, seed=2),
        "fast": make_clip(d / "fast.npz", 0.7, seed=3),
        # a "simulation" at another frame rate: 25 frames/s
        "fast25": make_clip(d / "fast25.npz", 0.7, fps=25.0, seed=4),
        "two": make_clip(d / "two.npz", 0.9, n_frames=2, seed=5),
        "blank": make_clip(d / "blank.npz", 1.0, frames=np.zeros((6, SIZE, SIZE), np.float32)),
    }


def one_line_error(proc, text):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("echostrain: error:") and text in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


def wall_contour(path, shift=0.0):
    """A band 20 px high across the clip as an endo/epi contour (JSON), moved down by ``shift`` px."""
    x = np.linspace(10.0, SIZE - 11.0, 12)
    endo = np.stack([x, np.full_like(x, 30.0 + shift)], axis=-1)
    epi = np.stack([x, np.full_like(x, 50.0 + shift)], axis=-1)
    path.write_text(json.dumps({"endo": endo.tolist(), "epi": epi.tolist()}))
    return path


def test_measure_in_the_wall_given_by_a_contour(tmp_path):
    # speckle renewed with c = 0.95 in the band of the contour, c = 0.5 elsewhere
    rng = np.random.default_rng(11)
    band = np.zeros((SIZE, SIZE), bool)
    band[30:51, 10:SIZE - 10] = True
    f, out = speckle(rng, (SIZE, SIZE)), []
    for t in range(8):
        if t:
            c = np.where(band, 0.95, 0.5)
            f = c * f + np.sqrt(1.0 - c * c) * speckle(rng, (SIZE, SIZE))
        out.append(f)
    clip = make_clip(tmp_path / "band.npz", 1.0, frames=np.clip(0.5 + 0.1 * np.asarray(out), 0, 1).astype(np.float32))
    args = ("decorrelation", "measure", clip, "--max-lag-frames", "1", *FAST)
    proc = run(*args, "--out", tmp_path / "wall.json", "--contour", wall_contour(tmp_path / "w.json"))
    assert proc.returncode == 0, proc.stderr
    wall = json.loads((tmp_path / "wall.json").read_text())["mean"][0]
    proc = run(*args, "--out", tmp_path / "all.json")
    assert proc.returncode == 0, proc.stderr
    everywhere = json.loads((tmp_path / "all.json").read_text())["mean"][0]
    assert wall > 0.9 and everywhere < wall - 0.1


def test_measure_writes_a_combined_profile(clips, tmp_path):
    from echostrain.realism import DecorrelationProfile

    out = tmp_path / "profile.json"
    proc = run("decorrelation", "measure", clips["slow"], clips["fast"], "--out", out,
               "--max-lag-frames", "3", "--seed", "1", *FAST)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["format"] == "echostrain.decorrelation_profile"
    assert data["clip_ids"] == ["slow", "fast"]
    np.testing.assert_allclose(data["lags_ms"], [20.0, 40.0, 60.0])
    prof = DecorrelationProfile.from_json(out)
    # combined (equal patch counts): about the mean of 0.95 and 0.7 at lag 1; at longer lags
    # the best match over the search window is biased upwards (low correlations), so only
    # check that the curve keeps falling
    assert prof.mean[0] == pytest.approx(0.5 * (0.95 + 0.7), abs=0.04)
    assert np.all(np.diff(prof.mean) < 0) and prof.mean[-1] < 0.95**3
    # the table: one row per lag, one column per clip plus the combined one
    assert "lag (ms)" in proc.stdout and "combined" in proc.stdout
    for lag in ("20.0", "40.0", "60.0"):
        assert lag in proc.stdout


def test_measure_options_spacing_and_fps(clips, tmp_path):
    out = tmp_path / "p.json"
    proc = run("decorrelation", "measure", clips["slow"], "--out", out, "--max-lag-frames", "2",
               "--fps", "100", "--spacing-mm", "0.25,0.25", *FAST)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    np.testing.assert_allclose(data["lags_ms"], [10.0, 20.0])
    assert data["provenance"]["combined_from"][0]["spacing_mm"] == [0.25, 0.25]


@pytest.mark.parametrize(
    "case, text",
    [
        ("two", "needs at least 3 frames"),
        ("blank", "blank"),
        ("missing", "does not exist"),
        ("bad-spacing", "--spacing-mm"),
        ("lag-too-long", "max_lag_frames"),
        ("contour-outside", "outside the image"),
        ("contour-count", "one contour per clip"),
    ],
)
def test_measure_bad_input(clips, tmp_path, case, text):
    out = tmp_path / "p.json"
    args = {
        "two": [clips["slow"], clips["two"]],
        "blank": [clips["blank"]],
        "missing": [tmp_path / "nope.npz"],
        "bad-spacing": [clips["slow"], "--spacing-mm", "0.2"],
        "lag-too-long": [clips["slow"], "--max-lag-frames", "10"],
        "contour-outside": [clips["slow"], "--contour", wall_contour(tmp_path / "w_out.json", shift=80.0)],
        "contour-count": [clips["slow"], clips["fast"], "--contour", wall_contour(tmp_path / "w.json")],
    }[case]
    proc = run("decorrelation", "measure", *args, "--out", out, *FAST)
    one_line_error(proc, text)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("w")] == []  # the test's contours only


def test_realism_identical_inputs_give_zero_mae(clips, tmp_path):
    png, js = tmp_path / "realism.png", tmp_path / "realism.json"
    proc = run("realism", "--real", clips["slow"], "--sim", clips["slow"], "--out", png,
               "--json", js, "--max-lag-ms", "60", *FAST)
    assert proc.returncode == 0, proc.stderr
    assert Image.open(png).format == "PNG"
    rep = json.loads(js.read_text())
    assert rep["mae"] == pytest.approx(0.0, abs=1e-6)
    assert "mae=0.0000" in proc.stdout.splitlines()[-1]
    np.testing.assert_allclose(rep["lags_ms"], [20.0, 40.0, 60.0])
    assert rep["phase"] is not None


def test_realism_different_renewal_rates(clips, tmp_path):
    png, js = tmp_path / "realism.png", tmp_path / "realism.json"
    proc = run("realism", "--real", clips["slow"], "--real", clips["slow2"], "--sim", clips["fast25"],
               "--out", png, "--json", js, "--max-lag-ms", "80", *FAST)
    assert proc.returncode == 0, proc.stderr
    rep = json.loads(js.read_text())
    assert rep["mae"] > 0.05
    assert set(rep["mae_per_real"]) == {"slow", "slow2"}
    assert all(v > 0.05 for v in rep["mae_per_real"].values())
    # real at 50 frames/s: lags to ceil(80·50/1000) = 4 frames; sim at 25 frames/s: 2 frames
    np.testing.assert_allclose(rep["sim_lags_ms"], [40.0, 80.0])
    np.testing.assert_allclose(rep["lags_ms"], [20.0, 40.0, 60.0, 80.0])
    mae_line = proc.stdout.strip().splitlines()[-1]
    assert mae_line.startswith("mae=") and float(mae_line[4:]) == pytest.approx(rep["mae"], abs=1e-4)
    assert png.is_file()


@pytest.mark.parametrize(
    "case, text",
    [
        ("two-frame sim", "needs at least 3 frames"),
        ("blank real", "blank"),
        ("missing sim", "does not exist"),
        ("jpg out", ".png"),
        ("bad spacing", "--real-spacing-mm"),
    ],
)
def test_realism_bad_input(clips, tmp_path, case, text):
    png, js = tmp_path / "r.png", tmp_path / "r.json"
    real, sim, extra = clips["slow"], clips["fast"], []
    if case == "two-frame sim":
        sim = clips["two"]
    elif case == "blank real":
        real = clips["blank"]
    elif case == "missing sim":
        sim = tmp_path / "missing.h5"
    elif case == "jpg out":
        png = tmp_path / "r.jpg"
    elif case == "bad spacing":
        extra = ["--real-spacing-mm", "a,b"]
    proc = run("realism", "--real", real, "--sim", sim, "--out", png, "--json", js, *extra, *FAST)
    one_line_error(proc, text)
    assert list(tmp_path.iterdir()) == []
