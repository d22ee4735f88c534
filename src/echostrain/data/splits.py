"""The files of a split: the rows of a folder's ``manifest.csv`` (written by :mod:`echostrain.data.generate`)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.data.sequences import list_sequences
from echostrain.io._util import as_path, one_line

#: File name of the manifest in a folder of sequences.
MANIFEST = "manifest.csv"
#: Columns a manifest must have to give splits (more are allowed).
SPLIT_COLUMNS = ("file", "split")


def manifest_rows(manifest: Path) -> list[dict[str, str]]:
    """Rows of the CSV file ``manifest``, keys and values stripped.

    Raises CorruptInputError when it cannot be read or lacks a column of
    :data:`SPLIT_COLUMNS`.
    """
    try:
        with manifest.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in SPLIT_COLUMNS if c not in columns]
            if missing:
                raise CorruptInputError(
                    f"{manifest}: manifest lacks column(s) {', '.join(missing)} (has "
                    f"{', '.join(columns) or 'none'}); it needs a header with file and split"
                )
            return [
                {k.strip(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CorruptInputError(f"{manifest} could not be read as CSV ({one_line(exc)})") from exc


def read_split(root: Path, manifest: Path, split: str) -> list[Path]:
    """The files of ``split`` listed in ``manifest`` (relative to ``root``), in the manifest's order.

    Raises ParameterError when the split has no rows, InputNotFoundError when
    a listed file is missing and CorruptInputError for an unreadable manifest.
    """
    rows = manifest_rows(manifest)
    splits = sorted({r["split"] for r in rows if r["split"]})
    files = [r["file"] for r in rows if r["split"] == split]
    if not files:
        raise ParameterError(
            f"`split` {split!r} has no rows in {manifest} (splits there: "
            f"{', '.join(splits) or 'none'}); choose one of those or `split` None for all files"
        )
    paths = []
    for name in files:
        if not name:
            raise CorruptInputError(f"{manifest}: a row of split {split!r} has an empty file")
        path = root / name
        if not path.is_file():
            raise InputNotFoundError(
                f"{manifest} lists {name}, but {path} does not exist; regenerate the "
                "manifest or restore the file"
            )
        paths.append(path)
    return paths


def split_files(
    root: str | os.PathLike[str],
    split: str | None,
    *,
    manifest: str | os.PathLike[str] | None = MANIFEST,
) -> list[Path]:
    """Sequence files of ``split`` in the folder ``root``.

    Parameters
    ----------
    root : path
        Folder of sequence files.
    split : str or None
        A value of the manifest's ``split`` column (``"train"``, ``"val"``,
        ``"test"``): the files of that split, in the manifest's order. None:
        every sequence file of ``root`` (:func:`~echostrain.data.list_sequences`).
    manifest : path or None
        File name of the manifest in ``root`` (CSV with at least the columns
        ``file`` and ``split``); None: no manifest.

    Returns
    -------
    list of Path

    Raises InputNotFoundError when ``root`` is no folder, ParameterError when a
    split is asked for without a manifest or has no rows (and see :func:`read_split`).
    """
    folder = as_path(root)
    if not folder.exists():
        raise InputNotFoundError(
            f"sequence folder {folder} does not exist; check the path, or generate "
            "sequences with `echostrain generate`"
        )
    if not folder.is_dir():
        raise InputNotFoundError(f"{folder} is a file, not a folder of sequence files")
    if split is None:
        return list_sequences(folder)
    if manifest is None:
        raise ParameterError(
            f"`split` {split!r} needs a manifest, but `manifest` is None; give the "
            "manifest's file name, or `split` None to use every file"
        )
    path = folder / as_path(manifest)
    if not path.is_file():
        raise ParameterError(
            f"`split` {split!r} needs {path} (CSV with columns id, file, split), which does not "
            "exist; `echostrain generate` writes it, or use `split` None for every file"
        )
    return read_split(folder, path, split)
