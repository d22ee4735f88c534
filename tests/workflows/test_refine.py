"""The refinement loop with tiny sizes: a simulated clip stands in for a real one, a perfect tracker is patched in."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from echostrain.workflows import refine as loop
from echostrain.workflows.refine import RefineSettings, refine


class TruthTracker:
    """Returns the true tracks of the sequence's wall points nearest to the queries (frame 0)."""

    def __init__(self, data, noise_px=0.0):
        self.data, self.noise = data, noise_px

    def track(self, frames, queries):
        from echostrain.track.base import TrackResult

        true = self.data.tracks.astype(float)
        q = np.asarray(queries)
        t = int(q[0, 0])
        idx = np.argmin(np.linalg.norm(true[t][None, :, :] - q[:, None, 1:], axis=-1), axis=1)
        tracks = true[:, idx] + (q[:, 1:] - true[t, idx])[None]
        tracks = tracks + self.noise * np.random.default_rng(0).standard_normal(tracks.shape)
        n_t, n = tracks.shape[:2]
        return TrackResult(tracks.astype(np.float32), np.ones((n_t, n), bool), np.ones((n_t, n), np.float32), "truth")


@pytest.fixture(scope="module")
def real_like(tmp_path_factory):
    from echostrain.io.sequence import write_sequence
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    d = tmp_path_factory.mktemp("reallike")
    data = simulate_sequence(SequenceConfig(view="a4c", per_cell=1.0, pathology="normal"), seed=21)  # one full cycle
    write_sequence(d / "clip.h5", data)
    endo, epi = data.tracks[0, data.track_layer == 0], data.tracks[0, data.track_layer == 2]
    (d / "ed.json").write_text(json.dumps({"endo": endo.tolist(), "epi": epi.tolist(), "view": "a4c"}))
    return d, data


def patch_tracking(monkeypatch, tracker, mte=0.5):
    """The loop's tracking stage replaced: a given tracker, a fine-tuning that records its calls, a fixed MTE."""
    tuned = []

    def fine_tune(dirs, rdir, init, *, round_index, settings, message):
        tuned.append((list(dirs), round_index))
        return init

    monkeypatch.setattr(loop, "make_tracker", lambda w: tracker)
    monkeypatch.setattr(loop, "fine_tune", fine_tune)
    monkeypatch.setattr(loop, "test_mte", lambda w, files: mte)
    return tuned


def test_refinement_loop_two_rounds(real_like, tmp_path, monkeypatch):
    d, data = real_like
    tuned = patch_tracking(monkeypatch, TruthTracker(data))
    out = tmp_path / "refine"
    rows = refine([d / "clip.h5"], [d / "ed.json"], out, weights=tmp_path / "w.safetensors",
                  settings=RefineSettings(iterations=2, per_clip=1))
    assert [r["round"] for r in rows] == [0, 1, 2]
    assert rows[1]["sequences"] == 1 and rows[1]["clips_used"] == "clip"
    # the true motion closes the cycle: the real-clip drift of a perfect tracker is small
    assert rows[0]["real_drift_mm"] < 1.0 and rows[0]["real_fb_mm"] < 1e-6
    assert np.isfinite(rows[1]["decorrelation_mae"]) and rows[1]["decorrelation_mae"] < 0.2
    assert len(tuned) == 2 and len(tuned[1][0]) == 2  # round 2 trains on both rounds' sequences
    with open(out / "rounds.csv") as fh:
        assert len(list(csv.DictReader(fh))) == 3
    assert (out / "rounds.png").is_file() and (out / "round_1" / "fits.json").is_file()
    # the simulated sequence follows the fitted (true) motion on the clip's own frame
    from echostrain.data.sequences import load_sequence

    sim = load_sequence(next((out / "round_1" / "sequences").glob("*.h5")))
    assert sim.view == "a4c" and abs(sim.gls_pct[sim.es_index] - data.gls_pct[data.es_index]) < 1.5


def test_failed_tracking_is_rejected_with_a_reason(real_like, tmp_path, monkeypatch):
    d, data = real_like
    patch_tracking(monkeypatch, TruthTracker(data, noise_px=40.0), mte=float("nan"))
    rows = refine([d / "clip.h5"], [d / "ed.json"], tmp_path / "r", weights=tmp_path / "w",
                  settings=RefineSettings(iterations=1, per_clip=1))
    assert rows[1]["sequences"] == 0 and rows[1]["clips_used"] == ""
    assert "clip:" in rows[1]["clips_rejected"]


def run(*args):
    return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_refine_bad_input(real_like, tmp_path):
    d, _ = real_like
    cases = [
        (("--real", d / "clip.h5", "--real", d / "clip.h5", "--contours", d / "ed.json"), "one ED contour per clip"),
        (("--real", d / "clip.h5", "--contours", tmp_path / "missing.json"), "does not exist"),
    ]
    for args, text in cases:
        proc = run("refine", *args, "--out", tmp_path / "o")
        assert proc.returncode == 2, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and text in lines[0], proc.stderr
        assert not (tmp_path / "o").exists()
    proc = run("refine", "--real", d / "clip.h5", "--out", tmp_path / "o")
    assert proc.returncode == 2 and "--contours" in proc.stderr
