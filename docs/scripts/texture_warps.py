"""Training warps with randomised texture (issue 15 experiment): simulated ED frames, other speckle, known motion.

The real-texture warps showed that TAS-Net's reading, not its search, fails on
real texture: started at the true positions, it walks off them to the same
wrong answer as from the query (docs/results/sim2real/README.md). This script
makes training sequences that show the network other textures under the same
known motion: the ED frame of a simulated training sequence (its geometry and
sector) with its texture randomised, deformed by ``echostrain simulate
--warp``'s machinery (:func:`echostrain.sim.warp.warp_clip`, frozen texture,
exact truth). Each warp draws, from its own seed:

* new speckle: a complex Gaussian field through an anisotropic Gaussian PSF
  (σ axial 0.25–0.7 mm, lateral 0.4–1.4 mm), envelope-detected and mixed into
  the frame's smoothed echogenicity;
* blotches: a log-normal field of 2–10 mm grain;
* bright borders: ridges along the endocardium and epicardium and a
  pericardial line 2–6 mm outside the wall;
* surroundings as bright as the wall, haze in the cavity;
* gamma, smoothing and frame noise.

No real clip is used. Frames are resampled to 0.4 mm/px first (TAS-Net sees a
256-px crop of ≈ 115–130 mm).

Usage: python docs/scripts/texture_warps.py --data DATASET --out FOLDER [--n 130] [--seed 7]
The last line prints key=value pairs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.ndimage import distance_transform_edt, gaussian_filter, zoom

from echostrain.anatomy.polyline import myocardium_mask, polygon_mask
from echostrain.core.errors import EchoStrainError
from echostrain.data.splits import split_files
from echostrain.io import EchoVideo
from echostrain.io.sequence import read_sequence, write_sequence
from echostrain.sim.warp import WarpConfig, warp_clip

#: Pixel size (mm) the ED frames are resampled to before warping.
WARP_SPACING_MM = 0.4


def _field(shape: tuple[int, int], sigma_px: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-SD Gaussian random field of grain ``sigma_px`` (rows, cols)."""
    f = gaussian_filter(rng.standard_normal(shape), sigma_px)
    return (f - f.mean()) / (f.std() + 1e-12)


def _line_distance_px(xy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Distance (px) of every pixel to the polyline ``xy`` (densely sampled)."""
    pts = []
    for a, b in zip(xy[:-1], xy[1:]):
        k = max(int(np.ceil(np.linalg.norm(b - a) * 2)), 1)
        pts.append(a + (b - a) * np.linspace(0, 1, k, endpoint=False)[:, None])
    p = np.round(np.concatenate(pts + [xy[-1:]])).astype(int)
    keep = (p[:, 0] >= 0) & (p[:, 0] < shape[1]) & (p[:, 1] >= 0) & (p[:, 1] < shape[0])
    seeds = np.ones(shape, bool)
    seeds[p[keep, 1], p[keep, 0]] = False
    return distance_transform_edt(seeds)


def randomise_texture(frame: np.ndarray, endo: np.ndarray, epi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``frame`` [H, W] in [0, 1] at ``WARP_SPACING_MM`` with its texture randomised (see the module docstring)."""
    mm = 1.0 / WARP_SPACING_MM  # px per mm
    shape = frame.shape
    fan = gaussian_filter((frame > 0.004).astype(float), 2) > 0.5
    wall = myocardium_mask(endo, epi, shape)
    cavity = polygon_mask(endo, shape) & ~wall
    img = frame.astype(np.float64)
    if rng.random() < 0.7:  # new speckle on the smoothed echogenicity
        s_ax, s_lat = rng.uniform(0.25, 0.7) * mm, rng.uniform(0.4, 1.4) * mm
        z = gaussian_filter(rng.standard_normal(shape), (s_ax, s_lat)) + 1j * gaussian_filter(
            rng.standard_normal(shape), (s_ax, s_lat))
        env = np.abs(z)
        env /= env[fan].mean() + 1e-12
        echo = gaussian_filter(img, 1.0 * mm)
        mix = rng.uniform(0.4, 1.0)
        img = (1 - mix) * img + mix * echo * env ** rng.uniform(0.6, 1.0)
    if rng.random() < 0.8:  # blotches
        img = img * np.exp(rng.uniform(0.2, 0.7) * _field(shape, (rng.uniform(2, 10) * mm,) * 2, rng))
    if rng.random() < 0.6:  # bright borders and a pericardial line
        level = np.percentile(img[wall], 90) if wall.any() else 0.5
        d_endo, d_epi = _line_distance_px(endo, shape), _line_distance_px(epi, shape)
        width = rng.uniform(0.4, 1.2) * mm
        ridge = rng.uniform(0.0, 0.8) * np.exp(-0.5 * (d_endo / width) ** 2)
        ridge += rng.uniform(0.2, 1.0) * np.exp(-0.5 * (d_epi / width) ** 2)
        off = rng.uniform(2.0, 6.0) * mm
        outside = ~wall & ~cavity
        ridge += rng.uniform(0.4, 1.5) * np.exp(-0.5 * ((d_epi - off) / (1.5 * width)) ** 2) * outside
        img = img + level * ridge * (0.6 + 0.4 * _field(shape, (1.5 * mm,) * 2, rng))
    if rng.random() < 0.5:  # surroundings as bright as the wall
        outside = fan & ~wall & ~cavity
        if wall.any() and outside.any():
            gain = rng.uniform(0.7, 1.4) * np.median(img[wall]) / (np.median(img[outside]) + 1e-6)
            img = np.where(outside, img * np.clip(gain, 1.0, 6.0), img)
    if rng.random() < 0.5:  # haze in the cavity
        haze = rng.uniform(0.03, 0.15) * (1 + 0.5 * _field(shape, (4 * mm,) * 2, rng))
        img = img + haze * gaussian_filter(cavity.astype(float), 2 * mm)
    img = img / (np.percentile(img[fan], 99.5) + 1e-9) if fan.any() else img
    img = np.clip(img, 0, 1) ** np.exp(rng.uniform(-0.4, 0.4))
    if rng.random() < 0.5:
        img = gaussian_filter(img, rng.uniform(0.1, 0.6) * mm)
    return np.where(fan, np.clip(img, 0, 1), 0.0)


def make_warp(base: Path, out: Path, seed: int) -> None:
    """One randomised-texture warp of the ED frame of simulated sequence ``base``, written to ``out``."""
    rng = np.random.default_rng([seed, 7001])
    data = read_sequence(base)
    f = float(np.mean(data.spacing_mm)) / WARP_SPACING_MM
    frame = zoom(data.frames[0].astype(np.float64) / 255.0, f, order=1)
    ed = (data.tracks[0].astype(np.float64) + 0.5) * f - 0.5
    endo, epi = ed[data.track_layer == 0], ed[data.track_layer == 2]
    img = randomise_texture(frame, endo, epi, rng)
    with tempfile.TemporaryDirectory() as tmp:
        contour = Path(tmp) / "ed.json"
        contour.write_text(json.dumps({"endo": endo.tolist(), "epi": epi.tolist(), "view": data.view}))
        clip = EchoVideo(np.stack([img, img]).astype(np.float32), spacing_mm=(WARP_SPACING_MM,) * 2, source=str(base))
        cfg = WarpConfig(view=data.view, noise_sd=float(rng.uniform(0.0, 8.0)))
        write_sequence(out, warp_clip(clip, contour, cfg, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a dataset of `echostrain generate`")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=130)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--part", default="0/1", help="K/M: make every M-th warp from the K-th (parallel runs)")
    args = parser.parse_args()
    k, m = (int(x) for x in args.part.split("/"))
    bases = split_files(args.data, "train")
    args.out.mkdir(parents=True, exist_ok=True)
    start, made = time.time(), 0
    for i in range(k, args.n, m):
        out = args.out / f"texwarp_{i:04d}.h5"
        if out.exists():
            continue
        try:
            make_warp(bases[i % len(bases)], out, args.seed * 100_000 + i)
        except EchoStrainError as exc:  # e.g. an LV the motion model cannot draw a regional motion for
            print(f"{out.name} skipped: {exc}", flush=True)
            continue
        made += 1
        print(f"{out.name} {time.time() - start:.0f} s", flush=True)
    print(f"made={made} seconds={time.time() - start:.0f}")


if __name__ == "__main__":
    main()
