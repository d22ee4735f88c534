"""The sequence file's schema table: consistent with SequenceData, the docs and the file written.

Also pins the exact texts of the main validation and reading messages.
"""

from __future__ import annotations

import dataclasses
import re
import string
from pathlib import Path

import h5py
import numpy as np
import pytest
from test_io_sequence_file import H, N, T, W, make_fields

from echostrain.core.errors import CorruptInputError, InvalidDataError, ParameterError
from echostrain.io import SequenceData, read_sequence, write_sequence
from echostrain.io.sequence_schema import (
    ATTRIBUTES,
    CHECK_ORDER,
    DATASETS,
    FIELDS,
    SEQUENCE_ATTRS,
    SEQUENCE_DATASETS,
    DatasetSpec,
)

FORMATS_DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def _symbols(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f and not f.isdigit()}


def test_table_covers_every_field_once():
    fields = [f.name for f in dataclasses.fields(SequenceData)]
    assert sorted(FIELDS) == sorted(fields)
    assert sorted(CHECK_ORDER) == sorted(fields) and len(set(CHECK_ORDER)) == len(CHECK_ORDER)
    assert SEQUENCE_DATASETS == tuple(s.path for s in DATASETS)
    assert SEQUENCE_ATTRS == tuple(s.name for s in ATTRIBUTES)
    assert {s.name for s in ATTRIBUTES if not s.field} == {"format", "format_version"}


def test_shape_symbols_are_bound_before_use():
    bound: set[str] = set()
    for name in CHECK_ORDER:
        spec = FIELDS[name]
        if not isinstance(spec, DatasetSpec):
            continue
        assert _symbols(spec.shape_error) <= bound, name
        bound |= {d for d in spec.dims if isinstance(d, str)}
        for dim, _, message in spec.minimum:
            assert dim in bound and _symbols(message) <= bound, name
        if spec.outside_of:
            assert CHECK_ORDER.index(spec.outside_of) < CHECK_ORDER.index(name)
    index_specs = [FIELDS[n] for n in CHECK_ORDER if getattr(FIELDS[n], "kind", "") == "index"]
    assert all(CHECK_ORDER.index(s.field) > CHECK_ORDER.index("frames") for s in index_specs)


def test_docs_list_every_member():
    text = FORMATS_DOC.read_text(encoding="utf-8")
    section = text[text.index("## Sequence file") :]
    for path in SEQUENCE_DATASETS:
        assert f"`/{path}`" in section, path
    for name in SEQUENCE_ATTRS:
        assert re.search(rf"\| `{name}` \|", section), name


def test_written_file_follows_table(tmp_path):
    data = SequenceData(**make_fields())
    path = write_sequence(tmp_path / "s.h5", data)
    with h5py.File(path, "r") as fh:
        for spec in DATASETS:
            ds = fh[spec.path]
            assert ds.dtype == np.dtype(spec.dtype), spec.path
            assert (ds.chunks is not None and ds.chunks[0] == 1) == spec.per_frame, spec.path
            assert (ds.compression == "gzip") == spec.per_frame, spec.path
        assert set(fh.attrs) == set(SEQUENCE_ATTRS)
        for spec in ATTRIBUTES:
            stored = fh.attrs.get_id(spec.name).dtype
            if spec.dtype == "str":
                assert h5py.check_string_dtype(stored).encoding == "utf-8", spec.name
            else:
                assert stored == np.dtype(spec.dtype), spec.name


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"frames": np.zeros((T, H, W), np.float32)}, InvalidDataError,
         "SequenceData: frames must be uint8 [T, H, W], got dtype float32; "
         "convert with echostrain.io.frames_to_uint8"),
        ({"frames": np.zeros((T, 0, W), np.uint8)}, InvalidDataError,
         f"SequenceData: frames must have shape [T, H, W], got ({T}, 0, {W})"),
        ({"frames": np.zeros((1, H, W), np.uint8)}, InvalidDataError,
         "SequenceData: a sequence needs at least 2 frames, got 1"),
        ({"tracks": np.zeros((T, N, 3))}, InvalidDataError,
         f"SequenceData: tracks must have shape [T={T}, N, 2] (x, y) px, got ({T}, {N}, 3)"),
        ({"tracks": np.zeros((T, N, 2), bool)}, InvalidDataError,
         "SequenceData: tracks must be real numbers [T, N, 2] (x, y) px, got dtype bool"),
        ({"tracks": np.zeros((T, 0, 2))}, InvalidDataError,
         "SequenceData: tracks hold no points; give at least one point"),
        ({"track_segment": np.zeros(N, np.int8)}, InvalidDataError,
         "SequenceData: point 6 is outside the myocardium (layer −1) but has segment 0; "
         "give it segment −1"),
        ({"myocardium_mask": np.zeros((T, H, W + 1), bool)}, InvalidDataError,
         f"SequenceData: myocardium_mask must have the frames' shape ({T}, {H}, {W}), "
         f"got ({T}, {H}, {W + 1})"),
        ({"myocardium_mask": np.full((T, H, W), 2)}, InvalidDataError,
         "SequenceData: myocardium_mask must be boolean (or 0/1 integers), got dtype int64"),
        ({"gls_pct": np.zeros(T - 1)}, InvalidDataError,
         f"SequenceData: gls_pct must have shape ({T},), got ({T - 1},)"),
        ({"segmental_pct": np.zeros((5, T))}, InvalidDataError,
         f"SequenceData: segmental_pct must have shape (6, {T}), got (5, {T})"),
        ({"spacing_mm": None}, ParameterError,
         "SequenceData: spacing_mm (dy, dx) in mm is required"),
        ({"fps": None}, ParameterError, "SequenceData: fps (frames/s) is required"),
        ({"view": "plax"}, ParameterError, "SequenceData: view 'plax' is not one of a2c, a3c, a4c"),
        ({"ed_index": T}, ParameterError,
         f"SequenceData: ed_index is {T}, outside the {T} frames (0..{T - 1})"),
        ({"es_index": 1.0}, ParameterError,
         "SequenceData: es_index must be an integer frame index, got 1.0"),
        ({"seed": 2**64}, ParameterError,
         f"SequenceData: seed must lie in 0..2**64−1, got {2**64}"),
        ({"engine": ""}, ParameterError,
         "SequenceData: engine must be a non-empty one-line string, got ''"),
    ],
)  # fmt: skip
def test_exact_messages(change, error, message):
    with pytest.raises(error) as exc:
        SequenceData(**{**make_fields(), **change})
    assert str(exc.value) == message


def test_nonfinite_messages():
    fields = make_fields()
    fields["tracks"][3, 4, 1] = np.inf
    fields["segmental_pct"][2, 1] = np.nan
    with pytest.raises(InvalidDataError) as exc:
        SequenceData(**fields)
    assert str(exc.value) == (
        "SequenceData: tracks are not finite at frame 3, point 4 (NaN/inf, or too large for "
        "float32); true tracks must be complete"
    )
    fields["tracks"][3, 4, 1] = 0
    with pytest.raises(InvalidDataError) as exc:
        SequenceData(**fields)
    assert str(exc.value) == "SequenceData: segmental_pct is not finite for segment 2 at frame 1"


def test_checks_follow_check_order():
    """With several invalid fields the first in CHECK_ORDER is reported."""
    bad = {"view": "plax", "gls_pct": np.zeros(1), "tracks": np.zeros((T, N, 3))}
    with pytest.raises(InvalidDataError, match="tracks"):
        SequenceData(**{**make_fields(), **bad})
    del bad["tracks"]
    with pytest.raises(ParameterError, match="view"):
        SequenceData(**{**make_fields(), **bad})


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"spacing_mm": np.array([1.0, 2.0, 3.0])},
         "{p}: attributes spacing_mm (dy, dx) and fps must hold 2 and 1 numbers"),
        ({"view": 4}, "{p}: attribute 'view' must be a string, got 4"),
        ({"seed": "7"}, "{p}: attribute 'seed' must be an integer, got '7'"),
        ({"parameters": "[1]"}, "{p}: attribute 'parameters' must hold a JSON object"),
        ({"format": "other"},
         "{p}: attribute 'format' is 'other', not 'echostrain-sequence'; "
         "it is not an echostrain sequence file"),
        ({"view": "plax"},
         "{p} holds invalid sequence data: view 'plax' is not one of a2c, a3c, a4c"),
        # several faults: the reader's order (format marks, JSON, numbers, stored types)
        ({"view": 4, "parameters": "[1]"}, "{p}: attribute 'parameters' must hold a JSON object"),
        ({"seed": "7", "fps": np.array([1.0, 2.0])},
         "{p}: attributes spacing_mm (dy, dx) and fps must hold 2 and 1 numbers"),
    ],
)  # fmt: skip
def test_exact_read_messages(tmp_path, attrs, message):
    path = write_sequence(tmp_path / "s.h5", SequenceData(**make_fields()))
    with h5py.File(path, "a") as fh:
        for name, value in attrs.items():
            fh.attrs[name] = value
    with pytest.raises(CorruptInputError) as exc:
        read_sequence(path)
    assert str(exc.value) == message.format(p=path)
