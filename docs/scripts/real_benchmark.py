"""The real-clip yardstick: our trackers (and, locally, MyoTracker) on the shared clips against drawn contours.

1. Copies the two apical LV clips of ../shared/realdata into a work folder as NPZ
   with their pixel spacing and acquisition frame rate (``CLIPS`` of
   docs/scripts/real_cohort.py: A4C 55 frames/s, not the file's 20) — outside the project.
2. Runs the real-cohort evaluation with both observers' ED and ES contours
   (docs/results/real_contours) and the ED frames of ed_frames.csv there, for
   tasnet, blockmatch and opticalflow, and MyoTracker when ``--myotracker PATH``
   points to its published weights (never copied into the project).
3. Warps each clip's ED frame by known LV motion (``echostrain simulate --warp``,
   observer 1's ED contour; ``WARPS``: a normal motion without noise and a
   regional one with noise) into the work folder and scores every method on
   them against the exact truth (MTE in mm, GLS and segmental error).
4. Writes per_clip.csv, per_beat.csv, warp_set.csv, summary.md/json, one GLS
   plot per clip, report.html and benchmark.md (one row per clip and method,
   real clips and warps) to docs/results/real_benchmark/.

Usage: python docs/scripts/real_benchmark.py [--myotracker ../shared/baselines/myotracker_scripted.pt]
       [--realdata ../shared/realdata] [--work /tmp/echostrain_real] [--out docs/results/real_benchmark]
The last line prints the headline figures as key=value pairs.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from real_cohort import CLIPS

from echostrain.anatomy.myocardium import Myocardium, WallPoints, load_myocardium
from echostrain.core.vocabulary import LAYER_ENDO, POINTS_PER_SEGMENT, WALL_SMOOTHING_POINTS
from echostrain.evaluate.contour_reference import (
    EsContour,
    contour_gls_pct,
    distance_to_polyline_mm,
    es_contour_path,
    load_es_contour,
)
from echostrain.evaluate.real import evaluate_real, read_ed_frames
from echostrain.evaluate.real_report import write_real_evaluation
from echostrain.evaluate.synthetic import evaluate_sequence
from echostrain.evaluate.summary import write_rows_csv
from echostrain.io import read_video, write_text_atomic
from echostrain.io.video import EchoVideo
from echostrain.io.contours import read_myocardium_contours
from echostrain.sim.sequence_file import warp_to_file
from echostrain.sim.warp import WarpConfig
from echostrain.strain import compute_strain
from echostrain.track import load
from echostrain.track.wall import regularise_tracks

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
#: Warps of each clip: (seed, pathology, noise SD in grey levels).
WARPS = ((1, "normal", 0.0), (2, "regional", 8.0))
WARP_COLUMNS = [
    ("clip", "clip", "{}"), ("method", "method", "{}"), ("warps", "n_warps", "{}"),
    ("MTE (mm)", "mte_mm", "{:.2f}"), ("MTE max of warps (mm)", "mte_max_mm", "{:.2f}"),
    ("|GLS error| (%)", "abs_gls_error_pct", "{:.2f}"), ("segment MAE (%)", "segment_mae_pct", "{:.2f}"),
]


def prepare_clips(realdata: Path, work: Path) -> Path:
    """The shared clips as NPZ with their spacing and acquisition frame rate in ``work/clips`` (its path)."""
    clips = work / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    for stem, (name, spacing, fps) in CLIPS.items():
        v = read_video(realdata / name)
        np.savez(clips / f"{stem}.npz", frames=(v.frames * 255).round().astype(np.uint8), fps=np.float64(fps),
                 spacing_mm=np.array(spacing))
    return clips


def warp_row(row: dict) -> dict:
    """The figures kept of one warp and method (a row of ``evaluate_sequence``)."""
    keys = ("method", "n_frames", "mte_mm", "epe_mm", "gls_true_pct", "gls_est_pct", "gls_error_pct",
            "segment_mae_pct", "seconds")
    return {k: row[k] for k in keys}


def study_arguments(parser: argparse.ArgumentParser, out: Path) -> None:
    """The options every real-clip study takes: --realdata, --work and --out (default ``out``)."""
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    parser.add_argument("--work", type=Path, default=Path("/tmp/echostrain_real"))
    parser.add_argument("--out", type=Path, default=out)


@dataclass(frozen=True)
class YardstickCase:
    """One real clip with observer 1's ED and ES contours, its wall points and the contour GLS."""

    stem: str
    video: EchoVideo
    myo: Myocardium
    es: EsContour
    wall: WallPoints
    contour_gls_pct: float

    def es_figures(self, tracks_px: np.ndarray, smoothing_points: int) -> dict[str, float]:
        """Endocardial GLS at the drawn ES frame (and − the contour's) and the ES distance of ``tracks_px``
        (the wall tracked from frame 0), regularised along the wall with ``smoothing_points`` (0: as tracked)."""
        tr = regularise_tracks(tracks_px, self.wall.layer, 0, smoothing_points)
        f, v = self.es.frame, self.video
        st = compute_strain(tr, v.spacing_mm, self.wall.layer, self.wall.segment, view=self.myo.view, ed_frame=0,
                            es_frame=f)
        gls = float(st.gls_curves_pct["endo"][f])
        dist = distance_to_polyline_mm(tr[f, self.wall.layer == LAYER_ENDO], self.es.myocardium.endo_xy_px,
                                       v.spacing_mm)
        return {"contour_gls_pct": self.contour_gls_pct, "tracked_gls_pct": gls,
                "tracked_minus_contour_pct": gls - self.contour_gls_pct, "es_distance_mm": float(dist.mean())}


def yardstick_cases(clips: Path, contours: Path) -> list[YardstickCase]:
    """The yardstick's clips (``prepare_clips``' folder) with observer 1's contours."""
    folder, out = contours / "observer1", []
    for stem in CLIPS:
        v = read_video(clips / f"{stem}.npz")
        myo = load_myocardium(str(folder / f"{stem}.json"), spacing_mm=v.spacing_mm, image_shape_hw=v.shape_hw)
        es = load_es_contour(es_contour_path(folder, stem), view=myo.view, spacing_mm=v.spacing_mm,
                             image_shape_hw=v.shape_hw, n_frames=v.n_frames, ed_frame=0)
        out.append(YardstickCase(stem, v, myo, es, myo.sample_points(POINTS_PER_SEGMENT),
                                 contour_gls_pct(myo, es.myocardium)))
    return out


def make_warps(clips: Path, contours: Path, work: Path) -> list[tuple[str, int, str, float, Path]]:
    """The warps of every clip (made once, kept in ``work/warps``): (clip, seed, pathology, noise SD, file)."""
    out = []
    for stem in CLIPS:
        contour = contours / "observer1" / f"{stem}.json"
        view = read_myocardium_contours(contour)["view"]
        for seed, pathology, noise in WARPS:
            path = work / "warps" / f"{stem}_seed{seed}_{pathology}_noise{noise:g}.h5"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                warp_to_file(path, clips / f"{stem}.npz", contour,
                             WarpConfig(view=view, pathology=pathology, noise_sd=noise), seed)
            out.append((stem, seed, pathology, noise, path))
    return out


def warp_set(clips: Path, contours: Path, work: Path, trackers: dict,
             smoothing_points: int = WALL_SMOOTHING_POINTS) -> list[dict]:
    """Every method on the warps of every clip (:func:`make_warps`): one row per warp and method."""
    rows = []
    for stem, seed, pathology, noise, path in make_warps(clips, contours, work):
        for ev in evaluate_sequence(path, trackers, observers=False, smoothing_points=smoothing_points):
            rows.append({"clip": stem, "warp": path.name, "seed": seed, "pathology": pathology, "noise_sd": noise}
                        | warp_row(ev.row))
    return rows


def warp_summary(rows: list[dict]) -> list[dict]:
    """Per clip and method: mean MTE, worst warp's MTE, mean |GLS error| and segment MAE over the warps."""
    out = []
    for clip in dict.fromkeys(r["clip"] for r in rows):
        for method in dict.fromkeys(r["method"] for r in rows):
            sel = [r for r in rows if r["clip"] == clip and r["method"] == method]
            out.append({"clip": clip, "method": method, "n_warps": len(sel),
                        "mte_mm": float(np.mean([r["mte_mm"] for r in sel])),
                        "mte_max_mm": float(np.max([r["mte_mm"] for r in sel])),
                        "abs_gls_error_pct": float(np.mean([abs(r["gls_error_pct"]) for r in sel])),
                        "segment_mae_pct": float(np.mean([r["segment_mae_pct"] for r in sel]))})
    return out


def _cell(row: dict, key, fmt: str) -> str:
    vals = [row.get(k) for k in key] if isinstance(key, tuple) else [row.get(key)]
    if any(v is None or (isinstance(v, float) and not math.isfinite(v)) for v in vals):
        return "—"
    return fmt.format(*vals)


def benchmark_table(rows: list[dict], columns: list = COLUMNS) -> str:
    """One markdown row per clip and method."""
    lines = ["| " + " | ".join(h for h, _, _ in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(r, k, f) for _, k, f in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--myotracker", type=Path, default=None, help="MyoTracker's TorchScript weights (local only)")
    parser.add_argument("--tasnet-weights", type=Path, default=None,
                        help="TAS-Net weights to measure instead of the shipped ones")
    study_arguments(parser, ROOT / "docs" / "results" / "real_benchmark")
    args = parser.parse_args()
    clips = prepare_clips(args.realdata, args.work)
    contours = ROOT / "docs" / "results" / "real_contours"
    trackers = {m: load(m, weights=args.tasnet_weights if m == "tasnet" else None) for m in METHODS}
    if args.myotracker is not None:
        from myotracker_baseline import MyoTrackerBaseline

        trackers["myotracker"] = MyoTrackerBaseline(args.myotracker)
    rows = evaluate_real(clips, [contours / "observer1", contours / "observer2"], None, (),
                         beats=True, ed_frames=read_ed_frames(contours / "ed_frames.csv"), trackers=trackers)
    write_real_evaluation(rows, args.out)
    warp_rows = warp_set(clips, contours, args.work, trackers)
    write_rows_csv(args.out / "warp_set.csv", warp_rows)
    warps = warp_summary(warp_rows)
    table = benchmark_table(rows)
    warp_table = benchmark_table(warps, WARP_COLUMNS)
    warp_note = ("Warps: each clip's ED frame deformed by a known LV motion (echostrain simulate --warp, observer 1's "
                 "ED contour; seeds " + ", ".join(f"{s} {p} noise {n:g}" for s, p, n in WARPS) + "), every method "
                 "started on the true ED points; MTE over all wall points and frames, GLS at the true ES frame. "
                 "Frozen texture: no speckle decorrelation (see docs/evaluation.md).")
    note = ("Contour GLS: the drawn endocardium's length change ED → ES (two observers). Tracked: each method "
            "started on observer 1's ED contour, its wall regularised along itself (--wall-smoothing "
            f"{WALL_SMOOTHING_POINTS}); its endocardial GLS at the drawn ES frame, and the mean distance "
            "of its endocardial points there to the drawn ES endocardium. Beats: the ED frames of "
            "docs/results/real_contours/ed_frames.csv; GLS per beat from that beat's ED.")
    write_text_atomic(args.out / "benchmark.md", "# Real-clip yardstick\n\n" + note + "\n\n" + table
                      + "\n## Real-texture warps\n\n" + warp_note + "\n\n" + warp_table)
    print(table)
    print(warp_table)
    heads = []
    for r in rows:
        tag = f"{r['clip'].replace('echotracker_', '')}_{r['method']}"
        heads.append(f"{tag}_gls_vs_contour={r.get('tracked_minus_contour_gls_pct', math.nan):+.2f}")
        heads.append(f"{tag}_es_mm={r.get('es_distance_mm', math.nan):.2f}")
    for r in warps:
        tag = f"warp_{r['clip'].replace('echotracker_', '')}_{r['method']}"
        heads.append(f"{tag}_mte_mm={r['mte_mm']:.3f}")
    print(" ".join(heads))


if __name__ == "__main__":
    main()
