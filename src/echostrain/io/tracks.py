"""Point tracks with their layer/segment labels: the NPZ file read by ``echostrain strain``.

NPZ keys: ``tracks`` float64 [T, N, 2] (x, y) px; ``spacing_mm`` float64 [2]
(dy, dx); ``layer`` int8 [N]; ``segment`` int8 [N]; optional ``view``
(0-d unicode string) and ``fps`` (0-d float). Written reproducibly (fixed
member timestamps), so identical track sets give identical bytes.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from echostrain.core.errors import (
    CorruptInputError,
    InvalidDataError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io._util import as_path, check_fps, check_spacing, one_line, require_file
from echostrain.io.atomic import write_npz

#: Keys every tracks file must contain.
REQUIRED_KEYS = ("tracks", "spacing_mm", "layer", "segment")
#: Allowed layer codes: 0 endo, 1 mid-wall, 2 epi, −1 not myocardium.
LAYER_CODES = (-1, 0, 1, 2)
#: Allowed segment codes: 0–5, −1 none.
SEGMENT_CODES = (-1, 0, 1, 2, 3, 4, 5)
#: Allowed view names.
VIEWS = ("a2c", "a3c", "a4c")


def _codes(value: object, name: str, n: int, allowed: tuple[int, ...], source: str) -> np.ndarray:
    """Validate a per-point code array (length N, integer values in ``allowed``) as int8."""
    arr = np.asarray(value)
    if arr.shape != (n,):
        raise InvalidDataError(
            f"{source}: {name} must have one code per point ({n}), got shape {arr.shape}"
        )
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise InvalidDataError(f"{source}: {name} must hold integer codes, got {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating) and not (
        np.isfinite(arr).all() and (arr == np.round(arr)).all()
    ):
        raise InvalidDataError(f"{source}: {name} must hold integer codes, got non-integer values")
    bad = ~np.isin(arr, allowed)
    if bad.any():
        i = int(np.argmax(bad))
        raise InvalidDataError(
            f"{source}: {name} of point {i} is {arr[i]!r}; allowed codes are "
            f"{', '.join(str(c) for c in allowed)}"
        )
    return arr.astype(np.int8)


@dataclass
class TrackSet:
    """Tracked points of one clip.

    Attributes:
        tracks: float64 [T, N, 2] positions (x, y) in px, T ≥ 2, N ≥ 1, finite.
        spacing_mm: pixel size (dy, dx) in mm.
        layer: int8 [N]: 0 endo, 1 mid-wall, 2 epi, −1 not myocardium.
        segment: int8 [N]: 0–5 (basal first wall → apex → basal second wall), −1 none.
        view: "a2c", "a3c", "a4c" or None.
        fps: frame rate in frames/s, or None.
        source: where the set came from (used in error messages only).
    """

    tracks: np.ndarray
    spacing_mm: tuple[float, float]
    layer: np.ndarray
    segment: np.ndarray
    view: str | None = None
    fps: float | None = None
    source: str = field(default="<memory>", compare=False, repr=False)

    def __post_init__(self) -> None:
        src = str(self.source)
        if np.iscomplexobj(self.tracks):
            raise InvalidDataError(f"{src}: tracks must be real (x, y) px, got complex values")
        try:
            tracks = np.asarray(self.tracks, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidDataError(f"{src}: tracks must be a numeric array [T, N, 2]") from exc
        if tracks.ndim != 3 or tracks.shape[-1] != 2:
            raise InvalidDataError(
                f"{src}: tracks must have shape [T, N, 2] (x, y) px, got {tracks.shape}"
            )
        t, n = tracks.shape[:2]
        if t < 2:
            raise InvalidDataError(
                f"{src}: tracks cover {t} frame(s); strain needs at least 2 frames"
            )
        if n < 1:
            raise InvalidDataError(f"{src}: tracks hold no points; track at least one point")
        finite = np.isfinite(tracks).all(axis=-1)
        if not finite.all():
            ft, fn = (int(i) for i in np.argwhere(~finite)[0])
            raise InvalidDataError(
                f"{src}: tracks contain NaN at frame {ft}, point {fn}; fill or drop lost points "
                "before saving"
            )
        self.tracks = tracks
        spacing = check_spacing(self.spacing_mm, src)
        if spacing is None:
            raise ParameterError(f"{src}: spacing_mm (dy, dx) in mm is required")
        self.spacing_mm = spacing
        self.layer = _codes(self.layer, "layer", n, LAYER_CODES, src)
        self.segment = _codes(self.segment, "segment", n, SEGMENT_CODES, src)
        if self.view is not None:
            view = str(self.view).strip().lower()
            if view not in VIEWS:
                raise ParameterError(f"{src}: view {self.view!r} is not one of {', '.join(VIEWS)}")
            self.view = view
        self.fps = check_fps(self.fps, src)
        self.source = src

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.tracks.shape[0])

    @property
    def n_points(self) -> int:
        """Number of points N."""
        return int(self.tracks.shape[1])


def write_tracks(path: str | os.PathLike[str], trackset: TrackSet) -> Path:
    """Write ``trackset`` to an ``.npz`` file atomically; return the final path."""
    target = as_path(path)
    if target.suffix.lower() != ".npz":
        raise UnsupportedFormatError(f"cannot write {target}: tracks files end in .npz")
    arrays: dict[str, np.ndarray] = {
        "tracks": np.asarray(trackset.tracks, dtype=np.float64),
        "spacing_mm": np.asarray(trackset.spacing_mm, dtype=np.float64),
        "layer": np.asarray(trackset.layer, dtype=np.int8),
        "segment": np.asarray(trackset.segment, dtype=np.int8),
    }
    if trackset.view is not None:
        arrays["view"] = np.asarray(str(trackset.view))
    if trackset.fps is not None:
        arrays["fps"] = np.asarray(float(trackset.fps))
    return write_npz(target, arrays)


def read_tracks(path: str | os.PathLike[str]) -> TrackSet:
    """Read a tracks ``.npz`` written by :func:`write_tracks` (or by hand with the same keys)."""
    p = require_file(path, "tracks file")
    source = str(p)
    try:
        data = np.load(p, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise CorruptInputError(f"{p} is not an NPZ archive; save tracks with write_tracks")
        with data:
            keys = list(data.files)
            missing = [k for k in REQUIRED_KEYS if k not in keys]
            if missing:
                raise CorruptInputError(
                    f"{p} is missing {', '.join(missing)}; a tracks file needs the keys "
                    f"{', '.join(REQUIRED_KEYS)} (found: {', '.join(keys) or 'none'})"
                )
            values = {k: data[k] for k in keys if k in (*REQUIRED_KEYS, "view", "fps")}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CorruptInputError(
            f"{p} could not be read as a tracks file ({one_line(exc)}); the file may be damaged"
        ) from exc

    view = values.get("view")
    if view is not None:
        if view.ndim != 0 or view.dtype.kind not in "US":
            raise CorruptInputError(f"{p}: 'view' must be a single string such as 'a4c'")
        view = (
            str(view.item()) if view.dtype.kind == "U" else view.item().decode("utf-8", "replace")
        )
        view = view or None
    fps = values.get("fps")
    if fps is not None:
        if np.size(fps) != 1:
            raise InvalidDataError(f"{p}: 'fps' must be a single number")
        fps = np.ravel(fps)[0].item()  # validated (ParameterError) by TrackSet
    spacing = np.ravel(values["spacing_mm"])
    if spacing.size != 2:
        raise InvalidDataError(
            f"{p}: spacing_mm must hold 2 numbers (dy, dx) in mm, got {spacing.size}"
        )
    return TrackSet(
        tracks=values["tracks"],
        spacing_mm=(spacing[0], spacing[1]),
        layer=values["layer"],
        segment=values["segment"],
        view=view,
        fps=fps,
        source=source,
    )
