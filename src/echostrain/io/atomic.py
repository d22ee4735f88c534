"""Atomic output: write to a temporary sibling, then rename onto the real name.

A crash or an error part-way never leaves a partial file under the real name:
the temporary (``.{name}.tmp-{random}{suffix}``, in the same folder so the
final rename is atomic) is removed on error.
"""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from echostrain.core.errors import (
    EchoStrainError,
    InvalidDataError,
    OutputPathError,
    UnsupportedFormatError,
)
from echostrain.io._util import as_path, one_line

#: Fixed timestamp for NPZ members so identical arrays give identical bytes.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _temp_sibling(target: Path) -> Path:
    """A fresh, unused name next to ``target`` with the same suffix."""
    while True:
        tmp = target.with_name(f".{target.stem}.tmp-{secrets.token_hex(4)}{target.suffix}")
        if not tmp.exists():
            return tmp


def _remove(path: Path) -> None:
    """Remove a file or folder if present; never raises."""
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink()
    except OSError:
        pass


def _check_parent(target: Path) -> None:
    parent = target.parent
    if not parent.exists():
        raise OutputPathError(
            f"cannot write {target}: folder {parent} does not exist; create it first"
        )
    if not parent.is_dir():
        raise OutputPathError(f"cannot write {target}: {parent} is not a folder")


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, overwrite: bool = True, folder: bool = False
) -> Iterator[Path]:
    """Yield a temporary path to write to; rename it to ``path`` on success.

    Args:
        path: the final file (or folder) name; its parent folder must exist.
        overwrite: replace an existing ``path``; if False, an existing path
            (a non-empty folder, for ``folder=True``) raises OutputPathError.
        folder: the output is a folder; the temporary folder is created empty
            before it is yielded. A file temp is not created (the writer does).

    On any exception the temporary is removed and the exception re-raised;
    an OSError raised while writing becomes OutputPathError.
    """
    target = as_path(path)
    _check_parent(target)
    if folder:
        if target.exists() and not target.is_dir():
            raise OutputPathError(
                f"cannot write folder {target}: a file with that name exists; "
                "choose another name or remove the file"
            )
        if target.is_dir() and any(target.iterdir()) and not overwrite:
            raise OutputPathError(
                f"output folder {target} exists and is not empty; choose another folder "
                "or allow overwriting"
            )
    else:
        if target.is_dir():
            raise OutputPathError(
                f"cannot write file {target}: a folder with that name exists; choose another name"
            )
        if target.exists() and not overwrite:
            raise OutputPathError(
                f"output file {target} exists; choose another name or allow overwriting"
            )

    tmp = _temp_sibling(target)
    try:
        if folder:
            tmp.mkdir()
        yield tmp
        if not tmp.exists():
            raise OutputPathError(f"writing {target} produced no output (internal error)")
        if folder:
            _replace_folder(tmp, target)
        else:
            _fsync_file(tmp)
            os.replace(tmp, target)
    except EchoStrainError:
        _remove(tmp)
        raise
    except OSError as exc:
        _remove(tmp)
        raise OutputPathError(
            f"cannot write {target}: {one_line(exc)}; "
            "check the folder is writable and has free space"
        ) from exc
    except BaseException:
        _remove(tmp)
        raise


def _fsync_file(path: Path) -> None:
    """Flush a finished temp file to disk (best effort)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace_folder(tmp: Path, target: Path) -> None:
    """Move folder ``tmp`` onto ``target``, replacing an existing folder."""
    if not target.exists():
        os.replace(tmp, target)
        return
    old = _temp_sibling(target)
    os.replace(target, old)
    try:
        os.replace(tmp, target)
    except OSError:
        os.replace(old, target)  # put the previous folder back
        raise
    _remove(old)


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, *, overwrite: bool = True
) -> Path:
    """Write ``data`` to ``path`` atomically; return the final path."""
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_bytes(data)
    return as_path(path)


def write_text_atomic(
    path: str | os.PathLike[str], text: str, *, overwrite: bool = True, encoding: str = "utf-8"
) -> Path:
    """Write ``text`` to ``path`` atomically; return the final path."""
    return write_bytes_atomic(path, text.encode(encoding), overwrite=overwrite)


def write_npz(
    path: str | os.PathLike[str],
    arrays: Mapping[str, np.ndarray],
    *,
    compress: bool = False,
    overwrite: bool = True,
) -> Path:
    """Write arrays to an NPZ file atomically and reproducibly (fixed member timestamps).

    The file loads with ``numpy.load(path, allow_pickle=False)``; object
    arrays are refused with InvalidDataError.
    """
    target = as_path(path)
    if target.suffix.lower() != ".npz":
        raise UnsupportedFormatError(f"cannot write {target}: NPZ files must end in .npz")
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with atomic_path(target, overwrite=overwrite) as tmp:
        with zipfile.ZipFile(tmp, mode="w", compression=method, allowZip64=True) as zf:
            for key, value in arrays.items():
                arr = np.asanyarray(value)
                if arr.dtype.hasobject:
                    raise InvalidDataError(
                        f"cannot write {target}: array {key!r} holds Python objects; "
                        "store numbers or strings only"
                    )
                buf = io.BytesIO()
                np.lib.format.write_array(buf, arr, allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_EPOCH)
                info.compress_type = method
                info.external_attr = 0o644 << 16
                zf.writestr(info, buf.getvalue())
    return target
