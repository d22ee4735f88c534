"""The command line as a user runs it: real processes, exit codes, stderr."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from echostrain import __version__
from echostrain.workflows.demo import DEMO_SEGMENT_STRAIN_PCT


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def assert_one_line_error(proc, text):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("echostrain: error:")
    assert text in lines[0]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = run("demo", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_version_and_help():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"echostrain {__version__}"
    proc = run("--help")
    assert proc.returncode == 0
    for command in ("demo", "strain", "info", "overlay"):
        assert command in proc.stdout


def test_demo_prints_gls_and_segments_and_writes_png(demo_dir):
    out, stdout = demo_dir
    assert "GLS =" in stdout and "basal inferoseptal" in stdout
    assert "simulated an A4C sequence" in stdout
    from echostrain.data import load_sequence

    seq = load_sequence(out / "demo_sequence.h5")
    assert seq.view == "a4c" and (out / "demo_sequence.mp4").stat().st_size > 10_000
    png = Image.open(out / "demo_strain_curves.png")
    assert png.size[0] > 400 and png.size[1] > 300
    summary = json.loads((out / "demo_strain.json").read_text())
    course_es = summary["curves"]["segments_pct"][2][summary["es_frame"]] / DEMO_SEGMENT_STRAIN_PCT[2]
    for s, seg in enumerate(summary["segments"]):
        assert seg["end_systolic_pct"] == pytest.approx(DEMO_SEGMENT_STRAIN_PCT[s] * course_es, abs=1e-6)
    assert summary["ed_frame"] == 0


def test_strain_json_on_demo_tracks(demo_dir, tmp_path):
    out, _ = demo_dir
    target = tmp_path / "s.json"
    plot = tmp_path / "s.png"
    proc = run("strain", out / "demo_tracks.npz", "--json", "--out", target, "--plot", plot)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert printed == json.loads(target.read_text())
    assert printed["view"] == "a4c"
    demo = json.loads((out / "demo_strain.json").read_text())
    assert printed["gls_pct"] == pytest.approx(demo["gls_pct"])
    assert plot.stat().st_size > 1000
    proc = run("strain", out / "demo_tracks.npz", "--view", "a2c")
    assert proc.returncode == 0 and "basal inferior" in proc.stdout


def _tracks_file(path, tracks, layer=None, segment=None):
    n = tracks.shape[1] if tracks.ndim == 3 else 3
    np.savez(
        path,
        tracks=tracks,
        spacing_mm=np.array([0.3, 0.3]),
        layer=np.zeros(n, np.int8) if layer is None else layer,
        segment=np.zeros(n, np.int8) if segment is None else segment,
    )
    return path


def test_strain_bad_inputs_exit_2_with_one_line_and_write_nothing(tmp_path):
    good = np.cumsum(np.ones((4, 5, 2)), axis=1)
    nan = good.copy()
    nan[2, 1, 0] = np.nan
    cases = {
        "missing.npz": (None, "does not exist"),
        "nan.npz": (nan, "NaN"),
        "flat.npz": (good[0], "[T, N, 2]"),
        "one.npz": (good[:1], "at least 2 frames"),
    }
    for name, (arr, text) in cases.items():
        path = tmp_path / name
        if arr is not None:
            _tracks_file(path, arr)
        out = tmp_path / f"{name}.json"
        proc = run("strain", path, "--json", "--out", out, "--plot", tmp_path / f"{name}.png")
        assert_one_line_error(proc, text)
        assert not out.exists() and not (tmp_path / f"{name}.png").exists()
    assert_one_line_error(run("strain", _tracks_file(tmp_path / "v.npz", good), "--view", "plax"), "unknown view")
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert leftovers == []


def test_info_reads_a_clip_and_rejects_bad_ones(tmp_path):
    frames = np.zeros((6, 40, 50), np.uint8)
    frames[:, 10:30, 10:40] = 120
    np.save(tmp_path / "clip.npy", frames)
    proc = run("info", tmp_path / "clip.npy", "--json", "--fps", "25", "--spacing-mm", "0.4,0.3")
    assert proc.returncode == 0, proc.stderr
    facts = json.loads(proc.stdout)
    assert facts["frames"] == 6 and facts["height_px"] == 40 and facts["width_px"] == 50
    assert facts["fps"] == 25 and facts["spacing_mm"] == [0.4, 0.3]
    assert_one_line_error(run("info", tmp_path / "nope.mp4"), "does not exist")
    np.save(tmp_path / "image.npy", frames[0])
    assert_one_line_error(run("info", tmp_path / "image.npy"), "2-D")
    assert_one_line_error(run("info", tmp_path / "clip.npy", "--spacing-mm", "0.3"), "--spacing-mm")


def test_overlay_writes_frames_and_rejects_points_outside_the_image(tmp_path):
    frames = np.full((3, 40, 50), 60, np.uint8)
    np.save(tmp_path / "clip.npy", frames)
    tracks = np.array([[[10.0, 10.0], [20.0, 30.0], [30.0, 20.0]]] * 3)
    _tracks_file(tmp_path / "t.npz", tracks)
    out = tmp_path / "overlay_png"
    proc = run("overlay", tmp_path / "clip.npy", tmp_path / "t.npz", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert len(list(out.glob("*.png"))) == 3
    outside = tracks.copy()
    outside[:, 1] = [80.0, 5.0]
    _tracks_file(tmp_path / "outside.npz", outside)
    bad_out = tmp_path / "bad.mp4"
    proc = run("overlay", tmp_path / "clip.npy", tmp_path / "outside.npz", "--out", bad_out)
    assert_one_line_error(proc, "outside the 50×40 image")
    assert not bad_out.exists()


def test_info_on_truncated_mp4_and_dicom_without_pixels(tmp_path):
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from echostrain.io import write_mp4

    frames = np.random.default_rng(0).random((10, 32, 48)).astype(np.float32)
    mp4 = write_mp4(tmp_path / "clip.mp4", frames, fps=30.0)
    data = mp4.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    assert run("info", mp4).returncode == 0
    assert_one_line_error(run("info", tmp_path / "cut.mp4"), "cut.mp4")

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(tmp_path / "empty.dcm"), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.Modality = "US"
    ds.save_as(tmp_path / "empty.dcm", enforce_file_format=True)
    assert_one_line_error(run("info", tmp_path / "empty.dcm"), "no pixel data")
