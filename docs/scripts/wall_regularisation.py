"""How much of the strain each tracker misses is scatter of its points along the wall?

A polyline through tracked points lengthens with their scatter, so a noisy
tracker reads too little shortening (``echostrain.strain.regularise_wall``).
Each method tracks each input once; its tracks are then regularised along the
wall with windows of ``WINDOWS`` points (0: as tracked) and measured:

* simulated sequences (``--sim DIR``, every ``*.h5``; known truth): |GLS error|
  and segmental MAE at the true ES frame, overall and on regional dysfunction;
* real-texture warps of docs/scripts/real_benchmark.py (made once in ``--work``;
  known truth): |GLS error| and tracked / true GLS;
* the real yardstick (observer 1's ED contour, the drawn ES frame): tracked −
  contour endocardial GLS and the ES distance.

The window is chosen on the first two (truth known), never on the real clips.
Writes ``wall_regularisation.md/.csv`` to ``--out``.

Usage: python docs/scripts/wall_regularisation.py --sim /work/ckpt/test36_new [--weights W]
       [--work /tmp/echostrain_real] [--out docs/results/sim2real]
The last line prints the headline figures as key=value pairs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
from real_benchmark import ROOT, benchmark_table, make_warps, prepare_clips, study_arguments, yardstick_cases

from echostrain.data import list_sequences
from echostrain.data.sequences import load_sequence
from echostrain.evaluate.summary import write_rows_csv
from echostrain.io import write_text_atomic
from echostrain.strain import compute_strain
from echostrain.track import load
from echostrain.track.wall import query_points, regularise_tracks

WINDOWS = (0, 3, 5, 7, 9)
METHODS = ("tasnet", "opticalflow", "blockmatch")


def sequence_rows(path: Path, kind: str, trackers: dict) -> list[dict]:
    """Every method and window on one file with true tracks (a simulated sequence or a warp)."""
    d = load_sequence(path)
    wall = np.flatnonzero(d.track_layer >= 0)
    true = d.tracks[:, wall].astype(np.float64)
    lay, seg, es = d.track_layer[wall], d.track_segment[wall], int(d.es_index)
    truth = compute_strain(true, d.spacing_mm, lay, seg, view=d.view, ed_frame=0, es_frame=es)
    pathology = (d.parameters.get("motion", {}) if isinstance(d.parameters, dict) else {}).get("pathology", "")
    rows = []
    for name, tracker in trackers.items():
        pred = tracker.track(d.frames, query_points(true[0], 0)).tracks_px.astype(np.float64)
        for w in WINDOWS:
            st = compute_strain(regularise_tracks(pred, lay, 0, w), d.spacing_mm, lay, seg, view=d.view, ed_frame=0, es_frame=es)
            rows.append({"kind": kind, "input": path.name, "pathology": pathology, "method": name, "window": w,
                         "gls_true_pct": truth.gls_pct, "gls_est_pct": st.gls_pct,
                         "abs_gls_error_pct": abs(st.gls_pct - truth.gls_pct),
                         "segment_mae_pct": float(np.nanmean(np.abs(st.segment_es_pct - truth.segment_es_pct)))})
    return rows


def real_rows(clips: Path, contours: Path, trackers: dict) -> list[dict]:
    """Every method and window on the real yardstick (observer 1)."""
    rows = []
    for case in yardstick_cases(clips, contours):
        for name, tracker in trackers.items():
            pred = tracker.track(case.video.frames, query_points(case.wall.xy_px, 0)).tracks_px
            rows += [{"kind": "real", "input": case.stem, "method": name, "window": w} | case.es_figures(pred, w)
                     for w in WINDOWS]
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Per method and window: the figures of every kind of input."""
    out = []
    for method in dict.fromkeys(r["method"] for r in rows):
        for w in WINDOWS:
            sel = [r for r in rows if r["method"] == method and r["window"] == w]
            sim = [r for r in sel if r["kind"] == "sim"]
            reg = [r for r in sim if r["pathology"] == "regional"]
            warp = [r for r in sel if r["kind"] == "warp"]
            real = {r["input"].replace("echotracker_", ""): r for r in sel if r["kind"] == "real"}

            def mean(items: list[dict], key: str) -> float:
                return float(np.mean([r[key] for r in items])) if items else math.nan

            out.append({"method": method, "window": w, "n_sim": len(sim),
                        "sim_gls_mae_pct": mean(sim, "abs_gls_error_pct"),
                        "sim_segment_mae_pct": mean(sim, "segment_mae_pct"),
                        "sim_regional_segment_mae_pct": mean(reg, "segment_mae_pct"),
                        "warp_gls_mae_pct": mean(warp, "abs_gls_error_pct"),
                        "warp_gls_ratio": float(np.mean([r["gls_est_pct"] / r["gls_true_pct"] for r in warp]))
                        if warp else math.nan,
                        **{f"{k}_minus_contour_pct": r["tracked_minus_contour_pct"] for k, r in real.items()},
                        **{f"{k}_es_distance_mm": r["es_distance_mm"] for k, r in real.items()}})
    return out


COLUMNS = [("method", "method", "{}"), ("window (points)", "window", "{}"),
           ("sim: GLS MAE / seg. MAE / regional seg. MAE (%)",
            ("sim_gls_mae_pct", "sim_segment_mae_pct", "sim_regional_segment_mae_pct"), "{:.2f} / {:.2f} / {:.2f}"),
           ("warps: GLS MAE (%) / tracked ÷ true GLS", ("warp_gls_mae_pct", "warp_gls_ratio"), "{:.2f} / {:.2f}"),
           ("A4C tracked − contour (%)", "a4c_minus_contour_pct", "{:+.1f}"),
           ("ALAX tracked − contour (%)", "alax_minus_contour_pct", "{:+.1f}"),
           ("A4C / ALAX ES distance (mm)", ("a4c_es_distance_mm", "alax_es_distance_mm"), "{:.2f} / {:.2f}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", type=Path, required=True, help="folder of simulated test sequences (*.h5)")
    parser.add_argument("--weights", type=Path, default=None, help="TAS-Net weights (default: shipped)")
    study_arguments(parser, ROOT / "docs" / "results" / "sim2real")
    args = parser.parse_args()
    clips = prepare_clips(args.realdata, args.work)
    contours = ROOT / "docs" / "results" / "real_contours"
    trackers = {m: load(m, weights=args.weights if m == "tasnet" else None) for m in METHODS}
    rows = []
    for f in list_sequences(args.sim):
        rows += sequence_rows(f, "sim", trackers)
    for *_, f in make_warps(clips, contours, args.work):
        rows += sequence_rows(f, "warp", trackers)
    rows += real_rows(clips, contours, trackers)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(args.out / "wall_regularisation.csv", rows)
    table = summary(rows)
    note = ("Each method tracks each input once; its tracks are regularised along the wall "
            "(`echostrain.strain.regularise_wall`, running median then Savitzky–Golay of order 2 on the "
            f"displacement from ED) with windows of {', '.join(map(str, WINDOWS[1:]))} points, 0 = as tracked. "
            f"Simulated: {len(list_sequences(args.sim))} sequences of `{args.sim.name}`; warps: the real-texture "
            "warps of real_benchmark.py; real: observer 1's ED contour, GLS at the drawn ES frame. "
            f"TAS-Net weights: {args.weights or 'shipped'}. Made by docs/scripts/wall_regularisation.py.")
    write_text_atomic(args.out / "wall_regularisation.md", "# Regularising the tracked wall\n\n" + note + "\n\n"
                      + benchmark_table(table, COLUMNS))
    print(benchmark_table(table, COLUMNS))
    print(" ".join(f"{r['method']}_w{r['window']}_{k}={r[k]:.3f}" for r in table
                   for k in ("sim_segment_mae_pct", "warp_gls_mae_pct", "a4c_minus_contour_pct",
                             "alax_minus_contour_pct")))


if __name__ == "__main__":
    main()
