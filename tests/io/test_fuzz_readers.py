"""Property-based fuzzing of every reader: random and mutated bytes, headers and shapes.

The only allowed outcomes are a valid result or the project's own error
(:class:`~echostrain.core.errors.EchoStrainError`). ``make test`` runs a short
profile (``ECHOSTRAIN_FUZZ_EXAMPLES``, default 15 examples per reader);
``make fuzz`` a long one.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from echostrain.core.errors import EchoStrainError
from echostrain.io import read_tracks, read_video
from echostrain.io.contours import read_myocardium_contours
from echostrain.io.points import read_points_csv

EXAMPLES = int(os.environ.get("ECHOSTRAIN_FUZZ_EXAMPLES", "15"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BUDGET_MB = "512"  # a small budget: headers declaring big arrays must be refused, not allocated


@pytest.fixture(autouse=True)
def small_budget(monkeypatch):
    monkeypatch.setenv("ECHOSTRAIN_MAX_MEMORY_MB", BUDGET_MB)


def _io_conftest():
    """tests/io/conftest.py as a module (its name clashes with the other folders' conftest modules)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("io_conftest", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _valid_files() -> dict[str, bytes]:
    """Small valid files of every format the readers take, made here."""
    rng = np.random.default_rng(0)
    clip = (rng.random((4, 24, 32)) * 200 + 20).astype(np.uint8)
    out: dict[str, bytes] = {}
    buf = io.BytesIO()
    np.save(buf, clip)
    out[".npy"] = buf.getvalue()
    buf = io.BytesIO()
    np.savez(buf, frames=clip, spacing_mm=np.array([0.3, 0.3]), fps=np.float64(25))
    out[".npz"] = buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        from echostrain.io import write_mp4

        make_dicom = _io_conftest().make_dicom

        mp4 = write_mp4(Path(tmp) / "c.mp4", np.repeat(clip[..., None], 3, axis=-1), fps=25.0)
        out[".mp4"] = Path(mp4).read_bytes()
        make_dicom(Path(tmp) / "c.dcm", clip)
        out[".dcm"] = (Path(tmp) / "c.dcm").read_bytes()
        import h5py

        with h5py.File(Path(tmp) / "c.h5", "w") as fh:
            fh.create_dataset("frames", data=clip)
            fh.attrs["fps"] = 25.0
        out[".h5"] = (Path(tmp) / "c.h5").read_bytes()
    return out


VALID = _valid_files()


def _mutate(data: bytes, flips: list[tuple[int, int]], cut: int | None) -> bytes:
    raw = bytearray(data)
    for pos, value in flips:
        raw[pos % len(raw)] = value
    return bytes(raw[: cut % len(raw)] if cut is not None else raw)


def _outcome(read, path: Path) -> None:
    try:
        read(path)
    except EchoStrainError:
        pass


mutations = st.tuples(st.lists(st.tuples(st.integers(0, 10**7), st.integers(0, 255)), max_size=8),
                      st.one_of(st.none(), st.integers(0, 10**7)))


@pytest.mark.parametrize("suffix", sorted(VALID))
@FUZZ
@given(mutation=mutations)
def test_mutated_clips_read_or_give_our_error(suffix, mutation):
    flips, cut = mutation
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"clip{suffix}"
        path.write_bytes(_mutate(VALID[suffix], flips, cut))
        _outcome(read_video, path)


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".h5", ".dcm", ".mp4", ".avi", ".json", ".csv"])
@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_read_or_give_our_error(suffix, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"x{suffix}"
        path.write_bytes(data)
        readers = {".json": read_myocardium_contours, ".csv": read_points_csv}
        _outcome(readers.get(suffix, read_video), path)


dtypes = st.sampled_from(["|u1", "<u2", "<f4", "<f8", "<i8", "<c8", "|b1", "<U3", "|O", "<M8[s]", "|V4"])
shapes = st.lists(st.integers(0, 100_000), min_size=0, max_size=5).map(tuple)


@FUZZ
@given(descr=dtypes, shape=shapes, fortran=st.booleans(), payload=st.integers(0, 4096))
def test_npy_headers_of_any_shape_and_dtype(descr, shape, fortran, payload):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h.npy"
        with open(path, "wb") as fh:
            np.lib.format.write_array_header_1_0(fh, {"descr": descr, "fortran_order": fortran, "shape": shape})
            fh.write(b"\x01" * payload)
        _outcome(read_video, path)


@FUZZ
@given(shape=st.lists(st.integers(0, 50_000), min_size=1, max_size=4).map(tuple),
       dtype=st.sampled_from(["u1", "u2", "f4", "f8", "i4"]), fps=st.one_of(st.none(), st.floats(allow_nan=True)))
def test_hdf5_frames_of_any_shape(shape, dtype, fps):
    import h5py

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.h5"
        with h5py.File(path, "w") as fh:
            fh.create_dataset("frames", shape=shape, dtype=dtype, chunks=True if all(shape) else None)
            if fps is not None:
                fh.attrs["fps"] = fps
        _outcome(read_video, path)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.text()),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=5), children, max_size=6),
    max_leaves=40)


@FUZZ
@given(endo=json_values, epi=json_values, view=json_values, frame=json_values)
def test_contour_json_of_any_content(endo, epi, view, frame):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.json"
        path.write_text(json.dumps({"endo": endo, "epi": epi, "view": view, "frame": frame}))
        _outcome(read_myocardium_contours, path)


@FUZZ
@given(arrays=st.dictionaries(st.sampled_from(["tracks", "spacing_mm", "layer", "segment", "fps", "view", "x"]),
                              st.sampled_from([np.zeros((3, 2, 2)), np.ones((2,)), np.array([np.nan]),
                                               np.zeros((0,)), np.array(["a4c"]), np.ones((3, 2, 2)) * 1j,
                                               np.full((2, 2, 2), np.inf), np.array([-1, 7])]), max_size=7))
def test_tracks_files_of_any_content(arrays):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.npz"
        np.savez(path, **arrays)
        _outcome(read_tracks, path)


def test_hdf5_member_names_that_are_not_utf8_give_our_error(tmp_path):
    """Found by `make fuzz`: a flipped byte in a member name made h5py return bytes, and the message crashed."""
    import h5py

    path = tmp_path / "names.h5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset(b"fr\xe1mes", data=np.zeros((4, 8, 8), np.uint8))
    with pytest.raises(EchoStrainError, match="no /frames dataset"):
        read_video(path)
