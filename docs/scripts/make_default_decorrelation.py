"""Measure decorrelation on the real clips, fit the simulator's coherence to it, and check the fit.

Writes src/echostrain/realism/data/default_profile.json (the real curve, with
provenance) and default_coherence.json (β, τ and how they were fitted), then
simulates sequences with and without the fitted coherence and prints the
mean absolute error (MAE) between the real and simulated correlation-vs-lag
curves. Needs ../shared/realdata (never copied into the project).

Usage: python docs/scripts/make_default_decorrelation.py [--realdata ../shared/realdata]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from echostrain.io import read_video
from echostrain.io.video import EchoVideo
from echostrain.realism.coherence import DATA, calibrate_image_correlation, fit_coherence, save_coherence
from echostrain.realism.decorrelation import combine_profiles, curve_mae, measure_decorrelation
from echostrain.sim.coherence import CoherenceModel
from echostrain.sim.sequence import SequenceConfig, simulate_sequence

REAL = ("echotracker_a4c.mp4", "echotracker_alax.mp4")  # apical LV views, like the simulator's
SIM_SEEDS = ((1, "a4c"), (2, "a3c"), (3, "a2c"))


def measure_sim(coherence: CoherenceModel | None, max_lag_ms: float):
    profiles = []
    for seed, view in SIM_SEEDS:
        data = simulate_sequence(SequenceConfig(view=view, pathology="normal", coherence=coherence), seed=seed)
        k = min(data.frames.shape[0] - 1, math.ceil(max_lag_ms * data.fps / 1000.0))
        clip = EchoVideo(data.frames.astype(np.float32) / 255.0, spacing_mm=data.spacing_mm, fps=data.fps,
                         source=f"sim-{view}-{seed}")
        profiles.append(measure_decorrelation(clip, max_lag_frames=k, rng=np.random.default_rng(0),
                                              clip_id=f"sim_{view}_{seed}"))
    return combine_profiles(profiles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "realdata")
    args = parser.parse_args()
    real = []
    for name in REAL:
        clip = read_video(args.realdata / name)
        real.append(measure_decorrelation(clip, max_lag_frames=4, rng=np.random.default_rng(0), clip_id=name))
        print(f"{name}: lags {np.round(real[-1].lags_ms, 1)} ms, mean {np.round(real[-1].mean, 3)}")
    profile = combine_profiles(real)
    profile.provenance["note"] = (
        "measured by docs/scripts/make_default_decorrelation.py on the clips named in clip_ids "
        "(../shared/realdata, see its SOURCES.md); spacing estimated from the fan height as 150 mm"
    )
    profile.to_json(DATA / "default_profile.json")
    max_lag = float(profile.lags_ms[-1])
    print(f"real combined: lags {np.round(profile.lags_ms, 1)} mean {np.round(profile.mean, 3)}")

    calibration = calibrate_image_correlation()
    print("calibration r → g(r):", np.round(calibration[0], 3), np.round(calibration[1], 3))
    still = measure_sim(None, max_lag)
    mae_still = curve_mae(profile, still)
    motion_only = np.interp(profile.lags_ms, still.lags_ms, still.mean)
    model, fit_err = fit_coherence(profile.lags_ms, profile.mean, calibration, motion_only=motion_only)
    print(f"fitted β = {model.beta:.3f}, τ = {model.tau_ms:.0f} ms (fit error {fit_err:.4f})")
    decor = measure_sim(model, max_lag)
    mae = curve_mae(profile, decor)
    save_coherence(
        DATA / "default_coherence.json", model,
        fitted_to="default_profile.json", fit_error=round(fit_err, 5),
        mae_with=round(mae, 4), mae_without=round(mae_still, 4),
        calibration_r=[round(v, 4) for v in calibration[0]], calibration_g=[round(v, 4) for v in calibration[1]],
    )
    print(f"sim without decorrelation: mean {np.round(still.mean, 3)} at {np.round(still.lags_ms, 1)} ms")
    print(f"sim with decorrelation:    mean {np.round(decor.mean, 3)} at {np.round(decor.lags_ms, 1)} ms")
    print(f"mae_default={mae:.4f} mae_no_decorrelation={mae_still:.4f} beta={model.beta:.3f} tau_ms={model.tau_ms:.0f}")


if __name__ == "__main__":
    main()
