"""Cardiac motion models: time courses, wall motion with known strain, dense displacement fields."""

from echostrain.motion.analytic import cardiac_time_course, deform_wall
from echostrain.motion.lv_motion import Binding, LVMotion, sample_motion, segment_lengths_mm
from echostrain.motion.parameters import PATHOLOGIES, SEGMENT_STATES, MotionParameters

__all__ = [
    "PATHOLOGIES",
    "SEGMENT_STATES",
    "Binding",
    "LVMotion",
    "MotionParameters",
    "cardiac_time_course",
    "deform_wall",
    "sample_motion",
    "segment_lengths_mm",
]
