"""``echostrain evaluate``: synthetic mode, real-cohort mode, bad input."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest


def run(*args):
    return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True, timeout=900)


def one_line_error(proc, text):
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("echostrain: error:") and text in lines[0], proc.stderr


def test_synthetic_mode_tables_plots_and_html(tiny_data, tmp_path):
    data = tmp_path / "two"
    data.mkdir()
    for name in ("seq_00000.h5", "seq_00001.h5"):
        shutil.copy(tiny_data / name, data / name)
    (data / ".seq_00002.h5.tmp-1234.h5").write_bytes(b"half-written")  # a write in progress is not a sequence
    out = tmp_path / "res"
    proc = run("evaluate", "--data", data, "--methods", "blockmatch", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / "per_sequence.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and {r["method"] for r in rows} == {"blockmatch"}
    for key in ("mte_mm", "delta_avg", "survival", "drift_mm", "gls_error_pct", "interobserver_gls_diff_pct", "seconds"):
        assert all(np.isfinite(float(r[key])) for r in rows), key
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["overall"]) == {"blockmatch"}
    assert set(summary["by_view"]) == {"a4c", "a2c"} and "normal" in summary["by_pathology"]
    for png in ("bland_altman_gls.png", "scatter_gls.png", "error_vs_time.png", "segment_errors.png"):
        assert (out / png).stat().st_size > 1000
    md = (out / "summary.md").read_text()
    assert "| blockmatch |" in md and "## By view" in md and "## By pathology" in md
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 4


def test_real_cohort_mode_with_two_observers(tiny_data, tmp_path):
    from echostrain.data.sequences import load_sequence

    clips, obs1, obs2 = (tmp_path / n for n in ("clips", "obs1", "obs2"))
    for d in (clips, obs1, obs2):
        d.mkdir()
    ref_rows = []
    for i, name in enumerate(("seq_00001.h5", "seq_00002.h5")):
        stem = f"patient{i}"
        shutil.copy(tiny_data / name, clips / f"{stem}.h5")
        s = load_sequence(tiny_data / name)
        endo, epi = s.tracks[0, s.track_layer == 0], s.tracks[0, s.track_layer == 2]
        (obs1 / f"{stem}.json").write_text(json.dumps({"endo": endo.tolist(), "epi": epi.tolist(), "view": s.view}))
        (obs2 / f"{stem}.json").write_text(json.dumps({"endo": (endo + 1.5).tolist(), "epi": (epi + 1.5).tolist(), "view": s.view}))
        ref_rows.append(f"{stem},{s.view},{s.gls_pct[s.es_index]:.3f}," + ",".join(f"{v:.3f}" for v in s.segmental_pct[:, s.es_index]))
    (tmp_path / "ref.csv").write_text("clip,view,gls,seg1,seg2,seg3,seg4,seg5,seg6\n" + "\n".join(ref_rows) + "\n")
    out = tmp_path / "real"
    proc = run("evaluate", "--clips", clips, "--contours", obs1, "--contours", obs2, "--reference", tmp_path / "ref.csv",
               "--methods", "blockmatch", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / "per_clip.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["clip"] for r in rows] == ["patient0", "patient1"]
    for key in ("gls_error_pct", "interobserver_gls_diff_pct", "cycle_drift_mm", "fb_consistency_mm"):
        assert all(np.isfinite(float(r[key])) for r in rows), key
    summary = json.loads((out / "summary.json").read_text())["blockmatch"]
    assert summary["n_clips"] == 2 and summary["gls_mae_pct"] >= 0
    assert "GLS MAE" in (out / "summary.md").read_text() and (out / "report.html").is_file()


def test_bad_input(tiny_data, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    np.save(tmp_path / "clip.npy", np.zeros((4, 20, 20), np.uint8))
    out = tmp_path / "o"
    one_line_error(run("evaluate", "--data", empty, "--out", out), "no sequence files")
    one_line_error(run("evaluate", "--data", tiny_data, "--methods", "raft", "--out", out), "unknown tracking method")
    one_line_error(run("evaluate", "--data", tmp_path / "clip.npy", "--methods", "blockmatch", "--out", out), "sequence")
    one_line_error(run("evaluate", "--clips", empty, "--contours", empty, "--out", out), "no clips")
    assert not out.exists()


def test_real_cohort_contour_reference_and_beat_refusals(tiny_data, tmp_path):
    from echostrain.data.sequences import load_sequence

    clips, obs = tmp_path / "clips", tmp_path / "obs"
    clips.mkdir()
    obs.mkdir()
    shutil.copy(tiny_data / "seq_00000.h5", clips / "p.h5")
    s = load_sequence(tiny_data / "seq_00000.h5")
    endo, epi = (s.tracks[:, s.track_layer == k] for k in (0, 2))
    (obs / "p.json").write_text(json.dumps({"endo": endo[0].tolist(), "epi": epi[0].tolist(), "view": s.view}))
    es_json = {"endo": endo[s.es_index].tolist(), "epi": epi[s.es_index].tolist(), "view": s.view, "frame": s.es_index}
    (obs / "p_es.json").write_text(json.dumps(es_json))
    out = tmp_path / "o"
    proc = run("evaluate", "--clips", clips, "--contours", obs, "--methods", "blockmatch", "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out / "per_clip.csv") as fh:
        (row,) = list(csv.DictReader(fh))
    assert float(row["contour_gls_pct"]) == pytest.approx(float(s.gls_pct[s.es_index]), abs=0.05)
    assert float(row["es_distance_mm"]) < 2.0 and (out / "gls_p.png").is_file()
    shutil.rmtree(out)
    # the clip cut just after ES holds no full beat
    (clips / "p.h5").unlink()
    np.savez(clips / "p.npz", frames=s.frames[: s.es_index + 2], fps=np.float64(s.fps), spacing_mm=np.array(s.spacing_mm))
    one_line_error(run("evaluate", "--clips", clips, "--contours", obs, "--methods", "blockmatch", "--beats",
                       "--out", out), "no full beat")
    for frame, text in ((99, "outside the clip"), (0, "not after the ED frame")):
        (obs / "p_es.json").write_text(json.dumps({**es_json, "frame": frame}))
        one_line_error(run("evaluate", "--clips", clips, "--contours", obs, "--methods", "blockmatch", "--out", out), text)
    assert not out.exists()
