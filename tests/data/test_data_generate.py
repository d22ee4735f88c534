"""Dataset generation: plan, resume after damage, external scheduler, bad input."""

import hashlib
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from echostrain.data.generate import GenerationSettings, plan_sequences, read_manifest, run_generation
from echostrain.core.errors import OutputPathError, ParameterError

SMALL = GenerationSettings(seed=3, n_frames=18, per_cell=0.5)


def sums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_plan_is_stable_and_mixes_views_pathologies_and_splits():
    a, b = plan_sequences(GenerationSettings(seed=1), 200), plan_sequences(GenerationSettings(seed=1), 50)
    assert a[:50] == b  # sequence i does not depend on n
    assert {s.view for s in a} == {"a2c", "a3c", "a4c"}
    share = sum(s.pathology != "normal" for s in a) / len(a)
    assert 0.2 < share < 0.4
    splits = [s.split for s in a]
    assert 0.7 < splits.count("train") / 200 < 0.9 and "val" in splits and "test" in splits
    assert plan_sequences(GenerationSettings(seed=2), 5) != a[:5]
    with pytest.raises(ParameterError, match="`n` must be at least 1"):
        plan_sequences(SMALL, 0)


def test_a_receive_band_range_is_drawn_per_sequence_without_changing_the_rest_of_the_plan():
    plain = plan_sequences(GenerationSettings(seed=1), 200)
    banded = plan_sequences(GenerationSettings(seed=1, rx_bandwidth_range_pct=(9.0, 16.0)), 200)
    assert all(s.rx_bandwidth_pct is None for s in plain)
    # Same seeds, views, pathologies and splits: the band is drawn after everything else.
    assert [replace(s, rx_bandwidth_pct=None) for s in banded] == plain
    bands = np.array([s.rx_bandwidth_pct for s in banded])
    assert bands.min() >= 9.0 and bands.max() <= 16.0 and np.all(bands * 2 == np.round(bands * 2))
    # Log-uniform: the geometric midpoint splits the draws about evenly.
    assert 0.4 < np.mean(bands < np.sqrt(9.0 * 16.0)) < 0.6
    assert plan_sequences(GenerationSettings(seed=1, rx_bandwidth_range_pct=(12.0, 12.0)), 3)[0].rx_bandwidth_pct == 12.0
    for bad in ((16.0, 9.0), (0.0, 5.0), (5.0, 300.0), (5.0,), "wide"):
        with pytest.raises(ParameterError, match="`rx_bandwidth_range_pct`"):
            GenerationSettings(rx_bandwidth_range_pct=bad)


def test_the_drawn_band_and_the_focus_reach_the_sequence_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ECHOSTRAIN_CACHE", str(tmp_path / "cache"))  # its PSF calibration stays out of ~/.cache
    from echostrain.data import load_sequence
    from echostrain.data.generate import generate_one

    settings = replace(SMALL, rx_bandwidth_range_pct=(11.0, 14.0), tx_focus_mm=60.0)
    spec = plan_sequences(settings, 1)[0]
    row = generate_one(spec, str(tmp_path), settings)
    scan = load_sequence(tmp_path / row["file"]).parameters["scan"]
    assert scan["rx_bandwidth_pct"] == spec.rx_bandwidth_pct and 11.0 <= spec.rx_bandwidth_pct <= 14.0
    assert scan["tx_focus_m"] == pytest.approx(0.06)


def test_a_generation_stored_before_the_receive_band_resumes(tmp_path):
    """An older ``generation.json`` lacks the band and the focus; it reads as neither, and a band is refused."""
    import json

    from echostrain.data.generate import _check_out

    stored = SMALL.to_dict()
    del stored["rx_bandwidth_range_pct"]
    del stored["tx_focus_mm"]
    (tmp_path / "generation.json").write_text(json.dumps(stored))
    _check_out(tmp_path, SMALL)  # same settings: accepted
    with pytest.raises(OutputPathError, match="receive band"):
        _check_out(tmp_path, replace(SMALL, rx_bandwidth_range_pct=(9.0, 16.0)))


def test_resume_redoes_only_missing_or_broken_sequences(tmp_path):
    out = tmp_path / "gen"
    first = run_generation(3, out, SMALL, workers=1)
    assert (first.done, first.skipped, first.failed) == (3, 0, [])
    reference = sums(out)
    assert len(read_manifest(out)) == 3
    # Damage: one file deleted, one truncated, a stale temporary left by a killed run.
    (out / "seq_00000.h5").unlink()
    broken = out / "seq_00001.h5"
    broken.write_bytes(broken.read_bytes()[:1000])
    (out / ".seq_00002.h5.tmp-abc123.h5").write_bytes(b"partial")
    second = run_generation(3, out, SMALL, workers=1)
    assert (second.done, second.skipped) == (2, 1)
    assert sums(out) == reference  # byte-identical to the undamaged run, temporaries gone
    third = run_generation(3, out, SMALL, workers=1)
    assert (third.done, third.skipped) == (0, 3)
    with pytest.raises(OutputPathError, match="`out_dir` .* other settings"):
        run_generation(3, out, GenerationSettings(seed=4, n_frames=18, per_cell=0.5), workers=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_external_scheduler_and_worker_on_loopback(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen(
        dask + ["--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        summary = run_generation(2, tmp_path / "ext", SMALL, scheduler=address)
        assert summary.done == 2 and not summary.failed
        local = tmp_path / "local"
        run_generation(2, local, SMALL, workers=1)
        assert sums(tmp_path / "ext") == sums(local)  # same bytes whoever computes them
    finally:
        worker.kill()
        scheduler.kill()
        worker.wait()
        scheduler.wait()


def test_bad_input(tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(OutputPathError, match="is a file"):
        run_generation(2, a_file, SMALL, workers=1)
    with pytest.raises(ParameterError):
        GenerationSettings(views=("plax",))
    with pytest.raises(ParameterError, match="`dysfunction_share`"):
        GenerationSettings(dysfunction_share=1.5)
    with pytest.raises(ParameterError, match="at least 2 frames"):
        GenerationSettings(n_frames=1)
    with pytest.raises(ParameterError, match="full cardiac cycle"):  # before any sequence is tried
        GenerationSettings(n_frames=8)
    with pytest.raises(ParameterError, match="`engine`"):
        GenerationSettings(engine="field2")
    with pytest.raises(ParameterError, match="`workers`"):
        run_generation(2, tmp_path / "w", SMALL, workers=0)
    cmd = [sys.executable, "-m", "echostrain", "generate", "--out", str(tmp_path / "g")]
    for extra, text in ((["--n", "0"], "--n"), (["--n", "2", "--scheduler", f"tcp://127.0.0.1:{_free_port()}"], "did not answer")):
        start = time.perf_counter()
        proc = subprocess.run(cmd + extra, capture_output=True, text=True, timeout=60)
        assert time.perf_counter() - start < 12  # includes Python start-up; the wait itself is 6 s
        assert proc.returncode == 2, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "echostrain: error" in ln]
        assert len(lines) == 1 and text in lines[0], proc.stderr
        assert not (tmp_path / "g").exists()  # nothing written
    proc = subprocess.run(cmd[:-2] + ["--n", "2", "--out", str(a_file)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is a file" in proc.stderr
