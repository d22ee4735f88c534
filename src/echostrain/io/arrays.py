"""Read clips stored as NumPy arrays (``.npy``, ``.npz``)."""

from __future__ import annotations

import os
import zipfile
from typing import Any

import numpy as np

from echostrain.core.errors import CorruptInputError, InvalidDataError
from echostrain.core.limits import check_allocation
from echostrain.io._util import check_fps, check_spacing, one_line, require_file
from echostrain.io.video import EchoVideo, to_unit_float


def frames_from_array(array: np.ndarray, source: str) -> np.ndarray:
    """Validate a T×H×W (grey) or T×H×W×3/4 (colour) array and convert it to float32 [0, 1]."""
    a = np.asarray(array)
    if a.ndim == 2:
        raise InvalidDataError(
            f"{source} is a 2-D array (H×W); expected frames as T×H×W "
            "(stack at least 2 frames along the first axis)"
        )
    if a.ndim == 4 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim == 4 and a.shape[-1] in (3, 4):
        return to_unit_float(a, source, rgb=True)
    if a.ndim != 3:
        raise InvalidDataError(
            f"{source} has shape {a.shape}; expected frames as T×H×W (grey) or T×H×W×3 (RGB)"
        )
    return to_unit_float(a, source, rgb=False)


#: First bytes of .npy files and of .npz (zip) archives.
_MAGIC = {".npy": b"\x93NUMPY", ".npz": b"PK"}


def _check_npy_header(fh: Any, what: str) -> None:
    """Refuse an array whose header declares more than the memory budget (before it is read)."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
    except Exception as exc:  # numpy parses the header as Python literals: any error means a damaged header
        raise CorruptInputError(f"{what} has an unreadable NumPy header ({one_line(exc)}); the file is damaged") from exc
    check_allocation(shape, dtype.itemsize + 4, what)  # the stored array and its float32 frames


def _check_sizes(p: Any, suffix: str) -> None:
    if suffix == ".npy":
        with open(p, "rb") as fh:
            _check_npy_header(fh, str(p))
    elif suffix == ".npz":
        try:
            with zipfile.ZipFile(p) as zf:
                for info in zf.infolist():
                    if info.filename.endswith(".npy"):
                        with zf.open(info) as member:
                            _check_npy_header(member, f"{p}['{info.filename[:-4]}']")
        except (OSError, EOFError, zipfile.BadZipFile, NotImplementedError) as exc:
            raise CorruptInputError(f"{p} is not a readable NumPy file ({one_line(exc)}); the file may be truncated") from exc


def _load(path: str | os.PathLike[str]) -> Any:
    p = require_file(path, "array file")
    magic = _MAGIC.get(p.suffix.lower())
    if magic is not None:
        with open(p, "rb") as fh:
            head = fh.read(len(magic))
        if head != magic:
            raise CorruptInputError(
                f"{p} is not a NumPy {p.suffix.lower()} file (wrong file header); "
                "save arrays with numpy.save / numpy.savez"
            )
        _check_sizes(p, p.suffix.lower())
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:
        raise CorruptInputError(
            f"{p} could not be loaded ({one_line(exc)}); save plain numeric arrays "
            "(no Python objects) with numpy.save/numpy.savez"
        ) from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CorruptInputError(
            f"{p} is not a readable NumPy file ({one_line(exc)}); the file may be truncated"
        ) from exc


def read_npy(path: str | os.PathLike[str]) -> EchoVideo:
    """Read a ``.npy`` array T×H×W or T×H×W×3 (uint8, uint16 or floats in [0, 1])."""
    arr = _load(path)
    source = str(path)
    if not isinstance(arr, np.ndarray):
        raise CorruptInputError(
            f"{source} holds several arrays; save a single array with numpy.save"
        )
    frames = frames_from_array(arr, source)
    meta = {"format": "npy", "dtype": str(arr.dtype), "shape": list(arr.shape)}
    return EchoVideo(frames=frames, source=source, metadata=meta)


def read_npz(path: str | os.PathLike[str]) -> EchoVideo:
    """Read a ``.npz`` with key ``frames`` and optional ``spacing_mm`` (dy, dx) and ``fps``."""
    source = str(path)
    data = _load(path)
    if isinstance(data, np.ndarray):
        raise CorruptInputError(
            f"{source} is a single array, not an NPZ archive; rename it to .npy"
        )
    try:
        with data:
            keys = list(data.files)
            if "frames" not in keys:
                raise CorruptInputError(
                    f"{source} has no 'frames' array (keys found: {', '.join(keys) or 'none'}); "
                    "save the clip with numpy.savez(path, frames=...)"
                )
            arr = data["frames"]
            spacing = data["spacing_mm"] if "spacing_mm" in keys else None
            fps = data["fps"] if "fps" in keys else None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CorruptInputError(
            f"{source} could not be read ({one_line(exc)}); the archive may be damaged"
        ) from exc
    frames = frames_from_array(arr, f"{source}['frames']")
    if spacing is not None:
        spacing = check_spacing(np.ravel(spacing), source, error=InvalidDataError)
    if fps is not None:
        fps_arr = np.ravel(fps)
        if fps_arr.size != 1:
            raise InvalidDataError(
                f"{source}: 'fps' must be a single number, got shape {np.shape(fps)}"
            )
        fps = check_fps(fps_arr[0], source, error=InvalidDataError)
    meta = {"format": "npz", "keys": keys, "dtype": str(arr.dtype), "shape": list(arr.shape)}
    return EchoVideo(frames=frames, spacing_mm=spacing, fps=fps, source=source, metadata=meta)
