"""The echostrain sequence file (HDF5): what the simulator writes and later stages read.

The layout (format ``"echostrain-sequence"``, ``format_version`` 1) is the
table of :mod:`echostrain.io.sequence_schema` (every dataset and root
attribute, written in its order); ``docs/formats.md``, section "Sequence
file", describes it for people. :class:`SequenceData` (the in-memory form) is
defined in :mod:`echostrain.io.sequence_data` and exported here.

:func:`write_sequence` is atomic and byte-deterministic: the same
:class:`SequenceData` gives the same bytes (no HDF5 timestamps, fixed file
format versions, fixed order of objects and attributes, canonical JSON).
:func:`read_sequence` reads the full file; :func:`read_sequence_video` reads
only the frames (also of the older minimal files that hold ``/frames``,
``spacing_mm`` and ``fps`` only) for :func:`echostrain.io.read_video`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import (
    CorruptInputError,
    InvalidDataError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.core.limits import check_allocation
from echostrain.io._util import as_path, check_fps, check_spacing, one_line, require_file, to_python
from echostrain.io.arrays import frames_from_array
from echostrain.io.atomic import atomic_path
from echostrain.io.sequence_checks import decode_stored
from echostrain.io.sequence_data import SequenceData
from echostrain.io.sequence_schema import (
    ATTRIBUTES,
    DATASETS,
    N_SEGMENTS,
    SEQUENCE_ATTRS,
    SEQUENCE_DATASETS,
    SEQUENCE_FORMAT,
    SEQUENCE_FORMAT_VERSION,
    SEQUENCE_SUFFIXES,
    SOURCE,
    AttributeSpec,
    parameters_to_json,
)
from echostrain.io.video import EchoVideo

#: gzip level of the image datasets.
_GZIP_LEVEL = 4
#: HDF5 file-format bounds: the oldest object formats, never newer than HDF5 1.10's.
_LIBVER = ("earliest", "v110")


# ---------------------------------------------------------------- writing


def _check_suffix(path: Path, action: str) -> None:
    if path.suffix.lower() not in SEQUENCE_SUFFIXES:
        raise UnsupportedFormatError(
            f"cannot {action} {path}: sequence files end in "
            f"{' or '.join(SEQUENCE_SUFFIXES)}, got '{path.suffix or '(no suffix)'}'"
        )


def _parent(fh: Any, path: str) -> tuple[Any, str]:
    """The group that holds dataset ``path`` (made without timestamps if new) and its name."""
    import h5py

    head, _, name = path.rpartition("/")
    if not head:
        return fh, name
    if head not in fh:
        gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
        gcpl.set_obj_track_times(False)
        h5py.Group(h5py.h5g.create(fh.id, head.encode(), gcpl=gcpl))
    return fh[head], name


def _dataset(fh: Any, path: str, data: np.ndarray, *, per_frame: bool) -> None:
    """Create one dataset without timestamps (per-frame chunks and gzip for images)."""
    options: dict[str, Any] = {"track_times": False}
    if per_frame:
        options.update(
            chunks=(1, *data.shape[1:]), compression="gzip", compression_opts=_GZIP_LEVEL
        )
    parent, name = _parent(fh, path)
    parent.create_dataset(name, data=data, **options)


def _stored(spec: AttributeSpec, data: SequenceData) -> Any:
    """The value written for attribute ``spec`` (text, or a NumPy value of its dtype)."""
    value: Any = getattr(data, spec.field) if spec.field else spec.value
    if spec.kind == "json":
        return parameters_to_json(value)
    if spec.dtype == "str":
        return value
    return np.asarray(value, dtype=spec.dtype)


def write_sequence(path: str | os.PathLike[str], data: SequenceData) -> Path:
    """Write ``data`` to an HDF5 sequence file atomically.

    The output is byte-deterministic: the same ``data`` (and the same h5py/HDF5
    build) gives a byte-identical file. ``data`` is validated again first
    (fields may have been reassigned since construction).

    Parameters
    ----------
    path : str or os.PathLike
        Target file, ending in ``.h5`` or ``.hdf5``; replaced if it exists.
    data : SequenceData
        The sequence to write.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    UnsupportedFormatError
        If ``path`` has another suffix.
    ParameterError, InvalidDataError
        If ``data`` is not a valid :class:`SequenceData`.
    """
    import h5py

    target = as_path(path)
    _check_suffix(target, "write")
    if not isinstance(data, SequenceData):
        raise ParameterError(
            f"cannot write {target}: expected a SequenceData, got {type(data).__name__}"
        )
    data.validate()
    attributes = [(spec, _stored(spec, data)) for spec in ATTRIBUTES]
    text = h5py.string_dtype("utf-8")
    with atomic_path(target) as tmp:
        # No raw-data chunk cache: chunks go to disk in order as they are written,
        # so the file layout (and its bytes) never depend on cache eviction.
        with h5py.File(tmp, "w", libver=_LIBVER, rdcc_nbytes=0) as fh:
            for ds in DATASETS:
                _dataset(fh, ds.path, getattr(data, ds.field), per_frame=ds.per_frame)
            for spec, value in attributes:
                fh.attrs.create(spec.name, value, dtype=text if spec.dtype == "str" else None)
    return target


# ---------------------------------------------------------------- reading


def _open(p: Path) -> Any:
    import h5py

    try:
        return h5py.File(p, "r")
    except OSError as exc:
        raise CorruptInputError(
            f"{p} is not a readable HDF5 file ({one_line(exc)}); the file may be truncated"
        ) from exc


def _incomplete(p: Path, missing_ds: list[str], missing_attrs: list[str]) -> CorruptInputError:
    """The error for a file that lacks members of the table (or holds frames only)."""
    missing = ", ".join(missing_ds + [f"attribute {n!r}" for n in missing_attrs])
    if "/frames" not in missing_ds and "format" in missing_attrs:
        return CorruptInputError(
            f"{p} is not a full echostrain sequence file (only frames; missing "
            f"{missing}); read_video reads its frames, or simulate it again"
        )
    return CorruptInputError(f"{p} is not a complete echostrain sequence file: missing {missing}")


def _text(name: str | bytes) -> str:
    """An HDF5 member or attribute name as text (h5py gives bytes for a name that is not UTF-8)."""
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def _names(group: Any) -> list[str]:
    """The member names of an HDF5 group, as text."""
    return [_text(k) for k in group.keys()]


def _read_members(p: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Every root attribute (plain Python values) and every dataset of the table, by path."""
    import h5py

    fh = _open(p)
    try:
        with fh:
            missing_ds = [
                f"/{n}" for n in SEQUENCE_DATASETS if not isinstance(fh.get(n), h5py.Dataset)
            ]
            missing_attrs = [n for n in SEQUENCE_ATTRS if n not in fh.attrs]
            if missing_ds or missing_attrs:
                raise _incomplete(p, missing_ds, missing_attrs)
            attrs = {_text(k): to_python(v) for k, v in fh.attrs.items()}
            for n in SEQUENCE_DATASETS:
                check_allocation(fh[n].shape, fh[n].dtype.itemsize, f"{p}:/{n}")
            arrays = {n: fh[n][()] for n in SEQUENCE_DATASETS}
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise CorruptInputError(
            f"{p} could not be read ({one_line(exc)}); the file may be damaged"
        ) from exc
    return attrs, arrays


def read_sequence(path: str | os.PathLike[str]) -> SequenceData:
    """Read a full sequence file written by :func:`write_sequence`.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.h5``/``.hdf5`` file.

    Returns
    -------
    SequenceData
        Every field, validated.

    Raises
    ------
    InputNotFoundError
        No such file.
    UnsupportedFormatError
        Wrong suffix, or a newer ``format_version``.
    CorruptInputError
        Not HDF5, damaged, missing datasets/attributes, the older frames-only
        form, or invalid contents.
    """
    p = require_file(path, "sequence file")
    _check_suffix(p, "read")
    values = decode_stored(p, *_read_members(p))
    try:
        return SequenceData(**values)
    except (InvalidDataError, ParameterError) as exc:
        detail = str(exc).removeprefix(f"{SOURCE}: ")
        raise CorruptInputError(f"{p} holds invalid sequence data: {detail}") from exc


def read_sequence_video(path: str | os.PathLike[str]) -> EchoVideo:
    """Read ``/frames``, ``spacing_mm`` and ``fps`` of a sequence file as an :class:`EchoVideo`.

    Works on full sequence files and on the older minimal ones (``/frames`` and
    the two attributes).

    Parameters
    ----------
    path : str or os.PathLike
        The HDF5 file.

    Returns
    -------
    EchoVideo
        ``metadata`` holds every root attribute as plain Python values
        (``view``, ``ed_index``, ``es_index``, ``seed``... of a full file;
        ``parameters`` decoded from JSON into a dict) and the names of the root
        members under ``"members"``; ``"format"`` is ``"sequence"`` and the
        file's own format attribute, if any, is kept as ``"sequence_format"``.

    Raises
    ------
    InputNotFoundError
        No such file.
    CorruptInputError
        Not HDF5, damaged, or without a ``/frames`` dataset.
    InvalidDataError
        Invalid frames, ``spacing_mm`` or ``fps``.
    """
    import h5py

    p = require_file(path, "sequence file")
    source = str(p)
    fh = _open(p)
    try:
        with fh:
            if "frames" not in fh:
                raise CorruptInputError(
                    f"{p} has no /frames dataset (members: {', '.join(_names(fh)) or 'none'}); "
                    "it is not an echostrain sequence file"
                )
            if not isinstance(fh["frames"], h5py.Dataset):
                raise CorruptInputError(
                    f"{p}: /frames is a group, not a dataset; "
                    "it is not an echostrain sequence file"
                )
            dataset = fh["frames"]
            check_allocation(dataset.shape, dataset.dtype.itemsize + 4, f"{p}:/frames")
            arr = dataset[()]
            attrs = {_text(k): to_python(v) for k, v in fh.attrs.items()}
            members = _names(fh)
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise CorruptInputError(
            f"{p} could not be read ({one_line(exc)}); the file may be damaged"
        ) from exc

    frames = frames_from_array(arr, f"{source}:/frames")
    spacing = attrs.get("spacing_mm")
    if spacing is not None:
        spacing = check_spacing(np.ravel(spacing), source, error=InvalidDataError)
    fps = attrs.get("fps")
    if fps is not None:
        fps_arr = np.ravel(fps)
        if fps_arr.size != 1:
            raise InvalidDataError(f"{source}: attribute 'fps' must be a single number")
        fps = check_fps(fps_arr[0], source, error=InvalidDataError)
    if isinstance(attrs.get("parameters"), str):
        try:
            attrs["parameters"] = json.loads(attrs["parameters"])
        except json.JSONDecodeError:
            pass  # left as text; read_sequence reports it
    if "format" in attrs:
        attrs["sequence_format"] = attrs.pop("format")
    metadata: dict[str, Any] = {**attrs, "format": "sequence", "members": members}
    return EchoVideo(frames=frames, spacing_mm=spacing, fps=fps, source=source, metadata=metadata)


__all__ = [
    "N_SEGMENTS",
    "SEQUENCE_ATTRS",
    "SEQUENCE_DATASETS",
    "SEQUENCE_FORMAT",
    "SEQUENCE_FORMAT_VERSION",
    "SEQUENCE_SUFFIXES",
    "SequenceData",
    "parameters_to_json",
    "read_sequence",
    "read_sequence_video",
    "write_sequence",
]
