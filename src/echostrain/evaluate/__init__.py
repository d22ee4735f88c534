"""Evaluation: trackers against true motion (synthetic) or reference strain values (real cohorts)."""
