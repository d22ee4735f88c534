"""Read any supported echo clip into an :class:`EchoVideo`."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from echostrain.core.errors import InputNotFoundError, UnsupportedFormatError
from echostrain.io._util import as_path, check_fps, check_spacing
from echostrain.io.arrays import read_npy, read_npz
from echostrain.io.dicom import is_dicom_file, read_dicom
from echostrain.io.movie import read_movie
from echostrain.io.pngdir import read_png_folder
from echostrain.io.sequence import read_sequence_video
from echostrain.io.video import EchoVideo

DICOM_SUFFIXES = (".dcm", ".dicom")
MOVIE_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".m4v")
HDF5_SUFFIXES = (".h5", ".hdf5")

#: Human-readable list of what :func:`read_video` accepts.
SUPPORTED_FORMATS = (
    "DICOM (.dcm, .dicom, or any file with the DICM preamble), "
    "video (.mp4, .avi, .mov, .mkv, .m4v), NumPy (.npy, .npz), "
    "echostrain sequence (.h5, .hdf5), or a folder of PNG/JPEG frames"
)


def _read_by_type(p: Path) -> EchoVideo:
    suffix = p.suffix.lower()
    if p.is_dir():
        return read_png_folder(p)
    if suffix in DICOM_SUFFIXES or is_dicom_file(p):
        return read_dicom(p)
    if suffix in MOVIE_SUFFIXES:
        return read_movie(p)
    if suffix == ".npy":
        return read_npy(p)
    if suffix == ".npz":
        return read_npz(p)
    if suffix in HDF5_SUFFIXES:
        return read_sequence_video(p)
    raise UnsupportedFormatError(
        f"{p}: unsupported file type '{suffix or '(no suffix)'}'; supported: {SUPPORTED_FORMATS}"
    )


def read_video(
    path: str | os.PathLike[str],
    spacing_mm: tuple[float, float] | None = None,
    fps: float | None = None,
) -> EchoVideo:
    """Read an echo clip; the format is chosen from the suffix (or DICOM preamble).

    Args:
        path: a file, or a folder of PNG/JPEG frames.
        spacing_mm: pixel size (dy, dx) in mm; overrides the file's value.
        fps: frame rate in frames/s; overrides the file's value.

    Returns:
        The clip as grey float32 frames [T, H, W] in [0, 1], T ≥ 2.
    """
    p = as_path(path)
    spacing_override = check_spacing(spacing_mm, "spacing_mm option")
    fps_override = check_fps(fps, "fps option")
    if not p.exists():
        raise InputNotFoundError(f"input {p} does not exist; check the path and spelling")
    if not (p.is_dir() or p.is_file()):
        raise InputNotFoundError(
            f"input {p} is not a regular file or folder (a pipe, device or socket); give a clip file"
        )

    # the readers' libraries (pydicom, PIL, PyAV) may warn about what they read: a file
    # that reads is used as it is, one that does not gives the reader's one-line error
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        video = _read_by_type(p)

    # overrides were validated above; set them directly (no second pass over the frames)
    if spacing_override is not None:
        video.metadata["spacing_mm_in_file"] = video.spacing_mm
        video.spacing_mm = spacing_override
    if fps_override is not None:
        video.metadata["fps_in_file"] = video.fps
        video.fps = fps_override
    return video
