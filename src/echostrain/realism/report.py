"""Realism report: real versus simulated speckle correlation curves and their MAE.

:func:`realism_report` combines the real clips' profiles and the simulated
sequences' profiles (:func:`~echostrain.realism.decorrelation.combine_profiles`),
computes the mean absolute error of the combined mean curves
(:func:`~echostrain.realism.decorrelation.curve_mae`, over the common lag
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

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from echostrain.core.errors import ParameterError  # noqa: E402
from echostrain.io.atomic import atomic_path  # noqa: E402
from echostrain.core.jsonsafe import json_ready  # noqa: E402
from echostrain.realism.decorrelation import (  # noqa: E402
    DecorrelationProfile,
    combine_profiles,
    curve_mae,
)


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
            returned as ``mae_baseline`` (and ``phase_mae_baseline``).
        baseline_label: legend name of the baseline.

    Returns:
        A JSON-ready dict: ``mae`` (combined real vs combined sim), ``mae_per_real``
        (label → MAE of that clip vs combined sim), ``lags_ms`` / ``real_mean`` /
        ``real_spread`` (combined real curve), ``sim_lags_ms`` / ``sim_mean`` /
        ``sim_spread``, ``phase`` (lag_ms, bins, curves and their MAE, or None),
        ``phase_skipped`` (why the phase panel was not drawn, or None),
        ``real_clips``, ``sim_clips``, ``n_patches_real``, ``n_patches_sim`` and
        ``png``.

    Raises:
        ParameterError: no real or no simulated profile, wrong number of labels,
            not a .png path, lag ranges that do not overlap.
    """
    reals = list(real)
    sims = list(sim)
    if not reals:
        raise ParameterError("realism_report needs at least one real profile")
    if not sims:
        raise ParameterError("realism_report needs at least one simulated profile")
    out = Path(os.fspath(out_png)).expanduser()
    if out.suffix.lower() != ".png":
        raise ParameterError(f"the realism plot must be a .png file, got {out}")
    if labels is None:
        names = [", ".join(p.clip_ids) or f"real {i + 1}" for i, p in enumerate(reals)]
    else:
        names = [str(s) for s in labels]
        if len(names) != len(reals):
            raise ParameterError(
                f"realism_report: {len(names)} labels for {len(reals)} real profiles"
            )
    names = _unique_labels(names)

    real_all = combine_profiles(reals)
    sim_all = combine_profiles(sims)
    mae = curve_mae(real_all, sim_all)
    mae_per_real = {name: curve_mae(p, sim_all) for name, p in zip(names, reals)}
    phase, phase_skipped = _phase_panel(real_all, sim_all)
    base_all = combine_profiles(list(baseline)) if baseline else None
    mae_base = curve_mae(real_all, base_all) if base_all is not None else None
    phase_base = _phase_panel(real_all, base_all)[0] if base_all is not None else None

    # ------------------------------------------------------------------ figure
    fig, (ax_lag, ax_phase) = plt.subplots(1, 2, figsize=(12, 4.8), dpi=110)
    try:
        colours = plt.get_cmap("tab10")
        for i, (name, p) in enumerate(zip(names, reals)):
            ax_lag.plot(
                np.r_[0.0, p.lags_ms], np.r_[1.0, p.mean], lw=0.9, alpha=0.7,
                color=colours(i % 10), marker=".", ms=3, zorder=3,
                label=f"{name} (MAE {mae_per_real[name]:.3f})",
            )
        ax_lag.plot(np.r_[0.0, real_all.lags_ms], np.r_[1.0, real_all.mean], lw=3.0,
                    color="black", label=f"real, combined ({len(reals)} clip(s))")
        ax_lag.plot(np.r_[0.0, sim_all.lags_ms], np.r_[1.0, sim_all.mean], lw=3.0, ls="--",
                    color="#d62728", label=f"simulated, combined ({len(sims)}) — MAE {mae:.3f}")
        if base_all is not None:
            ax_lag.plot(np.r_[0.0, base_all.lags_ms], np.r_[1.0, base_all.mean], lw=2.0, ls=":",
                        color="grey", label=f"{baseline_label} — MAE {mae_base:.3f}")
        ax_lag.set_xlabel("lag (ms)")
        ax_lag.set_ylabel("best-match correlation")
        ax_lag.set_title(f"{title or 'Speckle decorrelation'}: real vs simulated, MAE = {mae:.3f}")
        ax_lag.grid(alpha=0.3)
        ax_lag.legend(fontsize=7, loc="lower left")

        if phase is not None:
            xr = (np.arange(len(phase["real"])) + 0.5) / max(len(phase["real"]), 1)
            xs = (np.arange(len(phase["sim"])) + 0.5) / max(len(phase["sim"]), 1)
            ax_phase.plot(xr * 100, phase["real"], lw=2.5, marker="o", color="black", label="real")
            ax_phase.plot(xs * 100, phase["sim"], lw=2.5, ls="--", marker="s", color="#d62728",
                          label="simulated")
            if phase_base is not None:
                xb = (np.arange(len(phase_base["sim"])) + 0.5) / max(len(phase_base["sim"]), 1)
                ax_phase.plot(xb * 100, phase_base["sim"], lw=2.0, ls=":", marker="^", color="grey",
                              label=baseline_label)
            ax_phase.set_xticks(xr * 100)
            ax_phase.set_xticklabels(phase["real_bins"], fontsize=7)
            ax_phase.set_xlim(0, 100)
            extra = f", MAE {phase['mae']:.3f}" if phase["mae"] is not None else ""
            ax_phase.set_title(f"by phase (time within the clip) at {phase['lag_ms']:.1f} ms{extra}")
            ax_phase.set_xlabel("phase bin (% of the clip)")
            ax_phase.set_ylabel("best-match correlation")
            ax_phase.grid(alpha=0.3)
            ax_phase.legend(fontsize=8)
        else:
            ax_phase.set_axis_off()
            ax_phase.text(0.5, 0.5, f"no phase panel:\n{phase_skipped}", ha="center",
                          va="center", transform=ax_phase.transAxes, fontsize=9)
        fig.tight_layout()
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)

    phase_out = None
    if phase is not None:
        phase_out = {
            "lag_ms": phase["lag_ms"],
            "real_bins": phase["real_bins"],
            "real": json_ready(phase["real"]),
            "sim_bins": phase["sim_bins"],
            "sim": json_ready(phase["sim"]),
            "mae": phase["mae"],
        }
    return {
        "mae": mae,
        "mae_per_real": mae_per_real,
        "lags_ms": json_ready(real_all.lags_ms),
        "real_mean": json_ready(real_all.mean),
        "real_spread": json_ready(real_all.spread),
        "sim_lags_ms": json_ready(sim_all.lags_ms),
        "sim_mean": json_ready(sim_all.mean),
        "sim_spread": json_ready(sim_all.spread),
        "phase": phase_out,
        "phase_skipped": phase_skipped,
        "real_clips": list(real_all.clip_ids),
        "sim_clips": list(sim_all.clip_ids),
        "n_patches_real": real_all.n_patches,
        "n_patches_sim": sim_all.n_patches,
        "png": str(out),
        "mae_baseline": mae_base,
        "phase_mae_baseline": None if phase_base is None else phase_base["mae"],
        "baseline_mean": None if base_all is None else json_ready(base_all.mean),
        "baseline_lags_ms": None if base_all is None else json_ready(base_all.lags_ms),
    }
