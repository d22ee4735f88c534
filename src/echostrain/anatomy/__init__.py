"""LV geometry: myocardium contours, layers, segments and the AHA 18-segment table."""

from echostrain.anatomy.myocardium import (
    Myocardium,
    WallPoints,
    apex_fraction,
    load_myocardium,
    segment_aligned_points,
    segment_boundaries,
)
from echostrain.anatomy.polyline import (
    chord_lengths_mm,
    cumulative_arc_mm,
    polyline_length_mm,
    resample_at_fractions,
    resample_polyline,
)
from echostrain.anatomy.segments import (
    AHA18_NAMES,
    LAYER_ENDO,
    LAYER_EPI,
    LAYER_MID,
    LAYER_NAMES,
    LAYER_NONE,
    N_SEGMENTS,
    SEGMENT_NONE,
    VIEW_TO_AHA18,
    VIEW_WALLS,
    VIEWS,
    aha18_segment,
    check_view,
    segment_names,
)
from echostrain.anatomy.shapes import ellipsoidal_myocardium

__all__ = [
    "AHA18_NAMES",
    "LAYER_ENDO",
    "LAYER_EPI",
    "LAYER_MID",
    "LAYER_NAMES",
    "LAYER_NONE",
    "N_SEGMENTS",
    "SEGMENT_NONE",
    "VIEWS",
    "VIEW_TO_AHA18",
    "VIEW_WALLS",
    "Myocardium",
    "WallPoints",
    "aha18_segment",
    "apex_fraction",
    "check_view",
    "chord_lengths_mm",
    "cumulative_arc_mm",
    "ellipsoidal_myocardium",
    "load_myocardium",
    "polyline_length_mm",
    "resample_at_fractions",
    "resample_polyline",
    "segment_aligned_points",
    "segment_boundaries",
    "segment_names",
]

from echostrain.anatomy.echomap import EchogenicityMap, sector_grid, sector_margin_mm  # noqa: E402
from echostrain.anatomy.scene import (  # noqa: E402
    PARAMETER_RANGES,
    ApicalScene,
    SceneParameters,
    build_scene,
    lv_contours_mm,
    sample_parameters,
    sample_scene,
)

__all__ += [
    "PARAMETER_RANGES",
    "ApicalScene",
    "EchogenicityMap",
    "SceneParameters",
    "build_scene",
    "lv_contours_mm",
    "sample_parameters",
    "sample_scene",
    "sector_grid",
    "sector_margin_mm",
]
