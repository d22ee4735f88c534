"""Segment names per view and the AHA 18-segment table (the encodings live in :mod:`echostrain.core.vocabulary`).

Encodings shared by every module (see ``docs/formats.md``):

* layer: ``0`` endocardium, ``1`` mid-wall, ``2`` epicardium, ``-1`` not myocardium;
* segment: ``0``–``5`` from the basal segment of the first wall through the
  apex to the basal segment of the second wall, ``-1`` none. The first wall is
  the one on the left of the image in the standard display (apex at the top).

This module holds the only table that maps view segments to the AHA
18-segment model (6 basal, 6 mid, 6 apical segments, numbered 1–18).
"""

from __future__ import annotations

from echostrain.core.checks import check_view
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import (  # noqa: F401  (re-exported: the encodings live in core)
    LAYER_ENDO,
    LAYER_EPI,
    LAYER_MID,
    LAYER_NAMES,
    LAYER_NONE,
    N_SEGMENTS,
    SEGMENT_NONE,
    VIEWS,
)

#: Wall names per view, in file order (first wall, second wall).
VIEW_WALLS: dict[str, tuple[str, str]] = {
    "a4c": ("inferoseptal", "anterolateral"),
    "a2c": ("inferior", "anterior"),
    "a3c": ("inferolateral", "anteroseptal"),
}

#: AHA 18-segment names, numbered 1–18.
AHA18_NAMES: dict[int, str] = {
    1: "basal anterior",
    2: "basal anteroseptal",
    3: "basal inferoseptal",
    4: "basal inferior",
    5: "basal inferolateral",
    6: "basal anterolateral",
    7: "mid anterior",
    8: "mid anteroseptal",
    9: "mid inferoseptal",
    10: "mid inferior",
    11: "mid inferolateral",
    12: "mid anterolateral",
    13: "apical anterior",
    14: "apical anteroseptal",
    15: "apical inferoseptal",
    16: "apical inferior",
    17: "apical inferolateral",
    18: "apical anterolateral",
}

#: The mapping table: view → AHA number of view segments 0…5.
VIEW_TO_AHA18: dict[str, tuple[int, int, int, int, int, int]] = {
    "a4c": (3, 9, 15, 18, 12, 6),
    "a2c": (4, 10, 16, 13, 7, 1),
    "a3c": (5, 11, 17, 14, 8, 2),
}

_LEVELS = ("basal", "mid", "apical", "apical", "mid", "basal")


def segment_names(view: str) -> list[str]:
    """Names of segments 0…5 of an apical view, e.g. ``'basal inferoseptal'``."""
    v = check_view(view)
    first, second = VIEW_WALLS[v]
    walls = (first, first, first, second, second, second)
    return [f"{level} {wall}" for level, wall in zip(_LEVELS, walls)]


def aha18_segment(view: str, segment: int) -> int:
    """AHA 18-segment number (1–18) of a view's segment 0…5."""
    v = check_view(view)
    if not 0 <= int(segment) < N_SEGMENTS:
        raise ParameterError(f"segment must be 0…5, got {segment}")
    return VIEW_TO_AHA18[v][int(segment)]
