"""Speckle coherence in the simulator, fitted to decorrelation measured on real clips.

Each scatterer's amplitude is the sum of a slowly renewed part and a part
drawn afresh every frame::

    s_t = c · s_{t−1} + √(1 − c²) · n_t,      c = exp(−Δt / τ)
    a_t = σ · (√(1 − β) · s_t + √β · m_t)

so the amplitude correlation between frames Δt apart is
``r(Δt) = (1 − β) · exp(−Δt / τ)``: β is the share renewed at once (noise,
out-of-plane motion within a frame interval), τ (ms) the time constant of
the slow renewal. The image correlation that the engine and the measurement
produce for an amplitude correlation ``r`` is not ``r`` itself: a
calibration curve ``g(r)`` (measured through the engine, see
:func:`calibrate_image_correlation`) maps one to the other, and β, τ are
fitted so that ``g(r(Δt))`` follows the real curve (:func:`fit_coherence`).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from echostrain.sim.coherence import CoherenceModel

DATA = Path(__file__).resolve().parent / "data"


def calibrate_image_correlation(
    r_values: np.ndarray = np.array([1.0, 0.97, 0.93, 0.88, 0.8, 0.7, 0.55, 0.4]),
    per_cell: float = 10.0,
    seed: int = 0,
    patch_mm: float = 4.0,
    search_mm: float = 2.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Image correlation measured (as on real clips) for amplitude correlations ``r`` between two frames.

    Static speckle of one echogenicity through the fast engine; for each r a
    second frame with amplitudes ``r·a + √(1−r²)·n``. Returns ``(r, g(r))``.
    """
    from echostrain.io.video import EchoVideo
    from echostrain.realism.decorrelation import measure_decorrelation
    from echostrain.sim import Scatterers, SectorScan, Simulator, amplitude_from_echogenicity, fill_sector, get_probe

    probe, scan = get_probe("P4-2v"), SectorScan()
    sim = Simulator("fast", probe, scan)
    rng = np.random.default_rng(seed)
    base = fill_sector(probe, scan, per_cell, rng)
    tissue = float(amplitude_from_echogenicity(np.array(0.6)))
    first, ref = sim.frame(Scatterers(base.x_m, base.z_m, base.amplitude * tissue))
    g = []
    for r in np.asarray(r_values, dtype=float):
        noise = rng.standard_normal(len(base)) * np.std(base.amplitude)
        amp = (r * base.amplitude + np.sqrt(max(1 - r * r, 0.0)) * noise) * tissue
        second, _ = sim.frame(Scatterers(base.x_m, base.z_m, amp), ref)
        clip = EchoVideo(np.stack([first, second]).astype(np.float32) / 255.0, spacing_mm=sim.spacing_mm, fps=50.0)
        prof = measure_decorrelation(clip, max_lag_frames=1, patch_mm=patch_mm, search_mm=search_mm,
                                     rng=np.random.default_rng(seed), n_patches=300)
        g.append(float(prof.mean[0]))
    return np.asarray(r_values, dtype=float), np.asarray(g)


def fit_coherence(
    lags_ms: np.ndarray,
    target: np.ndarray,
    calibration: tuple[np.ndarray, np.ndarray],
    motion_only: np.ndarray | None = None,
) -> tuple[CoherenceModel, float]:
    """β and τ whose image correlation best follows ``target`` (mean absolute error, grid search).

    ``motion_only`` (image correlation of simulated sequences without
    renewal at the same lags) is divided out first: motion and deformation
    already cost that much correlation in the simulator.
    """
    lags = np.asarray(lags_ms, dtype=float)
    goal = np.asarray(target, dtype=float)
    if motion_only is not None:
        goal = np.clip(goal / np.maximum(np.asarray(motion_only, dtype=float), 1e-6), 0.0, 1.0)
    r_cal, g_cal = calibration
    order = np.argsort(r_cal)
    best = (np.inf, 0.0, 1000.0)
    for beta in np.linspace(0.0, 0.9, 91):
        for tau in np.geomspace(20.0, 20000.0, 121):
            r = (1 - beta) * np.exp(-lags / tau)
            err = float(np.mean(np.abs(np.interp(r, r_cal[order], g_cal[order]) - goal)))
            if err < best[0]:
                best = (err, float(beta), float(tau))
    return CoherenceModel(beta=best[1], tau_ms=best[2]), best[0]


def save_coherence(path: Path, model: CoherenceModel, **extra) -> Path:
    """Write a fitted model (and how it was fitted) as JSON."""
    from echostrain.io.atomic import write_text_atomic

    write_text_atomic(path, json.dumps({**asdict(model), **extra}, indent=2, sort_keys=True) + "\n")
    return path
