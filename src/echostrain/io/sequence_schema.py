"""The layout of the sequence file as one table: every dataset and root attribute.

Every dataset and root attribute of the HDF5 sequence file is described once,
by a :class:`DatasetSpec` in :data:`DATASETS` or an :class:`AttributeSpec` in
:data:`ATTRIBUTES` (both in the order they are written). The table drives
:meth:`echostrain.io.sequence.SequenceData.validate` and the checks of stored
values (through :mod:`echostrain.io.sequence_checks`),
:func:`echostrain.io.write_sequence` and :func:`echostrain.io.read_sequence`.
:func:`parameters_to_json` is the canonical encoding of the ``parameters``
attribute. ``docs/formats.md`` ("Sequence file") documents the same layout for
people.

Shape rules use the symbols ``T`` (frames), ``H``, ``W`` (rows, columns) and
``N`` (points): the first dataset checked that has a symbol binds it, every
later one must match it; integers are fixed sizes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np

from echostrain.core.errors import ParameterError
from echostrain.io._util import one_line
from echostrain.io.tracks import LAYER_CODES, SEGMENT_CODES, VIEWS

#: Value of the root attribute ``format`` of a full sequence file.
SEQUENCE_FORMAT = "echostrain-sequence"
#: Layout version written by :func:`write_sequence` (root attribute ``format_version``).
SEQUENCE_FORMAT_VERSION = 1
#: File name suffixes of sequence files.
SEQUENCE_SUFFIXES = (".h5", ".hdf5")
#: Number of segments per view (rows of ``segmental_pct``).
N_SEGMENTS = 6
#: Largest seed (seeds are stored as uint64).
SEED_MAX = 2**64 - 1
#: Prefix of the messages of :class:`SequenceData` checks.
SOURCE = "SequenceData"

#: One axis of a shape rule: a symbol (``"T"``, ``"H"``, ``"W"``, ``"N"``) or a fixed size.
Dim: TypeAlias = str | int
#: How a dataset's value is checked: ``exact`` dtype, ``real`` numbers cast to
#: the dtype, integer ``codes`` from a fixed set, ``mask`` (bool or 0/1 integers).
ArrayKind: TypeAlias = Literal["exact", "real", "codes", "mask"]
#: How an attribute's value is checked (see :mod:`echostrain.io.sequence_checks`).
AttributeKind: TypeAlias = Literal[
    "format", "format_version", "text", "choice", "index", "seed", "spacing", "fps", "json"
]


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of the sequence file and the rule its values follow.

    Attributes
    ----------
    path : str
        HDF5 path below the root (``"strain/gls"``); parent groups are created as needed.
    field : str
        The :class:`~echostrain.io.sequence.SequenceData` field it holds.
    dtype : str
        NumPy dtype stored (and given to the field).
    kind : ArrayKind
        How values are checked and converted.
    dims : tuple of Dim
        Shape rule.
    shape_text : str
        The shape (and units) as named in messages about the dtype.
    shape_error : str
        Wrong-shape message after the field name, formatted with the bound symbols.
    units : str
        Units of the values.
    description : str
        What the dataset holds.
    per_frame : bool
        Stored in chunks of one frame, gzip-compressed.
    nonempty : bool
        Part of the shape rule: every axis holds at least one element.
    minimum : tuple of (str, int, str)
        ``(symbol, least size, message)`` checked after the shape; the message
        is formatted with the bound symbols.
    finite_error : str
        If not empty, values must be finite; the message after the field name,
        formatted with the index of the first non-finite element.
    codes : tuple of int
        Allowed codes (``kind == "codes"``).
    hint : str
        Appended to the wrong-dtype message.
    outside_of : str
        For codes: the field whose code −1 ("outside the myocardium") forces −1 here.
    outside_error : str
        Message for a point breaking ``outside_of``, formatted with ``i`` and ``code``.
    """

    path: str
    field: str
    dtype: str
    kind: ArrayKind
    dims: tuple[Dim, ...]
    shape_text: str
    shape_error: str
    units: str
    description: str
    per_frame: bool = False
    nonempty: bool = False
    minimum: tuple[tuple[str, int, str], ...] = ()
    finite_error: str = ""
    codes: tuple[int, ...] = ()
    hint: str = ""
    outside_of: str = ""
    outside_error: str = ""


@dataclass(frozen=True)
class AttributeSpec:
    """One root attribute of the sequence file and the rule its value follows.

    Attributes
    ----------
    name : str
        Attribute name.
    dtype : str
        ``"str"`` (variable-length UTF-8) or the NumPy dtype stored.
    kind : AttributeKind
        How the value is checked.
    field : str
        The :class:`~echostrain.io.sequence.SequenceData` field it holds; empty
        for the marks of the format itself, which hold ``value``.
    units : str
        Units of the value.
    description : str
        What the attribute holds.
    value : str or int or None
        The fixed value written (``format``, ``format_version``).
    size : int
        For numbers: how many the attribute holds (0 for other attributes).
    label : str
        The name as given in messages (with its axes).
    choices : tuple of str
        Allowed values (``kind == "choice"``; compared lower-case, stripped).
    """

    name: str
    dtype: str
    kind: AttributeKind
    field: str = ""
    units: str = ""
    description: str = ""
    value: str | int | None = None
    size: int = 0
    label: str = ""
    choices: tuple[str, ...] = ()


#: The datasets of a full sequence file, in the order they are written.
DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec(
        "frames", "frames", "uint8", "exact", ("T", "H", "W"), "[T, H, W]",
        "must have shape [T, H, W]", "grey level", "scan-converted B-mode frames",
        per_frame=True, nonempty=True,
        minimum=(("T", 2, "a sequence needs at least 2 frames, got {T}"),),
        hint="; convert with echostrain.io.frames_to_uint8",
    ),
    DatasetSpec(
        "tracks", "tracks", "float32", "real", ("T", "N", 2), "[T, N, 2] (x, y) px",
        "must have shape [T={T}, N, 2] (x, y) px", "px",
        "true position (x, y) of every point at every frame",
        minimum=(("N", 1, "tracks hold no points; give at least one point"),),
        finite_error="are not finite at frame {0}, point {1} (NaN/inf, or too large for "
        "float32); true tracks must be complete",
    ),
    DatasetSpec(
        "track_layer", "track_layer", "int8", "codes", ("N",), "[N]", "", "code",
        "0 endo, 1 mid-wall, 2 epi, −1 tissue outside the myocardium", codes=LAYER_CODES,
    ),
    DatasetSpec(
        "track_segment", "track_segment", "int8", "codes", ("N",), "[N]", "", "code",
        "segment 0–5, −1 none (always −1 where the layer is −1)", codes=SEGMENT_CODES,
        outside_of="track_layer",
        outside_error="point {i} is outside the myocardium (layer −1) but has segment "
        "{code}; give it segment −1",
    ),
    DatasetSpec(
        "myocardium_mask", "myocardium_mask", "bool", "mask", ("T", "H", "W"), "[T, H, W]",
        "must have the frames' shape ({T}, {H}, {W})", "", "true on myocardium pixels",
        per_frame=True,
    ),
    DatasetSpec(
        "strain/gls", "gls_pct", "float32", "real", ("T",), "[T] in %",
        "must have shape ({T},)", "%", "true global longitudinal strain (0 at ED)",
        finite_error="is not finite at frame {0}",
    ),
    DatasetSpec(
        "strain/segmental", "segmental_pct", "float32", "real", (N_SEGMENTS, "T"),
        f"[{N_SEGMENTS}, T] in %", f"must have shape ({N_SEGMENTS}, {{T}})", "%",
        "true longitudinal strain of segments 0–5",
        finite_error="is not finite for segment {0} at frame {1}",
    ),
)  # fmt: skip

#: The root attributes of a full sequence file, in the order they are written.
ATTRIBUTES: tuple[AttributeSpec, ...] = (
    AttributeSpec("format", "str", "format", value=SEQUENCE_FORMAT,
                  description="marks a full sequence file"),
    AttributeSpec("format_version", "int64", "format_version", value=SEQUENCE_FORMAT_VERSION,
                  description="layout version"),
    AttributeSpec("version", "str", "text", "version",
                  description="echostrain version that wrote the file"),
    AttributeSpec("engine", "str", "text", "engine",
                  description="what made the frames: `fast`, `simus`, or `warp` (a real frame deformed)"),
    AttributeSpec("seed", "uint64", "seed", "seed",
                  description="seed the sequence was simulated from"),
    AttributeSpec("view", "str", "choice", "view", choices=VIEWS, description="apical view"),
    AttributeSpec("spacing_mm", "float64", "spacing", "spacing_mm", "mm", size=2,
                  label="spacing_mm (dy, dx)", description="pixel size (dy, dx)"),
    AttributeSpec("fps", "float64", "fps", "fps", "frames/s", size=1, description="frame rate"),
    AttributeSpec("ed_index", "int64", "index", "ed_index", "frame",
                  description="end-diastolic frame: the reference of the true strain"),
    AttributeSpec("es_index", "int64", "index", "es_index", "frame",
                  description="end-systolic frame: where the true GLS is read"),
    AttributeSpec("parameters", "str", "json", "parameters",
                  description="probe, scan, scene and motion parameters (one JSON object)"),
)  # fmt: skip

#: Paths of the datasets, in the order they are written.
SEQUENCE_DATASETS: tuple[str, ...] = tuple(spec.path for spec in DATASETS)
#: Names of the root attributes, in the order they are written.
SEQUENCE_ATTRS: tuple[str, ...] = tuple(spec.name for spec in ATTRIBUTES)
#: The table entry of every :class:`~echostrain.io.sequence.SequenceData` field.
FIELDS: Mapping[str, DatasetSpec | AttributeSpec] = {
    **{spec.field: spec for spec in DATASETS},
    **{spec.field: spec for spec in ATTRIBUTES if spec.field},
}
#: The order in which fields are checked: the first failure is the one reported.
CHECK_ORDER: tuple[str, ...] = (
    "frames", "tracks", "track_layer", "track_segment", "myocardium_mask",
    "spacing_mm", "fps", "view", "ed_index", "es_index", "seed", "engine", "version",
    "gls_pct", "segmental_pct", "parameters",
)  # fmt: skip


def _json_default(value: Any) -> Any:
    """Make numpy scalars/arrays (and tuples via json itself) JSON-serialisable."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, frozenset)):
        raise TypeError("sets have no order; use a sorted list")
    raise TypeError(f"object of type {type(value).__name__} is not JSON serialisable")


def parameters_to_json(parameters: dict[str, Any]) -> str:
    """Return the canonical JSON text of ``parameters``.

    Parameters
    ----------
    parameters : dict
        JSON values (nested dicts with string keys, lists, tuples, strings,
        finite numbers, booleans, None; numpy scalars and arrays too).

    Returns
    -------
    str
        Sorted keys, compact separators, non-ASCII kept, no NaN/inf.

    Raises
    ------
    ParameterError
        If ``parameters`` is not a dict or a value cannot be written as standard JSON.
    """
    if not isinstance(parameters, dict):
        raise ParameterError(
            f"{SOURCE}: parameters must be a dict of JSON values, got {type(parameters).__name__}"
        )
    try:
        return json.dumps(
            parameters,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{SOURCE}: parameters are not JSON-serialisable ({one_line(exc)}); use dicts with "
            "string keys, lists, strings, finite numbers, booleans and None"
        ) from exc


__all__ = [
    "ATTRIBUTES",
    "CHECK_ORDER",
    "DATASETS",
    "FIELDS",
    "N_SEGMENTS",
    "SEED_MAX",
    "SEQUENCE_ATTRS",
    "SEQUENCE_DATASETS",
    "SEQUENCE_FORMAT",
    "SEQUENCE_FORMAT_VERSION",
    "SEQUENCE_SUFFIXES",
    "SOURCE",
    "ArrayKind",
    "AttributeKind",
    "AttributeSpec",
    "DatasetSpec",
    "Dim",
    "parameters_to_json",
]
