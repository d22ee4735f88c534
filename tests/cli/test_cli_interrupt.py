"""Ctrl-C: a command stopped part-way exits 130 with one line and leaves no unfinished output.

``simulate`` and ``generate`` get a real SIGINT while they work; ``track`` and
``analyze`` get a KeyboardInterrupt at their worst moment (after the first file of
several is written), which a signal could only hit by chance.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from analytic_wall import wall_scene

from echostrain.cli.main import main

INTERRUPTED = "echostrain: interrupted"


def _stderr_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text[-2000:]
    return lines[0]


def _interrupt(argv, *, when, timeout_s=120.0):
    """Run the CLI, send SIGINT once ``when()`` is true (polled), return (exit code, stderr)."""
    # a job started in the background by a shell ignores SIGINT, and so would its children: restore the default
    proc = subprocess.Popen([sys.executable, "-m", "echostrain", *map(str, argv)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.monotonic()
    while not when() and proc.poll() is None and time.monotonic() - t0 < timeout_s:
        time.sleep(0.05)
    assert proc.poll() is None, "the command finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err


def test_simulate_interrupted_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    t0 = time.monotonic()
    # the default sequence takes about 15 s; stop it well inside that, after the imports
    code, err = _interrupt(["simulate", "--out", out / "s.h5"], when=lambda: time.monotonic() - t0 > 4.0)
    assert code == 130
    assert _stderr_line(err).startswith(INTERRUPTED)
    assert list(out.iterdir()) == []


def test_generate_interrupted_keeps_only_finished_sequences_and_resumes(tmp_path):
    out = tmp_path / "ds"
    args = ["generate", "--n", "5", "--out", out, "--frames", "18", "--per-cell", "2", "--workers", "1", "--seed", "3"]
    code, err = _interrupt(args, when=lambda: (out / "manifest.csv").exists())
    assert code == 130
    assert _stderr_line(err).startswith(INTERRUPTED)
    names = {p.name for p in out.iterdir()}
    assert not [n for n in names if ".tmp-" in n], names  # no half-written sequence
    with open(out / "manifest.csv", newline="") as fh:
        listed = {row["file"] for row in csv.DictReader(fh)}
    on_disk = {n for n in names if n.endswith(".h5")}
    # a sequence a worker finished while the command stopped may be on disk unlisted: it is
    # whole (written atomically) and the re-run redoes it, as it redoes any file not listed
    assert listed <= on_disk and 1 <= len(listed) < 5
    again = subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{len(listed)} of 5 sequences already done" in again.stderr
    assert len(list(out.glob("*.h5"))) == 5


@pytest.fixture
def wall_clip(tmp_path):
    _, contour, course, video = wall_scene(1, tmp_path)
    rng = np.random.default_rng(0)
    t, h, w = 6, video.frames.shape[1], video.frames.shape[2]
    frames = (rng.random((t, h, w)) * 200 + 20).astype(np.uint8)
    clip = tmp_path / "clip.npz"
    np.savez(clip, frames=frames, spacing_mm=np.array(video.spacing_mm), fps=np.float64(video.fps))
    return clip, contour


def _run_main(monkeypatch, argv) -> int:
    monkeypatch.setattr(sys, "argv", ["echostrain", *map(str, argv)])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code


def _ctrl_c(*args, **kwargs):
    raise KeyboardInterrupt


def test_track_interrupted_while_writing_the_overlay_leaves_no_tracks(tmp_path, wall_clip, monkeypatch, capsys):
    import echostrain.workflows.track_clip as track_clip

    clip, contour = wall_clip
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(track_clip, "write_overlay", _ctrl_c)  # the tracks file is already written
    code = _run_main(monkeypatch, ["track", clip, "--contour", contour, "--model", "blockmatch",
                                   "--out", out / "t.npz", "--overlay", out / "o.mp4"])
    assert code == 130
    assert _stderr_line(capsys.readouterr().err).startswith(INTERRUPTED)
    assert list(out.iterdir()) == []


def test_analyze_interrupted_before_its_last_files_leaves_no_report(tmp_path, wall_clip, monkeypatch, capsys):
    import echostrain.workflows.analyze as analyze

    clip, contour = wall_clip
    monkeypatch.setattr(analyze, "plot_bullseye", _ctrl_c)  # tracks, overlay and curves are written by then
    before = set(os.listdir(tmp_path))
    code = _run_main(monkeypatch, ["analyze", clip, "--contour", contour, "--model", "blockmatch",
                                   "--out", tmp_path / "report"])
    assert code == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1].startswith(INTERRUPTED), err  # after its progress lines
    assert set(os.listdir(tmp_path)) == before  # no report folder, no hidden work folder


@pytest.mark.parametrize("stop", ["keyboard", "abort"])
def test_main_turns_an_interrupt_outside_a_command_into_one_line(monkeypatch, capsys, stop):
    """Ctrl-C while the arguments are parsed (KeyboardInterrupt or typer's Abort) is one line and 130."""
    import typer

    import echostrain.cli.main as cli_main

    def app(**kwargs):
        raise KeyboardInterrupt if stop == "keyboard" else typer.Abort()

    monkeypatch.setattr(cli_main, "app", app)
    with pytest.raises(SystemExit) as done:
        cli_main.main()
    assert done.value.code == 130
    assert _stderr_line(capsys.readouterr().err).startswith(INTERRUPTED)
