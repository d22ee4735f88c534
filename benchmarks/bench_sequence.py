"""Seconds to simulate one 64-frame A4C sequence with the fast engine (default scene, scan and density).

Runs --repeats sequences (seeds 0, 1, …) and reports the median; the first,
untimed run warms up imports and the engine. Last line:
``seconds_per_sequence=<s> frames=<n> scatterers=<n>``.
"""

from __future__ import annotations

import argparse
import statistics
import time

from echostrain.sim.sequence import SequenceConfig, simulate_sequence


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--view", default="a4c")
    args = parser.parse_args()
    config = SequenceConfig(view=args.view, n_frames=args.frames, engine="fast")
    simulate_sequence(SequenceConfig(view=args.view, n_frames=20, engine="fast"), seed=999)  # warm-up
    times, n_scatterers = [], 0
    for seed in range(args.repeats):
        start = time.perf_counter()
        data = simulate_sequence(config, seed=seed)
        times.append(time.perf_counter() - start)
        n_scatterers = int(data.parameters["n_scatterers"])
        print(f"seed {seed}: {times[-1]:.2f} s, {data.frames.shape[0]} frames, {n_scatterers} scatterers")
    print(f"seconds_per_sequence={statistics.median(times):.2f} frames={args.frames} scatterers={n_scatterers}")


if __name__ == "__main__":
    main()
