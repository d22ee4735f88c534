"""Sim-to-real diagnosis: what does TAS-Net's own encoder say on the real clips, without its transformer?

On the real yardstick (observer 1's ED contour, tracked from frame 0 to the drawn ES
frame), three readings of the same encoder features (level 0, stride 4 on the
256-px ROI) are compared with TAS-Net itself and optical flow:

* ``template argmax``: in each frame, the position best matching the query's
  feature (ED frame), searched on a 0.5-px grid ±10 model px around the previous
  frame's answer — the evidence TAS-Net's correlation windows hold;
* ``chain argmax``: the same search for the feature at the previous frame's
  answer — a frame-to-frame tracker on learned features;
* ``tasnet``: the network as shipped (or ``--weights``), the whole clip;
* ``opticalflow``: the classical baseline.

Each is measured as tracked and regularised along the wall
(``echostrain.strain.regularise_wall``, 5 points): endocardial GLS at the drawn
ES frame against the drawn contours' GLS, and the mean distance to the drawn ES
endocardium. Writes ``raw_evidence.md/.csv`` to ``--out``.

Usage: python docs/scripts/sim2real_raw_evidence.py [--weights W] [--work /tmp/echostrain_real]
       [--out docs/results/sim2real]
The last line prints the headline figures as key=value pairs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from real_benchmark import ROOT, benchmark_table, prepare_clips, study_arguments, yardstick_cases

from echostrain.core.vocabulary import WALL_SMOOTHING_POINTS
from echostrain.evaluate.summary import write_rows_csv
from echostrain.io import write_text_atomic
from echostrain.track import load
from echostrain.track.model import TASNet, sample_features
from echostrain.track.roi import crop_frames, roi_for_points
from echostrain.track.wall import query_points

SEARCH_PX, STEP_PX = 10.0, 0.5


def argmax_tracks(model: TASNet, clip: torch.Tensor, q_model: torch.Tensor, chain: bool) -> np.ndarray:
    """[T, N, 2] model px: each frame's best match, searched around the previous frame's answer."""
    with torch.no_grad():
        fmaps = torch.nn.functional.normalize(model.encoder((clip - 0.5) / 0.25), dim=1)  # [T, D, h, w]
    off = torch.arange(-SEARCH_PX, SEARCH_PX + 1e-6, STEP_PX)
    gy, gx = torch.meshgrid(off, off, indexing="ij")
    grid = torch.stack([gx, gy], -1).reshape(-1, 2)

    def feats(t: int, xy: torch.Tensor) -> torch.Tensor:  # xy [P, 2] model px → [P, D]
        return sample_features(fmaps[t][None], ((xy + 0.5) / model.stride - 0.5)[None])[0]

    pos = [q_model]
    query = feats(0, q_model)
    for t in range(1, clip.shape[0]):
        prev = pos[-1]
        ref = feats(t - 1, prev) if chain else query
        cand = prev[:, None, :] + grid[None]
        score = (feats(t, cand.reshape(-1, 2)).reshape(*cand.shape[:2], -1) * ref[:, None]).sum(-1)
        pos.append(cand[torch.arange(len(prev)), score.argmax(1)])
    return torch.stack(pos).numpy().astype(np.float64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=None, help="TAS-Net weights (default: shipped)")
    study_arguments(parser, ROOT / "docs" / "results" / "sim2real")
    args = parser.parse_args()
    clips = prepare_clips(args.realdata, args.work)
    tasnet, flow = load("tasnet", weights=args.weights), load("opticalflow")
    rows = []
    for case in yardstick_cases(clips, ROOT / "docs" / "results" / "real_contours"):
        v, pts, es_frame = case.video, case.wall, case.es.frame
        roi = roi_for_points(pts.xy_px, tasnet.model.config.input_size)
        clip = crop_frames(v.frames[: es_frame + 1], roi)
        q = torch.as_tensor(roi.to_model(pts.xy_px), dtype=torch.float32)
        readings = {
            "template argmax": roi.to_input(argmax_tracks(tasnet.model, clip, q, chain=False)),
            "chain argmax": roi.to_input(argmax_tracks(tasnet.model, clip, q, chain=True)),
            "tasnet": tasnet.track(v.frames, query_points(pts.xy_px, 0)).tracks_px[: es_frame + 1],
            "opticalflow": flow.track(v.frames, query_points(pts.xy_px, 0)).tracks_px[: es_frame + 1],
        }
        rows += [{"clip": case.stem, "reading": name, "wall_smoothing": w} | case.es_figures(tracks, w)
                 for name, tracks in readings.items() for w in (0, WALL_SMOOTHING_POINTS)]
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(args.out / "raw_evidence.csv", rows)
    cols = [("clip", "clip", "{}"), ("reading", "reading", "{}"), ("wall smoothing (points)", "wall_smoothing", "{}"),
            ("contour GLS (%)", "contour_gls_pct", "{:.1f}"), ("tracked GLS (%)", "tracked_gls_pct", "{:.1f}"),
            ("tracked − contour (%)", "tracked_minus_contour_pct", "{:+.1f}"),
            ("ES distance (mm)", "es_distance_mm", "{:.2f}")]
    note = ("Real yardstick, observer 1, ED (frame 0) → drawn ES frame. The argmax readings use TAS-Net's "
            f"encoder (weights: {args.weights or 'shipped'}), level 0, searched ±{SEARCH_PX:g} model px on a "
            f"{STEP_PX:g}-px grid around the previous frame's answer. Made by docs/scripts/sim2real_raw_evidence.py.")
    table = benchmark_table(rows, cols)
    write_text_atomic(args.out / "raw_evidence.md", "# TAS-Net's encoder evidence on real clips\n\n" + note
                      + "\n\n" + table)
    print(table)
    print(" ".join(f"{r['clip'].replace('echotracker_', '')}_{r['reading'].replace(' ', '_')}_w{r['wall_smoothing']}"
                   f"={r['tracked_minus_contour_pct']:+.2f}" for r in rows))


if __name__ == "__main__":
    main()
