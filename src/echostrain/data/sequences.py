"""Find and load simulated sequence files (see ``echostrain.io.sequence`` for the format)."""

from __future__ import annotations

import os
from pathlib import Path

from echostrain.errors import InputNotFoundError
from echostrain.io._util import as_path
from echostrain.io.sequence import SequenceData, read_sequence


def load_sequence(path: str | os.PathLike[str]) -> SequenceData:
    """Read one full sequence file (frames, true tracks, masks, true strain, parameters)."""
    return read_sequence(path)


def list_sequences(folder: str | os.PathLike[str]) -> list[Path]:
    """The sequence files (``*.h5``) directly in ``folder``, sorted by name.

    Hidden files are skipped, among them the ``.NAME.tmp-XXXX.h5`` temporaries
    of writes in progress. Raises InputNotFoundError when ``folder`` does not
    exist or is not a folder.
    """
    root = as_path(folder)
    if not root.exists():
        raise InputNotFoundError(
            f"sequence folder {root} does not exist; check the path and spelling"
        )
    if not root.is_dir():
        raise InputNotFoundError(f"{root} is a file, not a folder of sequence files")
    return sorted(
        p for p in root.glob("*.h5") if p.is_file() and not p.name.startswith(".")
    )
