"""Where figures may be written: PNG files only, checked before anything is drawn."""

from __future__ import annotations

import os
from pathlib import Path

from echostrain.core.errors import OutputPathError


def png_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path if it names a ``.png`` file (not a folder); OutputPathError otherwise."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise OutputPathError(f"{p.name}: figures are written as PNG; give a file name ending in .png")
    if p.is_dir():
        raise OutputPathError(f"{p} is a folder; give the name of a .png file")
    return p
