"""Small private helpers shared by the io modules (paths, messages, numbers)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core import limits
from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError


def one_line(text: object) -> str:
    """Collapse any text (e.g. a third-party exception message) onto one line."""
    return " ".join(str(text).split())


def as_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a :class:`Path` (``~`` expanded)."""
    return Path(os.fspath(path)).expanduser()


def require_file(path: str | os.PathLike[str], what: str = "input file") -> Path:
    """Return the path of an existing regular file, else raise InputNotFoundError."""
    p = as_path(path)
    if not p.exists():
        raise InputNotFoundError(f"{what} {p} does not exist; check the path and spelling")
    if p.is_dir():
        raise InputNotFoundError(f"{what} {p} is a folder, not a file; give the path of a file")
    if not p.is_file():
        raise InputNotFoundError(
            f"{what} {p} is not a regular file (a pipe, device or socket); give the path of a file"
        )
    return p


def read_text_limited(path: Path, what: str) -> str:
    """The UTF-8 text of a regular file of at most ``limits.MAX_TEXT_BYTES``; CorruptInputError otherwise."""
    p = require_file(path, what)
    size = p.stat().st_size
    if size > limits.MAX_TEXT_BYTES:
        raise CorruptInputError(
            f"{what} {p} is {size / 2**20:.0f} MiB, above the {limits.MAX_TEXT_BYTES // 2**20} MiB a text input may have; "
            "give the right file"
        )
    try:
        return p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptInputError(f"{p} could not be read as text ({one_line(exc)})") from exc


def check_spacing(
    value: Any, source: str, *, error: type[Exception] = ParameterError
) -> tuple[float, float] | None:
    """Validate a pixel spacing ``(dy, dx)`` in mm; ``None`` passes through."""
    if value is None:
        return None
    if np.iscomplexobj(value):
        raise error(f"{source}: spacing_mm must be real numbers (dy, dx) in mm, got complex values")
    try:
        dy, dx = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise error(
            f"{source}: spacing_mm must be two positive numbers (dy, dx) in mm, "
            f"got {one_line(repr(to_python(value)))}"
        ) from exc
    if not (math.isfinite(dy) and math.isfinite(dx) and dy > 0 and dx > 0):
        raise error(
            f"{source}: spacing_mm must be two positive numbers (dy, dx) in mm, got ({dy}, {dx}); "
            "give the row and column pixel size in mm"
        )
    return (dy, dx)


def check_fps(value: Any, source: str, *, error: type[Exception] = ParameterError) -> float | None:
    """Validate a frame rate in frames/s; ``None`` passes through."""
    if value is None:
        return None
    if np.iscomplexobj(value):
        raise error(f"{source}: fps must be a real number of frames/s, got {value!r}")
    try:
        fps = float(value)
    except (TypeError, ValueError) as exc:
        raise error(
            f"{source}: fps must be a positive number of frames/s, got {one_line(repr(to_python(value)))}"
        ) from exc
    if not (math.isfinite(fps) and fps > 0):
        raise error(f"{source}: fps must be a positive number of frames/s, got {fps}")
    return fps


def to_python(value: Any) -> Any:
    """Convert numpy scalars/arrays and bytes to plain Python values for metadata dicts."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "tolist"):
        out = value.tolist()
        if isinstance(out, bytes):
            return out.decode("utf-8", errors="replace")
        return out
    return value
