"""Which files the evaluation takes: sequences of a folder (never temporaries) and the clips of a cohort folder."""

from __future__ import annotations

import shutil

import pytest

from echostrain.core.errors import InputNotFoundError, ParameterError
from echostrain.core.vocabulary import CLIP_SUFFIXES
from echostrain.evaluate.real import find_clips
from echostrain.evaluate.synthetic import find_sequences


def test_find_sequences_skips_the_temporaries_of_writes_in_progress(tiny_data, tmp_path):
    shutil.copy(tiny_data / "seq_00000.h5", tmp_path / "a.h5")
    (tmp_path / ".b.h5.tmp-99.h5").write_bytes(b"not finished")
    (tmp_path / ".a.tmp-1.h5").write_bytes(b"")
    assert find_sequences([tmp_path]) == [tmp_path / "a.h5"]
    assert find_sequences([tmp_path / "a.h5"]) == [tmp_path / "a.h5"]


def test_find_sequences_refuses_an_empty_folder_or_a_missing_path(tmp_path):
    with pytest.raises(ParameterError, match="no sequence files"):
        find_sequences([tmp_path])
    with pytest.raises((ParameterError, InputNotFoundError), match="does not exist"):
        find_sequences([tmp_path / "missing"])


def test_find_clips_takes_every_suffix_read_video_reads_and_frame_folders(tmp_path):
    for i, suffix in enumerate(CLIP_SUFFIXES):
        (tmp_path / f"clip{i}{suffix.upper() if i % 2 else suffix}").write_bytes(b"x")
    (tmp_path / "frames").mkdir()
    (tmp_path / "frames" / "0001.jpg").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not a clip")
    (tmp_path / ".clip.mp4.tmp-3.mp4").write_bytes(b"x")
    (tmp_path / "empty_folder").mkdir()
    found = [p.name for p in find_clips(tmp_path)]
    assert len(found) == len(CLIP_SUFFIXES) + 1 and "frames" in found
    assert "notes.txt" not in found and "empty_folder" not in found and not any(n.startswith(".") for n in found)
    assert {".mkv", ".dicom"} <= set(CLIP_SUFFIXES)  # read_video accepts them; the old list missed them


def test_find_clips_refuses_a_folder_without_clips(tmp_path):
    with pytest.raises(InputNotFoundError):
        find_clips(tmp_path / "missing")
    empty = tmp_path / "e"
    empty.mkdir()
    with pytest.raises(ParameterError, match="no clips"):
        find_clips(empty)
