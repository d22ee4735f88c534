"""LV geometry: myocardium contours, layers, segments, the AHA 18-segment table and apical scenes.

Names load their modules on first use.
"""

from __future__ import annotations

from echostrain.core.lazy import lazy_exports

#: Public name → its module in this package.
_EXPORTS = {
    "Myocardium": "myocardium",
    "WallPoints": "myocardium",
    "apex_fraction": "myocardium",
    "load_myocardium": "myocardium",
    "segment_aligned_points": "myocardium",
    "segment_boundaries": "myocardium",
    "chord_lengths_mm": "polyline",
    "cumulative_arc_mm": "polyline",
    "polyline_length_mm": "polyline",
    "resample_at_fractions": "polyline",
    "resample_polyline": "polyline",
    "AHA18_NAMES": "segments",
    "LAYER_ENDO": "segments",
    "LAYER_EPI": "segments",
    "LAYER_MID": "segments",
    "LAYER_NAMES": "segments",
    "LAYER_NONE": "segments",
    "N_SEGMENTS": "segments",
    "SEGMENT_NONE": "segments",
    "VIEW_TO_AHA18": "segments",
    "VIEW_WALLS": "segments",
    "VIEWS": "segments",
    "aha18_segment": "segments",
    "check_view": "segments",
    "segment_names": "segments",
    "ellipsoidal_myocardium": "shapes",
    "EchogenicityMap": "echomap",
    "sector_grid": "echomap",
    "sector_margin_mm": "echomap",
    "PARAMETER_RANGES": "scene",
    "ApicalScene": "scene",
    "SceneParameters": "scene",
    "build_scene": "scene",
    "lv_contours_mm": "scene",
    "sample_parameters": "scene",
    "sample_scene": "scene",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
