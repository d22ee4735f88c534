"""Sim-to-real ablation of training: each TAS-Net weights file measured on every yardstick in one run.

For each ``--weights LABEL=PATH`` (``shipped`` = the package's weights):

1. the real-clip yardstick of docs/scripts/real_benchmark.py (TAS-Net only): per
   clip the tracked − contour endocardial GLS at the drawn ES frame, the ES
   distance, and per-beat GLS SD and drift;
2. the real-texture warps of that script (made once in ``--work``): MTE and the
   tracked / true GLS ratio;
3. synthetic held-out test sets (``--test NAME=DIR``, every ``*.h5`` of DIR):
   MTE, GLS MAE, segmental MAE overall and on regional dysfunction.

Writes ``training_ablation.md`` and ``training_ablation.csv`` (``--table``) to ``--out`` (one row
per weights file). Tracked walls are regularised along the wall with ``--wall-smoothing``
points, as the package does by default (``echostrain.track.wall.regularise_tracks``); rows
measured before 2026-12-08 (``--merge``) were measured as tracked. The last line prints the headline figures as key=value pairs.

Usage: python docs/scripts/sim2real_training.py --weights shipped --weights ft=/tmp/run/best.safetensors
       --test old=/tmp/test36_old --test new=/tmp/test36_new [--out docs/results/sim2real]
       [--merge earlier/training_ablation.csv …]   (rows measured by earlier runs, kept as they are)
       [--wall-smoothing 5] (tracked walls regularised along the wall as the package does; 0: as tracked)
       [--table training_ablation] (stem of the table files)
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np
from real_benchmark import ROOT, benchmark_table, prepare_clips, study_arguments, warp_set

from echostrain.core.vocabulary import WALL_SMOOTHING_POINTS
from echostrain.data import list_sequences
from echostrain.evaluate.real import evaluate_real, read_ed_frames
from echostrain.evaluate.summary import method_summary, write_rows_csv
from echostrain.evaluate.synthetic import evaluate_sequence
from echostrain.io import write_text_atomic
from echostrain.track import load

REAL_KEYS = ("tracked_minus_contour_gls_pct", "es_distance_mm", "beat_gls_sd_pct", "beat_drift_mm")


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for v in values:
        label, _, path = v.partition("=")
        out[label] = path or None
        if not label:
            raise SystemExit(f"--{what} needs LABEL or LABEL=PATH, got {v!r}")
    return out


def real_figures(tracker, clips: Path, contours: Path, work: Path, smoothing: int) -> dict[str, float]:
    """Yardstick and warp figures of one tracker (tracked walls regularised with ``smoothing`` points)."""
    rows = evaluate_real(clips, [contours / "observer1", contours / "observer2"], None, (), beats=True,
                         ed_frames=read_ed_frames(contours / "ed_frames.csv"), trackers={"tasnet": tracker},
                         smoothing_points=smoothing)
    out: dict[str, float] = {}
    for r in rows:
        tag = r["clip"].replace("echotracker_", "")
        for key in REAL_KEYS:
            out[f"{tag}_{key}"] = float(r.get(key, math.nan))
    out["mean_abs_gls_vs_contour_pct"] = float(np.mean([abs(r["tracked_minus_contour_gls_pct"]) for r in rows]))
    warps = warp_set(clips, contours, work, {"tasnet": tracker}, smoothing)
    for tag in ("a4c", "alax"):
        sel = [w for w in warps if w["clip"].endswith(tag)]
        out[f"warp_{tag}_mte_mm"] = float(np.mean([w["mte_mm"] for w in sel]))
        out[f"warp_{tag}_gls_ratio"] = float(np.mean([w["gls_est_pct"] / w["gls_true_pct"] for w in sel]))
    return out


def synthetic_figures(tracker, name: str, folder: Path, smoothing: int) -> dict[str, float]:
    rows = [ev.row for f in list_sequences(folder)
            for ev in evaluate_sequence(f, {"tasnet": tracker}, observers=False, smoothing_points=smoothing)]
    overall = method_summary(rows)
    regional = method_summary([r for r in rows if r["pathology"] == "regional"])
    return {f"{name}_n": overall["n_sequences"], f"{name}_mte_mm": overall["mte_mm"],
            f"{name}_gls_mae_pct": overall["gls_mae_pct"], f"{name}_segment_mae_pct": overall["segment_mae_pct"],
            f"{name}_regional_segment_mae_pct": regional["segment_mae_pct"]}


def table(rows: list[dict], tests: list[str]) -> str:
    cols = [("weights", "weights", "{}"),
            ("A4C tracked − contour GLS (%)", "a4c_tracked_minus_contour_gls_pct", "{:+.1f}"),
            ("ALAX tracked − contour GLS (%)", "alax_tracked_minus_contour_gls_pct", "{:+.1f}"),
            ("A4C / ALAX ES distance (mm)", ("a4c_es_distance_mm", "alax_es_distance_mm"), "{:.2f} / {:.2f}"),
            ("ALAX beat GLS SD (%) / drift (mm)", ("alax_beat_gls_sd_pct", "alax_beat_drift_mm"), "{:.2f} / {:.2f}"),
            ("warp MTE A4C / ALAX (mm)", ("warp_a4c_mte_mm", "warp_alax_mte_mm"), "{:.3f} / {:.3f}"),
            ("warp tracked / true GLS A4C / ALAX", ("warp_a4c_gls_ratio", "warp_alax_gls_ratio"), "{:.2f} / {:.2f}")]
    for t in tests:
        cols.append((f"{t}: MTE (mm) / GLS MAE / seg. MAE / regional seg. MAE (%)",
                     (f"{t}_mte_mm", f"{t}_gls_mae_pct", f"{t}_segment_mae_pct", f"{t}_regional_segment_mae_pct"),
                     "{:.3f} / {:.2f} / {:.2f} / {:.2f}"))
    return benchmark_table(rows, cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", action="append", default=[], help="LABEL or LABEL=PATH (repeat)")
    parser.add_argument("--merge", type=Path, action="append", default=[],
                        help="training_ablation.csv of earlier runs: their rows are added to the table as they are")
    parser.add_argument("--test", action="append", default=[], help="NAME=DIR of a synthetic test set (repeat)")
    parser.add_argument("--wall-smoothing", type=int, default=WALL_SMOOTHING_POINTS,
                        help="regularise tracked walls along the wall, window in points (0: as tracked)")
    parser.add_argument("--table", default="training_ablation",
                        help="stem of the table files written to --out")
    study_arguments(parser, ROOT / "docs" / "results" / "sim2real")
    args = parser.parse_args()
    clips = prepare_clips(args.realdata, args.work)
    contours = ROOT / "docs" / "results" / "real_contours"
    tests = _pairs(args.test, "test")
    rows = []
    for old in args.merge:
        with open(old, newline="") as fh:
            for r in csv.DictReader(fh):
                rows.append({k: (v if k in ("weights", "path") else float(v) if v != "" else math.nan)
                             for k, v in r.items()})
        tests = tests or {k[: -len("_mte_mm")]: "" for k in rows[-1] if k.endswith("_mte_mm") and not k.startswith("warp_")}
    for label, path in _pairs(args.weights, "weights").items():
        tracker = load("tasnet", weights=path)
        row: dict = {"weights": label, "path": path or "shipped"}
        row |= real_figures(tracker, clips, contours, args.work, args.wall_smoothing)
        for name, folder in tests.items():
            row |= synthetic_figures(tracker, name, Path(folder), args.wall_smoothing)
        rows.append(row)
        print(label, {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(args.out / f"{args.table}.csv", rows)
    write_text_atomic(args.out / f"{args.table}.md", "# TAS-Net weights on every yardstick\n\n"
                      + f"Tracked walls regularised along the wall with {args.wall_smoothing} points "
                      + "(0: as tracked)" + (", except the rows merged from earlier tables (--merge), measured "
                                             "as they were" if args.merge else "") + ".\n\n"
                      + table(rows, list(tests)))
    print(table(rows, list(tests)))
    heads = []
    for r in rows:
        for key in ("mean_abs_gls_vs_contour_pct", "warp_a4c_mte_mm", "warp_alax_mte_mm", "warp_a4c_gls_ratio",
                    *(f"{t}_mte_mm" for t in tests), *(f"{t}_segment_mae_pct" for t in tests)):
            heads.append(f"{r['weights']}_{key}={r[key]:.3f}")
    print(" ".join(heads))


if __name__ == "__main__":
    main()
