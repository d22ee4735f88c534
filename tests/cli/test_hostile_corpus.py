"""A hostile-input corpus, made by the test: every case exits 2 with one line on stderr and leaves nothing.

The files are generated here (nothing committed). Each case names a command and its
arguments (``{d}`` is the corpus folder, ``{o}`` a fresh output folder) and a piece of
the expected message. After each run the output folder must be empty.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from analytic_wall import wall_scene

HUGE = (1000, 20000, 20000)


def _npy_header(path, shape, descr="|u1") -> None:
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": descr, "fortran_order": False, "shape": shape})
        fh.write(b"\0" * 32)


def _io_test_module(name: str):
    """A module of tests/io by file (its conftest's name clashes with the other folders' conftest modules)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"io_{Path(name).stem}", Path(__file__).parents[1] / "io" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    rng = np.random.default_rng(0)
    myo, contour, _, video = wall_scene(1, d)
    t, h, w = 8, video.frames.shape[1], video.frames.shape[2]
    clip = (rng.random((t, h, w)) * 200 + 20).astype(np.uint8)
    np.savez(d / "clip.npz", frames=clip, spacing_mm=np.array([0.3, 0.3]), fps=np.float64(30))
    np.save(d / "clip.npy", clip)
    np.save(d / "black.npy", np.zeros((6, 40, 40), np.uint8))
    np.save(d / "flat2d.npy", clip[0])
    np.save(d / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (d / "clip_cut.npy").write_bytes((d / "clip.npy").read_bytes()[:300])
    (d / "empty.npy").write_bytes(b"")
    _npy_header(d / "bomb.npy", HUGE)
    np.savez(d / "noframes.npz", pictures=clip)
    with zipfile.ZipFile(d / "bomb.npz", "w") as zf, zf.open("frames.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, {"descr": "|u1", "fortran_order": False, "shape": HUGE})
    import h5py

    with h5py.File(d / "bomb.h5", "w") as fh:
        fh.create_dataset("frames", shape=HUGE, dtype="u1", chunks=(1, 64, 64), compression="gzip")
    for name in ("garbage.h5", "garbage.dcm", "garbage.mp4", "garbage.avi"):
        (d / name).write_bytes(rng.bytes(4000))
    (d / "notes.txt").write_text("hello")
    os.mkfifo(d / "pipe.npz")
    (d / "zero.npy").symlink_to("/dev/zero")
    (d / "emptydir").mkdir()
    (d / "dir.mp4").mkdir()
    # contours
    base = json.loads(contour.read_text())
    (d / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (d / "two.json").write_text(json.dumps({**base, "endo": base["endo"][:2]}))
    (d / "frame99.json").write_text(json.dumps({**base, "frame": 99}))
    (d / "frame5.json").write_text(json.dumps({**base, "frame": 5}))
    (d / "outside.json").write_text(json.dumps({**base, "endo": [[x + 5000, y] for x, y in base["endo"]]}))
    (d / "noepi.json").write_text(json.dumps({"endo": base["endo"]}))
    (d / "badview.json").write_text(json.dumps({**base, "view": "psax"}))
    (d / "notjson.json").write_text("{endo: [")
    # points
    (d / "pts.csv").write_text("x,y\n100,100\n120,140\n")
    (d / "pts_out.csv").write_text("x,y\n100000,100\n")
    (d / "pts_cols.csv").write_text("a,b\n1,2\n")
    # tracks
    from echostrain.io import TrackSet, write_tracks

    tracks = np.repeat(np.array([[[100.0, 100.0], [120.0, 140.0]]]), t, axis=0)
    write_tracks(d / "tracks.npz", TrackSet(tracks, (0.3, 0.3), np.zeros(2), np.zeros(2), view="a4c", fps=30.0))
    write_tracks(d / "tracks5.npz", TrackSet(tracks[:5], (0.3, 0.3), np.zeros(2), np.zeros(2)))
    with np.load(d / "tracks.npz") as z:
        arrays = dict(z)
    np.savez(d / "tracks_complex.npz", **{**arrays, "tracks": arrays["tracks"] * (1 + 1j)})
    (d / "tracks_cut.npz").write_bytes((d / "tracks.npz").read_bytes()[:200])
    # a DICOM whose only spacing is a negative PixelSpacing: not flipped, named in the error
    io_conftest = _io_test_module("conftest.py")
    io_conftest.make_dicom(d / "negspacing.dcm", clip, delta_x_cm=None, delta_y_cm=None, pixel_spacing=(-0.3, 0.3))
    # more of the cases
    np.savez(d / "tiny.npz", frames=(rng.random((6, 1, 1)) * 200 + 20).astype(np.uint8), spacing_mm=np.array([0.3, 0.3]))
    (d / "pts00.csv").write_text("x,y\n0,0\n")
    np.savez(d / "black_wall.npz", frames=np.zeros((t, h, w), np.uint8), spacing_mm=np.array([0.3, 0.3]))
    np.savez(d / "complexfps.npz", frames=clip, spacing_mm=np.array([0.3, 0.3]), fps=np.complex128(30 + 1j))
    (d / "zero.json").symlink_to("/dev/zero")
    crossed = list(base["endo"])
    crossed[2], crossed[-3] = crossed[-3], crossed[2]
    (d / "crossed.json").write_text(json.dumps({**base, "endo": crossed}))
    (d / "endo_is_epi.json").write_text(json.dumps({**base, "epi": base["endo"]}))
    (d / "pngbomb").mkdir()
    limits_module = _io_test_module("test_io_limits.py")
    for i in range(2):
        limits_module.png_header_only(d / "pngbomb" / f"f{i}.png", 20000, 20000)
    (d / "afile").write_text("x")
    return d


CASES = [
    # info: readers
    ("info", "{d}/missing.npy", "does not exist"),
    ("info", "{d}/emptydir", "no PNG or JPEG frames"),
    ("info", "{d}/notes.txt", "unsupported file type"),
    ("info", "{d}/clip_cut.npy", ""),
    ("info", "{d}/empty.npy", ""),
    ("info", "{d}/objects.npy", ""),
    ("info", "{d}/flat2d.npy", "2-D array"),
    ("info", "{d}/bomb.npy", "memory"),
    ("info", "{d}/noframes.npz", "no 'frames' array"),
    ("info", "{d}/bomb.npz", "memory"),
    ("info", "{d}/bomb.h5", "memory"),
    ("info", "{d}/garbage.h5", ""),
    ("info", "{d}/garbage.dcm", ""),
    ("info", "{d}/garbage.mp4", ""),
    ("info", "{d}/garbage.avi", ""),
    ("info", "{d}/pipe.npz", "not a regular file"),
    ("info", "{d}/zero.npy", "not a regular file"),
    ("info", "{d}/black.npy", "blank"),
    ("info", "{d}/clip.npz --fps abc", "--fps"),
    ("info", "{d}/clip.npz --fps -1", "fps"),
    ("info", "{d}/clip.npz --spacing-mm 0,1", "spacing"),
    ("info", "{d}/clip.npz --spacing-mm a,b", "--spacing-mm"),
    # track
    ("track", "{d}/clip.npz --out {o}/t.npz", "exactly one of"),
    ("track", "{d}/clip.npz --points {d}/pts.csv --contour {d}/ed.json --out {o}/t.npz", "exactly one of"),
    ("track", "{d}/clip.npz --points {d}/pts_cols.csv --out {o}/t.npz", ""),
    ("track", "{d}/clip.npz --points {d}/pts_out.csv --out {o}/t.npz", "outside"),
    ("track", "{d}/clip.npz --contour {d}/deep.json --out {o}/t.npz", "too deeply"),
    ("track", "{d}/clip.npz --contour {d}/two.json --out {o}/t.npz", "at least 3"),
    ("track", "{d}/clip.npz --contour {d}/frame99.json --out {o}/t.npz", "drawn on frame 99"),
    ("track", "{d}/clip.npz --contour {d}/frame5.json --out {o}/t.npz", "drawn on frame 5"),
    ("track", "{d}/clip.npz --contour {d}/outside.json --out {o}/t.npz", "outside the image"),
    ("track", "{d}/clip.npz --contour {d}/noepi.json --out {o}/t.npz", "no 'epi' contour"),
    ("track", "{d}/clip.npz --contour {d}/badview.json --out {o}/t.npz", "not one of"),
    ("track", "{d}/clip.npz --contour {d}/notjson.json --out {o}/t.npz", "not valid JSON"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.npz --model raft", "unknown tracking method"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.npz --device foo", "--device"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.npz --overlay {o}/x.avi", "--overlay"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.npz --overlay {d}/dir.mp4", "is a folder"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.npz --points-per-segment 1000000000", "1…100"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.npz --query-frame 99", "outside"),
    ("track", "{d}/black.npy --points {d}/pts.csv --out {o}/t.npz --spacing-mm 0.3,0.3", "blank"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.txt", "--out"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/missing/t.npz", "does not exist"),
    ("track", "{d}/negspacing.dcm --contour {d}/ed.json --out {o}/t.npz", "PixelSpacing"),
    ("track", "{d}/tiny.npz --points {d}/pts00.csv --model opticalflow --out {o}/t.npz", "too small"),
    ("track", "{d}/clip.npz --contour {d}/zero.json --out {o}/t.npz", "not a regular file"),
    ("track", "{d}/clip.npz --contour {d}/crossed.json --out {o}/t.npz", "crosses itself"),
    ("track", "{d}/clip.npz --contour {d}/endo_is_epi.json --out {o}/t.npz", "epicardium"),
    ("track", "{d}/clip.npz --contour {d}/ed.json --out {o}/t.npz --device cuda", "--device"),
    ("info", "{d}/complexfps.npz", "complex"),
    ("info", "{d}/pngbomb", ""),
    # strain
    ("strain", "{d}/missing.npz", "does not exist"),
    ("strain", "{d}/tracks_cut.npz", ""),
    ("strain", "{d}/tracks_complex.npz", "complex"),
    ("strain", "{d}/tracks.npz --ed 5 --es 2", "must come after the ED frame"),
    ("strain", "{d}/tracks.npz --ed 3 --es 3", "must come after the ED frame"),
    ("strain", "{d}/tracks.npz --out {o}/s.json --plot {o}/p.xyz", ".png"),
    ("strain", "{d}/tracks.npz --out {o}/s.json --plot {o}/missing/p.png", "does not exist"),
    ("strain", "{d}/tracks.npz --view psax", "psax"),
    # overlay
    ("overlay", "{d}/clip.npz {d}/tracks5.npz --out {o}/o.mp4", "frames"),
    ("overlay", "{d}/clip.npz {d}/tracks.npz --out {o}/o.mp4 --radius 100000", "limit"),
    ("overlay", "{d}/clip.npz {d}/tracks.npz --out {o}/o.avi", ""),
    # analyze
    ("analyze", "{d}/clip.npz --contour {d}/ed.json --contour {d}/ed.json --out {o}/rep", "one ED contour per clip"),
    ("analyze", "{d}/clip.npz --contour {d}/ed.json --es-frame 0 --out {o}/rep", "--es-frame"),
    ("analyze", "{d}/clip.npz --contour {d}/ed.json --fps -3 --out {o}/rep", "fps"),
    ("analyze", "{d}/clip.npz --contour {d}/ed.json --view psax --out {o}/rep", "psax"),
    ("analyze", "{d}/black_wall.npz --contour {d}/ed.json --out {o}/rep", "blank"),
    ("analyze", "{d}/clip.npz --contour {d}/ed.json --out {d}/afile/rep", "afile"),
    ("analyze", "{d}/clip.npz --contour {d}/ed.json --out /proc/echostrain-report", ""),
    # simulate, view, evaluate, decorrelation
    ("simulate", "--out {o}/s.h5 --frames 100000000000", "limit of 2000"),
    ("simulate", "--out {o}/s.h5 --frames 20 --per-cell 1e12", "fewer scatterers"),
    ("simulate", "--out {o}/s.h5 --frames 1", "at least 2"),
    ("generate", "--n 3 --out {o}/ds --frames 8", "full cardiac cycle"),
    ("simulate", "--out {o}/s.h5 --view psax", "psax"),
    ("simulate", "--out {o}/s.txt", "--out"),
    ("simulate", "--out {d}/dir.mp4", "--out"),
    ("simulate", "--out {o}/s.h5 --engine foo", "engine"),
    ("simulate", "--out {o}/s.h5 --pathology foo", "pathology"),
    ("view", "{d}/missing.h5 --out {o}/v.mp4", "does not exist"),
    ("evaluate", "--data {d}/emptydir --out {o}/ev", ""),
    ("decorrelation", "measure {d}/black.npy --out {o}/p.json", ""),
]


@pytest.mark.parametrize("command, args, text", CASES, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
def test_hostile_case(corpus, tmp_path, command, args, text):
    out = tmp_path / "out"
    out.mkdir()
    argv = [a.format(d=corpus, o=out) for a in args.split()]
    done = subprocess.run([sys.executable, "-m", "echostrain", command, *argv], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "ECHOSTRAIN_MAX_MEMORY_MB": "2048"})
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert lines[0].startswith("echostrain: error: ") and text in lines[0], lines[0]
    assert list(out.iterdir()) == [], list(out.iterdir())


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 60
