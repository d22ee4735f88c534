"""Measure decorrelation on the real clips, fit the simulator's coherence to it, and check the fit.

Writes
* src/echostrain/realism/data/default_profile.json: the real curve, with provenance;
* src/echostrain/sim/data/default_coherence.json: β (per depth), τ and how they were fitted;
* docs/realism_decorrelation.png and docs/results/realism_decorrelation.json: real curves
  against sequences simulated with the fitted model and without decorrelation.

The last line prints the mean absolute errors (MAE). Needs ../shared/realdata
(never copied into the project).

Usage: python docs/scripts/make_default_decorrelation.py [--realdata ../shared/realdata]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from real_cohort import CLIPS

from echostrain.io import read_video
from echostrain.realism.coherence import (
    DEFAULT_PROFILE_PATH,
    FIT_SEQUENCES,
    calibrate_image_correlation,
    fit_profile,
    save_coherence,
    simulated_profile,
)
from echostrain.realism.decorrelation import measure_decorrelation
from echostrain.realism.profile import combine_profiles
from echostrain.realism.report import realism_report
from echostrain.sim.coherence import DEFAULT_COHERENCE_PATH

REAL = ("echotracker_a4c", "echotracker_alax")  # apical LV views, like the simulator's (keys of CLIPS)
ROOT = Path(__file__).resolve().parents[2]


def depth_mae(real, sim) -> list[float]:
    """MAE per depth bin between two profiles on the real lags both cover."""
    out = []
    lags = real.lags_ms[real.lags_ms <= sim.max_lag_ms + 1e-9]
    for d in range(real.by_depth.shape[0]):
        s = np.interp(lags, np.r_[0.0, sim.lags_ms], np.r_[1.0, sim.by_depth[d]])
        out.append(round(float(np.nanmean(np.abs(real.by_depth[d, : lags.size] - s))), 4))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    args = parser.parse_args()
    real = []
    for stem in REAL:
        name, spacing_mm, fps = CLIPS[stem]  # acquisition rate (not the A4C file's playback rate) and known spacing
        clip = read_video(args.realdata / name)
        real.append(measure_decorrelation(clip, max_lag_frames=4, rng=np.random.default_rng(0), clip_id=name,
                                          spacing_mm=spacing_mm, fps=fps))
        print(f"{name}: lags {np.round(real[-1].lags_ms, 1)} ms, mean {np.round(real[-1].mean, 3)}")
    profile = combine_profiles(real)
    profile.provenance["note"] = (
        "measured by docs/scripts/make_default_decorrelation.py on the clips named in clip_ids "
        "(../shared/realdata, see its SOURCES.md) with the spacing and acquisition frame rate of "
        "docs/scripts/real_cohort.py CLIPS (A4C 55 frames/s, not the file's 20)"
    )
    profile.to_json(DEFAULT_PROFILE_PATH)
    max_lag = max(p.max_lag_ms for p in real)  # every clip is fitted at its own lags (fit_profile)
    print(f"real combined (for the record): lags {np.round(profile.lags_ms, 1)} mean {np.round(profile.mean, 3)}")

    calibration = calibrate_image_correlation()
    print("calibration r → g(r):", np.round(calibration[0], 3), np.round(calibration[1], 3))
    still = simulated_profile(None, max_lag, progress=print)
    model, info = fit_profile(real, still, calibration)
    print(f"fitted: {model}  {info}")
    decor = simulated_profile(model, max_lag, progress=print)
    png = ROOT / "docs" / "realism_decorrelation.png"
    report = realism_report(real, [decor], png, baseline=[still],
                            title="Speckle decorrelation, default profile")
    per_clip = {name: (round(with_, 4), round(report["mae_per_real_baseline"][name], 4))
                for name, with_ in report["mae_per_real"].items()}
    for name, (with_, without) in per_clip.items():
        print(f"{name}: MAE with renewal {with_}, without {without}")
    mae = float(np.mean([v[0] for v in per_clip.values()]))
    mae_still = float(np.mean([v[1] for v in per_clip.values()]))
    report["mae_by_depth"] = np.mean([depth_mae(p, decor) for p in real], axis=0).round(4).tolist()
    report["mae_by_depth_without"] = np.mean([depth_mae(p, still) for p in real], axis=0).round(4).tolist()
    report["mae_per_clip_with_without"] = per_clip
    report["depth_bins_mm"] = profile.depth_bins_mm.tolist()
    save_coherence(
        DEFAULT_COHERENCE_PATH, model,
        fitted_to="echostrain/realism/data/default_profile.json",
        fitted_by="docs/scripts/make_default_decorrelation.py",
        fit=info,
        simulated_sequences=[f"{view} seed {seed}" for seed, view in FIT_SEQUENCES],
        mae_with=round(mae, 4), mae_without=round(mae_still, 4),
        calibration_r=[round(v, 4) for v in calibration[0]], calibration_g=[round(v, 4) for v in calibration[1]],
    )
    results = ROOT / "docs" / "results"
    results.mkdir(exist_ok=True)
    report["png"] = "docs/realism_decorrelation.png"
    (results / "realism_decorrelation.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"sim without decorrelation: mean {np.round(still.mean, 3)} at {np.round(still.lags_ms, 1)} ms")
    print(f"sim with decorrelation:    mean {np.round(decor.mean, 3)} at {np.round(decor.lags_ms, 1)} ms")
    print(f"by depth {profile.depth_bins_mm.tolist()} mm: MAE with {report['mae_by_depth']}, "
          f"without {report['mae_by_depth_without']}")
    phase = report["phase"]["mae"] if report["phase"] else float("nan")
    print(f"mae_default={mae:.4f} mae_no_decorrelation={mae_still:.4f} phase_mae_default={phase:.4f} "
          f"phase_mae_no_decorrelation={report['phase_mae_baseline']:.4f}")


if __name__ == "__main__":
    main()
