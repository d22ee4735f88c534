"""Option errors (typer/click's) come out as the project's one line and exit code 2, like every other error."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args, text", [
    (["info", "clip.npy", "--fps", "abc"], "Invalid value for '--fps'"),
    (["info"], "Missing argument"),
    (["nosuch"], "No such command"),
    (["track", "clip.npy", "--bogus"], "No such option"),
])
def test_option_errors_are_one_line(args, text):
    done = subprocess.run([sys.executable, "-m", "echostrain", *args], capture_output=True, text=True, timeout=60)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert lines[0].startswith("echostrain: error: ") and text in lines[0] and "--help" in lines[0]
    assert done.stdout == ""


def test_file_system_refusals_are_one_line(tmp_path):
    out = tmp_path / ("a" * 300 + ".png")
    done = subprocess.run([sys.executable, "-m", "echostrain", "simulate-frame", "--out", str(out), "--scatterers",
                           "2000"], capture_output=True, text=True, timeout=120)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "File name too long" in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, text", [
    (["simulate", "--out", "{d}/s.h5", "--frames", "100000000000"], "above the limit of 2000 frames"),
    (["simulate", "--out", "{d}/s.h5", "--frames", "20", "--per-cell", "1e12"], "use fewer scatterers per cell"),
    (["simulate", "--out", "{d}/s.h5", "--rx-bandwidth-pct", "-3"], "receive bandwidth must be within 0…200 %"),
    (["generate", "--n", "2", "--out", "{d}/g", "--rx-bandwidth-pct", "16,9"], "--rx-bandwidth-pct must satisfy 0 < lo ≤ hi"),
    (["generate", "--n", "2", "--out", "{d}/g", "--rx-bandwidth-pct", "wide"], "--rx-bandwidth-pct must be a number or LO,HI"),
    (["simulate", "--out", "{d}/s.h5", "--tx-focus-mm", "200"], "transmit focus 200 mm is outside the image"),
    (["generate", "--n", "2", "--out", "{d}/g", "--tx-focus-mm", "0"], "transmit focus 0 mm is outside the image"),
    (["analyze", "{d}/a4c.npy", "--contour", "{d}/ed.json", "--out", "{d}/r", "--wall-smoothing", "2"],
     "--wall-smoothing must be 0 (tracks as they are) or a window of 3…99 points"),
    (["track", "{d}/a4c.npy", "--contour", "{d}/ed.json", "--out", "{d}/t.npz", "--wall-smoothing", "-1"],
     "--wall-smoothing must be 0"),
    (["evaluate", "--data", "{d}", "--out", "{d}/e", "--wall-smoothing", "100"], "--wall-smoothing must be 0"),
])
def test_options_that_would_allocate_too_much_are_refused_at_once(tmp_path, args, text):
    done = subprocess.run([sys.executable, "-m", "echostrain", *(a.format(d=tmp_path) for a in args)],
                          capture_output=True, text=True, timeout=60)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1 and text in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []


def test_outputs_appear_together_or_not_at_all(tmp_path):
    """track --overlay naming a folder, strain --plot in a missing folder: refused before anything is written."""
    import numpy as np

    rng = np.random.default_rng(0)
    np.save(tmp_path / "clip.npy", (rng.random((6, 40, 40)) * 200 + 20).astype(np.uint8))
    (tmp_path / "pts.csv").write_text("x,y\n10,10\n20,20\n")
    (tmp_path / "dir.mp4").mkdir()

    def run(*args):
        return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True,
                              timeout=120)

    done = run("track", tmp_path / "clip.npy", "--points", tmp_path / "pts.csv", "--out", tmp_path / "t.npz",
               "--spacing-mm", "0.3,0.3", "--model", "opticalflow", "--overlay", tmp_path / "dir.mp4")
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "--overlay" in lines[0] and "is a folder" in lines[0]
    assert not (tmp_path / "t.npz").exists()
    done = run("track", tmp_path / "clip.npy", "--points", tmp_path / "pts.csv", "--out", tmp_path / "t.npz",
               "--spacing-mm", "0.3,0.3", "--model", "opticalflow")
    assert done.returncode == 0, done.stderr
    for plot, text in ((tmp_path / "missing" / "p.png", "does not exist"), (tmp_path / "p.xyz", ".png")):
        done = run("strain", tmp_path / "t.npz", "--out", tmp_path / "s.json", "--plot", plot)
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        assert done.returncode == 2 and len(lines) == 1 and text in lines[0], done.stderr
        assert not (tmp_path / "s.json").exists() and not (tmp_path / "p.xyz").exists()
