"""Cardiac motion models: time courses, wall motion with known strain, dense displacement fields.

Names load their modules on first use.
"""

from __future__ import annotations

from echostrain.core.lazy import lazy_exports

#: Public name → its module in this package.
_EXPORTS = {
    "PATHOLOGIES": "parameters",
    "SEGMENT_STATES": "parameters",
    "MotionParameters": "parameters",
    "Binding": "lv_motion",
    "LVMotion": "lv_motion",
    "sample_motion": "lv_motion",
    "segment_lengths_mm": "lv_motion",
    "cardiac_time_course": "analytic",
    "deform_wall": "analytic",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
