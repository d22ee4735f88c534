"""Simulation engines: ``simus`` (PyMUST reference) and ``fast`` (calibrated PSF convolution)."""

from echostrain.sim.engines.fast_engine import FastEngine
from echostrain.sim.engines.simus_engine import SimusEngine

__all__ = ["FastEngine", "SimusEngine"]
