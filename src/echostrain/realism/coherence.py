"""Speckle coherence in the simulator, fitted to decorrelation measured on real clips.

The simulator renews a share of each scatterer's amplitude from frame to
frame (:class:`echostrain.sim.coherence.CoherenceModel`)::

    r(Δt) = (1 − β(depth)) · exp(−Δt / τ)

is the amplitude correlation between frames Δt apart. The image correlation
that the engine and the measurement produce for an amplitude correlation
``r`` is not ``r`` itself: a calibration curve ``g(r)`` (measured through
the engine, :func:`calibrate_image_correlation`) maps one to the other.
In-plane motion and deformation already decorrelate simulated speckle, so
the fit (:func:`fit_profile`) first divides the real curve by the curve of
sequences simulated without renewal (``motion_only``), then finds

1. β and τ whose ``g(r(Δt))`` best follows the mean real curve;
2. with that τ, one β per depth bin of the profile, placed at the bin centres.

Where the simulation without renewal already decorrelates as much as the real
clips the fitted β is 0 (renewal can only lower correlation).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import ParameterError
from echostrain.realism.profile import DecorrelationProfile, combine_profiles
from echostrain.sim.coherence import CoherenceModel

#: Folder of the measured default profile shipped with the package.
DATA = Path(__file__).resolve().parent / "data"
#: The real profile the default coherence model was fitted to.
DEFAULT_PROFILE_PATH = DATA / "default_profile.json"
#: (seed, view) of the sequences simulated to measure the simulator's own decorrelation.
FIT_SEQUENCES: tuple[tuple[int, str], ...] = ((1, "a4c"), (2, "a3c"), (3, "a2c"))

_BETAS = np.linspace(0.0, 0.9, 181)
_TAUS = np.geomspace(20.0, 20000.0, 121)


def calibrate_image_correlation(
    r_values: np.ndarray = np.array([1.0, 0.99, 0.97, 0.93, 0.88, 0.8, 0.7, 0.55, 0.4]),
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
        # three frames (the measurement's minimum): both lag-1 pairs have amplitude correlation r
        frames = np.stack([first, second, first]).astype(np.float32) / 255.0
        clip = EchoVideo(frames, spacing_mm=sim.spacing_mm, fps=50.0)
        prof = measure_decorrelation(clip, max_lag_frames=1, patch_mm=patch_mm, search_mm=search_mm,
                                     rng=np.random.default_rng(seed), n_patches=300)
        g.append(float(prof.mean[0]))
    return np.asarray(r_values, dtype=float), np.asarray(g)


def _image_correlation(r: np.ndarray, calibration: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    r_cal, g_cal = (np.asarray(v, dtype=float) for v in calibration)
    order = np.argsort(r_cal)
    return np.interp(r, r_cal[order], g_cal[order])


def _goal(target: np.ndarray, motion_only: np.ndarray | None) -> np.ndarray:
    goal = np.asarray(target, dtype=float)
    if motion_only is not None:
        goal = np.clip(goal / np.maximum(np.asarray(motion_only, dtype=float), 1e-6), 0.0, 1.0)
    return goal


def fit_coherence(
    lags_ms: np.ndarray,
    target: np.ndarray,
    calibration: tuple[np.ndarray, np.ndarray],
    motion_only: np.ndarray | None = None,
    tau_ms: float | None = None,
) -> tuple[CoherenceModel, float]:
    """Uniform β (and τ unless given) whose image correlation best follows ``target`` (MAE, grid search).

    ``motion_only`` (image correlation of simulated sequences without
    renewal at the same lags) is divided out first: motion and deformation
    already cost that much correlation in the simulator.
    """
    lags = np.asarray(lags_ms, dtype=float)
    goal = _goal(target, motion_only)
    good = np.isfinite(goal)
    if not good.any():
        raise ParameterError("no finite correlation to fit the coherence to")
    taus = _TAUS if tau_ms is None else np.array([float(tau_ms)])
    best = (np.inf, 0.0, float(taus[-1]))
    for tau in taus:
        decay = np.exp(-lags[good] / tau)
        for beta in _BETAS:
            err = float(np.mean(np.abs(_image_correlation((1 - beta) * decay, calibration) - goal[good])))
            if err < best[0] - 1e-12:
                best = (err, float(beta), float(tau))
    return CoherenceModel(beta=best[1], tau_ms=best[2]), best[0]


def _on_lags(profile: DecorrelationProfile, values: np.ndarray, lags_ms: np.ndarray) -> np.ndarray:
    """A [K] curve of ``profile`` interpolated at ``lags_ms`` (1 at lag 0, NaN beyond its range)."""
    xs, ys = np.r_[0.0, profile.lags_ms], np.r_[1.0, np.asarray(values, dtype=float)]
    good = np.isfinite(ys)
    out = np.interp(lags_ms, xs[good], ys[good])
    return np.where(lags_ms <= profile.max_lag_ms + 1e-9, out, np.nan)


def _clip_points(
    profiles: Sequence[DecorrelationProfile], motion_only: DecorrelationProfile, depth: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lags, real, motion-only) of every clip at its own measured lags (no interpolation of the real curves)."""
    lags, real, sim = [], [], []
    for p in profiles:
        keep = p.lags_ms <= motion_only.max_lag_ms + 1e-9
        rows = (p.mean, motion_only.mean) if depth is None else (p.by_depth[depth], motion_only.by_depth[depth])
        lags.append(p.lags_ms[keep])
        real.append(np.asarray(rows[0], dtype=float)[keep])
        sim.append(_on_lags(motion_only, rows[1], p.lags_ms[keep]))
    return np.concatenate(lags), np.concatenate(real), np.concatenate(sim)


def fit_profile(
    real: DecorrelationProfile | Sequence[DecorrelationProfile],
    motion_only: DecorrelationProfile,
    calibration: tuple[np.ndarray, np.ndarray],
) -> tuple[CoherenceModel, dict[str, Any]]:
    """Fit a depth-varying coherence model to one real profile or several (see the module docstring).

    With several profiles (clips at different frame rates) every clip is fitted
    at its own measured lags, all points pooled: combining the curves first would
    interpolate each one linearly from 1 at lag 0 and so hide the drop at the first
    lag. ``motion_only`` must be measured up to the largest real lag to use them all.
    Returns the model and a JSON-ready record of the fit (errors per step).
    """
    profiles = [real] if isinstance(real, DecorrelationProfile) else list(real)
    if not profiles:
        raise ParameterError("fit_profile needs at least one real profile")
    lags, target, sim = _clip_points(profiles, motion_only, None)
    if lags.size == 0:
        raise ParameterError("the simulated profile covers none of the real profile's lags")
    uniform, err = fit_coherence(lags, target, calibration, sim)
    info: dict[str, Any] = {"uniform_beta": uniform.beta, "tau_ms": uniform.tau_ms, "uniform_fit_error": round(err, 5)}
    same_bins = all(
        p.depth_bins_mm.size >= 2
        and p.depth_bins_mm.shape == motion_only.depth_bins_mm.shape
        and np.allclose(p.depth_bins_mm, motion_only.depth_bins_mm)
        for p in profiles
    )
    if not same_bins:
        info["depth_fit"] = "skipped: the real and simulated profiles have different depth bins"
        return uniform, info
    edges = motion_only.depth_bins_mm
    centres, betas, errors = [], [], []
    for d in range(edges.size - 1):
        lags_d, target_d, sim_d = _clip_points(profiles, motion_only, d)
        good = np.isfinite(target_d) & np.isfinite(sim_d)
        if not good.any():
            continue
        model_d, err_d = fit_coherence(lags_d[good], target_d[good], calibration, sim_d[good], tau_ms=uniform.tau_ms)
        centres.append(0.5 * float(edges[d] + edges[d + 1]))
        betas.append(model_d.beta)
        errors.append(round(err_d, 5))
    info["depth_fit_errors"] = errors
    if not centres:
        return uniform, info
    model = CoherenceModel(
        beta=uniform.beta, tau_ms=uniform.tau_ms, depth_mm=tuple(centres), beta_by_depth=tuple(betas)
    )
    return model, info


def simulated_profile(
    coherence: CoherenceModel | None,
    max_lag_ms: float,
    sequences: Sequence[tuple[int, str]] = FIT_SEQUENCES,
    progress: Callable[[str], None] | None = None,
    **measure: Any,
) -> DecorrelationProfile:
    """Decorrelation of normal sequences simulated with ``coherence``, measured as on real clips and combined."""
    from echostrain.io.video import EchoVideo
    from echostrain.realism.decorrelation import measure_decorrelation
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    profiles = []
    for seed, view in sequences:
        if progress is not None:
            progress(f"simulating and measuring {view} seed {seed}")
        data = simulate_sequence(SequenceConfig(view=view, pathology="normal", coherence=coherence), seed=seed)
        k = min(data.frames.shape[0] - 1, max(1, math.ceil(max_lag_ms * data.fps / 1000.0 - 1e-9)))
        clip = EchoVideo(data.frames.astype(np.float32) / 255.0, spacing_mm=data.spacing_mm, fps=data.fps,
                         source=f"simulated {view} seed {seed}")
        profiles.append(measure_decorrelation(clip, max_lag_frames=k, rng=np.random.default_rng(0),
                                              clip_id=f"sim_{view}_{seed}", **measure))
    return combine_profiles(profiles)


def save_coherence(path: str | Path, model: CoherenceModel, **extra: Any) -> Path:
    """Write a fitted model (and how it was fitted) as JSON (atomic)."""
    from echostrain.io.atomic import write_text_atomic

    return write_text_atomic(Path(path), json.dumps({**model.to_dict(), **extra}, indent=2, sort_keys=True) + "\n")


def fit_to_profile_file(
    path: str | Path, progress: Callable[[str], None] | None = None
) -> tuple[CoherenceModel, dict[str, Any]]:
    """Fit a coherence model to a measured profile JSON (calibration + simulations: about a minute)."""
    real = DecorrelationProfile.from_json(path)
    if progress is not None:
        progress("calibrating the engine's image correlation")
    calibration = calibrate_image_correlation()
    still = simulated_profile(None, float(real.max_lag_ms), progress=progress)
    model, info = fit_profile(real, still, calibration)
    info["fitted_to"] = str(path)
    return model, info


def load_coherence(spec: str | Path, progress: Callable[[str], None] | None = None) -> CoherenceModel | None:
    """The coherence model a user names: ``default`` (shipped), ``none`` (no decorrelation), or a JSON file.

    A file may hold a coherence model (``echostrain decorrelation fit``) or a
    measured decorrelation profile (``echostrain decorrelation measure``), which
    is then fitted first (:func:`fit_to_profile_file`).
    """
    from echostrain.core.errors import CorruptInputError, InputNotFoundError
    from echostrain.realism.profile import PROFILE_FORMAT
    from echostrain.sim.coherence import COHERENCE_FORMAT, default_coherence

    text = str(spec).strip()
    if text.lower() == "default":
        return default_coherence()
    if text.lower() == "none":
        return None
    p = Path(text)
    if not p.is_file():
        raise InputNotFoundError(
            f"decorrelation file {p} does not exist; give default, none, a profile JSON or a coherence JSON"
        )
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptInputError(f"{p} is not valid JSON ({exc.__class__.__name__}); re-create it") from exc
    kind = data.get("format") if isinstance(data, dict) else None
    if kind == PROFILE_FORMAT:
        return fit_to_profile_file(p, progress)[0]
    if kind == COHERENCE_FORMAT or (isinstance(data, dict) and "beta" in data and "tau_ms" in data):
        return CoherenceModel.from_dict(data, str(p))
    raise CorruptInputError(
        f"{p} is neither a decorrelation profile nor a coherence model (format {kind!r}); "
        "make one with `echostrain decorrelation measure` or `echostrain decorrelation fit`"
    )
