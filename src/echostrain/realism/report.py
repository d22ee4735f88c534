"""Realism report: real versus simulated speckle correlation curves and their MAE.

:func:`realism_report` combines the real clips' profiles and the simulated
sequences' profiles (:func:`~echostrain.realism.profile.combine_profiles`),
computes the mean absolute error of the combined mean curves
(:func:`~echostrain.realism.profile.curve_mae`, over the common lag
range in ms) and of each real clip against the combined simulation, and draws
a two-panel PNG:

* left: correlation versus lag (ms) — each real clip (thin), the real
  combined curve (thick) and the simulated combined curve (thick, dashed);
* right: correlation versus phase bin (time within the clip) at the first
  lag both combined profiles cover (the larger of their first lags; each
  curve linearly interpolated there). The panel says why when it cannot be
  drawn (no phase bins on one side, or no common lag).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from echostrain.core.errors import ParameterError
from echostrain.core.jsonsafe import json_ready
from echostrain.io.atomic import atomic_path
from echostrain.realism.profile import DecorrelationProfile, combine_profiles, curve_mae


def _at_lag(profile: DecorrelationProfile, values: np.ndarray, lag_ms: float) -> float:
    """``values`` (one per lag) linearly interpolated at ``lag_ms`` (1.0 at lag 0); NaN if unknown."""
    xs = np.r_[0.0, profile.lags_ms]
    ys = np.r_[1.0, np.asarray(values, dtype=np.float64)]
    good = np.isfinite(ys)
    if good.sum() < 2 or lag_ms > profile.max_lag_ms + 1e-9:
        return float("nan")
    return float(np.interp(lag_ms, xs[good], ys[good]))


def _unique_labels(labels: Sequence[str]) -> list[str]:
    """Make labels unique by appending " (2)", " (3)", … to repeats."""
    seen: dict[str, int] = {}
    out = []
    for lab in labels:
        n = seen.get(lab, 0) + 1
        seen[lab] = n
        out.append(lab if n == 1 else f"{lab} ({n})")
    return out


def _phase_panel(
    real: DecorrelationProfile, sim: DecorrelationProfile
) -> tuple[dict[str, Any] | None, str | None]:
    """Phase curves at the first common lag, or (None, reason)."""
    if real.by_phase.shape[0] == 0 or sim.by_phase.shape[0] == 0:
        side = "real" if real.by_phase.shape[0] == 0 else "simulated"
        return None, f"no phase bins in the {side} profile (clips with different bins)"
    lag = max(float(real.lags_ms[0]), float(sim.lags_ms[0]))
    if lag > min(real.max_lag_ms, sim.max_lag_ms) + 1e-9:
        return None, "the real and simulated lag ranges do not overlap"
    real_curve = np.array([_at_lag(real, row, lag) for row in real.by_phase])
    sim_curve = np.array([_at_lag(sim, row, lag) for row in sim.by_phase])
    if not (np.isfinite(real_curve).any() and np.isfinite(sim_curve).any()):
        return None, f"no phase values at {lag:.1f} ms"
    mae_phase = None
    if real_curve.size == sim_curve.size:
        diff = np.abs(real_curve - sim_curve)
        if np.isfinite(diff).any():
            mae_phase = float(np.nanmean(diff))
    return {
        "lag_ms": lag,
        "real_bins": list(real.phase_bins),
        "real": real_curve,
        "sim_bins": list(sim.phase_bins),
        "sim": sim_curve,
        "mae": mae_phase,
    }, None


def realism_report(
    real: Sequence[DecorrelationProfile],
    sim: Sequence[DecorrelationProfile],
    out_png: str | os.PathLike[str],
    labels: Sequence[str] | None = None,
    *,
    title: str | None = None,
    baseline: Sequence[DecorrelationProfile] | None = None,
    baseline_label: str = "simulated without decorrelation",
) -> dict[str, Any]:
    """Compare real and simulated decorrelation curves; write a two-panel PNG.

    Args:
        real: profiles of the real clips (one per clip, or already combined).
        sim: profiles of the simulated sequences.
        out_png: the PNG to write (atomically; its folder must exist).
        labels: one name per real profile (default: its clip ids); repeats
            get " (2)", " (3)", … appended.
        title: figure title prefix (default "Speckle decorrelation").
        baseline: optional second set of simulated profiles (e.g. the same
            sequences without decorrelation), drawn dotted grey; its MAE is
            returned as ``mae_baseline`` (and ``phase_mae_baseline``), per
            real profile as ``mae_per_real_baseline``.
        baseline_label: legend name of the baseline.

    Returns:
        A JSON-ready dict: ``mae`` (combined real vs combined sim), ``mae_per_real``
        (label → MAE of that clip vs combined sim), ``lags_ms`` / ``real_mean`` /
        ``real_spread`` (combined real curve), ``sim_lags_ms`` / ``sim_mean`` /
        ``sim_spread``, ``phase`` (lag_ms, bins, curves and their MAE, or None),
        ``phase_skipped`` (why the phase panel was not drawn, or None),
        ``real_clips``, ``sim_clips``, ``n_patches_real``, ``n_patches_sim``,
        ``png``, and for a ``baseline`` ``mae_baseline``, ``mae_per_real_baseline``
        (label → MAE of that clip vs combined baseline), ``phase_mae_baseline``,
        ``baseline_mean`` and ``baseline_lags_ms`` (all None without one).

    Raises:
        ParameterError: no real or no simulated profile, wrong number of labels,
            not a .png path, lag ranges that do not overlap.
    """
    reals, sims = list(real), list(sim)
    if not reals:
        raise ParameterError("realism_report needs at least one real profile")
    if not sims:
        raise ParameterError("realism_report needs at least one simulated profile")
    out = Path(os.fspath(out_png)).expanduser()
    if out.suffix.lower() != ".png":
        raise ParameterError(f"the realism plot must be a .png file, got {out}")
    names = _real_labels(reals, labels)

    real_all, sim_all = combine_profiles(reals), combine_profiles(sims)
    mae = curve_mae(real_all, sim_all)
    mae_per_real = {name: curve_mae(p, sim_all) for name, p in zip(names, reals)}
    phase, phase_skipped = _phase_panel(real_all, sim_all)
    base_all = combine_profiles(list(baseline)) if baseline else None
    mae_base = curve_mae(real_all, base_all) if base_all is not None else None
    mae_per_real_base = (None if base_all is None
                         else {name: curve_mae(p, base_all) for name, p in zip(names, reals)})
    phase_base = _phase_panel(real_all, base_all)[0] if base_all is not None else None

    fig = Figure(figsize=(12, 4.8), dpi=110)
    ax_lag, ax_phase = fig.subplots(1, 2)
    _draw_lag_panel(ax_lag, reals, names, mae_per_real, real_all, sim_all, mae, len(sims),
                    title=title, baseline=base_all, baseline_label=baseline_label, mae_baseline=mae_base)
    _draw_phase_panel(ax_phase, phase, phase_skipped, phase_base, baseline_label)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")

    return {
        "mae": mae,
        "mae_per_real": mae_per_real,
        "lags_ms": json_ready(real_all.lags_ms),
        "real_mean": json_ready(real_all.mean),
        "real_spread": json_ready(real_all.spread),
        "sim_lags_ms": json_ready(sim_all.lags_ms),
        "sim_mean": json_ready(sim_all.mean),
        "sim_spread": json_ready(sim_all.spread),
        "phase": None if phase is None else {k: json_ready(v) for k, v in phase.items()},
        "phase_skipped": phase_skipped,
        "real_clips": list(real_all.clip_ids),
        "sim_clips": list(sim_all.clip_ids),
        "n_patches_real": real_all.n_patches,
        "n_patches_sim": sim_all.n_patches,
        "png": str(out),
        "mae_baseline": mae_base,
        "mae_per_real_baseline": mae_per_real_base,
        "phase_mae_baseline": None if phase_base is None else phase_base["mae"],
        "baseline_mean": None if base_all is None else json_ready(base_all.mean),
        "baseline_lags_ms": None if base_all is None else json_ready(base_all.lags_ms),
    }


def _real_labels(reals: list[DecorrelationProfile], labels: Sequence[str] | None) -> list[str]:
    """One unique legend name per real profile (its clip ids by default)."""
    if labels is None:
        names = [", ".join(p.clip_ids) or f"real {i + 1}" for i, p in enumerate(reals)]
    else:
        names = [str(s) for s in labels]
        if len(names) != len(reals):
            raise ParameterError(
                f"realism_report: {len(names)} labels for {len(reals)} real profiles"
            )
    return _unique_labels(names)


def _curve_xy(profile: DecorrelationProfile) -> tuple[np.ndarray, np.ndarray]:
    """Lags (ms) and mean correlation with the point (0 ms, 1.0) in front."""
    return np.r_[0.0, profile.lags_ms], np.r_[1.0, profile.mean]


def _draw_lag_panel(
    ax: Any, reals: list[DecorrelationProfile], names: list[str], mae_per_real: dict[str, float],
    real_all: DecorrelationProfile, sim_all: DecorrelationProfile, mae: float, n_sims: int,
    *, title: str | None, baseline: DecorrelationProfile | None, baseline_label: str,
    mae_baseline: float | None,
) -> None:
    """Correlation versus lag: each real clip thin, the combined real and simulated curves thick."""
    colours = matplotlib.colormaps["tab10"]
    for i, (name, p) in enumerate(zip(names, reals)):
        ax.plot(*_curve_xy(p), lw=0.9, alpha=0.7, color=colours(i % 10), marker=".", ms=3, zorder=3,
                label=f"{name} (MAE {mae_per_real[name]:.3f})")
    ax.plot(*_curve_xy(real_all), lw=3.0, color="black", label=f"real, combined ({len(reals)} clip(s))")
    ax.plot(*_curve_xy(sim_all), lw=3.0, ls="--", color="#d62728",
            label=f"simulated, combined ({n_sims}) — MAE {mae:.3f}")
    if baseline is not None:
        ax.plot(*_curve_xy(baseline), lw=2.0, ls=":", color="grey",
                label=f"{baseline_label} — MAE {mae_baseline:.3f}")
    ax.set_xlabel("lag (ms)")
    ax.set_ylabel("best-match correlation")
    ax.set_title(f"{title or 'Speckle decorrelation'}: real vs simulated, MAE = {mae:.3f}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")


def _draw_phase_panel(
    ax: Any, phase: dict[str, Any] | None, skipped: str | None, phase_base: dict[str, Any] | None,
    baseline_label: str,
) -> None:
    """Correlation versus phase bin at the first common lag, or why it cannot be drawn."""
    if phase is None:
        ax.set_axis_off()
        ax.text(0.5, 0.5, f"no phase panel:\n{skipped}", ha="center", va="center",
                transform=ax.transAxes, fontsize=9)
        return

    def centres(values: np.ndarray) -> np.ndarray:
        return (np.arange(len(values)) + 0.5) / max(len(values), 1) * 100

    xr = centres(phase["real"])
    ax.plot(xr, phase["real"], lw=2.5, marker="o", color="black", label="real")
    ax.plot(centres(phase["sim"]), phase["sim"], lw=2.5, ls="--", marker="s", color="#d62728",
            label="simulated")
    if phase_base is not None:
        ax.plot(centres(phase_base["sim"]), phase_base["sim"], lw=2.0, ls=":", marker="^",
                color="grey", label=baseline_label)
    ax.set_xticks(xr)
    ax.set_xticklabels(phase["real_bins"], fontsize=7)
    ax.set_xlim(0, 100)
    extra = f", MAE {phase['mae']:.3f}" if phase["mae"] is not None else ""
    ax.set_title(f"by phase (time within the clip) at {phase['lag_ms']:.1f} ms{extra}")
    ax.set_xlabel("phase bin (% of the clip)")
    ax.set_ylabel("best-match correlation")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
