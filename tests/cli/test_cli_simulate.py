import subprocess
import sys

import numpy as np
from PIL import Image


def run(*args):
    return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_simulate_frame_fast_writes_a_sector_png(tmp_path):
    out = tmp_path / "frame.png"
    proc = run("simulate-frame", "--engine", "fast", "--scatterers", "30000", "--pixel-mm", "0.5", "--out", out)
    assert proc.returncode == 0, proc.stderr
    img = np.asarray(Image.open(out))
    assert img.dtype == np.uint8 and img.shape == (301, 366)
    assert img[0, 0] == 0 and img[200, 183] > 0  # black outside the fan, speckle inside


def test_simulate_frame_bad_input(tmp_path):
    out = tmp_path / "f.png"
    cases = [
        (("--probe", "X9-1"), "unknown probe"),
        (("--depth-mm", "0"), "depth must be positive"),
        (("--depth-mm", "-20"), "depth must be positive"),
        (("--scatterers", "0"), "--scatterers"),
        (("--engine", "magic"), "unknown engine"),
    ]
    for extra, text in cases:
        proc = run("simulate-frame", "--out", out, *extra)
        assert proc.returncode == 2, (extra, proc.stderr)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and text in lines[0] and "Traceback" not in proc.stderr
        assert not out.exists()


def test_simulate_and_view_a_sequence(tmp_path):
    from echostrain.data import load_sequence
    from echostrain.io import read_video

    seq = tmp_path / "seq.h5"
    proc = run("simulate", "--view", "a2c", "--seed", "4", "--frames", "18", "--per-cell", "1", "--out", seq)
    assert proc.returncode == 0, proc.stderr
    assert "a2c seed 4: 18 frames" in proc.stdout
    data = load_sequence(seq)
    assert data.parameters["coherence"]["format"] == "echostrain.coherence_model"  # decorrelation on by default
    plain = tmp_path / "plain.h5"
    proc = run("simulate", "--view", "a2c", "--seed", "4", "--frames", "18", "--per-cell", "1",
               "--decorrelation", "none", "--out", plain)
    assert proc.returncode == 0, proc.stderr
    assert load_sequence(plain).parameters["coherence"] is None
    assert data.view == "a2c" and data.seed == 4 and data.frames.shape[0] == 18
    clip = read_video(seq)
    assert clip.n_frames == 18 and clip.spacing_mm == (0.25, 0.25)
    movie = tmp_path / "seq.mp4"
    proc = run("view", seq, "--out", movie)
    assert proc.returncode == 0, proc.stderr
    assert read_video(movie).n_frames == 18


def test_simulate_bad_input_writes_nothing(tmp_path):
    out = tmp_path / "s.h5"
    frame = np.zeros((3, 60, 80), np.uint8)
    frame[:, 5:55, 10:70] = 100
    np.save(tmp_path / "clip.npy", frame)
    (tmp_path / "far.csv").write_text(
        "layer,x,y\n" + "".join(f"endo,{x},{y}\n" for x, y in ((20, 50), (40, 10), (60, 50)))
        + "".join(f"epi,{x},{y}\n" for x, y in ((15, 52), (40, 5), (65, 52), (200, 300)))
    )
    cases = [
        (("--view", "plax"), "unknown view"),
        (("--frames", "1"), "at least 2 frames"),
        (("--template", tmp_path / "clip.npy"), "--contour"),
        (("--template", tmp_path / "clip.npy", "--contour", tmp_path / "far.csv"), "outside"),
        (("--decorrelation", tmp_path / "nope.json"), "does not exist"),
        (("--decorrelation", tmp_path / "far.csv"), "not valid JSON"),
    ]
    for extra, text in cases:
        proc = run("simulate", "--out", out, "--per-cell", "1", *extra)
        assert proc.returncode == 2, (extra, proc.stderr)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and text in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert list(tmp_path.glob("*.h5")) == [] and not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_simulate_warp_writes_a_sequence_with_truth_and_refuses_bad_input(tmp_path):
    import json

    from scipy.ndimage import gaussian_filter

    from echostrain.anatomy.shapes import ellipsoidal_myocardium
    from echostrain.data import load_sequence

    myo = ellipsoidal_myocardium(view="a4c", spacing_mm=(0.3, 0.3))
    contour = tmp_path / "ed.json"
    contour.write_text(json.dumps({"endo": myo.endo_xy_px.tolist(), "epi": myo.epi_xy_px.tolist()}))
    texture = gaussian_filter(np.random.default_rng(1).normal(size=(400, 270)), 1.5)
    frames = np.repeat((128 + 90 * texture / np.abs(texture).max()).astype(np.uint8)[None], 2, axis=0)
    clip = tmp_path / "clip.npz"
    np.savez(clip, frames=frames, spacing_mm=np.array([0.3, 0.3]), fps=np.float64(50.0))
    out = tmp_path / "warp.h5"
    proc = run("simulate", "--warp", clip, "--contour", contour, "--frames", 20, "--seed", 2, "--noise", 3, "--out", out)
    assert proc.returncode == 0, proc.stderr
    data = load_sequence(out)
    assert data.engine == "warp" and data.frames.shape == (20, 400, 270) and (data.track_layer >= 0).any()
    assert data.gls_pct[data.es_index] < -5.0

    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"endo": (myo.endo_xy_px + [0, 100]).tolist(), "epi": myo.epi_xy_px.tolist()}))
    bad = tmp_path / "bad.h5"
    cases = [
        (("--warp", clip, "--contour", outside), "outside the image"),
        (("--warp", clip), "--warp needs --contour"),
        (("--warp", clip, "--contour", contour, "--noise", "-2"), "--noise"),
        (("--warp", clip, "--contour", contour, "--template", clip), "not both"),
        (("--warp", clip, "--contour", contour, "--template-frame", "5"), "outside the clip"),
    ]
    for extra, text in cases:
        proc = run("simulate", "--out", bad, "--frames", 20, *extra)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and text in lines[0], (extra, proc.stderr)
        assert not bad.exists() and "Traceback" not in proc.stderr
