"""Kill test of `echostrain generate`: SIGKILL it at random moments, resume, compare with an uninterrupted run.

1. An uninterrupted run of --n sequences into A.
2. Into B: start the same command, SIGKILL its whole process group (CLI, dask
   scheduler and workers) after a random 4–10 s, at least --kills times, then
   let a last run finish.
3. Compare: every file of A and B (sequences, manifest.csv, generation.json)
   has the same SHA-256, and B holds no temporary file.

Last line: ``kills=<k> sequences=<n> identical=<true|false> temporaries=<n> seconds=<s>``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def command(out: Path, n: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "echostrain", "generate", "--n", str(n), "--out", str(out),
            "--frames", "18", "--per-cell", "4", "--workers", str(workers), "--seed", "11"]


def checksums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "A", Path(tmp) / "B"
        subprocess.run(command(a, args.n, args.workers), check=True, capture_output=True)
        kills = 0
        while kills < args.kills:
            proc = subprocess.Popen(command(b, args.n, args.workers), start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait = rng.uniform(4.0, 10.0)
            try:
                proc.wait(timeout=wait)
                finished = True
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                finished = False
            done = len(list(b.glob("seq_*.h5"))) if b.exists() else 0
            temps = [p.name for p in b.iterdir() if ".tmp-" in p.name] if b.exists() else []
            if finished:
                print(f"run finished before the kill at {wait:.1f} s ({done} files); starting over the kills is not needed")
                break
            kills += 1
            print(f"kill {kills}: after {wait:.1f} s, {done} sequence files present, {len(temps)} temporaries left")
        subprocess.run(command(b, args.n, args.workers), check=True, capture_output=True)
        ca, cb = checksums(a), checksums(b)
        temps = [p.name for p in b.iterdir() if ".tmp-" in p.name]
        identical = ca == cb
        if not identical:
            diff = sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
            print("differing files:", diff)
        n_seq = len([k for k in cb if k.endswith(".h5")])
    print(f"kills={kills} sequences={n_seq} identical={str(identical).lower()} temporaries={len(temps)} "
          f"seconds={time.perf_counter() - start:.0f}")


if __name__ == "__main__":
    main()
