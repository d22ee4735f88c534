"""Training samples for TAS-Net from simulated sequences: ROI crop, query points, augmentations.

Each sequence is read once and kept in memory as its ROI (the rule of
:mod:`echostrain.track.roi` applied to the true myocardial points of the ED
frame) resized to ``input_size``, with the true tracks in ROI pixels and the
sector mask. A sample (:meth:`TrainingSequences.sample`) is

* a window of ``clip_frames`` frames (random start, temporal stride 1 or 2,
  played backwards half of the time — against the directional bias of
  systole/diastole);
* ``n_points`` query points: mostly on the wall (true tracks and points
  linearly interpolated between neighbouring true tracks of the wall mesh),
  some in the surrounding tissue; query frame 0 (ED) or a random frame;
* a random similarity transform (zoom 0.8–1.25, rotation ±15°, shift ±8 %,
  left-right flip) applied to frames and tracks alike;
* random gain, gamma, speckle-like noise and an occasional dropped frame
  (repeated previous frame, tracks unchanged: motion the image does not show).

The random stream of sample ``i`` at step ``s`` is ``default_rng([seed, s, i])``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from echostrain.data.dataset import split_files
from echostrain.data.sequences import load_sequence
from echostrain.errors import InvalidDataError
from echostrain.track.roi import crop_frames, roi_for_points


@dataclass
class CachedSequence:
    frames: torch.Tensor  # uint8 [T, S, S]
    tracks: np.ndarray  # float32 [T, N, 2] ROI px
    layer: np.ndarray  # int8 [N]
    sector: np.ndarray  # bool [S, S]
    n_columns: int  # wall points per layer (the mesh columns)
    mm_per_px: float  # mm per ROI px
    name: str


def cache_sequence(path: str | Path, input_size: int) -> CachedSequence:
    d = load_sequence(path)
    wall = np.flatnonzero(d.track_layer >= 0)
    if wall.size == 0:
        raise InvalidDataError(f"{path} has no myocardial tracks; it cannot train a tracker")
    roi = roi_for_points(d.tracks[0, wall], input_size)
    frames = crop_frames(d.frames, roi)[:, 0]
    sector = (frames > 0).any(dim=0).numpy()
    layers = d.track_layer
    n_cols = int((layers == layers[wall[0]]).sum())
    return CachedSequence(
        frames=(frames * 255.0).round().clamp(0, 255).to(torch.uint8),
        tracks=roi.to_model(d.tracks).astype(np.float32),
        layer=layers.astype(np.int8),
        sector=sector,
        n_columns=n_cols,
        mm_per_px=float(d.spacing_mm[0]) / roi.scale,
        name=Path(path).name,
    )


def load_split(data_dir: str | Path, split: str, input_size: int,
               progress: Callable[[int, int], None] | None = None, limit: int | None = None) -> list[CachedSequence]:
    """Cache every sequence of a split (``all`` for every file).

    ``data_dir`` may list several folders separated by ``os.pathsep``; a folder
    without ``manifest.csv`` counts as training data only (e.g. sequences
    simulated by the refinement loop).
    """
    files: list[Path] = []
    for folder in (p for p in str(data_dir).split(os.pathsep) if p):
        if (Path(folder) / "manifest.csv").is_file() or split == "all":
            files += split_files(folder, None if split == "all" else split)
        elif split == "train":
            files += split_files(folder, None)
    if limit is not None:
        files = files[:limit]
    out = []
    for i, f in enumerate(files):
        out.append(cache_sequence(f, input_size))
        if progress is not None:
            progress(i + 1, len(files))
    return out


@dataclass(frozen=True)
class SampleSettings:
    clip_frames: int = 32
    n_points: int = 48
    tissue_share: float = 0.2
    random_query_share: float = 0.3
    augment: bool = True


def _wall_points(seq: CachedSequence, n: int, rng: np.random.Generator) -> np.ndarray:
    """[T, n, 2] tracks of random wall points: true points or interpolations between mesh neighbours."""
    wall = np.flatnonzero(seq.layer >= 0)
    k = seq.n_columns
    layers = np.unique(seq.layer[wall])
    grid = wall.reshape(len(layers), k)  # [layer, column] indices, endo → epi
    li = rng.integers(0, len(layers), n)
    ci = rng.integers(0, k, n)
    out = seq.tracks[:, grid[li, ci]].copy()
    interp = rng.random(n) < 0.5
    if interp.any() and k > 1:
        # towards the next column (same layer) and, if any, the next layer (same column)
        c2 = np.minimum(ci + 1, k - 1)
        l2 = np.minimum(li + 1, len(layers) - 1)
        a, b = rng.random(n), rng.random(n)
        p00 = seq.tracks[:, grid[li, ci]]
        p01 = seq.tracks[:, grid[li, c2]]
        p10 = seq.tracks[:, grid[l2, ci]]
        p11 = seq.tracks[:, grid[l2, c2]]
        mix = ((1 - a) * (1 - b))[None, :, None] * p00 + (a * (1 - b))[None, :, None] * p01 \
            + ((1 - a) * b)[None, :, None] * p10 + (a * b)[None, :, None] * p11
        out[:, interp] = mix[:, interp]
    return out


def _similarity(rng: np.random.Generator, size: int) -> np.ndarray:
    """2×3 affine (output px → input px) of a random zoom, rotation, shift and flip about the centre."""
    zoom = math.exp(rng.uniform(math.log(0.8), math.log(1.25)))
    angle = math.radians(rng.uniform(-15.0, 15.0))
    flip = -1.0 if rng.random() < 0.5 else 1.0
    shift = rng.uniform(-0.08, 0.08, 2) * size
    c = (size - 1) / 2.0
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) / zoom
    rot = rot @ np.diag([flip, 1.0])
    offset = np.array([c, c]) - rot @ np.array([c, c]) + shift
    return np.concatenate([rot, offset[:, None]], axis=1)


def sample(seqs: list[CachedSequence], index: int, settings: SampleSettings, rng: np.random.Generator) -> dict:
    """One training sample (see the module docstring)."""
    seq = seqs[index % len(seqs)]
    n_t_all = seq.frames.shape[0]
    s = settings
    stride = 2 if (s.augment and rng.random() < 0.4 and n_t_all >= 2 * s.clip_frames) else 1
    length = min(s.clip_frames, (n_t_all - 1) // stride + 1)
    start = int(rng.integers(0, n_t_all - (length - 1) * stride))
    t_idx = start + stride * np.arange(length)
    if s.augment and rng.random() < 0.5:
        t_idx = t_idx[::-1]
    frames = seq.frames[torch.as_tensor(t_idx.copy())].to(torch.float32) / 255.0  # [L, S, S]
    n_tissue = int(round(s.n_points * s.tissue_share))
    tissue_idx = np.flatnonzero(seq.layer < 0)
    pts = [_wall_points(seq, s.n_points - n_tissue if tissue_idx.size else s.n_points, rng)]
    if tissue_idx.size and n_tissue:
        pts.append(seq.tracks[:, rng.choice(tissue_idx, n_tissue)])
    tracks = np.concatenate(pts, axis=1)[t_idx]  # [L, N, 2]
    size = frames.shape[-1]
    sector = torch.as_tensor(seq.sector, dtype=torch.float32)[None, None]
    if s.augment:
        aff = _similarity(rng, size)
        # grid_sample needs output px → normalised input coords
        gx, gy = np.meshgrid(np.arange(size), np.arange(size))
        src = np.stack([gx, gy], -1) @ aff[:, :2].T + aff[:, 2]
        grid = torch.as_tensor(2 * src / (size - 1) - 1, dtype=torch.float32)[None]
        frames = F.grid_sample(frames[:, None], grid.expand(length, -1, -1, -1), align_corners=True)[:, 0]
        sector = F.grid_sample(sector, grid, align_corners=True)
        inv = np.linalg.inv(np.vstack([aff, [0, 0, 1]]))[:2]
        tracks = tracks @ inv[:, :2].T + inv[:, 2]
        gain = rng.uniform(0.7, 1.3)
        gamma = math.exp(rng.uniform(-0.3, 0.3))
        frames = (frames * gain).clamp(0, 1) ** gamma
        noise = rng.uniform(0.0, 0.06)
        if noise > 0:
            gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
            frames = (frames * (1 + noise * torch.randn(frames.shape, generator=gen))).clamp(0, 1)
        if rng.random() < 0.2 and length > 3:
            drop = int(rng.integers(1, length))
            frames[drop] = frames[drop - 1]
    inside = (tracks[..., 0] >= 0) & (tracks[..., 0] <= size - 1) & (tracks[..., 1] >= 0) & (tracks[..., 1] <= size - 1)
    xi = np.clip(np.round(tracks[..., 0]).astype(int), 0, size - 1)
    yi = np.clip(np.round(tracks[..., 1]).astype(int), 0, size - 1)
    visible = inside & (sector[0, 0].numpy()[yi, xi] > 0.5)
    n = tracks.shape[1]
    qt = np.zeros(n, int)
    rand_q = rng.random(n) < s.random_query_share
    qt[rand_q] = rng.integers(0, length, int(rand_q.sum()))
    # a query must be visible in its frame: fall back to the first frame where it is
    for i in np.flatnonzero(~visible[qt, np.arange(n)]):
        vis_t = np.flatnonzero(visible[:, i])
        qt[i] = vis_t[0] if vis_t.size else 0
    queries = np.concatenate([qt[:, None], tracks[qt, np.arange(n)]], axis=1)
    return {
        "frames": frames[:, None].contiguous(),  # [L, 1, S, S]
        "tracks": torch.as_tensor(tracks, dtype=torch.float32),  # [L, N, 2]
        "visible": torch.as_tensor(visible),  # [L, N]
        "queries": torch.as_tensor(queries, dtype=torch.float32),  # [N, 3]
        "mm_per_px": seq.mm_per_px,
    }


def collate(samples: list[dict]) -> dict:
    """Stack samples of equal length (the shortest clip length of the batch is used)."""
    length = min(s["frames"].shape[0] for s in samples)
    out = {}
    for key in ("frames", "tracks", "visible"):
        out[key] = torch.stack([s[key][:length] for s in samples])
    q = torch.stack([s["queries"] for s in samples])
    q[..., 0] = q[..., 0].clamp(max=length - 1)
    # re-anchor queries whose frame was cut off
    for b, s in enumerate(samples):
        cut = s["queries"][:, 0] > length - 1
        if cut.any():
            q[b, cut, 1:] = s["tracks"][length - 1, cut]
    out["queries"] = q
    out["mm_per_px"] = torch.tensor([s["mm_per_px"] for s in samples])
    return out
