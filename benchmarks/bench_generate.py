"""Sequences per hour of `echostrain generate` (fast engine, default size) with 1 and 2 local workers.

Each measurement generates --n sequences into a fresh folder (the LocalCluster
start-up is included, as a user would see it) and converts to sequences per
hour; the time for 1,478 sequences is extrapolated from the faster setting.
Last line: ``per_hour_1w=<n> per_hour_2w=<n> hours_1478=<h>``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from echostrain.data.generate import GenerationSettings, run_generation


def per_hour(n: int, workers: int, seed: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run_generation(n, Path(tmp) / "gen", GenerationSettings(seed=seed), workers=workers)
        elapsed = time.perf_counter() - start
        assert summary.done == n and not summary.failed
    rate = n / elapsed * 3600
    print(f"{workers} worker(s): {n} sequences in {elapsed:.1f} s → {rate:.0f} sequences/h")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8)
    args = parser.parse_args()
    one = per_hour(args.n, 1, seed=100)
    two = per_hour(args.n, 2, seed=100)
    print(f"per_hour_1w={one:.0f} per_hour_2w={two:.0f} hours_1478={1478 / max(one, two):.2f}")


if __name__ == "__main__":
    main()
