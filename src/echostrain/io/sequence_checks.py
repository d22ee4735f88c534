"""The rules of the kinds of :mod:`echostrain.io.sequence_schema`: check a field's value.

:func:`check_field` checks one :class:`~echostrain.io.sequence.SequenceData`
field against its table entry (dtype, shape rule, range, finiteness) and
returns it normalised; :func:`check_pairing` checks the rules that tie two
fields. Messages start with ``"SequenceData: "`` and name the field.
:func:`decode_stored` checks what a file stores (format marks, stored types)
before its fields are checked, raising CorruptInputError naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import (
    CorruptInputError,
    InvalidDataError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io._util import check_fps, check_spacing, one_line
from echostrain.io.sequence_schema import (
    ATTRIBUTES,
    CHECK_ORDER,
    DATASETS,
    FIELDS,
    SEED_MAX,
    SEQUENCE_FORMAT_VERSION,
    SOURCE,
    AttributeSpec,
    DatasetSpec,
    parameters_to_json,
)
from echostrain.io.tracks import _codes

# ---------------------------------------------------------------- datasets


def _array(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"{SOURCE}: {name} must be an array, {one_line(exc)}") from exc


def _typed_array(spec: DatasetSpec, value: Any) -> np.ndarray:
    """``value`` as an array of the kind of ``spec`` (dtype checked before the shape)."""
    arr = _array(value, spec.field)
    if spec.kind == "exact" and arr.dtype != np.dtype(spec.dtype):
        raise InvalidDataError(
            f"{SOURCE}: {spec.field} must be {spec.dtype} {spec.shape_text}, "
            f"got dtype {arr.dtype}{spec.hint}"
        )
    if spec.kind == "real":
        if arr.dtype == np.bool_ or not (
            np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
        ):
            raise InvalidDataError(
                f"{SOURCE}: {spec.field} must be real numbers {spec.shape_text}, "
                f"got dtype {arr.dtype}"
            )
        arr = arr.astype(spec.dtype)
    return arr


def _shape_error(
    spec: DatasetSpec, shape: tuple[int, ...], dims: Mapping[str, int]
) -> InvalidDataError:
    message = spec.shape_error.format(**dims)
    return InvalidDataError(f"{SOURCE}: {spec.field} {message}, got {shape}")


def _bind_shape(
    spec: DatasetSpec, shape: tuple[int, ...], dims: Mapping[str, int]
) -> dict[str, int]:
    """``dims`` with the symbols ``shape`` binds; InvalidDataError if it breaks the rule."""
    if len(shape) != len(spec.dims) or (spec.nonempty and min(shape) < 1):
        raise _shape_error(spec, shape, dims)
    bound = dict(dims)
    for size, dim in zip(shape, spec.dims, strict=True):
        if size != (dim if isinstance(dim, int) else bound.setdefault(dim, size)):
            raise _shape_error(spec, shape, dims)
    return bound


def _as_mask(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.dtype == np.bool_:
        return arr
    if not np.issubdtype(arr.dtype, np.integer) or not np.isin(arr, (0, 1)).all():
        raise InvalidDataError(
            f"{SOURCE}: {name} must be boolean (or 0/1 integers), got dtype {arr.dtype}"
        )
    return arr.astype(np.bool_)


def _check_dataset(spec: DatasetSpec, value: Any, dims: dict[str, int]) -> np.ndarray:
    """Check and convert one dataset value; bind its shape symbols into ``dims``."""
    if spec.kind == "codes":
        return _codes(value, spec.field, dims[str(spec.dims[0])], spec.codes, SOURCE)
    arr = _typed_array(spec, value)
    bound = _bind_shape(spec, arr.shape, dims)
    if spec.kind == "mask":
        arr = _as_mask(arr, spec.field)
    for dim, least, message in spec.minimum:
        if bound[dim] < least:
            raise InvalidDataError(f"{SOURCE}: {message.format(**bound)}")
    bad = ~np.isfinite(arr) if spec.finite_error else None
    if bad is not None and bad.any():
        index = [int(i) for i in np.argwhere(bad)[0]]
        raise InvalidDataError(f"{SOURCE}: {spec.field} {spec.finite_error.format(*index)}")
    dims.update(bound)
    return np.ascontiguousarray(arr)


def check_pairing(spec: DatasetSpec | AttributeSpec, checked: Mapping[str, Any]) -> None:
    """Check the rule tying ``spec``'s field to another one already checked (if it has one).

    Parameters
    ----------
    spec : DatasetSpec or AttributeSpec
        The table entry just checked.
    checked : mapping
        The checked values so far, by field.

    Raises
    ------
    InvalidDataError
        If a point outside the myocardium (layer −1) has a segment.
    """
    if not isinstance(spec, DatasetSpec) or not spec.outside_of:
        return
    codes = checked[spec.field]
    stray = (checked[spec.outside_of] == -1) & (codes != -1)
    if stray.any():
        i = int(np.argmax(stray))
        raise InvalidDataError(f"{SOURCE}: {spec.outside_error.format(i=i, code=int(codes[i]))}")


# ---------------------------------------------------------------- attributes


def _is_integer(value: Any) -> bool:
    """Whether ``value`` is a Python or NumPy integer (booleans are not)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_attribute(spec: AttributeSpec, value: Any, dims: Mapping[str, int]) -> Any:
    """Check and normalise the value of one attribute's field."""
    name = spec.field
    if spec.kind == "spacing":
        spacing = check_spacing(value, SOURCE)
        if spacing is None:
            raise ParameterError(f"{SOURCE}: {spec.label} in {spec.units} is required")
        return spacing
    if spec.kind == "fps":
        fps = check_fps(value, SOURCE)
        if fps is None:
            raise ParameterError(f"{SOURCE}: {name} ({spec.units}) is required")
        return fps
    if spec.kind == "choice":
        choice = value.strip().lower() if isinstance(value, str) else None
        if choice not in spec.choices:
            raise ParameterError(
                f"{SOURCE}: {name} {value!r} is not one of {', '.join(spec.choices)}"
            )
        return choice
    if spec.kind == "index":
        if not _is_integer(value):
            raise ParameterError(
                f"{SOURCE}: {name} must be an integer frame index, got {one_line(repr(value))}"
            )
        index, n = int(value), dims["T"]
        if not 0 <= index < n:
            raise ParameterError(
                f"{SOURCE}: {name} is {index}, outside the {n} frames (0..{n - 1})"
            )
        return index
    if spec.kind == "seed":
        if not _is_integer(value):
            raise ParameterError(f"{SOURCE}: {name} must be an integer, got {value!r}")
        seed = int(value)
        if not 0 <= seed <= SEED_MAX:
            raise ParameterError(f"{SOURCE}: {name} must lie in 0..2**64−1, got {seed}")
        return seed
    if spec.kind == "text":
        if not isinstance(value, str) or not value.strip() or "\n" in value:
            raise ParameterError(
                f"{SOURCE}: {name} must be a non-empty one-line string, got {value!r}"
            )
        return value
    if spec.kind == "json":
        return json.loads(parameters_to_json(value))
    raise ValueError(f"attribute {spec.name!r} holds no field")  # format marks: never checked


def check_field(spec: DatasetSpec | AttributeSpec, value: Any, dims: dict[str, int]) -> Any:
    """Check one field's value against its table entry and return it normalised.

    Parameters
    ----------
    spec : DatasetSpec or AttributeSpec
        The table entry of the field.
    value : object
        The value given.
    dims : dict of str to int
        Shape symbols bound so far (``T``, ``H``, ``W``, ``N``); updated in place
        by datasets.

    Returns
    -------
    object
        The value converted: arrays to the table's dtype (C-contiguous), scalars
        to plain Python values.

    Raises
    ------
    InvalidDataError
        For a dataset of the wrong dtype, shape or with non-finite values.
    ParameterError
        For an attribute out of its range or of the wrong type.
    """
    if isinstance(spec, DatasetSpec):
        return _check_dataset(spec, value, dims)
    return _check_attribute(spec, value, dims)


# ---------------------------------------------------------------- stored values


def _attr_text(p: Path, attrs: Mapping[str, Any], name: str) -> str:
    value = attrs[name]
    if not isinstance(value, str):
        raise CorruptInputError(f"{p}: attribute {name!r} must be a string, got {value!r}")
    return value


def _attr_int(p: Path, attrs: Mapping[str, Any], name: str) -> int:
    value = attrs[name]
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int):
        raise CorruptInputError(f"{p}: attribute {name!r} must be an integer, got {value!r}")
    return value


def _check_marks(p: Path, attrs: Mapping[str, Any]) -> None:
    """Check the attributes that mark the format (``format``, ``format_version``)."""
    for spec in ATTRIBUTES:
        if spec.kind == "format" and attrs[spec.name] != spec.value:
            raise CorruptInputError(
                f"{p}: attribute {spec.name!r} is {attrs[spec.name]!r}, not {spec.value!r}; "
                "it is not an echostrain sequence file"
            )
        if spec.kind == "format_version":
            version = _attr_int(p, attrs, spec.name)
            if version > SEQUENCE_FORMAT_VERSION:
                raise UnsupportedFormatError(
                    f"{p} has sequence {spec.name} {version}; this echostrain reads up to "
                    f"{SEQUENCE_FORMAT_VERSION}: upgrade echostrain"
                )


def _decode_json(p: Path, attrs: Mapping[str, Any], spec: AttributeSpec) -> dict[str, Any]:
    try:
        value = json.loads(_attr_text(p, attrs, spec.name))
    except json.JSONDecodeError as exc:
        raise CorruptInputError(
            f"{p}: attribute {spec.name!r} is not valid JSON ({one_line(exc)})"
        ) from exc
    if not isinstance(value, dict):
        raise CorruptInputError(f"{p}: attribute {spec.name!r} must hold a JSON object")
    return value


def _decode_numbers(p: Path, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The number attributes (``spacing_mm``, ``fps``) by field, after checking their sizes."""
    specs = [spec for spec in ATTRIBUTES if spec.size]
    numbers = {spec.field: np.ravel(np.asarray(attrs[spec.name], dtype=object)) for spec in specs}
    if any(numbers[spec.field].size != spec.size for spec in specs):
        raise CorruptInputError(
            f"{p}: attributes {' and '.join(spec.label or spec.name for spec in specs)} "
            f"must hold {' and '.join(str(spec.size) for spec in specs)} numbers"
        )
    return {
        spec.field: tuple(numbers[spec.field]) if spec.size > 1 else numbers[spec.field][0]
        for spec in specs
    }


def decode_stored(
    p: Path, attrs: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> dict[str, Any]:
    """Check the format marks and stored types of a file's members; return its fields.

    Parameters
    ----------
    p : pathlib.Path
        The file (named in messages).
    attrs : mapping
        Every root attribute, as plain Python values.
    arrays : mapping
        Every dataset of :data:`~echostrain.io.sequence_schema.DATASETS`, by path.

    Returns
    -------
    dict
        The keyword arguments of :class:`~echostrain.io.sequence.SequenceData`,
        not yet checked by :func:`check_field`.

    Raises
    ------
    CorruptInputError
        Another ``format``, an attribute of the wrong stored type (``parameters``
        not a JSON object; ``spacing_mm``, ``fps`` of the wrong size) or
        ``/frames`` not uint8.
    UnsupportedFormatError
        A newer ``format_version``.
    """
    _check_marks(p, attrs)
    values: dict[str, Any] = {
        s.field: _decode_json(p, attrs, s) for s in ATTRIBUTES if s.kind == "json"
    }
    values.update(_decode_numbers(p, attrs))
    for ds in DATASETS:
        stored = arrays[ds.path]
        if ds.kind == "exact" and stored.dtype != np.dtype(ds.dtype):
            raise CorruptInputError(f"{p}: /{ds.path} must be {ds.dtype}, got {stored.dtype}")
        values[ds.field] = stored
    for name in CHECK_ORDER:
        spec = FIELDS[name]
        if isinstance(spec, AttributeSpec) and name not in values:
            read = _attr_text if spec.dtype == "str" else _attr_int
            values[name] = read(p, attrs, spec.name)
    return values


__all__ = ["check_field", "check_pairing", "decode_stored"]
