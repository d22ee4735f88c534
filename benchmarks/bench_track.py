"""Tracking speed on the CPU: 64 frames of 256 × 256 px, 100 points, all three methods in one run.

The clip is a simulated A4C sequence (64 frames) resized to 256 × 256; the
queries are 100 true wall points of its first frame. Each method tracks the
clip ``--repeats`` times (after one warm-up) and the median is reported.
The last line: ``tasnet_s=<s> blockmatch_s=<s> opticalflow_s=<s>``.

Usage: python benchmarks/bench_track.py [--repeats 5] [--threads 2] [--weights W.safetensors]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

from echostrain.sim.sequence import SequenceConfig, simulate_sequence
from echostrain.track import load


def clip_256(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    data = simulate_sequence(SequenceConfig(view="a4c", n_frames=64, pathology="normal"), seed=seed)
    h, w = data.frames.shape[1:]
    frames = torch.as_tensor(data.frames, dtype=torch.float32)[:, None] / 255.0
    small = F.interpolate(frames, size=(256, 256), mode="bilinear", antialias=True, align_corners=False)[:, 0]
    wall = np.flatnonzero(data.track_layer >= 0)
    pick = wall[np.linspace(0, wall.size - 1, 100).round().astype(int)]
    xy = data.tracks[0, pick].astype(np.float64)
    xy[:, 0] = (xy[:, 0] + 0.5) * 256.0 / w - 0.5
    xy[:, 1] = (xy[:, 1] + 0.5) * 256.0 / h - 0.5
    return small.numpy(), np.concatenate([np.zeros((100, 1)), xy], axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--weights", default=None, help="TAS-Net weights (default: the shipped ones)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    frames, queries = clip_256()
    print(f"clip {frames.shape}, {queries.shape[0]} points, {args.threads} threads, median of {args.repeats}")
    medians = {}
    for name in ("tasnet", "blockmatch", "opticalflow"):
        tracker = load(name, weights=args.weights if name == "tasnet" else None)
        tracker.track(frames, queries)  # warm-up
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            tracker.track(frames, queries)
            times.append(time.perf_counter() - t0)
        medians[name] = statistics.median(times)
        print(f"{name}: median {medians[name]:.3f} s (min {min(times):.3f}, max {max(times):.3f})")
    print(" ".join(f"{k}_s={v:.3f}" for k, v in medians.items()))


if __name__ == "__main__":
    main()
