"""``echostrain track`` on a simulated sequence: contour or points, three methods, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from echostrain.io import read_tracks


def run(*args):
    return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True, timeout=600)


def one_line_error(proc, text):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("echostrain: error:") and text in lines[0], proc.stderr


@pytest.fixture(scope="module")
def seq(tmp_path_factory):
    from echostrain.io.sequence import write_sequence
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    d = tmp_path_factory.mktemp("seq")
    data = simulate_sequence(SequenceConfig(view="a4c", n_frames=18, per_cell=1.0, pathology="normal"), seed=5)
    write_sequence(d / "s.h5", data)
    endo = data.tracks[0, data.track_layer == 0]
    epi = data.tracks[0, data.track_layer == 2]
    (d / "ed.json").write_text(json.dumps({"endo": endo.tolist(), "epi": epi.tolist(), "view": "a4c"}))
    (d / "pts.csv").write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in data.tracks[0, :5]))
    return d, data


def test_track_contour_blockmatch_with_overlay(seq, tmp_path):
    d, data = seq
    out, movie = tmp_path / "t.npz", tmp_path / "t.mp4"
    proc = run("track", d / "s.h5", "--contour", d / "ed.json", "--model", "blockmatch", "--out", out,
               "--overlay", movie, "--points-per-segment", "4")
    assert proc.returncode == 0, proc.stderr
    ts = read_tracks(out)
    assert ts.tracks.shape == (18, 3 * 25, 2) and ts.view == "a4c"
    assert set(np.unique(ts.layer)) == {0, 1, 2} and set(np.unique(ts.segment)) == set(range(6))
    assert ts.spacing_mm == (0.25, 0.25) and movie.stat().st_size > 0
    # the tracked wall follows the true wall: mean distance of the tracked endo line to the true one
    true_endo = data.tracks[:, data.track_layer == 0]
    got = ts.tracks[:, ts.layer == 0]
    d_px = np.linalg.norm(got[:, :, None] - true_endo[:, None], axis=-1).min(axis=2)
    assert np.median(d_px) * 0.25 < 1.5


def test_track_points_with_tasnet_weights(seq, tmp_path):
    from echostrain.track.model import TASNet, TASNetConfig
    from echostrain.track.weights import save_weights

    d, _ = seq
    torch.manual_seed(0)
    w = save_weights(tmp_path / "w.safetensors", TASNet(TASNetConfig(input_size=64, iterations=1)))
    out = tmp_path / "p.npz"
    proc = run("track", d / "s.h5", "--points", d / "pts.csv", "--weights", w, "--out", out, "--query-frame", "3")
    assert proc.returncode == 0, proc.stderr
    ts = read_tracks(out)
    assert ts.tracks.shape == (18, 5, 2) and (ts.layer == -1).all()
    pts = np.loadtxt(d / "pts.csv", delimiter=",", skiprows=1)
    np.testing.assert_allclose(ts.tracks[3], pts, atol=1e-3)


def test_track_bad_input_writes_nothing(seq, tmp_path):
    d, _ = seq
    (tmp_path / "far.csv").write_text("x,y\n5000,10\n")
    (tmp_path / "empty.csv").write_text("x,y\n")
    np.save(tmp_path / "short.npy", np.zeros((2, 40, 40), np.uint8) + 100)
    (tmp_path / "fake.safetensors").write_bytes(b"not weights at all")
    out = tmp_path / "o.npz"
    cases = [
        ((d / "s.h5", "--points", tmp_path / "far.csv"), "outside"),
        ((d / "s.h5", "--points", tmp_path / "empty.csv"), "no points"),
        ((tmp_path / "short.npy", "--points", d / "pts.csv", "--spacing-mm", "0.3,0.3"), "at least 3"),
        ((d / "s.h5", "--points", d / "pts.csv", "--weights", tmp_path / "fake.safetensors"), "safetensors"),
        ((d / "s.h5", "--points", d / "pts.csv", "--model", "raft"), "unknown tracking method"),
        ((d / "s.h5",), "exactly one of"),
        ((tmp_path / "missing.mp4", "--points", d / "pts.csv"), "does not exist"),
    ]
    for args, text in cases:
        proc = run("track", *args, "--out", out)
        one_line_error(proc, text)
        assert not out.exists()
