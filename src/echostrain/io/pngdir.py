"""Read a folder of PNG/JPEG frames (natural order) with an optional ``echostrain.json`` sidecar."""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import CorruptInputError, InputNotFoundError, InvalidDataError
from echostrain.core.limits import check_allocation
from echostrain.io._util import as_path, check_fps, check_spacing, one_line
from echostrain.io.video import EchoVideo, to_unit_float

#: File name of the sidecar holding {"fps": ..., "spacing_mm": [dy, dx]}.
SIDECAR_NAME = "echostrain.json"
#: Frame file suffixes read from a folder (case-insensitive).
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg")

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[Any, ...]:
    """Sort key that orders ``frame_2`` before ``frame_10``."""
    return tuple(
        (0, int(part), part) if part.isdigit() else (1, part.lower(), part)
        for part in _DIGITS.split(name)
        if part
    )


def list_frame_files(folder: str | os.PathLike[str]) -> list[Path]:
    """PNG/JPEG files of ``folder`` in natural order (hidden files skipped)."""
    d = as_path(folder)
    files = [
        f
        for f in d.iterdir()
        if f.is_file() and not f.name.startswith(".") and f.suffix.lower() in FRAME_SUFFIXES
    ]
    return sorted(files, key=lambda f: natural_key(f.name))


def read_sidecar(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The folder's ``echostrain.json`` as {"fps", "spacing_mm"} (validated); {} if absent."""
    path = as_path(folder) / SIDECAR_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptInputError(
            f"{path} is not valid JSON ({one_line(exc)}); "
            'write it as {"fps": 25, "spacing_mm": [0.3, 0.3]}'
        ) from exc
    if not isinstance(data, dict):
        raise CorruptInputError(
            f'{path} must hold a JSON object like {{"fps": 25, "spacing_mm": [0.3, 0.3]}}'
        )
    return {
        "fps": check_fps(data.get("fps"), str(path), error=InvalidDataError),
        "spacing_mm": check_spacing(data.get("spacing_mm"), str(path), error=InvalidDataError),
    }


def _check_declared_size(files: list[Path], folder: Path) -> None:
    """Refuse a folder whose first frame's header × the frame count exceeds the memory budget."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(files[0]) as im:
                w, h = im.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return  # _read_image reports it
    check_allocation((len(files), h, w), 8, f"{folder} ({files[0].name} × {len(files)} frames)")


def _read_image(path: Path) -> np.ndarray:
    """One image file as float32 grey [H, W] in [0, 1]."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _decode(path)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise InvalidDataError(
            f"{path} is too large an image to be an echo frame ({one_line(exc)}); give frames of normal size"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise CorruptInputError(
            f"{path} could not be read as an image ({one_line(exc)}); replace or remove the file"
        ) from exc


def _decode(path: Path) -> np.ndarray:
    """Decode one image file (errors raised as PIL raises them)."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        mode = im.mode
        if mode in ("L", "1"):
            arr = np.asarray(im)
            return to_unit_float(arr, str(path), rgb=False)
        if mode.startswith("I;16") or mode == "I":
            arr = np.asarray(im).astype(np.int64)
            arr = np.clip(arr, 0, 65535).astype(np.uint16)
            return to_unit_float(arr, str(path), rgb=False)
        if mode == "LA":
            return to_unit_float(np.asarray(im.getchannel("L")), str(path), rgb=False)
        rgb = np.asarray(im.convert("RGB"))
        return to_unit_float(rgb, str(path), rgb=True)


def read_png_folder(folder: str | os.PathLike[str]) -> EchoVideo:
    """Read every PNG/JPEG frame of ``folder`` (natural order) as one clip.

    fps and spacing come from ``echostrain.json`` in the folder, if present.
    """
    d = as_path(folder)
    if not d.exists():
        raise InputNotFoundError(f"frame folder {d} does not exist; check the path")
    if not d.is_dir():
        raise InputNotFoundError(f"{d} is not a folder; give a folder of PNG frames")
    files = list_frame_files(d)
    if not files:
        raise InputNotFoundError(
            f"folder {d} contains no PNG or JPEG frames; put frames named like "
            "frame_0000.png in it, or give a video file"
        )
    _check_declared_size(files, d)
    images = [_read_image(f) for f in files]
    h0, w0 = images[0].shape
    for f, im in zip(files, images, strict=True):
        if im.shape != (h0, w0):
            raise InvalidDataError(
                f"{d}: frames differ in size ({files[0].name} is {h0}×{w0} px, {f.name} is "
                f"{im.shape[0]}×{im.shape[1]} px); all frames must have the same size"
            )
    sidecar = read_sidecar(d)
    metadata: dict[str, Any] = {
        "format": "png_folder",
        "files": [f.name for f in files],
        "sidecar": (d / SIDECAR_NAME).is_file(),
    }
    return EchoVideo(
        frames=np.stack(images).astype(np.float32, copy=False),
        spacing_mm=sidecar.get("spacing_mm"),
        fps=sidecar.get("fps"),
        source=str(d),
        metadata=metadata,
    )
