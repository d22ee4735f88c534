"""Cardiac motion models: time courses and displacement of wall points."""

from echostrain.motion.analytic import cardiac_time_course, deform_wall

__all__ = ["cardiac_time_course", "deform_wall"]
