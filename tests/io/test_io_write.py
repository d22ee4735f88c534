"""Atomic writers: nothing is left behind on failure; overwrite rules; reproducible bytes."""

from __future__ import annotations

import numpy as np
import pytest

from echostrain.core.errors import (
    InvalidDataError,
    OutputPathError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io import (
    atomic_path,
    read_video,
    write_mp4,
    write_npz,
    write_png_frames,
    write_text_atomic,
)


def test_atomic_path_success_and_temp_name(tmp_path):
    target = tmp_path / "out.json"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.tmp-") and tmp.suffix == ".json"
        tmp.write_text("{}")
        assert not target.exists()
    assert target.read_text() == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_path_error_removes_temp_and_keeps_old_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_path_missing_parent(tmp_path, one_line):
    with pytest.raises(OutputPathError) as exc:
        write_text_atomic(tmp_path / "no" / "such" / "f.txt", "x")
    assert "does not exist" in one_line(exc.value)


def test_atomic_path_no_overwrite(tmp_path, one_line):
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(OutputPathError) as exc:
        write_text_atomic(tmp_path / "f.txt", "y", overwrite=False)
    one_line(exc.value)


def test_write_mp4_nan_leaves_nothing(tmp_path, one_line):
    frames = np.zeros((3, 8, 8), np.float32)
    frames[1, 2, 2] = np.nan
    with pytest.raises(InvalidDataError) as exc:
        write_mp4(tmp_path / "bad.mp4", frames, fps=25)
    one_line(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_write_mp4_encoder_failure_leaves_nothing(tmp_path, monkeypatch):
    import av

    calls = {"n": 0}
    real = av.VideoFrame.from_ndarray

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated crash mid-file")
        return real(*args, **kwargs)

    monkeypatch.setattr(av.VideoFrame, "from_ndarray", staticmethod(failing))
    with pytest.raises(RuntimeError):
        write_mp4(tmp_path / "crash.mp4", np.zeros((5, 8, 8), np.uint8), fps=25)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"fps": 0}, ParameterError),
        ({"fps": 25, "crf": 60}, ParameterError),
        ({"fps": 25, "spacing_mm": (0.1,)}, ParameterError),
    ],
)
def test_write_mp4_bad_parameters(tmp_path, kwargs, error, one_line):
    with pytest.raises(error) as exc:
        write_mp4(tmp_path / "x.mp4", np.zeros((2, 8, 8), np.uint8), **kwargs)
    one_line(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_write_mp4_wrong_suffix_and_missing_folder(tmp_path, one_line):
    with pytest.raises(UnsupportedFormatError) as exc:
        write_mp4(tmp_path / "x.avi", np.zeros((2, 8, 8), np.uint8), fps=25)
    one_line(exc.value)
    with pytest.raises(OutputPathError) as exc:
        write_mp4(tmp_path / "missing" / "x.mp4", np.zeros((2, 8, 8), np.uint8), fps=25)
    assert "does not exist" in one_line(exc.value)


def test_write_mp4_is_reproducible(tmp_path, grey_u8):
    a = write_mp4(tmp_path / "a.mp4", grey_u8, fps=25, spacing_mm=(0.2, 0.2))
    b = write_mp4(tmp_path / "b.mp4", grey_u8, fps=25, spacing_mm=(0.2, 0.2))
    assert a.read_bytes() == b.read_bytes()


def test_write_png_frames_overwrite_rules(tmp_path, grey_u8, one_line):
    folder = write_png_frames(tmp_path / "frames", grey_u8)
    with pytest.raises(OutputPathError) as exc:
        write_png_frames(folder, grey_u8[:2])
    assert "not empty" in one_line(exc.value)
    write_png_frames(folder, grey_u8[:2], overwrite=True)
    assert read_video(folder).n_frames == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]  # no temp or old folder left


def test_write_png_frames_failure_leaves_nothing(tmp_path, one_line):
    frames = np.full((3, 4, 4), 2.0)  # out of range
    with pytest.raises(InvalidDataError) as exc:
        write_png_frames(tmp_path / "frames", frames)
    one_line(exc.value)
    assert list(tmp_path.iterdir()) == []


def test_write_png_frames_into_a_file_path(tmp_path, grey_u8, one_line):
    (tmp_path / "frames").write_text("x")
    with pytest.raises(OutputPathError) as exc:
        write_png_frames(tmp_path / "frames", grey_u8, overwrite=True)
    one_line(exc.value)


def test_write_npz_reproducible_and_loadable(tmp_path):
    arrays = {"a": np.arange(5.0), "b": np.asarray("a4c")}
    p1 = write_npz(tmp_path / "one.npz", arrays)
    p2 = write_npz(tmp_path / "two.npz", arrays)
    assert p1.read_bytes() == p2.read_bytes()
    with np.load(p1, allow_pickle=False) as data:
        np.testing.assert_array_equal(data["a"], arrays["a"])
        assert str(data["b"]) == "a4c"


def test_write_npz_object_array_leaves_nothing(tmp_path, one_line):
    with pytest.raises(InvalidDataError) as exc:
        write_npz(tmp_path / "o.npz", {"ok": np.zeros(3), "bad": np.array([{}], dtype=object)})
    one_line(exc.value)
    assert list(tmp_path.iterdir()) == []
