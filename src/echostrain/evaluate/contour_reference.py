"""A strain reference on real clips from drawn contours: ED and ES endocardium, and how far tracking lands from it.

Where no true motion exists, an observer's ED and ES endocardial contours give a
reference GLS: the relative change of the drawn endocardium's length,
:math:`100\\,(L_{ES} - L_{ED}) / L_{ED}` in %, lengths in mm. A tracker started on
the ED contour is then judged by the GLS it reads at the ES frame against that
value, and by the mean distance (mm) of its tracked endocardial points at ES to the
drawn ES endocardium (each point to its nearest point of the polyline).

The ES contour file of a clip sits next to its ED contour, with ``_es`` after the
clip's stem (``CLIP_es.json`` or ``.csv``) and its ``frame`` field saying the ES
frame (CSV files cannot say it, so they need a JSON sidecar or a JSON contour).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from echostrain.anatomy.myocardium import Myocardium, load_myocardium
from echostrain.anatomy.polyline import to_mm
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import LAYER_ENDO
from echostrain.io.contours import read_myocardium_contours

#: Suffix of the ES contour's stem (``CLIP_es.json``).
ES_SUFFIX = "_es"


@dataclass(frozen=True)
class EsContour:
    """A drawn ES myocardium and the frame it was drawn on."""

    myocardium: Myocardium
    frame: int
    path: Path


def es_contour_path(folder: Path, stem: str) -> Path | None:
    """The ES contour file of clip ``stem`` in ``folder`` (``STEM_es.json`` or ``.csv``), or None."""
    for suffix in (".json", ".csv"):
        p = folder / f"{stem}{ES_SUFFIX}{suffix}"
        if p.is_file():
            return p
    return None


def load_es_contour(
    path: Path, *, view: str, spacing_mm: tuple[float, float], image_shape_hw: tuple[int, int],
    n_frames: int, ed_frame: int,
) -> EsContour:
    """Read an ES contour and check its frame: given, inside the clip, after the ED frame."""
    frame = read_myocardium_contours(path, image_shape_hw=image_shape_hw)["frame"]
    if frame is None:
        raise ParameterError(f"{path}: an ES contour needs its frame; add \"frame\": ES to the JSON file")
    if not 0 <= frame < n_frames:
        raise ParameterError(f"{path}: ES frame {frame} is outside the clip (0…{n_frames - 1}); check its \"frame\"")
    if frame <= ed_frame:
        raise ParameterError(f"{path}: ES frame {frame} is not after the ED frame {ed_frame}; check its \"frame\"")
    myo = load_myocardium(str(path), view=view, spacing_mm=spacing_mm, image_shape_hw=image_shape_hw)
    return EsContour(myo, int(frame), path)


def contour_gls_pct(ed: Myocardium, es: Myocardium) -> float:
    """Relative change (%) of the drawn endocardium's length from ED to ES.

    Examples
    --------
    >>> endo = np.array([[0.0, 10.0], [5.0, 0.0], [10.0, 10.0]])
    >>> epi = np.array([[-2.0, 10.0], [5.0, -2.0], [12.0, 10.0]])
    >>> ed = Myocardium(endo, epi, spacing_mm=(1.0, 1.0))
    >>> es = Myocardium(endo * [1.0, 0.8] + [0.0, 2.0], epi, spacing_mm=(1.0, 1.0))
    >>> round(contour_gls_pct(ed, es), 2)
    -15.62
    """
    return float(100.0 * (es.length_mm(LAYER_ENDO) - ed.length_mm(LAYER_ENDO)) / ed.length_mm(LAYER_ENDO))


def distance_to_polyline_mm(points_px: np.ndarray, polyline_px: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """Distance (mm) of each point ``[N, 2]`` to the nearest point of the polyline ``[K, 2]`` (px in, mm out).

    Examples
    --------
    >>> line = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> distance_to_polyline_mm(np.array([[5.0, 2.0], [12.0, 0.0]]), line, (0.5, 0.5)).tolist()
    [1.0, 1.0]
    """
    p = to_mm(np.asarray(points_px, dtype=float), spacing_mm)
    line = to_mm(np.asarray(polyline_px, dtype=float), spacing_mm)
    a, b = line[:-1], line[1:]
    ab = b - a
    denom = np.maximum((ab * ab).sum(-1), 1e-12)
    t = np.clip(((p[:, None, :] - a[None]) * ab[None]).sum(-1) / denom[None], 0.0, 1.0)
    nearest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(p[:, None, :] - nearest, axis=-1).min(axis=1)
