"""The real-clip yardstick: our trackers (and, locally, MyoTracker) on the shared clips against drawn contours.

1. Copies the two apical LV clips of ../shared/realdata into a work folder as NPZ
   with their pixel spacing and acquisition frame rate (``CLIPS`` of
   docs/scripts/real_cohort.py: A4C 55 frames/s, not the file's 20) — outside the project.
2. Runs the real-cohort evaluation with both observers' ED and ES contours
   (docs/results/real_contours) and the ED frames of ed_frames.csv there, for
   tasnet, blockmatch and opticalflow, and MyoTracker when ``--myotracker PATH``
   points to its published weights (never copied into the project).
3. Writes per_clip.csv, per_beat.csv, summary.md/json, one GLS plot per clip,
   report.html and benchmark.md (one row per clip and method) to
   docs/results/real_benchmark/.

Usage: python docs/scripts/real_benchmark.py [--myotracker ../shared/baselines/myotracker_scripted.pt]
       [--realdata ../shared/realdata] [--work /tmp/echostrain_real] [--out docs/results/real_benchmark]
The last line prints the headline figures as key=value pairs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from real_cohort import CLIPS

from echostrain.evaluate.real import evaluate_real, read_ed_frames
from echostrain.evaluate.real_report import write_real_evaluation
from echostrain.io import read_video, write_text_atomic

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("tasnet", "blockmatch", "opticalflow")
COLUMNS = [
    ("clip", "clip", "{}"), ("method", "method", "{}"),
    ("contour GLS obs. 1 / 2 (%)", ("contour_gls_pct", "contour_gls_observer2_pct"), "{:.1f} / {:.1f}"),
    ("tracked endo GLS at ES (%)", "tracked_gls_at_es_pct", "{:.1f}"),
    ("tracked − contour (%)", "tracked_minus_contour_gls_pct", "{:+.1f}"),
    ("ES distance (mm)", "es_distance_mm", "{:.2f}"),
    ("beats", "n_beats", "{}"),
    ("beat GLS mean (%)", "beat_gls_mean_pct", "{:.1f}"),
    ("beat GLS SD / range (%)", ("beat_gls_sd_pct", "beat_gls_range_pct"), "{:.2f} / {:.2f}"),
    ("beat drift (mm)", "beat_drift_mm", "{:.2f}"),
    ("beat fwd–bwd (mm)", "beat_fb_mm", "{:.2f}"),
]


def _cell(row: dict, key, fmt: str) -> str:
    vals = [row.get(k) for k in key] if isinstance(key, tuple) else [row.get(key)]
    if any(v is None or (isinstance(v, float) and not math.isfinite(v)) for v in vals):
        return "—"
    return fmt.format(*vals)


def benchmark_table(rows: list[dict]) -> str:
    """One markdown row per clip and method."""
    lines = ["| " + " | ".join(h for h, _, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(_cell(r, k, f) for _, k, f in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--myotracker", type=Path, default=None, help="MyoTracker's TorchScript weights (local only)")
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    parser.add_argument("--work", type=Path, default=Path("/tmp/echostrain_real"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "real_benchmark")
    args = parser.parse_args()
    clips = args.work / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    for stem, (name, spacing, fps) in CLIPS.items():
        v = read_video(args.realdata / name)
        np.savez(clips / f"{stem}.npz", frames=(v.frames * 255).round().astype(np.uint8), fps=np.float64(fps),
                 spacing_mm=np.array(spacing))
    contours = ROOT / "docs" / "results" / "real_contours"
    extra = {}
    if args.myotracker is not None:
        from myotracker_baseline import MyoTrackerBaseline

        extra["myotracker"] = MyoTrackerBaseline(args.myotracker)
    rows = evaluate_real(clips, [contours / "observer1", contours / "observer2"], None, METHODS,
                         beats=True, ed_frames=read_ed_frames(contours / "ed_frames.csv"), trackers=extra)
    write_real_evaluation(rows, args.out)
    table = benchmark_table(rows)
    note = ("Contour GLS: the drawn endocardium's length change ED → ES (two observers). Tracked: each method "
            "started on observer 1's ED contour; its endocardial GLS at the drawn ES frame, and the mean distance "
            "of its endocardial points there to the drawn ES endocardium. Beats: the ED frames of "
            "docs/results/real_contours/ed_frames.csv; GLS per beat from that beat's ED.")
    write_text_atomic(args.out / "benchmark.md", "# Real-clip yardstick\n\n" + note + "\n\n" + table)
    print(table)
    heads = []
    for r in rows:
        tag = f"{r['clip'].replace('echotracker_', '')}_{r['method']}"
        heads.append(f"{tag}_gls_vs_contour={r.get('tracked_minus_contour_gls_pct', math.nan):+.2f}")
        heads.append(f"{tag}_es_mm={r.get('es_distance_mm', math.nan):.2f}")
    print(" ".join(heads))


if __name__ == "__main__":
    main()
