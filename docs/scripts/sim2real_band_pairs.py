"""Sim-to-real diagnosis: the same motion imaged with and without the receive filter, read by the same trackers.

Two generations made with the same master seed (so sequence ``i`` has the
same view, anatomy and motion) and one difference: the second
draws a receive band (``generate --rx-bandwidth-pct 9,16``), which lengthens the
speckle along the beam to the real clips' 1.2–2.0 mm (docs/results/speckle_size).
If TAS-Net under-reads real strain because real speckle is coarse along the
beam, it should under-read these simulated pairs too, where the truth is known.

Each pair is tracked from the true ED points by TAS-Net (the given weights)
and by optical flow; per sequence: MTE, true GLS and each reading's
tracked / true GLS.

Writes ``band_pairs_<name>.md/.csv`` to ``--out``.

Usage: python docs/scripts/sim2real_band_pairs.py --plain DIR --band DIR [--weights NAME=PATH] [--splits test,val]
       [--limit 30] [--out docs/results/sim2real]
The last line prints the headline figures as key=value pairs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from study_table import write_study_md

from echostrain.data.generate import SETTINGS
from echostrain.data.generation_settings import GenerationSettings
from echostrain.data.splits import MANIFEST, manifest_rows
from echostrain.evaluate.summary import write_rows_csv
from echostrain.evaluate.synthetic import evaluate_sequence
from echostrain.track.opticalflow import OpticalFlowTracker
from echostrain.track.tasnet import TASNetTracker

ROOT = Path(__file__).resolve().parents[2]


def _same_but_band(plain: Path, band: Path) -> None:
    """Refuse two generations that differ in more than the receive band (else same-id pairs differ in motion)."""
    stored = [GenerationSettings.stored_dict(json.loads((d / SETTINGS).read_text())) for d in (plain, band)]
    for s in stored:
        s.pop("rx_bandwidth_range_pct", None)
        s.pop("rx_bandwidth_pct", None)  # the option's first name, in generations made before it was renamed
    if stored[0] != stored[1]:
        diff = sorted(k for k in set(stored[0]) | set(stored[1]) if stored[0].get(k) != stored[1].get(k))
        raise SystemExit(f"{plain} and {band} differ in {', '.join(diff)}, not only in the receive band")


def pairs(plain: Path, band: Path, splits: set[str], limit: int) -> list[tuple[str, Path, Path, float]]:
    """(id, plain file, band file, band %) of sequences finished in both folders, in the chosen splits."""
    _same_but_band(plain, band)
    have = {r["id"]: r for r in manifest_rows(plain / MANIFEST)}
    out: list[tuple[str, Path, Path, float]] = []
    for row in manifest_rows(band / MANIFEST):
        other = have.get(row["id"])
        if other is None or row["split"] not in splits or other["seed"] != row["seed"]:
            continue
        out.append((row["id"], plain / other["file"], band / row["file"], _band_pct(band / row["file"])))
    if not out:
        raise SystemExit(f"no sequence of splits {', '.join(sorted(splits))} is finished in both {plain} and {band}")
    return out[:limit]


def _band_pct(path: Path) -> float:
    from echostrain.data import load_sequence

    scan = load_sequence(path).parameters["scan"]
    return float(scan.get("rx_bandwidth_pct") or float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain", type=Path, required=True, help="generation without the receive filter")
    parser.add_argument("--band", type=Path, required=True, help="the same generation with --rx-bandwidth-pct")
    parser.add_argument("--weights", default="shipped", help="NAME=PATH of TAS-Net weights (default: shipped)")
    parser.add_argument("--splits", default="test,val")
    parser.add_argument("--limit", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "sim2real")
    args = parser.parse_args()
    name, _, path = args.weights.partition("=")
    trackers = {"tasnet": TASNetTracker(weights=path or None), "opticalflow": OpticalFlowTracker()}
    rows = []
    for sid, plain, band, pct in pairs(args.plain, args.band, set(args.splits.split(",")), args.limit):
        for imaging, file in (("plain", plain), ("band", band)):
            for ev in evaluate_sequence(file, trackers, observers=False):
                r = ev.row
                rows.append({"id": sid, "imaging": imaging, "band_pct": pct if imaging == "band" else float("nan"),
                             "view": r["view"], "pathology": r["pathology"], "method": r["method"],
                             "mte_mm": r["mte_mm"], "gls_true_pct": r["gls_true_pct"], "gls_est_pct": r["gls_est_pct"],
                             "gls_ratio": r["gls_est_pct"] / r["gls_true_pct"]})
        print(json.dumps(rows[-4:]), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(args.out / f"band_pairs_{name}.csv", rows)
    lines = ["| method | imaging | sequences | MTE (mm) | tracked / true GLS, mean (min–max) | GLS MAE (%) |",
             "|---|---|---|---|---|---|"]
    head = {}
    for method in trackers:
        for imaging in ("plain", "band"):
            sel = [r for r in rows if r["method"] == method and r["imaging"] == imaging]
            ratio = np.array([r["gls_ratio"] for r in sel])
            mte = float(np.mean([r["mte_mm"] for r in sel]))
            mae = float(np.mean([abs(r["gls_est_pct"] - r["gls_true_pct"]) for r in sel]))
            head[f"{method}_{imaging}_mte_mm"], head[f"{method}_{imaging}_gls_ratio"] = mte, float(ratio.mean())
            lines.append(f"| {method} | {imaging} | {len(sel)} | {mte:.3f} | {ratio.mean():.2f} "
                         f"({ratio.min():.2f}–{ratio.max():.2f}) | {mae:.2f} |")
    bands = [r["band_pct"] for r in rows if r["imaging"] == "band" and r["method"] == "tasnet"]
    note = ("Pairs of simulated sequences with the same seed, view, anatomy and motion (not the same scatterers: "
            f"the filtered one counts 10 per longer resolution cell, so it has fewer): `{args.plain}` "
            f"(the probe's own band) and `{args.band}` (receive band {min(bands):g}–{max(bands):g} % of the centre "
            f"frequency, drawn per sequence). Splits {args.splits}, at most {args.limit} pairs. Tracked from the true "
            f"ED points; GLS at the true ES frame. TAS-Net weights: {name}. "
            "Made by docs/scripts/sim2real_band_pairs.py.")
    write_study_md(args.out / f"band_pairs_{name}.md", "The same motion with and without the receive filter", note,
                   lines)
    print(" ".join(f"{k}={v:.3f}" for k, v in head.items()))


if __name__ == "__main__":
    main()
