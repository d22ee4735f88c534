"""The echostrain sequence file (HDF5): what the simulator writes and later stages read.

Layout (format ``"echostrain-sequence"``, ``format_version`` 1; see
``docs/formats.md``, section "Sequence file"):

- datasets ``/frames`` uint8 (T, H, W) (chunked per frame, gzip 4),
  ``/tracks`` float32 (T, N, 2) (x, y) px, ``/track_layer`` int8 (N,),
  ``/track_segment`` int8 (N,), ``/myocardium_mask`` bool (T, H, W)
  (chunked per frame, gzip 4), ``/strain/gls`` float32 (T,) and
  ``/strain/segmental`` float32 (6, T), strain in percent;
- root attributes ``format``, ``format_version``, ``version``, ``engine``,
  ``seed``, ``view``, ``spacing_mm`` (dy, dx), ``fps``, ``ed_index``,
  ``es_index`` and ``parameters`` (a JSON string).

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from echostrain import __version__
from echostrain.core.errors import (
    CorruptInputError,
    InvalidDataError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io._util import (
    as_path,
    check_fps,
    check_spacing,
    one_line,
    require_file,
    to_python,
)
from echostrain.io.arrays import frames_from_array
from echostrain.io.atomic import atomic_path
from echostrain.io.tracks import LAYER_CODES, SEGMENT_CODES, VIEWS, _codes
from echostrain.io.video import EchoVideo

#: Value of the root attribute ``format`` of a full sequence file.
SEQUENCE_FORMAT = "echostrain-sequence"
#: Layout version written by :func:`write_sequence` (root attribute ``format_version``).
SEQUENCE_FORMAT_VERSION = 1
#: File name suffixes of sequence files.
SEQUENCE_SUFFIXES = (".h5", ".hdf5")
#: Datasets of a full sequence file, in the order they are written.
SEQUENCE_DATASETS = (
    "frames",
    "tracks",
    "track_layer",
    "track_segment",
    "myocardium_mask",
    "strain/gls",
    "strain/segmental",
)
#: Root attributes of a full sequence file, in the order they are written.
SEQUENCE_ATTRS = (
    "format",
    "format_version",
    "version",
    "engine",
    "seed",
    "view",
    "spacing_mm",
    "fps",
    "ed_index",
    "es_index",
    "parameters",
)
#: Number of segments per view (rows of ``segmental_pct``).
N_SEGMENTS = 6

#: gzip level of the image datasets.
_GZIP_LEVEL = 4
#: HDF5 file-format bounds: the oldest object formats, never newer than HDF5 1.10's.
_LIBVER = ("earliest", "v110")
_SEED_MAX = 2**64 - 1
_SRC = "SequenceData"


# ---------------------------------------------------------------- validation helpers


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
    """The canonical JSON text of ``parameters`` (sorted keys, compact, no NaN/inf).

    Raises ParameterError when a value cannot be written as standard JSON.
    """
    if not isinstance(parameters, dict):
        raise ParameterError(
            f"{_SRC}: parameters must be a dict of JSON values, got {type(parameters).__name__}"
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
            f"{_SRC}: parameters are not JSON-serialisable ({one_line(exc)}); use dicts with "
            "string keys, lists, strings, finite numbers, booleans and None"
        ) from exc


def _array(value: Any, name: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(f"{_SRC}: {name} must be an array, {one_line(exc)}") from exc


def _real_array(value: Any, name: str, shape_text: str) -> np.ndarray:
    """A real (not bool, not complex) numeric array cast to float32."""
    arr = _array(value, name)
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise InvalidDataError(
            f"{_SRC}: {name} must be real numbers {shape_text}, got dtype {arr.dtype}"
        )
    return arr.astype(np.float32)


def _index(value: Any, name: str, n_frames: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterError(
            f"{_SRC}: {name} must be an integer frame index, got {one_line(repr(value))}"
        )
    index = int(value)
    if not 0 <= index < n_frames:
        raise ParameterError(
            f"{_SRC}: {name} is {index}, outside the {n_frames} frames (0..{n_frames - 1})"
        )
    return index


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise ParameterError(f"{_SRC}: {name} must be a non-empty one-line string, got {value!r}")
    return value


@dataclass(eq=False)
class SequenceData:
    """One simulated sequence with its ground truth.

    Attributes:
        frames: uint8 [T, H, W] B-mode frames (scan-converted), T ≥ 2.
        tracks: float32 [T, N, 2] true positions (x, y) in px of N ≥ 1 tissue points; finite.
        track_layer: int8 [N]: 0 endo, 1 mid-wall, 2 epi, −1 tissue outside the myocardium.
        track_segment: int8 [N]: 0–5 (basal first wall → apex → basal second wall), −1
            outside; points with layer −1 have segment −1.
        myocardium_mask: bool [T, H, W], True on myocardium pixels.
        spacing_mm: pixel size (dy, dx) in mm.
        fps: frame rate in frames/s.
        view: "a2c", "a3c" or "a4c".
        ed_index: end-diastolic frame (0-based): the reference frame of the true strain.
        es_index: end-systolic frame (0-based): where the true GLS is read.
        seed: the integer seed the sequence was simulated from (0 ≤ seed < 2**64).
        engine: name of the ultrasound engine that made the frames.
        gls_pct: float32 [T] true global longitudinal strain curve in % (0 at ``ed_index``).
        segmental_pct: float32 [6, T] true segmental longitudinal strain curves in %.
        parameters: probe, scan, scene and motion parameters (JSON values, nested
            allowed). Normalised on construction to what JSON gives back: keys
            sorted, tuples and numpy values turned into lists and numbers.
        version: echostrain version that wrote the sequence.

    Arrays are converted to the dtypes above on construction; everything is
    validated (InvalidDataError for arrays, ParameterError for the scalars and
    ``parameters``). Equality (``==``) compares every field exactly.
    """

    frames: np.ndarray
    tracks: np.ndarray
    track_layer: np.ndarray
    track_segment: np.ndarray
    myocardium_mask: np.ndarray
    spacing_mm: tuple[float, float]
    fps: float
    view: str
    ed_index: int
    es_index: int
    seed: int
    engine: str
    gls_pct: np.ndarray
    segmental_pct: np.ndarray
    parameters: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field and normalise dtypes in place (run on construction and on write)."""
        frames = _array(self.frames, "frames")
        if frames.dtype != np.uint8:
            raise InvalidDataError(
                f"{_SRC}: frames must be uint8 [T, H, W], got dtype {frames.dtype}; "
                "convert with echostrain.io.frames_to_uint8"
            )
        if frames.ndim != 3 or min(frames.shape) < 1:
            raise InvalidDataError(
                f"{_SRC}: frames must have shape [T, H, W], got {frames.shape}"
            )
        t, h, w = frames.shape
        if t < 2:
            raise InvalidDataError(f"{_SRC}: a sequence needs at least 2 frames, got {t}")
        self.frames = np.ascontiguousarray(frames)

        tracks = _real_array(self.tracks, "tracks", "[T, N, 2] (x, y) px")
        if tracks.ndim != 3 or tracks.shape[0] != t or tracks.shape[2] != 2:
            raise InvalidDataError(
                f"{_SRC}: tracks must have shape [T={t}, N, 2] (x, y) px, got {tracks.shape}"
            )
        n = tracks.shape[1]
        if n < 1:
            raise InvalidDataError(f"{_SRC}: tracks hold no points; give at least one point")
        finite = np.isfinite(tracks).all(axis=-1)
        if not finite.all():
            ft, fn = (int(i) for i in np.argwhere(~finite)[0])
            raise InvalidDataError(
                f"{_SRC}: tracks are not finite at frame {ft}, point {fn} "
                "(NaN/inf, or too large for float32); true tracks must be complete"
            )
        self.tracks = np.ascontiguousarray(tracks)
        self.track_layer = _codes(self.track_layer, "track_layer", n, LAYER_CODES, _SRC)
        self.track_segment = _codes(self.track_segment, "track_segment", n, SEGMENT_CODES, _SRC)
        stray = (self.track_layer == -1) & (self.track_segment != -1)
        if stray.any():
            i = int(np.argmax(stray))
            raise InvalidDataError(
                f"{_SRC}: point {i} is outside the myocardium (layer −1) but has segment "
                f"{int(self.track_segment[i])}; give it segment −1"
            )

        mask = _array(self.myocardium_mask, "myocardium_mask")
        if mask.shape != (t, h, w):
            raise InvalidDataError(
                f"{_SRC}: myocardium_mask must have the frames' shape {(t, h, w)}, "
                f"got {mask.shape}"
            )
        if mask.dtype != np.bool_:
            if not np.issubdtype(mask.dtype, np.integer) or not np.isin(mask, (0, 1)).all():
                raise InvalidDataError(
                    f"{_SRC}: myocardium_mask must be boolean (or 0/1 integers), "
                    f"got dtype {mask.dtype}"
                )
            mask = mask.astype(np.bool_)
        self.myocardium_mask = np.ascontiguousarray(mask)

        spacing = check_spacing(self.spacing_mm, _SRC)
        if spacing is None:
            raise ParameterError(f"{_SRC}: spacing_mm (dy, dx) in mm is required")
        self.spacing_mm = spacing
        fps = check_fps(self.fps, _SRC)
        if fps is None:
            raise ParameterError(f"{_SRC}: fps (frames/s) is required")
        self.fps = fps
        view = self.view.strip().lower() if isinstance(self.view, str) else None
        if view not in VIEWS:
            raise ParameterError(f"{_SRC}: view {self.view!r} is not one of {', '.join(VIEWS)}")
        self.view = view
        self.ed_index = _index(self.ed_index, "ed_index", t)
        self.es_index = _index(self.es_index, "es_index", t)
        if isinstance(self.seed, (bool, np.bool_)) or not isinstance(self.seed, (int, np.integer)):
            raise ParameterError(f"{_SRC}: seed must be an integer, got {self.seed!r}")
        if not 0 <= int(self.seed) <= _SEED_MAX:
            raise ParameterError(f"{_SRC}: seed must lie in 0..2**64−1, got {int(self.seed)}")
        self.seed = int(self.seed)
        self.engine = _text(self.engine, "engine")
        self.version = _text(self.version, "version")

        gls = _real_array(self.gls_pct, "gls_pct", "[T] in %")
        if gls.shape != (t,):
            raise InvalidDataError(f"{_SRC}: gls_pct must have shape ({t},), got {gls.shape}")
        if not np.isfinite(gls).all():
            raise InvalidDataError(
                f"{_SRC}: gls_pct is not finite at frame {int(np.argmax(~np.isfinite(gls)))}"
            )
        self.gls_pct = np.ascontiguousarray(gls)
        seg = _real_array(self.segmental_pct, "segmental_pct", "[6, T] in %")
        if seg.shape != (N_SEGMENTS, t):
            raise InvalidDataError(
                f"{_SRC}: segmental_pct must have shape ({N_SEGMENTS}, {t}), got {seg.shape}"
            )
        if not np.isfinite(seg).all():
            s, f = (int(i) for i in np.argwhere(~np.isfinite(seg))[0])
            raise InvalidDataError(
                f"{_SRC}: segmental_pct is not finite for segment {s} at frame {f}"
            )
        self.segmental_pct = np.ascontiguousarray(seg)
        self.parameters = json.loads(parameters_to_json(self.parameters))

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.frames.shape[0])

    @property
    def n_points(self) -> int:
        """Number of tracked points N."""
        return int(self.tracks.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """Frame size (H, W) in px."""
        return (int(self.frames.shape[1]), int(self.frames.shape[2]))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SequenceData):
            return NotImplemented
        for name in _ARRAY_FIELDS:
            a, b = getattr(self, name), getattr(other, name)
            if a.dtype != b.dtype or not np.array_equal(a, b):
                return False
        return all(getattr(self, name) == getattr(other, name) for name in _SCALAR_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable


_ARRAY_FIELDS = (
    "frames",
    "tracks",
    "track_layer",
    "track_segment",
    "myocardium_mask",
    "gls_pct",
    "segmental_pct",
)
_SCALAR_FIELDS = (
    "spacing_mm",
    "fps",
    "view",
    "ed_index",
    "es_index",
    "seed",
    "engine",
    "parameters",
    "version",
)


# ---------------------------------------------------------------- writing


def _check_suffix(path: Path, action: str) -> None:
    if path.suffix.lower() not in SEQUENCE_SUFFIXES:
        raise UnsupportedFormatError(
            f"cannot {action} {path}: sequence files end in "
            f"{' or '.join(SEQUENCE_SUFFIXES)}, got '{path.suffix or '(no suffix)'}'"
        )


def _dataset(parent: Any, name: str, data: np.ndarray, *, per_frame: bool = False) -> None:
    """Create one dataset without timestamps (per-frame chunks and gzip for images)."""
    options: dict[str, Any] = {"track_times": False}
    if per_frame:
        options.update(
            chunks=(1, *data.shape[1:]), compression="gzip", compression_opts=_GZIP_LEVEL
        )
    parent.create_dataset(name, data=data, **options)


def write_sequence(path: str | os.PathLike[str], data: SequenceData) -> Path:
    """Write ``data`` to an HDF5 sequence file (``.h5``/``.hdf5``) atomically; return its path.

    The output is byte-deterministic: the same ``data`` (and the same h5py/HDF5
    build) gives a byte-identical file.
    """
    import h5py

    target = as_path(path)
    _check_suffix(target, "write")
    if not isinstance(data, SequenceData):
        raise ParameterError(
            f"cannot write {target}: expected a SequenceData, got {type(data).__name__}"
        )
    data.validate()  # fields may have been reassigned since construction
    params = parameters_to_json(data.parameters)
    text = h5py.string_dtype("utf-8")
    with atomic_path(target) as tmp:
        # No raw-data chunk cache: chunks go to disk in order as they are written,
        # so the file layout (and its bytes) never depend on cache eviction.
        with h5py.File(tmp, "w", libver=_LIBVER, rdcc_nbytes=0) as fh:
            _dataset(fh, "frames", data.frames, per_frame=True)
            _dataset(fh, "tracks", data.tracks)
            _dataset(fh, "track_layer", data.track_layer)
            _dataset(fh, "track_segment", data.track_segment)
            _dataset(fh, "myocardium_mask", data.myocardium_mask, per_frame=True)
            gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
            gcpl.set_obj_track_times(False)
            strain = h5py.Group(h5py.h5g.create(fh.id, b"strain", gcpl=gcpl))
            _dataset(strain, "gls", data.gls_pct)
            _dataset(strain, "segmental", data.segmental_pct)
            attrs = fh.attrs
            attrs.create("format", SEQUENCE_FORMAT, dtype=text)
            attrs.create("format_version", np.int64(SEQUENCE_FORMAT_VERSION))
            attrs.create("version", data.version, dtype=text)
            attrs.create("engine", data.engine, dtype=text)
            attrs.create("seed", np.uint64(data.seed))
            attrs.create("view", data.view, dtype=text)
            attrs.create("spacing_mm", np.asarray(data.spacing_mm, dtype=np.float64))
            attrs.create("fps", np.float64(data.fps))
            attrs.create("ed_index", np.int64(data.ed_index))
            attrs.create("es_index", np.int64(data.es_index))
            attrs.create("parameters", params, dtype=text)
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


def _attr_text(p: Path, attrs: dict[str, Any], name: str) -> str:
    value = attrs[name]
    if not isinstance(value, str):
        raise CorruptInputError(f"{p}: attribute {name!r} must be a string, got {value!r}")
    return value


def _attr_int(p: Path, attrs: dict[str, Any], name: str) -> int:
    value = attrs[name]
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int):
        raise CorruptInputError(f"{p}: attribute {name!r} must be an integer, got {value!r}")
    return value


def read_sequence(path: str | os.PathLike[str]) -> SequenceData:
    """Read a full sequence file written by :func:`write_sequence`.

    Raises InputNotFoundError (no such file), UnsupportedFormatError (wrong
    suffix, newer ``format_version``) and CorruptInputError (not HDF5, damaged,
    missing datasets/attributes, the older frames-only form, invalid contents).
    """
    import h5py

    p = require_file(path, "sequence file")
    _check_suffix(p, "read")
    fh = _open(p)
    try:
        with fh:
            missing_ds = [
                f"/{n}" for n in SEQUENCE_DATASETS if not isinstance(fh.get(n), h5py.Dataset)
            ]
            missing_attrs = [n for n in SEQUENCE_ATTRS if n not in fh.attrs]
            if missing_ds or missing_attrs:
                missing = ", ".join(
                    missing_ds + [f"attribute {n!r}" for n in missing_attrs]
                )
                if "/frames" not in missing_ds and "format" in missing_attrs:
                    raise CorruptInputError(
                        f"{p} is not a full echostrain sequence file (only frames; missing "
                        f"{missing}); read_video reads its frames, or simulate it again"
                    )
                raise CorruptInputError(
                    f"{p} is not a complete echostrain sequence file: missing {missing}"
                )
            attrs = {str(k): to_python(v) for k, v in fh.attrs.items()}
            arrays = {n: fh[n][()] for n in SEQUENCE_DATASETS}
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise CorruptInputError(
            f"{p} could not be read ({one_line(exc)}); the file may be damaged"
        ) from exc

    fmt = attrs["format"]
    if fmt != SEQUENCE_FORMAT:
        raise CorruptInputError(
            f"{p}: attribute 'format' is {fmt!r}, not {SEQUENCE_FORMAT!r}; "
            "it is not an echostrain sequence file"
        )
    fmt_version = _attr_int(p, attrs, "format_version")
    if fmt_version > SEQUENCE_FORMAT_VERSION:
        raise UnsupportedFormatError(
            f"{p} has sequence format_version {fmt_version}; this echostrain reads up to "
            f"{SEQUENCE_FORMAT_VERSION}: upgrade echostrain"
        )
    try:
        parameters = json.loads(_attr_text(p, attrs, "parameters"))
    except json.JSONDecodeError as exc:
        raise CorruptInputError(
            f"{p}: attribute 'parameters' is not valid JSON ({one_line(exc)})"
        ) from exc
    if not isinstance(parameters, dict):
        raise CorruptInputError(f"{p}: attribute 'parameters' must hold a JSON object")
    spacing = np.ravel(np.asarray(attrs["spacing_mm"], dtype=object))
    fps = np.ravel(np.asarray(attrs["fps"], dtype=object))
    if spacing.size != 2 or fps.size != 1:
        raise CorruptInputError(
            f"{p}: attributes spacing_mm (dy, dx) and fps must hold 2 and 1 numbers"
        )
    frames = arrays["frames"]
    if frames.dtype != np.uint8:
        raise CorruptInputError(f"{p}: /frames must be uint8, got {frames.dtype}")
    try:
        return SequenceData(
            frames=frames,
            tracks=arrays["tracks"],
            track_layer=arrays["track_layer"],
            track_segment=arrays["track_segment"],
            myocardium_mask=arrays["myocardium_mask"],
            spacing_mm=(spacing[0], spacing[1]),
            fps=fps[0],
            view=_attr_text(p, attrs, "view"),
            ed_index=_attr_int(p, attrs, "ed_index"),
            es_index=_attr_int(p, attrs, "es_index"),
            seed=_attr_int(p, attrs, "seed"),
            engine=_attr_text(p, attrs, "engine"),
            gls_pct=arrays["strain/gls"],
            segmental_pct=arrays["strain/segmental"],
            parameters=parameters,
            version=_attr_text(p, attrs, "version"),
        )
    except (InvalidDataError, ParameterError) as exc:
        detail = str(exc).removeprefix(f"{_SRC}: ")
        raise CorruptInputError(f"{p} holds invalid sequence data: {detail}") from exc


def read_sequence_video(path: str | os.PathLike[str]) -> EchoVideo:
    """Read ``/frames``, ``spacing_mm`` and ``fps`` of a sequence file as an :class:`EchoVideo`.

    Works on full sequence files and on the older minimal ones (``/frames`` and
    the two attributes). ``metadata`` holds every root attribute as plain
    Python values (``view``, ``ed_index``, ``es_index``, ``seed``... of a full
    file; ``parameters`` decoded from JSON into a dict) and the names of the
    root members under ``"members"``; ``"format"`` is ``"sequence"`` and the
    file's own format attribute, if any, is kept as ``"sequence_format"``.
    """
    import h5py

    p = require_file(path, "sequence file")
    source = str(p)
    fh = _open(p)
    try:
        with fh:
            if "frames" not in fh:
                raise CorruptInputError(
                    f"{p} has no /frames dataset (members: {', '.join(fh.keys()) or 'none'}); "
                    "it is not an echostrain sequence file"
                )
            if not isinstance(fh["frames"], h5py.Dataset):
                raise CorruptInputError(
                    f"{p}: /frames is a group, not a dataset; "
                    "it is not an echostrain sequence file"
                )
            arr = fh["frames"][()]
            attrs = {str(k): to_python(v) for k, v in fh.attrs.items()}
            members = list(fh.keys())
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
