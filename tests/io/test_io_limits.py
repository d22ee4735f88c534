"""Hostile headers and files: sizes checked before allocation, only regular files read, deep JSON refused."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib

import numpy as np
import pytest

from echostrain.core.errors import CorruptInputError, InputNotFoundError, InvalidDataError, ParameterError
from echostrain.core.limits import MEMORY_ENV, check_allocation, memory_budget_bytes
from echostrain.io import read_video
from echostrain.io.contours import read_myocardium_contours

HUGE = (1000, 20000, 20000)


def npy_header_only(path, shape=HUGE, dtype=np.uint8) -> None:
    """An .npy whose header declares ``shape`` but holds a few bytes of data."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                                   "shape": shape})
        fh.write(b"\0" * 64)


def png_header_only(path, width: int, height: int) -> None:
    """A PNG whose IHDR declares width × height, with one tiny (wrong) IDAT."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
                     + chunk(b"IEND", b""))


def cli(*args, env=None, timeout=60):
    return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def one_line_exit_2(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


def test_budget_from_the_environment(monkeypatch):
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    assert memory_budget_bytes() == 8192 * 2**20
    monkeypatch.setenv(MEMORY_ENV, "100")
    assert memory_budget_bytes() == 100 * 2**20
    check_allocation((10, 1000, 1000), 5, "x")  # 50 MB: fits
    with pytest.raises(InvalidDataError, match=f"above the budget of 100 MiB.*{MEMORY_ENV}"):
        check_allocation((30, 1000, 1000), 5, "x")
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(ParameterError, match=MEMORY_ENV):
        memory_budget_bytes()


def test_npy_npz_headers_declaring_huge_arrays_are_refused_before_reading(tmp_path):
    npy_header_only(tmp_path / "bomb.npy")
    with pytest.raises(InvalidDataError, match="1000×20000×20000 values.*GiB"):
        read_video(tmp_path / "bomb.npy")
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as zf:
        with zf.open("frames.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "|u1", "fortran_order": False, "shape": HUGE})
            member.write(b"\0" * 64)
    with pytest.raises(InvalidDataError, match="frames.*memory"):
        read_video(tmp_path / "bomb.npz")
    line = one_line_exit_2(cli("info", tmp_path / "bomb.npy"))
    assert "memory" in line and MEMORY_ENV in line


def test_hdf5_frames_declaring_huge_shape_are_refused(tmp_path):
    import h5py

    with h5py.File(tmp_path / "bomb.h5", "w") as fh:
        fh.create_dataset("frames", shape=HUGE, dtype="u1", chunks=(1, 100, 100), compression="gzip")
    assert (tmp_path / "bomb.h5").stat().st_size < 100_000
    with pytest.raises(InvalidDataError, match="/frames declares 1000×20000×20000"):
        read_video(tmp_path / "bomb.h5")


def test_png_folder_bombs_are_refused(tmp_path, monkeypatch):
    folder = tmp_path / "frames"
    folder.mkdir()
    png_header_only(folder / "f000.png", 20000, 20000)
    png_header_only(folder / "f001.png", 20000, 20000)
    with pytest.raises((InvalidDataError, CorruptInputError)) as info:
        read_video(folder)
    assert "too large" in str(info.value) or "memory" in str(info.value)
    one_line_exit_2(cli("info", folder))
    # many normal-sized headers: their total is checked before decoding
    many = tmp_path / "many"
    many.mkdir()
    for i in range(3):
        png_header_only(many / f"f{i:03d}.png", 4000, 4000)
    monkeypatch.setenv(MEMORY_ENV, "100")
    with pytest.raises(InvalidDataError, match="memory"):
        read_video(many)


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    start = time.monotonic()
    with pytest.raises(InputNotFoundError, match="not a regular file"):
        read_video(fifo)
    line = one_line_exit_2(cli("info", fifo, timeout=30))
    assert "not a regular file" in line and time.monotonic() - start < 30
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    with pytest.raises(InputNotFoundError, match="not a regular file"):
        read_myocardium_contours(zero)


def test_deep_or_huge_json_contours_are_refused(tmp_path, monkeypatch):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(CorruptInputError, match="nests JSON too deeply"):
        read_myocardium_contours(deep)
    import echostrain.core.limits as limits

    monkeypatch.setattr(limits, "MAX_TEXT_BYTES", 1000)
    big = tmp_path / "big.json"
    big.write_text('{"endo": [' + ",".join(["[1, 2]"] * 400) + '], "epi": []}')
    with pytest.raises(CorruptInputError, match="above the 0 MiB a text input may have"):
        read_myocardium_contours(big)


def test_budget_refuses_a_normal_clip_when_set_low_and_names_the_variable(tmp_path):
    arr = np.zeros((20, 400, 500), np.uint8)
    arr[:, 100:300, 100:400] = 120
    np.save(tmp_path / "clip.npy", arr)
    assert read_video(tmp_path / "clip.npy").frames.shape == arr.shape
    line = one_line_exit_2(cli("info", tmp_path / "clip.npy", env={MEMORY_ENV: "10"}))
    assert "20×400×500" in line and MEMORY_ENV in line


def test_overlay_radius_is_bounded():
    from echostrain.core.errors import ParameterError
    from echostrain.io import overlay_points
    from echostrain.io.overlay import MAX_RADIUS_PX

    frames = np.zeros((2, 20, 20), np.float32)
    pts = np.full((2, 1, 2), 10.0)
    assert overlay_points(frames, pts, radius_px=MAX_RADIUS_PX).shape == (2, 20, 20, 3)
    with pytest.raises(ParameterError, match="above the limit of 50 px"):
        overlay_points(frames, pts, radius_px=100000)


def test_blank_clips_complex_values_and_wrong_output_names_are_refused(tmp_path):
    from echostrain.core.errors import OutputPathError, ParameterError
    from echostrain.io import TrackSet
    from echostrain.io.overlay_files import write_overlay
    from echostrain.report.figure_paths import png_path

    np.save(tmp_path / "black.npy", np.zeros((6, 40, 40), np.uint8))
    (tmp_path / "pts.csv").write_text("x,y\n10,10\n20,20\n")
    done = cli("track", tmp_path / "black.npy", "--points", tmp_path / "pts.csv", "--out", tmp_path / "t.npz",
               "--spacing-mm", "0.3,0.3")
    assert "blank" in one_line_exit_2(done) and not (tmp_path / "t.npz").exists()
    with pytest.raises(InvalidDataError, match="complex"):
        TrackSet(np.ones((3, 2, 2)) * (1 + 1j), (0.3, 0.3), np.zeros(2), np.zeros(2))
    with pytest.raises(ParameterError, match="real number"):
        TrackSet(np.ones((3, 2, 2)), (0.3, 0.3), np.zeros(2), np.zeros(2), fps=np.complex128(25 + 1j))
    with pytest.raises(OutputPathError, match="ending in .png"):
        png_path(tmp_path / "p.xyz")
    with pytest.raises(ParameterError, match="MP4 movie"):
        write_overlay(tmp_path / "o.avi", np.zeros((2, 8, 8), np.float32), np.full((2, 1, 2), 4.0))
    assert not (tmp_path / "o.avi").exists()


def test_reader_warnings_do_not_reach_the_user(tmp_path, dicom_builder):
    """A DICOM that pydicom warns about (a value longer than its VR allows) reads without a word on stderr."""
    from echostrain.io.dicom import read_dicom

    make_dicom = dicom_builder
    pixels = (np.random.default_rng(0).random((3, 32, 32)) * 200 + 20).astype(np.uint8)
    with pytest.warns(UserWarning):
        make_dicom(tmp_path / "clip.dcm", pixels, extra={"Manufacturer": "x" * 70})  # LO is at most 64 long
    with pytest.warns(UserWarning, match="exceeds the maximum"):
        read_dicom(tmp_path / "clip.dcm")  # the reader itself meets the warning…
    done = cli("info", tmp_path / "clip.dcm")  # …which never reaches the user
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    (tmp_path / "dir.h5").mkdir()
    line = one_line_exit_2(cli("simulate", "--out", tmp_path / "dir.h5", "--frames", "20"))
    assert "is a folder" in line
