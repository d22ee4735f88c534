"""The full HDF5 sequence file: SequenceData, write_sequence, read_sequence, echostrain.data."""

from __future__ import annotations

import dataclasses
import struct
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

import echostrain
from echostrain.data import list_sequences, load_sequence
from echostrain.core.errors import (
    CorruptInputError,
    InputNotFoundError,
    InvalidDataError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io import SequenceData, read_sequence, read_video, write_sequence
from echostrain.io.sequence import SEQUENCE_ATTRS, SEQUENCE_DATASETS

T, H, W, N = 5, 40, 50, 7


def make_fields(seed: int = 7) -> dict:
    """Keyword arguments of a small, valid synthetic SequenceData."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    ring = np.hypot(yy - 20, xx - 25)
    frames = (rng.random((T, H, W)) * 100 + 80 * (np.abs(ring - 12) < 4)).astype(np.uint8)
    mask = np.stack([np.abs(ring - 12 - 0.3 * t) < 4 for t in range(T)])
    tracks = (rng.random((T, N, 2)) * [W - 1, H - 1]).astype(np.float32)
    gls = np.array([0.0, -5.5, -17.25, -8.0, -1.0], np.float32)
    return {
        "frames": frames,
        "tracks": tracks,
        "track_layer": np.array([0, 0, 1, 1, 2, 2, -1], np.int8),
        "track_segment": np.array([0, 3, 1, 5, 2, 4, -1], np.int8),
        "myocardium_mask": mask,
        "spacing_mm": (0.3, 0.35),
        "fps": 50.0,
        "view": "a4c",
        "ed_index": 0,
        "es_index": 2,
        "seed": 2**63 + 5,
        "engine": "psf",
        "gls_pct": gls,
        "segmental_pct": np.stack([gls * (1 + 0.1 * s) for s in range(6)]),
        "parameters": {
            "probe": {"name": "P4-2v", "f0_hz": 2.7e6, "elements": 64},
            "scan": {"depth_m": 0.15, "sector_deg": 75.0, "lines": [1, 2, 3]},
            "scene": {"n_scatterers": 500_000, "clutter": None, "ok": True},
            "motion": {"gls_target_pct": -17.25, "hr_bpm": 70.5, "label": "normal ü"},
        },
    }


@pytest.fixture
def seq() -> SequenceData:
    return SequenceData(**make_fields())


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ---------------------------------------------------------------- round trip


def test_round_trip_every_field(tmp_path, seq):
    path = write_sequence(tmp_path / "s.h5", seq)
    assert path == tmp_path / "s.h5" and _listing(tmp_path) == ["s.h5"]
    back = read_sequence(path)
    assert back == seq
    for f in dataclasses.fields(SequenceData):
        a, b = getattr(back, f.name), getattr(seq, f.name)
        if isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, f.name
            np.testing.assert_array_equal(a, b, err_msg=f.name)
        else:
            assert a == b and type(a) is type(b), f.name
    assert back.frames.dtype == np.uint8 and back.tracks.dtype == np.float32
    assert back.track_layer.dtype == np.int8 and back.track_segment.dtype == np.int8
    assert back.myocardium_mask.dtype == np.bool_
    assert back.gls_pct.dtype == np.float32 and back.segmental_pct.shape == (6, T)
    assert back.version == echostrain.__version__ and back.seed == 2**63 + 5
    assert back.parameters["motion"]["label"] == "normal ü"
    assert (back.n_frames, back.n_points, back.shape) == (T, N, (H, W))
    assert load_sequence(path) == seq


def test_file_layout(tmp_path, seq):
    path = write_sequence(tmp_path / "s.hdf5", seq)
    with h5py.File(path, "r") as fh:
        for name in SEQUENCE_DATASETS:
            assert isinstance(fh[name], h5py.Dataset), name
        assert set(fh.attrs) == set(SEQUENCE_ATTRS)
        assert fh.attrs["format"] == "echostrain-sequence" and fh.attrs["format_version"] == 1
        frames = fh["frames"]
        assert frames.dtype == np.uint8 and frames.shape == (T, H, W)
        assert frames.chunks == (1, H, W) and frames.compression == "gzip"
        assert frames.compression_opts == 4
        mask = fh["myocardium_mask"]
        assert mask.dtype == np.bool_ and mask.compression == "gzip"
        assert fh["tracks"].dtype == np.float32 and fh["tracks"].shape == (T, N, 2)
        assert fh["strain/gls"].shape == (T,) and fh["strain/segmental"].shape == (6, T)
        np.testing.assert_allclose(fh.attrs["spacing_mm"], (0.3, 0.35))
        assert fh.attrs["view"] == "a4c" and fh.attrs["es_index"] == 2
        assert '"probe":{"elements":64' in fh.attrs["parameters"]


def test_parameters_normalised_like_json(tmp_path):
    fields = make_fields()
    fields["parameters"] = {"b": (1, 2), "a": {"x": np.float64(0.5), "v": np.arange(3)}}
    data = SequenceData(**fields)
    assert data.parameters == {"a": {"v": [0, 1, 2], "x": 0.5}, "b": [1, 2]}
    assert list(data.parameters) == ["a", "b"]
    assert read_sequence(write_sequence(tmp_path / "p.h5", data)) == data


# ---------------------------------------------------------------- determinism


def _timestamps_in(blob: bytes, lo: int, hi: int) -> list[int]:
    """Offsets of little-endian uint32 values within [lo, hi] (HDF5 stores times so)."""
    hits = []
    for shift in range(4):
        v = np.frombuffer(blob[shift : shift + (len(blob) - shift) // 4 * 4], "<u4")
        hits += [int(i) * 4 + shift for i in np.flatnonzero((v >= lo) & (v <= hi))]
    return hits


def test_byte_identical_and_no_timestamps(tmp_path, seq):
    t0 = int(time.time())
    a = write_sequence(tmp_path / "a.h5", seq).read_bytes()
    b = write_sequence(tmp_path / "b.h5", SequenceData(**make_fields())).read_bytes()
    t1 = int(time.time()) + 1
    assert a == b
    assert _timestamps_in(a, t0 - 2, t1 + 2) == []
    with h5py.File(tmp_path / "a.h5", "r") as fh:
        objects = [fh["strain"], *(fh[n] for n in SEQUENCE_DATASETS)]
        for obj in objects:
            info = h5py.h5o.get_info(obj.id)
            assert (info.ctime, info.mtime) == (0, 0), obj.name
    # a different seed changes the file
    other = dataclasses.replace(seq, seed=1)
    assert write_sequence(tmp_path / "c.h5", other).read_bytes() != a


def test_timestamp_probe_detects_tracked_times(tmp_path):
    """The probe above would see HDF5 timestamps if they were written."""
    t0 = int(time.time())
    with h5py.File(tmp_path / "t.h5", "w") as fh:
        fh.create_dataset("x", data=np.zeros(3), track_times=True)
    t1 = int(time.time()) + 1
    assert _timestamps_in((tmp_path / "t.h5").read_bytes(), t0 - 2, t1 + 2)


def test_overwrite_replaces_file(tmp_path, seq):
    path = tmp_path / "s.h5"
    path.write_bytes(b"old")
    write_sequence(path, seq)
    assert read_sequence(path) == seq and _listing(tmp_path) == ["s.h5"]


# ---------------------------------------------------------------- read_video


def test_read_video_opens_full_file(tmp_path, seq):
    path = write_sequence(tmp_path / "s.h5", seq)
    v = read_video(path)
    assert v.frames.dtype == np.float32 and v.frames.shape == (T, H, W)
    np.testing.assert_array_equal(np.rint(v.frames * 255).astype(np.uint8), seq.frames)
    assert v.spacing_mm == (0.3, 0.35) and v.fps == 50.0
    md = v.metadata
    assert (md["view"], md["ed_index"], md["es_index"], md["seed"]) == ("a4c", 0, 2, 2**63 + 5)
    assert md["format"] == "sequence" and md["sequence_format"] == "echostrain-sequence"
    assert md["parameters"]["probe"]["name"] == "P4-2v"
    assert "tracks" in md["members"]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"tracks": np.zeros((T + 1, N, 2), np.float32)}, InvalidDataError, "tracks"),
        ({"myocardium_mask": np.zeros((T, H, W + 1), bool)}, InvalidDataError, "myocardium_mask"),
        ({"track_layer": np.zeros(N - 1, np.int8)}, InvalidDataError, "track_layer"),
        ({"segmental_pct": np.zeros((5, T), np.float32)}, InvalidDataError, "segmental_pct"),
        ({"gls_pct": np.zeros(T - 1, np.float32)}, InvalidDataError, "gls_pct"),
        ({"frames": np.zeros((T, H, W), np.float32)}, InvalidDataError, "uint8"),
        ({"frames": np.zeros((1, H, W), np.uint8)}, InvalidDataError, "2 frames"),
        ({"track_segment": np.full(N, 6, np.int8)}, InvalidDataError, "track_segment"),
        ({"track_segment": np.zeros(N, np.int8)}, InvalidDataError, "segment −1"),
        ({"ed_index": T}, ParameterError, "ed_index"),
        ({"es_index": -1}, ParameterError, "es_index"),
        ({"view": "plax"}, ParameterError, "view"),
        ({"spacing_mm": (0.3, -1.0)}, ParameterError, "spacing_mm"),
        ({"fps": float("nan")}, ParameterError, "fps"),
        ({"seed": -3}, ParameterError, "seed"),
        ({"engine": ""}, ParameterError, "engine"),
        ({"parameters": {"x": float("nan")}}, ParameterError, "JSON"),
        ({"parameters": {"x": object()}}, ParameterError, "JSON"),
    ],
)
def test_invalid_fields(tmp_path, one_line, change, error, words):
    with pytest.raises(error) as exc:
        SequenceData(**{**make_fields(), **change})
    assert words in one_line(exc.value)


def test_nan_tracks(tmp_path, one_line):
    fields = make_fields()
    fields["tracks"][3, 4, 1] = np.nan
    with pytest.raises(InvalidDataError) as exc:
        SequenceData(**fields)
    assert "frame 3, point 4" in one_line(exc.value)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("tracks", np.full((T, N, 2), np.nan, np.float32), InvalidDataError),
        ("tracks", np.zeros((T, N, 3), np.float32), InvalidDataError),
        ("ed_index", 99, ParameterError),
        ("view", "A5C", ParameterError),
    ],
)
def test_write_revalidates_and_leaves_nothing(tmp_path, seq, one_line, field, value, error):
    setattr(seq, field, value)  # fields changed after construction
    with pytest.raises(error) as exc:
        write_sequence(tmp_path / "s.h5", seq)
    one_line(exc.value)
    assert _listing(tmp_path) == []


def test_wrong_suffix(tmp_path, seq, one_line):
    with pytest.raises(UnsupportedFormatError) as exc:
        write_sequence(tmp_path / "s.npz", seq)
    assert ".h5" in one_line(exc.value)
    assert _listing(tmp_path) == []


def test_write_needs_sequence_data(tmp_path, one_line):
    with pytest.raises(ParameterError) as exc:
        write_sequence(tmp_path / "s.h5", {"frames": 1})  # type: ignore[arg-type]
    one_line(exc.value)
    assert _listing(tmp_path) == []


def test_missing_file(tmp_path, one_line):
    with pytest.raises(InputNotFoundError) as exc:
        read_sequence(tmp_path / "nope.h5")
    assert "nope.h5" in one_line(exc.value)


def test_truncated_and_garbage_files(tmp_path, seq, one_line):
    blob = write_sequence(tmp_path / "s.h5", seq).read_bytes()
    for name, data in [("cut.h5", blob[: len(blob) // 2]), ("junk.h5", b"\x89HDF junk" * 50)]:
        (tmp_path / name).write_bytes(data)
        with pytest.raises(CorruptInputError) as exc:
            read_sequence(tmp_path / name)
        assert name in one_line(exc.value)


def test_old_minimal_file(tmp_path, one_line, seq):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("frames", data=seq.frames)
        fh.attrs["spacing_mm"] = np.array([0.3, 0.35])
        fh.attrs["fps"] = 40.0
    with pytest.raises(CorruptInputError) as exc:
        read_sequence(path)
    assert "not a full echostrain sequence file" in one_line(exc.value)
    assert "/tracks" in str(exc.value)
    v = read_video(path)
    assert v.frames.shape == (T, H, W) and v.spacing_mm == (0.3, 0.35) and v.fps == 40.0


def test_missing_members_are_listed(tmp_path, seq, one_line):
    path = write_sequence(tmp_path / "s.h5", seq)
    with h5py.File(path, "a") as fh:
        del fh["strain/segmental"]
        del fh.attrs["es_index"]
    with pytest.raises(CorruptInputError) as exc:
        read_sequence(path)
    msg = one_line(exc.value)
    assert "/strain/segmental" in msg and "es_index" in msg and "/frames" not in msg


def test_invalid_contents_and_newer_format(tmp_path, seq, one_line):
    path = write_sequence(tmp_path / "s.h5", seq)
    with h5py.File(path, "a") as fh:
        fh.attrs["view"] = "plax"
    with pytest.raises(CorruptInputError) as exc:
        read_sequence(path)
    assert "view" in one_line(exc.value)
    with h5py.File(path, "a") as fh:
        fh.attrs["view"] = "a4c"
        fh.attrs["parameters"] = "{not json"
    with pytest.raises(CorruptInputError) as exc:
        read_sequence(path)
    assert "parameters" in one_line(exc.value)
    with h5py.File(path, "a") as fh:
        fh.attrs["format_version"] = 2
    with pytest.raises(UnsupportedFormatError) as exc:
        read_sequence(path)
    assert "format_version 2" in one_line(exc.value)


# ---------------------------------------------------------------- echostrain.data


def test_list_sequences(tmp_path, seq, one_line):
    for name in ("b.h5", "a.h5", "c.hdf5", "notes.txt", ".a.tmp-1234.h5"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "d.h5").mkdir()
    assert list_sequences(tmp_path) == [tmp_path / "a.h5", tmp_path / "b.h5"]
    assert list_sequences(tmp_path / "d.h5") == []
    with pytest.raises(InputNotFoundError) as exc:
        list_sequences(tmp_path / "missing")
    assert "missing" in one_line(exc.value)
    with pytest.raises(InputNotFoundError):
        list_sequences(tmp_path / "a.h5")


def test_data_package_exports():
    import echostrain.data as data

    assert data.__doc__.startswith("Datasets of simulated sequences")
    assert {"list_sequences", "load_sequence"} <= set(data.__all__)


def test_timestamps_helper_struct():
    """The probe reads little-endian uint32 at every byte offset."""
    blob = b"\x00" + struct.pack("<I", 123456) + b"\x00\x00"
    assert _timestamps_in(blob, 123456, 123456) == [1]
