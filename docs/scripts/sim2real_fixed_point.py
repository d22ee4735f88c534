"""Sim-to-real diagnosis: is it TAS-Net's search or its reading that fails on real texture?

On each warp (frozen texture, exact truth) of docs/scripts/real_benchmark.py's
work folder, and on a warp of a simulated ED frame and the simulated sequence
itself (a4c, seed 10, as docs/scripts/sim2real_ablation.py makes them):

* ``corr-peak error``: the encoder's own evidence. The query point's feature
  (level 0, stride 4) is correlated with the ES frame's features on a 0.5-px
  grid of ±24 model px around the midpoint of the query and true ES positions;
  the distance of the best match to the truth (median over the wall points).
* ``from query``: TAS-Net as shipped, 6 update rounds started at the query
  positions (MTE after 3 and 6 rounds, and tracked / true endocardial GLS).
* ``from truth``: the same rounds started at the true positions in every
  frame (``TASNet.forward``'s ``start``). If the network stays there, its
  search fails on real texture; if it
  walks off to the answer it gives from the query, its reading of the
  correlations is biased.

Writes ``fixed_point.md/.csv`` to ``--out``.

Usage: python docs/scripts/sim2real_fixed_point.py [--work /tmp/echostrain_real] [--sim-work /tmp/echostrain_sim2real]
       [--out docs/results/sim2real] [--weights W]
The last line prints the headline figures as key=value pairs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from real_benchmark import ROOT
from sim2real_ablation import sim_frame_warp

from echostrain.anatomy.polyline import polyline_length_mm
from echostrain.evaluate.summary import write_rows_csv
from echostrain.io import write_text_atomic
from echostrain.io.sequence import read_sequence, write_sequence
from echostrain.sim.sequence import simulate_sequence
from echostrain.sim.sequence_config import SequenceConfig
from echostrain.track.model import TASNet, sample_features
from echostrain.track.roi import crop_frames, roi_for_points
from echostrain.track.tasnet import TASNetTracker

ROUNDS = 6
SEARCH_PX = 24.0


def study(path: Path, m: TASNet) -> dict:
    """The figures of one warp or sequence (see the module docstring)."""
    d = read_sequence(path)
    wall = d.track_layer >= 0
    endo = np.flatnonzero(d.track_layer[wall] == 0)
    tr = d.tracks[:, wall].astype(np.float64)
    es, sp = int(d.es_index), np.asarray(d.spacing_mm, float)
    roi = roi_for_points(tr[0], m.config.input_size)
    clip = crop_frames(d.frames.astype(np.float32) / 255.0, roi)
    q = roi.to_model(tr[0])
    with torch.no_grad():
        f0 = m.pyramid((clip[None] - 0.5) / 0.25)[0]
        qf = sample_features(f0[:1], torch.tensor((q + 0.5) / 4 - 0.5, dtype=torch.float32)[None])[0]
        t_es = roi.to_model(tr[es])
        offs = np.arange(-SEARCH_PX, SEARCH_PX + 0.25, 0.5)
        grid = np.stack(np.meshgrid(offs, offs, indexing="xy"), -1).reshape(-1, 2)
        pts = 0.5 * (q + t_es)[:, None, :] + grid[None]
        fs = sample_features(f0[es : es + 1], torch.tensor((pts.reshape(1, -1, 2) + 0.5) / 4 - 0.5,
                                                           dtype=torch.float32))[0].reshape(len(q), len(grid), -1)
        best = pts[np.arange(len(q)), torch.einsum("nd,ngd->ng", qf, fs).argmax(1).numpy()]
        peak_err_px = float(np.median(np.linalg.norm(best - t_es, axis=1)))
        truth = torch.tensor(roi.to_model(tr), dtype=torch.float32).permute(1, 0, 2)[None]
        queries = torch.tensor(np.concatenate([np.zeros((len(q), 1)), q], 1), dtype=torch.float32)[None]
        row = {"sequence": path.stem, "model_px_per_mm": roi.scale / float(sp.mean()),
               "es_displacement_mm": float(np.linalg.norm((tr[es] - tr[0]) * sp, axis=1).mean()),
               "corr_peak_error_mm": peak_err_px / roi.scale * float(sp.mean())}
        ed_length = polyline_length_mm(tr[0, endo], sp)
        g_true = polyline_length_mm(tr[es, endo], sp) / ed_length - 1
        for name, start in (("query", None), ("truth", truth)):
            rs, _ = m(clip[None], queries, iterations=ROUNDS, start=start)
            for k in (3, ROUNDS):
                res = roi.to_input(rs[k - 1][0].permute(1, 0, 2).numpy().astype(np.float64))
                row[f"from_{name}_mte_mm_{k}"] = float(np.linalg.norm((res - tr) * sp, axis=-1)[1:].mean())
            row[f"from_{name}_gls_ratio"] = (polyline_length_mm(res[es, endo], sp) / ed_length - 1) / g_true
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/echostrain_real"))
    parser.add_argument("--sim-work", type=Path, default=Path("/tmp/echostrain_sim2real"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "sim2real")
    parser.add_argument("--weights", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = TASNetTracker(args.weights).model
    paths = sorted((args.work / "warps").glob("*.h5"))
    if not paths:
        raise SystemExit(f"no warps in {args.work / 'warps'}: run docs/scripts/real_benchmark.py first")
    args.sim_work.mkdir(parents=True, exist_ok=True)
    base = args.sim_work / "sim_a4c_seed10.h5"
    if not base.exists():
        write_sequence(base, simulate_sequence(SequenceConfig(view="a4c"), 10))
    paths += [sim_frame_warp(base, 1, "normal", 0.0, args.sim_work / "simwarp_a4c_seed10_seed1_normal.h5"), base]
    rows = [study(p, model) for p in paths]
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(args.out / "fixed_point.csv", rows)
    lines = ["| sequence | ES displacement (mm) | corr-peak error (mm) | from query: MTE 3 / 6 rounds (mm) "
             "| from truth: MTE 3 / 6 rounds (mm) | tracked / true GLS from query / truth |", "|" + "---|" * 6]
    for r in rows:
        lines.append(f"| {r['sequence']} | {r['es_displacement_mm']:.2f} | {r['corr_peak_error_mm']:.2f} "
                     f"| {r['from_query_mte_mm_3']:.3f} / {r['from_query_mte_mm_6']:.3f} "
                     f"| {r['from_truth_mte_mm_3']:.3f} / {r['from_truth_mte_mm_6']:.3f} "
                     f"| {r['from_query_gls_ratio']:.2f} / {r['from_truth_gls_ratio']:.2f} |")
    intro = "\n\n".join((__doc__ or "").split("\n\n")[1:3])
    write_text_atomic(args.out / "fixed_point.md", "# TAS-Net's search or its reading? (inference only)\n\n"
                      + intro + "\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))
    print(" ".join(f"{r['sequence'][:24]}_truth_mte6={r['from_truth_mte_mm_6']:.3f}" for r in rows))


if __name__ == "__main__":
    main()
