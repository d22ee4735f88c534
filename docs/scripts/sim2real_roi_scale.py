"""Sim-to-real diagnosis: how the scale TAS-Net sees a clip at changes the strain it reads (inference only).

TAS-Net crops a square ROI about the query points, grown by ``roi_margin``
of the query box on each side (0.15, as in training), and resizes it to its
input size. A larger margin shows the same clip smaller: the heart and its
speckle cover fewer model pixels. The simulated speckle is 3–4× finer along
the beam than the real clips' (docs/results/speckle_size), so if TAS-Net
under-reads real motion because real speckle looks too coarse to it, showing
real clips smaller should read more, and simulated ones about the same.

Each margin is scored on the real yardstick (docs/scripts/real_benchmark.py's
clips, contours and beats) and on four simulated sequences (the renewal
study's cases without renewal), tracked from the true ED points.

Writes ``roi_scale.md/.csv`` to ``--out``.

Usage: python docs/scripts/sim2real_roi_scale.py [--weights NAME=PATH ...] [--margins 0.05 0.15 0.3 0.5]
       [--work /tmp/echostrain_real] [--sim-work /tmp/echostrain_roi_scale] [--out docs/results/sim2real]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from real_benchmark import prepare_clips
from study_table import write_study_md
from sim2real_renewal import CASES, simulate_case

from echostrain.evaluate.real import evaluate_real, read_ed_frames
from echostrain.evaluate.summary import write_rows_csv
from echostrain.evaluate.synthetic import evaluate_sequence
from echostrain.track.tasnet import TASNetTracker

ROOT = Path(__file__).resolve().parents[2]
CONTOURS = ROOT / "docs" / "results" / "real_contours"


def simulated(work: Path) -> list[Path]:
    """The four simulated sequences (made once into ``work``)."""
    work.mkdir(parents=True, exist_ok=True)
    return [simulate_case(work / f"{view}_{pathology}_seed{seed}.h5", seed, view, pathology, "none")
            for seed, view, pathology in CASES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", action="append", default=[], help="NAME=PATH of TAS-Net weights (default: shipped)")
    parser.add_argument("--margins", type=float, nargs="+", default=[0.05, 0.15, 0.3, 0.5])
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    parser.add_argument("--work", type=Path, default=Path("/tmp/echostrain_real"))
    parser.add_argument("--sim-work", type=Path, default=Path("/tmp/echostrain_roi_scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "sim2real")
    args = parser.parse_args()
    weights = dict(w.split("=", 1) for w in args.weights) or {"shipped": None}
    clips = prepare_clips(args.realdata, args.work)
    sims = simulated(args.sim_work)
    rows = []
    for name, path in weights.items():
        for margin in args.margins:
            tracker = TASNetTracker(weights=path, roi_margin=margin)
            real = evaluate_real(clips, [CONTOURS / "observer1", CONTOURS / "observer2"], None, (), beats=True,
                                 ed_frames=read_ed_frames(CONTOURS / "ed_frames.csv"), trackers={"tasnet": tracker})
            evals = [ev.row for path_ in sims for ev in evaluate_sequence(path_, {"tasnet": tracker}, observers=False)]
            row = {"weights": name, "roi_margin": margin,
                   "sim_mte_mm": float(np.mean([r["mte_mm"] for r in evals])),
                   "sim_gls_ratio": float(np.mean([r["gls_est_pct"] / r["gls_true_pct"] for r in evals]))}
            for r in real:
                clip = r["clip"].replace("echotracker_", "")
                row[f"{clip}_tracked_minus_contour_pct"] = r["tracked_minus_contour_gls_pct"]
                row[f"{clip}_es_distance_mm"] = r["es_distance_mm"]
                row[f"{clip}_beat_drift_mm"] = r.get("beat_drift_mm", float("nan"))
            rows.append(row)
            print(row, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(args.out / "roi_scale.csv", rows)
    lines = ["| weights | ROI margin | ROI side / training's (≈, pad left out) | A4C tracked − contour (%) | ALAX tracked − contour (%) "
             "| A4C / ALAX ES distance (mm) | A4C / ALAX beat drift (mm) | simulated MTE (mm) "
             "| simulated tracked / true GLS |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        # side = box · (1 + 2 m) + 32 px; relative to m = 0.15 for a box much larger than the pad
        lines.append(f"| {r['weights']} | {r['roi_margin']:g} | {(1 + 2 * r['roi_margin']) / 1.3:.2f} "
                     f"| {r['a4c_tracked_minus_contour_pct']:+.1f} | {r['alax_tracked_minus_contour_pct']:+.1f} "
                     f"| {r['a4c_es_distance_mm']:.2f} / {r['alax_es_distance_mm']:.2f} "
                     f"| {r['a4c_beat_drift_mm']:.2f} / {r['alax_beat_drift_mm']:.2f} "
                     f"| {r['sim_mte_mm']:.3f} | {r['sim_gls_ratio']:.2f} |")
    note = ("TAS-Net's ROI grown by the margin (share of the query box per side; training and the shipped predictor: "
            "0.15), the same weights. Real: the yardstick of docs/scripts/real_benchmark.py (observer 1's ED contour, "
            "the drawn ES frame, beats of ed_frames.csv). Simulated: four sequences without renewal "
            "(docs/scripts/sim2real_renewal.py's cases), tracked from the true ED points, GLS at the true ES frame. "
            "Made by docs/scripts/sim2real_roi_scale.py.")
    write_study_md(args.out / "roi_scale.md", "The scale TAS-Net sees a clip at (inference only)", note, lines)
    print(" ".join(f"{r['weights']}_m{r['roi_margin']:g}_a4c={r['a4c_tracked_minus_contour_pct']:+.1f} "
                   f"{r['weights']}_m{r['roi_margin']:g}_alax={r['alax_tracked_minus_contour_pct']:+.1f} "
                   f"{r['weights']}_m{r['roi_margin']:g}_sim_ratio={r['sim_gls_ratio']:.2f}" for r in rows))


if __name__ == "__main__":
    main()
