"""Read and write contours: point lists (x, y) in px from CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import (
    CorruptInputError,
    GeometryError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io._util import as_path, one_line, read_text_limited, require_file
from echostrain.io.atomic import write_text_atomic

#: Views accepted in a myocardium contour file.
VIEWS = ("a2c", "a3c", "a4c")
#: Fewest points a contour may have.
MIN_CONTOUR_POINTS = 3


def _read_text(path: Path) -> str:
    return read_text_limited(path, "contour file")


def _csv_rows(text: str) -> list[list[str]]:
    """Non-empty CSV rows (comma, semicolon or tab separated), cells stripped."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    first = lines[0]
    delimiter = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
    return [
        [c.strip() for c in row]
        for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    ]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _to_float(cell: str, path: Path, line: int) -> float:
    try:
        return float(cell)
    except ValueError as exc:
        raise CorruptInputError(
            f"{path}: row {line} has a non-numeric value {cell!r}; coordinates must be numbers"
        ) from exc


def _csv_xy(path: Path) -> np.ndarray:
    rows = _csv_rows(_read_text(path))
    if not rows:
        raise GeometryError(f"{path} has 0 points; a contour needs at least {MIN_CONTOUR_POINTS}")
    header = [c.lower() for c in rows[0]]
    if len(rows[0]) >= 2 and _is_number(rows[0][0]) and _is_number(rows[0][1]):
        ix, iy, body, first_line = 0, 1, rows, 1
    elif "x" in header and "y" in header:
        ix, iy, body, first_line = header.index("x"), header.index("y"), rows[1:], 2
    else:
        raise CorruptInputError(
            f"{path}: header {rows[0]} has no 'x' and 'y' columns; "
            "write a header x,y or two numeric columns"
        )
    pts = []
    for k, row in enumerate(body):
        if len(row) <= max(ix, iy):
            raise CorruptInputError(
                f"{path}: row {first_line + k} has {len(row)} column(s); expected x and y"
            )
        pts.append(
            (_to_float(row[ix], path, first_line + k), _to_float(row[iy], path, first_line + k))
        )
    return np.asarray(pts, dtype=np.float64).reshape(-1, 2)


def _pairs(value: Any, what: str) -> np.ndarray:
    """[[x, y], ...] → float64 [K, 2]; CorruptInputError if malformed."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CorruptInputError(
            f"{what} must be a list of [x, y] number pairs ({one_line(exc)})"
        ) from exc
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise CorruptInputError(
            f"{what} must be a list of [x, y] pairs, got an array of shape {arr.shape}"
        )
    return arr


def _json_xy(data: Any, what: str) -> np.ndarray:
    if isinstance(data, dict):
        if "points" in data:
            return _pairs(data["points"], f"{what} 'points'")
        if "x" in data and "y" in data:
            x, y = _numbers(data["x"], f"{what} 'x'"), _numbers(data["y"], f"{what} 'y'")
            if x.shape != y.shape:
                raise CorruptInputError(
                    f"{what}: 'x' has {x.size} values but 'y' has {y.size}; give one y per x"
                )
            return np.stack([x, y], axis=1)
        raise CorruptInputError(
            f'{what} must be [[x, y], ...], {{"x": [...], "y": [...]}} or '
            f'{{"points": [[x, y], ...]}}; found keys {sorted(data)}'
        )
    return _pairs(data, what)


def _numbers(value: Any, what: str) -> np.ndarray:
    """A flat list of numbers → float64 [K]; CorruptInputError if malformed."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CorruptInputError(f"{what} must be a list of numbers ({one_line(exc)})") from exc
    if arr.ndim != 1:
        raise CorruptInputError(f"{what} must be a flat list of numbers, got shape {arr.shape}")
    return arr


def _load_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except RecursionError:
        raise CorruptInputError(f"{path} nests JSON too deeply to be a contour; fix the file") from None
    except json.JSONDecodeError as exc:
        raise CorruptInputError(
            f"{path} is not valid JSON ({one_line(exc)}); fix the file"
        ) from exc


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json", ".txt"):
        raise UnsupportedFormatError(
            f"{path}: unsupported contour file type '{suffix or '(no suffix)'}'; use .csv or .json"
        )
    return ".json" if suffix == ".json" else ".csv"


def check_contour(
    xy: np.ndarray, source: str, image_shape_hw: tuple[int, int] | None = None
) -> np.ndarray:
    """Check contour points (x, y) px [K, 2]: ≥3 points, finite, inside an (H, W) image."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise GeometryError(f"{source}: contour must be [K, 2] (x, y) px, got shape {xy.shape}")
    k = xy.shape[0]
    if k < MIN_CONTOUR_POINTS:
        raise GeometryError(
            f"{source} has {k} point{'s' if k != 1 else ''}; "
            f"a contour needs at least {MIN_CONTOUR_POINTS}"
        )
    finite = np.isfinite(xy).all(axis=1)
    if not finite.all():
        i = int(np.argmin(finite))
        raise GeometryError(
            f"{source}: point {i} is not a finite number ({xy[i, 0]}, {xy[i, 1]}); "
            "remove or fix that point"
        )
    if image_shape_hw is not None:
        h, w = (int(v) for v in image_shape_hw)
        outside = (xy[:, 0] < 0) | (xy[:, 0] > w - 1) | (xy[:, 1] < 0) | (xy[:, 1] > h - 1)
        if outside.any():
            i = int(np.argmax(outside))
            raise GeometryError(
                f"{source}: point {i} (x={xy[i, 0]:g}, y={xy[i, 1]:g}) lies outside the image "
                f"({w}×{h} px: x in [0, {w - 1}], y in [0, {h - 1}]); "
                "check the contour belongs to this clip and uses (x, y) pixel order"
            )
    return xy


def read_contour(
    path: str | os.PathLike[str], image_shape_hw: tuple[int, int] | None = None
) -> np.ndarray:
    """Read a contour as float64 [K, 2] of (x, y) px.

    CSV: header ``x,y`` (any case, extra columns ignored) or two numeric
    columns without header. JSON: ``[[x, y], ...]``, ``{"x": [...], "y": [...]}``
    or ``{"points": [[x, y], ...]}``. ``image_shape_hw`` = (H, W) checks that
    0 ≤ x ≤ W−1 and 0 ≤ y ≤ H−1.
    """
    p = require_file(path, "contour file")
    if _suffix(p) == ".json":
        xy = _json_xy(_load_json(p), str(p))
    else:
        xy = _csv_xy(p)
    return check_contour(xy, str(p), image_shape_hw)


def _check_view(view: Any, source: str) -> str | None:
    if view is None:
        return None
    v = str(view).strip().lower()
    if v not in VIEWS:
        raise ParameterError(f"{source}: view {view!r} is not one of {', '.join(VIEWS)}")
    return v


def _check_frame(frame: Any, source: str) -> int | None:
    if frame is None:
        return None
    if (
        isinstance(frame, bool)
        or not isinstance(frame, (int, float))
        or not math.isfinite(frame)
        or int(frame) != frame
        or frame < 0
    ):
        raise ParameterError(f"{source}: frame must be a frame index ≥ 0, got {frame!r}")
    return int(frame)


def read_myocardium_contours(
    path: str | os.PathLike[str], image_shape_hw: tuple[int, int] | None = None
) -> dict[str, Any]:
    """Read endocardial and epicardial contours of one frame.

    JSON: ``{"endo": [[x, y], ...], "epi": [[x, y], ...], "view": "a4c", "frame": 0}``
    (view and frame optional). CSV: columns ``layer,x,y`` with layer ``endo``/``epi``.

    Returns {"endo": float64 [K, 2], "epi": float64 [M, 2], "view": str | None,
    "frame": int | None}, points (x, y) in px.
    """
    p = require_file(path, "contour file")
    source = str(p)
    view: Any = None
    frame: Any = None
    if _suffix(p) == ".json":
        data = _load_json(p)
        if not isinstance(data, dict):
            raise CorruptInputError(
                f'{p} must hold a JSON object {{"endo": [[x, y], ...], "epi": [[x, y], ...]}}'
            )
        layers = {}
        for name in ("endo", "epi"):
            if name not in data:
                raise GeometryError(
                    f"{p} has no '{name}' contour (keys found: "
                    f"{', '.join(sorted(data)) or 'none'}); add the "
                    f"{'endocardial' if name == 'endo' else 'epicardial'} border as '{name}'"
                )
            layers[name] = _json_xy(data[name], f"{p} '{name}'")
        view, frame = data.get("view"), data.get("frame")
    else:
        layers = _csv_layers(p)
    out: dict[str, Any] = {
        name: check_contour(layers[name], f"{source} '{name}' contour", image_shape_hw)
        for name in ("endo", "epi")
    }
    out["view"] = _check_view(view, source)
    out["frame"] = _check_frame(frame, source)
    return out


def _csv_layers(path: Path) -> dict[str, np.ndarray]:
    rows = _csv_rows(_read_text(path))
    header = [c.lower() for c in rows[0]] if rows else []
    if not all(k in header for k in ("layer", "x", "y")):
        raise CorruptInputError(
            f"{path}: expected a header with columns layer,x,y "
            f"(found {rows[0] if rows else 'nothing'})"
        )
    il, ix, iy = header.index("layer"), header.index("x"), header.index("y")
    pts: dict[str, list[tuple[float, float]]] = {"endo": [], "epi": []}
    for k, row in enumerate(rows[1:], start=2):
        if len(row) <= max(il, ix, iy):
            raise CorruptInputError(
                f"{path}: row {k} has {len(row)} column(s); expected layer, x and y"
            )
        layer = row[il].lower()
        if layer not in pts:
            raise CorruptInputError(f"{path}: row {k} has layer {row[il]!r}; use 'endo' or 'epi'")
        pts[layer].append((_to_float(row[ix], path, k), _to_float(row[iy], path, k)))
    for name, values in pts.items():
        if not values:
            raise GeometryError(
                f"{path} has no '{name}' rows; add the {name} contour as layer '{name}'"
            )
    return {name: np.asarray(v, dtype=np.float64) for name, v in pts.items()}


def write_contour_csv(path: str | os.PathLike[str], xy: np.ndarray) -> Path:
    """Write points (x, y) px [K, 2] as CSV with header ``x,y`` (atomic, full float precision)."""
    target = as_path(path)
    arr = np.asarray(xy, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise GeometryError(
            f"cannot write {target}: contour must be [K, 2] (x, y) px, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise GeometryError(f"cannot write {target}: contour contains NaN or infinite points")
    lines = ["x,y"] + [f"{float(x)!r},{float(y)!r}" for x, y in arr]
    return write_text_atomic(target, "\n".join(lines) + "\n")
