"""Sim-to-real diagnosis at inference: does TAS-Net's strain depend on the speckle's shape?

The speckle-size study (docs/scripts/speckle_size.py) found the simulated
speckle 3–4× finer axially than the real clips' (lateral within 20 %). This
script takes simulated sequences made as the training set is (one per view,
``SEEDS``), and scores TAS-Net (shipped weights) and optical flow on:

* ``as trained``: the frames as simulated;
* ``axial blur``: every frame blurred along the image rows' depth axis by a
  Gaussian that widens the axial speckle FWHM to the real clips' (≈1.3 mm);
* ``isotropic blur``: the same Gaussian in both directions.

The truth is untouched (blurring moves no tissue), so any change of the
tracked GLS is the tracker's response to the appearance alone.

A second table holds warps (``echostrain simulate --warp``, frozen texture,
the same motion model and seeds) of two kinds of ED frame: the real clips'
(made by docs/scripts/real_benchmark.py into its work folder) and the ED frames
of the simulated sequences above (their true ED wall as the contour). Same
machinery and motion, only the texture differs.

Rows go to docs/results/sim2real/ablation_inference.md/.csv and warp_texture.csv.

Usage: python docs/scripts/sim2real_ablation.py [--work /tmp/echostrain_sim2real] [--out docs/results/sim2real]
The last line prints the headline figures as key=value pairs.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from real_benchmark import warp_row
from scipy.ndimage import gaussian_filter1d

from echostrain.evaluate.summary import write_rows_csv
from echostrain.evaluate.synthetic import evaluate_sequence
from echostrain.io import EchoVideo, write_text_atomic
from echostrain.io.sequence import read_sequence, write_sequence
from echostrain.sim.warp import WarpConfig, warp_clip
from echostrain.sim.sequence import simulate_sequence
from echostrain.sim.sequence_config import SequenceConfig
from echostrain.track import load

ROOT = Path(__file__).resolve().parents[2]
SEEDS = (("a4c", 10), ("a2c", 11), ("a3c", 12), ("a4c", 13))
#: Axial speckle FWHM (mm): simulated (training settings) and real, from docs/results/speckle_size.
SIM_AXIAL_MM, REAL_AXIAL_MM = 0.45, 1.3
METHODS = ("tasnet", "opticalflow")
#: Warps of every ED frame: (seed, pathology, noise SD), as docs/scripts/real_benchmark.py makes them.
WARPS = ((1, "normal", 0.0), (2, "regional", 8.0))


def sim_frame_warp(base: Path, seed: int, pathology: str, noise: float, out: Path) -> Path:
    """A warp of the ED frame of simulated sequence ``base``, its true ED wall as the contour."""
    if out.exists():
        return out
    import json

    data = read_sequence(base)
    ed = data.tracks[0]
    contour = out.with_suffix(".json")
    contour.write_text(json.dumps({"endo": ed[data.track_layer == 0].tolist(), "epi": ed[data.track_layer == 2].tolist(),
                                   "view": data.view}))
    clip = EchoVideo(data.frames[:2].astype(np.float32) / 255.0, spacing_mm=data.spacing_mm, source=str(base))
    write_sequence(out, warp_clip(clip, contour, WarpConfig(view=data.view, pathology=pathology, noise_sd=noise), seed))
    return out


def edited_real_warp(clip_npz: Path, contour: Path, edit: Callable, label: str, seed: int, pathology: str,
                     noise: float, out: Path) -> Path:
    """A warp of a real clip's ED frame after ``edit(frame, fan, wall)`` changed it (written once to ``out``).

    ``frame`` is the ED frame in [0, 1], ``fan`` its sector mask, ``wall`` the drawn myocardium dilated by 1 mm.
    """
    if out.exists():
        return out
    from scipy.ndimage import binary_dilation

    from echostrain.anatomy.polyline import myocardium_mask
    from echostrain.io import read_video
    from echostrain.io.contours import read_myocardium_contours
    from echostrain.io.sector import sector_mask

    clip = read_video(clip_npz)
    c = read_myocardium_contours(contour, image_shape_hw=clip.frames.shape[1:])
    wall = myocardium_mask(c["endo"], c["epi"], clip.frames.shape[1:])
    wall = binary_dilation(wall, iterations=max(1, round(1.0 / clip.spacing_mm[0])))
    frames = clip.frames.copy()
    frames[0] = edit(frames[0], sector_mask(clip.frames), wall)
    edited = EchoVideo(frames, spacing_mm=clip.spacing_mm, fps=clip.fps, source=f"{clip.source} ({label})")
    write_sequence(out, warp_clip(edited, contour, WarpConfig(view=c["view"], pathology=pathology, noise_sd=noise), seed))
    return out


def wall_only(frame: np.ndarray, fan: np.ndarray, wall: np.ndarray) -> np.ndarray:
    """Everything outside the wall set dark (the 5th percentile of the sector): the wall without its surroundings."""
    out = frame.copy()
    out[fan & ~wall] = np.percentile(frame[fan], 5)
    return out


def grey_levels_of(reference: Path) -> Callable:
    """An edit that maps the sector's grey levels (quantile matching) to those of the ED frame of ``reference``."""
    from echostrain.io.sector import sector_mask

    ref = read_sequence(reference).frames
    ref_values = np.sort(ref[0][sector_mask(ref)].astype(np.float64) / 255.0)

    def edit(frame: np.ndarray, fan: np.ndarray, wall: np.ndarray) -> np.ndarray:
        out = frame.copy()
        values = frame[fan]
        ranks = np.argsort(np.argsort(values, kind="stable"), kind="stable") / max(values.size - 1, 1)
        out[fan] = np.interp(ranks, np.linspace(0, 1, ref_values.size), ref_values).astype(np.float32)
        return out

    return edit


def _score(paths: dict[str, list[Path]], trackers: dict) -> list[dict]:
    rows = []
    for kind, files in paths.items():
        for path in files:
            for ev in evaluate_sequence(path, trackers, observers=False):
                r = ev.row
                rows.append({"frames": kind, "sequence": path.name, "view": r["view"], "pathology": r["pathology"]}
                            | warp_row(r))
    return rows


def _table(rows: list[dict], kinds) -> tuple[list[str], list[str]]:
    lines = ["| frames | method | MTE (mm) | GLS error, mean (%) | |GLS error| (%) | segment MAE (%) | tracked / true GLS |",
             "|---|---|---|---|---|---|---|"]
    heads = []
    for name in kinds:
        for m in METHODS:
            sel = [r for r in rows if r["frames"] == name and r["method"] == m]
            if not sel:
                continue
            mte = np.mean([r["mte_mm"] for r in sel])
            err = np.mean([r["gls_error_pct"] for r in sel])
            abs_err = np.mean([abs(r["gls_error_pct"]) for r in sel])
            seg = np.mean([r["segment_mae_pct"] for r in sel])
            ratio = np.mean([r["gls_est_pct"] / r["gls_true_pct"] for r in sel])
            lines.append(f"| {name} ({len(sel)}) | {m} | {mte:.3f} | {err:+.2f} | {abs_err:.2f} | {seg:.2f} | {ratio:.2f} |")
            heads.append(f"{name.replace(' ', '_')}_{m}_gls_ratio={ratio:.2f}")
    return lines, heads


def blur_sigma_mm() -> float:
    """σ (mm) of the Gaussian that widens an autocorrelation FWHM from the simulated to the real value."""
    acf_fwhm_per_sigma = 2.0 * math.sqrt(2.0 * math.log(2.0)) * math.sqrt(2.0)
    return math.sqrt(REAL_AXIAL_MM**2 - SIM_AXIAL_MM**2) / acf_fwhm_per_sigma


def variant(path: Path, name: str, out: Path) -> Path:
    """The sequence ``path`` with its frames changed as ``name`` says (written once to ``out``)."""
    if out.exists():
        return out
    data = read_sequence(path)
    sigma_px = blur_sigma_mm() / data.spacing_mm[0]
    frames = data.frames.astype(np.float64)
    frames = gaussian_filter1d(frames, sigma_px, axis=1)
    if name == "isotropic blur":
        frames = gaussian_filter1d(frames, blur_sigma_mm() / data.spacing_mm[1], axis=2)
    write_sequence(out, replace(data, frames=np.clip(np.round(frames), 0, 255).astype(np.uint8)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/echostrain_sim2real"))
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "sim2real")
    parser.add_argument("--real-warps", type=Path, default=Path("/tmp/echostrain_real/warps"),
                        help="warps of the real clips made by docs/scripts/real_benchmark.py")
    parser.add_argument("--tasnet-weights", type=Path, default=None,
                        help="TAS-Net weights to measure instead of the shipped ones")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    trackers = {m: load(m, weights=args.tasnet_weights if m == "tasnet" else None) for m in METHODS}
    kinds = ("as trained", "axial blur", "isotropic blur")
    paths: dict[str, list[Path]] = {k: [] for k in kinds}
    warps: dict[str, list[Path]] = {"warp of a real ED frame": sorted(args.real_warps.glob("*.h5")),
                                    "warp of a simulated ED frame": []}
    for view, seed in SEEDS:
        base = args.work / f"{view}_seed{seed}.h5"
        if not base.exists():
            write_sequence(base, simulate_sequence(SequenceConfig(view=view), seed))
        for name in kinds:
            paths[name].append(base if name == "as trained"
                               else variant(base, name, args.work / f"{base.stem}_{name.replace(' ', '_')}.h5"))
        for wseed, pathology, noise in WARPS:
            warps["warp of a simulated ED frame"].append(sim_frame_warp(
                base, wseed, pathology, noise, args.work / f"{base.stem}_warp_seed{wseed}_{pathology}_noise{noise:g}.h5"))
    clips = args.real_warps.parent / "clips"
    edits = {"warp of a real ED frame, grey levels of a simulated one": ("matched", grey_levels_of(paths["as trained"][0])),
             "warp of a real ED frame, only its myocardium": ("wallonly", wall_only)}
    for kind, (tag, edit) in edits.items():
        warps[kind] = []
        for npz in sorted(clips.glob("*.npz")):
            contour = ROOT / "docs" / "results" / "real_contours" / "observer1" / f"{npz.stem}.json"
            for wseed, pathology, noise in WARPS:
                out = args.work / f"{npz.stem}_{tag}_warp_seed{wseed}_{pathology}_noise{noise:g}.h5"
                warps[kind].append(edited_real_warp(npz, contour, edit, kind, wseed, pathology, noise, out))
    rows = _score(paths, trackers)
    warp_rows = _score(warps, trackers)
    args.out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(args.out / "ablation_inference.csv", rows)
    write_rows_csv(args.out / "warp_texture.csv", warp_rows)
    lines, heads = _table(rows, kinds)
    wlines, wheads = _table(warp_rows, tuple(warps))
    note = (f"Simulated sequences as the training set is made ({len(SEEDS)}: " + ", ".join(f"{v} seed {s}" for v, s in SEEDS)
            + f"); 'axial blur' / 'isotropic blur': every frame blurred by a Gaussian of σ = {blur_sigma_mm():.2f} mm "
            f"along the rows (and columns), which widens the axial speckle FWHM from {SIM_AXIAL_MM} to ≈{REAL_AXIAL_MM} mm "
            "(the real clips'). The truth is unchanged. Tracked / true GLS: the mean ratio (1 = exact, < 1 = too little strain).")
    wnote = ("Warps (frozen texture, same motion model; seeds " + ", ".join(f"{s} {p} noise {n:g}" for s, p, n in WARPS)
             + ") of the real clips' ED frames (observer 1's contour) and of the simulated sequences' ED frames "
             "(their true ED wall as the contour); and warps of the real ED frames after mapping their grey levels "
             "(quantile matching inside the sector) to those of a simulated ED frame (a4c seed 10); and of the real ED frames with everything outside the "
             "drawn myocardium (dilated 1 mm) set dark.")
    write_text_atomic(args.out / "ablation_inference.md", "# TAS-Net and the appearance of its input (inference only)\n\n"
                      + note + "\n\n" + "\n".join(lines) + "\n\n## Real against simulated texture, same warp\n\n"
                      + wnote + "\n\n" + "\n".join(wlines) + "\n")
    print("\n".join(lines + [""] + wlines))
    print(" ".join(heads + wheads))


if __name__ == "__main__":
    main()
