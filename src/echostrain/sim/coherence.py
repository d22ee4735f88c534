"""Speckle coherence over time: scatterer amplitudes partly renewed from frame to frame.

Each scatterer's amplitude is the sum of a slowly renewed part and a part
drawn afresh every frame::

    s_t = c · s_{t−1} + √(1 − c²) · n_t,      c = exp(−Δt / τ)
    a_t = σ · (√(1 − β) · s_t + √β · m_t)

so the amplitude correlation between frames Δt apart is
``r(Δt) = (1 − β) · exp(−Δt / τ)``. The share β renewed at once may vary
with depth (``depth_mm`` / ``beta_by_depth``, linear between the nodes and
constant beyond them; a scatterer's depth is its range from the probe at the
first frame, so its β follows the tissue). β and τ are fitted to
decorrelation measured on real clips by :mod:`echostrain.realism.coherence`;
the model fitted to the clips of ``../shared/realdata`` ships with the
package (:func:`default_coherence`).

JSON layout (``format`` ``echostrain.coherence_model``, version 1): ``beta``,
``tau_ms``, ``depth_mm`` and ``beta_by_depth`` (lists, possibly empty) plus
free-form fields saying how the model was fitted.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError

#: ``format`` field of a coherence-model JSON file.
COHERENCE_FORMAT = "echostrain.coherence_model"
#: The model fitted to the real clips, shipped with the package.
DEFAULT_COHERENCE_PATH = Path(__file__).resolve().parent / "data" / "default_coherence.json"


def _check_beta(value: float, what: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v < 1.0):
        raise ParameterError(f"coherence {what} must be in [0, 1), got {value}")
    return v


@dataclass(frozen=True)
class CoherenceModel:
    """Amplitude renewal: β (share renewed every frame, optionally per depth) and τ (ms, slow renewal)."""

    beta: float
    tau_ms: float
    depth_mm: tuple[float, ...] = ()
    beta_by_depth: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta", _check_beta(self.beta, "beta"))
        if not (math.isfinite(float(self.tau_ms)) and float(self.tau_ms) > 0):
            raise ParameterError(f"coherence tau must be a positive number of ms, got {self.tau_ms}")
        depth = tuple(float(v) for v in self.depth_mm)
        betas = tuple(_check_beta(v, "beta_by_depth") for v in self.beta_by_depth)
        if len(depth) != len(betas):
            raise ParameterError(
                f"coherence depth_mm ({len(depth)} values) and beta_by_depth ({len(betas)}) must have the same length"
            )
        if depth and (not all(math.isfinite(d) for d in depth) or np.any(np.diff(depth) <= 0)):
            raise ParameterError(f"coherence depth_mm must be increasing finite depths, got {list(depth)}")
        object.__setattr__(self, "depth_mm", depth)
        object.__setattr__(self, "beta_by_depth", betas)

    def beta_at(self, depth_mm: np.ndarray) -> np.ndarray:
        """β at depths in mm (the uniform β when no depth profile is given)."""
        d = np.asarray(depth_mm, dtype=float)
        if not self.depth_mm:
            return np.full(d.shape, self.beta)
        return np.interp(d, self.depth_mm, self.beta_by_depth)

    def amplitude_correlation(self, lag_ms: np.ndarray, depth_mm: float | None = None) -> np.ndarray:
        """``r(Δt) = (1 − β)·exp(−Δt/τ)`` for Δt > 0 (1 at Δt = 0); β at ``depth_mm`` if given."""
        lag = np.asarray(lag_ms, dtype=float)
        beta = self.beta if depth_mm is None else float(self.beta_at(np.array(depth_mm)))
        return np.where(lag > 0, (1.0 - beta) * np.exp(-lag / self.tau_ms), 1.0)

    def frame_coefficient(self, frame_interval_ms: float) -> float:
        """``c`` of the slow part for one frame interval."""
        return float(np.exp(-frame_interval_ms / self.tau_ms))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": COHERENCE_FORMAT,
            "format_version": 1,
            "beta": self.beta,
            "tau_ms": self.tau_ms,
            "depth_mm": list(self.depth_mm),
            "beta_by_depth": list(self.beta_by_depth),
        }

    @classmethod
    def from_dict(cls, data: Any, source: str = "coherence model") -> CoherenceModel:
        if not isinstance(data, dict) or "beta" not in data or "tau_ms" not in data:
            raise CorruptInputError(
                f"{source} is not a coherence model (a JSON object with beta and tau_ms); "
                "make one with `echostrain decorrelation fit`"
            )
        try:
            return cls(
                beta=float(data["beta"]),
                tau_ms=float(data["tau_ms"]),
                depth_mm=tuple(float(v) for v in data.get("depth_mm", ())),
                beta_by_depth=tuple(float(v) for v in data.get("beta_by_depth", ())),
            )
        except (TypeError, ValueError) as exc:
            raise CorruptInputError(f"{source}: beta, tau_ms and the depth lists must be numbers") from exc

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> CoherenceModel:
        p = Path(path)
        if not p.is_file():
            raise InputNotFoundError(f"coherence model {p} does not exist; check the path")
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CorruptInputError(f"{p} is not valid JSON ({exc.__class__.__name__}); re-create it") from exc
        return cls.from_dict(data, str(p))


def default_coherence() -> CoherenceModel:
    """The coherence model fitted to the real clips of ``../shared/realdata`` (shipped with the package)."""
    return CoherenceModel.from_json(DEFAULT_COHERENCE_PATH)


class AmplitudeRenewal:
    """Per-frame scatterer amplitudes under a coherence model (deterministic given the generator).

    ``depth_mm`` (one per scatterer, e.g. its range from the probe at the first
    frame) selects each scatterer's β when the model varies with depth.
    """

    def __init__(
        self,
        base: np.ndarray,
        scale: np.ndarray,
        model: CoherenceModel,
        fps: float,
        rng: np.random.Generator,
        depth_mm: np.ndarray | None = None,
    ):
        self.model, self.rng = model, rng
        self.scale = scale
        self.sigma = float(np.std(base)) or 1.0
        self.slow = np.asarray(base, dtype=float).copy()
        self.c = model.frame_coefficient(1000.0 / fps)
        beta = model.beta_at(depth_mm) if depth_mm is not None else np.full(self.slow.shape, model.beta)
        if beta.shape != self.slow.shape:
            raise ParameterError(f"depth_mm has shape {beta.shape}, the amplitudes {self.slow.shape}")
        self.keep, self.fresh = np.sqrt(1.0 - beta), np.sqrt(beta)

    def next(self, first: bool = False) -> np.ndarray:
        """Amplitudes of the next frame (call once per frame, the first with ``first=True``)."""
        if not first:
            self.slow = self.c * self.slow + np.sqrt(1 - self.c**2) * self.sigma * self.rng.standard_normal(self.slow.size)
        fresh = self.sigma * self.rng.standard_normal(self.slow.size)
        return self.scale * (self.keep * self.slow + self.fresh * fresh)
