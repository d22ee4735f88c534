"""Find and load simulated sequence files (see ``echostrain.io.sequence`` for the format)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from echostrain.core.errors import InputNotFoundError, ParameterError
from echostrain.io._util import as_path
from echostrain.io.sequence import SequenceData, read_sequence


def load_sequence(path: str | os.PathLike[str]) -> SequenceData:
    """Read one full sequence file (frames, true tracks, masks, true strain, parameters)."""
    return read_sequence(path)


def list_sequences(folder: str | os.PathLike[str]) -> list[Path]:
    """The sequence files (``*.h5``) directly in ``folder``, sorted by name.

    The one rule of what counts as a sequence file of a folder: hidden files
    are skipped, among them the ``.NAME.tmp-XXXX.h5`` temporaries of writes in
    progress. Raises InputNotFoundError when ``folder`` does not exist or is
    not a folder.
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


def collect_sequences(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The sequence files of ``paths``: each folder's (:func:`list_sequences`), each file as given.

    Parameters
    ----------
    paths : sequence of path
        Folders of sequence files and sequence files, in the order wanted.

    Returns
    -------
    list of Path
        The files, folder by folder in the order of ``paths``.

    Raises ParameterError when a path does not exist or a folder holds no
    sequence file.

    Examples
    --------
    >>> collect_sequences(["sims/", "extra/seq_9.h5"])  # doctest: +SKIP
    [PosixPath('sims/seq_0.h5'), PosixPath('sims/seq_1.h5'), PosixPath('extra/seq_9.h5')]
    """
    files: list[Path] = []
    for entry in paths:
        path = as_path(entry)
        if path.is_dir():
            found = list_sequences(path)
            if not found:
                raise ParameterError(
                    f"`paths` {path} holds no sequence files (*.h5); give simulated sequences "
                    "(echostrain generate)"
                )
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ParameterError(f"`paths` {path} does not exist; give a folder or .h5 files")
    return files
