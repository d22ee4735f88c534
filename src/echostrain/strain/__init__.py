"""Longitudinal (global and segmental) and transverse strain from tracked points."""

from echostrain.strain.analysis import (
    CurveSummary,
    StrainResult,
    average_gls,
    bullseye_pct,
    compute_strain,
)
from echostrain.strain.lines import lagrangian_strain_pct, line_length_mm
from echostrain.strain.phases import detect_ed_es
from echostrain.strain.smoothing import regularise_wall, smooth_tracks

__all__ = [
    "CurveSummary",
    "StrainResult",
    "average_gls",
    "bullseye_pct",
    "compute_strain",
    "detect_ed_es",
    "lagrangian_strain_pct",
    "line_length_mm",
    "regularise_wall",
    "smooth_tracks",
]
