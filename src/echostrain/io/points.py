"""Query points of ``echostrain track --points``: a CSV with x, y (and optionally frame) columns, px."""

from __future__ import annotations

import csv
import os

import numpy as np

from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.io._util import as_path


def read_points_csv(path: str | os.PathLike[str]) -> np.ndarray:
    """Points CSV → float ``[N, 2]`` (x, y) or, with a ``frame`` column, ``[N, 3]`` (frame, x, y).

    The header names the columns (any order, any case); other columns are ignored.
    """
    p = as_path(path)
    if not p.is_file():
        raise InputNotFoundError(f"points file {p} does not exist; check the path")
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CorruptInputError(f"{p} could not be read as CSV ({exc.__class__.__name__})") from exc
    if not rows:
        raise ParameterError(f"{p} lists no points; give a CSV with header x,y and one row per point")
    cols = {c.strip().lower(): c for c in rows[0] if c}
    if "x" not in cols or "y" not in cols:
        raise CorruptInputError(f"{p} needs a header with x and y columns (got {', '.join(cols) or 'none'})")
    try:
        xy = np.array([[float(r[cols["x"]]), float(r[cols["y"]])] for r in rows])
        if "frame" in cols:
            fr = np.array([float(r[cols["frame"]]) for r in rows])
            return np.concatenate([fr[:, None], xy], axis=1)
    except (TypeError, ValueError) as exc:
        raise CorruptInputError(f"{p}: x, y and frame must be numbers") from exc
    return xy
