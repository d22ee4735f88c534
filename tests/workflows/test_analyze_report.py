"""The analysis report: self-contained HTML that opens in headless Chromium with the bull's-eye and the curves."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from echostrain.report.bullseye import segment_colour
from echostrain.report.strain_plot import _SEGMENT_COLOURS
from echostrain.workflows.analyze import analyze

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from echostrain.io.sequence import write_sequence
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    d = tmp_path_factory.mktemp("report")
    data = simulate_sequence(SequenceConfig(view="a4c", n_frames=20, per_cell=2.0, pathology="regional"), seed=11)
    write_sequence(d / "a4c.h5", data)
    endo, epi = data.tracks[0, data.track_layer == 0], data.tracks[0, data.track_layer == 2]
    (d / "ed.json").write_text(json.dumps({"endo": endo.tolist(), "epi": epi.tolist(), "view": "a4c"}))
    summary = analyze([d / "a4c.h5"], [d / "ed.json"], d / "out", method="blockmatch", points_per_segment=4)
    return d / "out", summary


def test_report_files_and_self_contained_html(report):
    out, summary = report
    for name in ("report.html", "bullseye.png", "summary.json", "a4c_tracks.npz", "a4c_overlay.mp4", "a4c_curves.png"):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text()
    assert 'id="bullseye"' in html and 'id="curves-a4c"' in html and 'id="overlay-a4c"' in html
    assert html.count("data:image/png;base64,") == 2 and "data:video/mp4;base64," in html
    assert not re.search(r'(src|href)="(?!data:)', html)  # nothing loaded from outside the file
    assert set(summary["bullseye_pct"]) == {"3", "9", "15", "18", "12", "6"}  # the A4C segments
    assert summary["wall_smoothing_points"] == 5 and "regularised along the wall over 5 points" in html


def test_report_labels_end_systolic_values_as_such(report):
    """The bull's-eye and segment tables hold end-systolic strain: never labelled "peak"."""
    out, summary = report
    html = (out / "report.html").read_text()
    text = re.sub(r"data:[^\"]+", "", html)  # drop the embedded images
    assert "End-systolic segmental longitudinal strain (%)" in text
    assert "end-systolic strain (%)" in text
    assert "peak" not in text.lower()
    segments = summary["clips"][0]["strain"]["segments"]
    table = re.findall(r"<td>(-?\d+\.\d+)</td>", text.split('id="curves-a4c"')[1])
    assert [float(v) for v in table[:6]] == pytest.approx([s["end_systolic_pct"] for s in segments], abs=0.01)


def _count_colour(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 4) -> int:
    return int((np.abs(img[..., :3].astype(int) - np.array(rgb)) <= tol).all(axis=-1).sum())


def test_chromium_screenshot_shows_bullseye_and_curves(report, tmp_path):
    assert CHROMIUM is not None, "headless Chromium is missing: `make test` installs it (Makefile target chromium)"
    out, summary = report
    shot = tmp_path / "shot.png"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2600",
         f"--screenshot={shot}", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert shot.is_file(), proc.stderr[-2000:]
    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.std() > 20  # not a blank page
    # bull's-eye: every A4C wedge in its strain colour, the 12 other segments grey
    for seg, value in summary["bullseye_pct"].items():
        assert _count_colour(img, segment_colour(value)) > 150, (seg, value, segment_colour(value))
    assert _count_colour(img, (209, 209, 209), tol=2) > 3000
    # curves: the six segment colours of the strain plot drawn on the page
    for colour in _SEGMENT_COLOURS:
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) if isinstance(colour, str) else colour
        assert _count_colour(img, rgb, tol=10) > 30, colour


def test_analyze_bad_input(report, tmp_path):
    import sys

    out_dir, _ = report
    d = out_dir.parent

    def run(*args):
        return subprocess.run([sys.executable, "-m", "echostrain", "analyze", *map(str, args)],
                              capture_output=True, text=True, timeout=300)

    cases = [
        ((d / "a4c.h5", "--contour", d / "ed.json", "--contour", d / "ed.json"), "one ED contour per clip"),
        ((d / "a4c.h5", d / "a4c.h5", "--contour", d / "ed.json", "--contour", d / "ed.json"), "same view"),
        ((d / "a4c.h5", "--contour", tmp_path / "none.json"), "does not exist"),
        ((d / "a4c.h5", "--contour", d / "ed.json", "--model", "raft"), "unknown tracking method"),
        ((d / "a4c.h5", "--contour", d / "ed.json", "--es-frame", "0"), "--es-frame 0 of a4c.h5 must come after"),
        ((d / "a4c.h5", "--contour", d / "ed.json", "--es-frame", "3", "--es-frame", "4"), "--es-frame value(s)"),
        ((d / "a4c.h5", "--contour", d / "ed.json", "--fps", "-3"), "fps"),
    ]
    for args, text in cases:
        proc = run(*args, "--out", tmp_path / "rep")
        assert proc.returncode == 2, proc.stderr
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and text in lines[0], proc.stderr
        assert not (tmp_path / "rep").exists()


def test_report_files_appear_together(report, tmp_path):
    """A report file name taken by a folder is refused before any work; no temporary folder is ever left."""
    import sys

    out_dir, _ = report
    d = out_dir.parent
    assert not [p for p in d.iterdir() if p.name.startswith(".")]  # the finished report left nothing behind
    rep = tmp_path / "rep"
    (rep / "bullseye.png").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "echostrain", "analyze", str(d / "a4c.h5"), "--contour",
                           str(d / "ed.json"), "--model", "blockmatch", "--out", str(rep)],
                          capture_output=True, text=True, timeout=300)
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2 and len(lines) == 1 and "is a folder" in lines[0], done.stderr
    assert [p.name for p in rep.iterdir()] == ["bullseye.png"] and not list((rep / "bullseye.png").iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
