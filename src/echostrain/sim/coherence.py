"""Speckle coherence over time: scatterer amplitudes partly renewed from frame to frame.

Each scatterer's amplitude is the sum of a slowly renewed part and a part
drawn afresh every frame::

    s_t = c · s_{t−1} + √(1 − c²) · n_t,      c = exp(−Δt / τ)
    a_t = σ · (√(1 − β) · s_t + √β · m_t)

so the amplitude correlation between frames Δt apart is
``r(Δt) = (1 − β) · exp(−Δt / τ)``. β and τ are fitted to decorrelation
measured on real clips by :mod:`echostrain.realism.coherence`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echostrain.errors import ParameterError


@dataclass(frozen=True)
class CoherenceModel:
    """Amplitude renewal: β (share renewed every frame) and τ (ms, slow renewal)."""

    beta: float
    tau_ms: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.beta < 1.0:
            raise ParameterError(f"coherence beta must be in [0, 1), got {self.beta}")
        if not self.tau_ms > 0:
            raise ParameterError(f"coherence tau must be positive (ms), got {self.tau_ms}")

    def amplitude_correlation(self, lag_ms: np.ndarray) -> np.ndarray:
        """``r(Δt) = (1 − β)·exp(−Δt/τ)`` for Δt > 0 (1 at Δt = 0)."""
        lag = np.asarray(lag_ms, dtype=float)
        return np.where(lag > 0, (1.0 - self.beta) * np.exp(-lag / self.tau_ms), 1.0)

    def frame_coefficient(self, frame_interval_ms: float) -> float:
        """``c`` of the slow part for one frame interval."""
        return float(np.exp(-frame_interval_ms / self.tau_ms))


class AmplitudeRenewal:
    """Per-frame scatterer amplitudes under a coherence model (deterministic given the generator)."""

    def __init__(self, base: np.ndarray, scale: np.ndarray, model: CoherenceModel, fps: float, rng: np.random.Generator):
        self.model, self.rng = model, rng
        self.scale = scale
        self.sigma = float(np.std(base)) or 1.0
        self.slow = np.asarray(base, dtype=float).copy()
        self.c = model.frame_coefficient(1000.0 / fps)

    def next(self, first: bool = False) -> np.ndarray:
        """Amplitudes of the next frame (call once per frame, the first with ``first=True``)."""
        if not first:
            self.slow = self.c * self.slow + np.sqrt(1 - self.c**2) * self.sigma * self.rng.standard_normal(self.slow.size)
        fresh = self.sigma * self.rng.standard_normal(self.slow.size)
        beta = self.model.beta
        return self.scale * (np.sqrt(1 - beta) * self.slow + np.sqrt(beta) * fresh)
