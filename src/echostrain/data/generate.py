"""Dataset generation at scale: one task per sequence on dask.distributed, resumable.

A generation writes, into one folder:

* ``seq_00000.h5`` … — one sequence file per sequence (see ``docs/formats.md``),
  each written to a temporary name and renamed when complete;
* ``manifest.csv`` — one row per finished sequence (id, file, seed, view,
  pathology, split, frames, fps, heart rate, target and true GLS, annulus
  descent, scene and motion parameters as JSON, file size, SHA-256),
  rewritten atomically after every sequence;
* ``generation.json`` — the settings that define the sequences (master seed,
  views, dysfunction share, engine, frames, density, decorrelation model,
  receive band range, transmit focus);
  a re-run must use the same ones;
* ``failures.log`` — sequences that failed twice, with their seeds.

Per-sequence seeds come from ``SeedSequence(master_seed).spawn(n)``, so
sequence ``i`` is the same whatever ``n``, the number of workers or the order
in which they finish. A re-run skips sequences whose file matches the
manifest's size and checksum and redoes missing or broken ones.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import EchoStrainError, OutputPathError, ParameterError
from echostrain.data.generation_settings import GenerationSettings
from echostrain.data.splits import MANIFEST, manifest_rows

SETTINGS = "generation.json"
FAILURES = "failures.log"
MANIFEST_COLUMNS = (
    "id", "file", "seed", "view", "pathology", "split", "n_frames", "fps", "heart_rate_bpm",
    "es_index", "gls_target_pct", "gls_pct", "annulus_descent_mm", "n_scatterers",
    "scene_json", "motion_json", "size_bytes", "sha256",
)
#: Train/val/test shares of the split by seed.
SPLIT_SHARES = (("train", 0.8), ("val", 0.1), ("test", 0.1))


class SchedulerError(EchoStrainError):
    """The dask scheduler could not be reached or started."""


@dataclass(frozen=True)
class SequenceSpec:
    """One planned sequence."""

    index: int
    id: str
    seed: int
    view: str
    pathology: str
    split: str
    rx_bandwidth_pct: float | None = None  # receive band of this sequence (% of fc); None: no filter


@dataclass
class GenerationSummary:
    """What a run did."""

    planned: int = 0
    skipped: int = 0
    done: int = 0
    failed: list[tuple[str, int, str]] = field(default_factory=list)
    seconds: float = 0.0


def plan_sequences(settings: GenerationSettings, n: int) -> list[SequenceSpec]:
    """The n sequences of a generation: seed, view, pathology and split of each."""
    if n < 1:
        raise ParameterError(f"`n` must be at least 1, got {n}")
    specs = []
    for i, child in enumerate(np.random.SeedSequence(settings.seed).spawn(n)):
        seed = int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        rng = np.random.default_rng(child)
        view = settings.views[int(rng.integers(len(settings.views)))]
        if rng.random() < settings.dysfunction_share:
            pathology = "regional" if rng.random() < 0.5 else "global"
        else:
            pathology = "normal"
        band = settings.draw_rx_bandwidth_pct(rng)  # after the other draws: earlier generations unchanged
        u = (seed % 10_000) / 10_000.0
        split, edge = "test", 0.0
        for name, share in SPLIT_SHARES:
            edge += share
            if u < edge:
                split = name
                break
        specs.append(SequenceSpec(i, f"seq_{i:05d}", seed, view, pathology, split, band))
    return specs


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def generate_one(spec: SequenceSpec, out_dir: str, settings: GenerationSettings) -> dict[str, Any]:
    """Simulate and write one sequence; returns its manifest row (runs on a worker)."""
    import torch

    from echostrain.io.sequence import write_sequence
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    torch.set_num_threads(1)  # one core per worker
    config = SequenceConfig(
        view=spec.view, n_frames=settings.n_frames, engine=settings.engine,
        pathology=spec.pathology, per_cell=settings.per_cell, coherence=settings.coherence_model(),
        scan=settings.scan(rx_bandwidth_pct=spec.rx_bandwidth_pct),
    )
    data = simulate_sequence(config, spec.seed)
    path = write_sequence(Path(out_dir) / f"{spec.id}.h5", data)
    motion = data.parameters["motion"]
    return {
        "id": spec.id,
        "file": path.name,
        "seed": spec.seed,
        "view": spec.view,
        "pathology": spec.pathology,
        "split": spec.split,
        "n_frames": int(data.frames.shape[0]),
        "fps": round(float(data.fps), 6),
        "heart_rate_bpm": round(float(motion["heart_rate_bpm"]), 6),
        "es_index": int(data.es_index),
        "gls_target_pct": round(float(motion["gls_target_pct"]), 6),
        "gls_pct": round(float(data.gls_pct[data.es_index]), 6),
        "annulus_descent_mm": round(float(data.parameters["annulus_descent_mm"]), 6),
        "n_scatterers": int(data.parameters["n_scatterers"]),
        "scene_json": json.dumps(data.parameters["scene"], sort_keys=True),
        "motion_json": json.dumps(motion, sort_keys=True),
        "size_bytes": path.stat().st_size,
        "sha256": sha256_of(path),
    }


def read_manifest(out_dir: Path) -> dict[str, dict[str, str]]:
    """Rows of ``manifest.csv`` by id (empty when there is none)."""
    path = out_dir / MANIFEST
    if not path.exists():
        return {}
    return {row["id"]: row for row in manifest_rows(path)}


def write_manifest(out_dir: Path, rows: dict[str, dict[str, Any]]) -> None:
    """Write ``manifest.csv`` atomically, rows sorted by id."""
    from echostrain.io.atomic import write_text_atomic

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for key in sorted(rows):
        writer.writerow({c: rows[key][c] for c in MANIFEST_COLUMNS})
    write_text_atomic(out_dir / MANIFEST, buf.getvalue())


def remove_stale_temporaries(out_dir: Path) -> int:
    """Delete temporary files left by an interrupted run; returns how many."""
    n = 0
    for p in out_dir.iterdir():
        if p.name.startswith(".") and ".tmp-" in p.name:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
            n += 1
    return n


def _check_out(out_dir: Path, settings: GenerationSettings) -> None:
    """Refuse an ``out_dir`` that is a file or that holds a generation with other settings (reads only)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputPathError(f"`out_dir` {out_dir} is a file; give a folder for the sequences")
    path = out_dir / SETTINGS
    if path.exists():
        try:
            have = json.loads(path.read_text())
        except ValueError:
            have = None
        if not isinstance(have, dict) or GenerationSettings.stored_dict(have) != settings.to_dict():
            raise OutputPathError(
                f"`out_dir` {out_dir} holds a generation with other settings ({path.name}: {have}); "
                "use the same `seed`, `views`, `dysfunction_share`, `engine`, `n_frames`, `per_cell`, "
                "decorrelation, receive band and transmit focus, or another `out_dir`"
            )


def _prepare_out(out_dir: Path, settings: GenerationSettings) -> None:
    from echostrain.io.atomic import write_text_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SETTINGS
    if not path.exists():
        write_text_atomic(path, json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n")


def _is_done(out_dir: Path, row: dict[str, str] | None) -> bool:
    if row is None:
        return False
    path = out_dir / row["file"]
    return path.exists() and str(path.stat().st_size) == str(row["size_bytes"]) and sha256_of(path) == row["sha256"]


def connect(scheduler: str | None, workers: int | None, timeout_s: float = 6.0):
    """A dask Client: to ``scheduler`` (``tcp://host:port``) or to a new LocalCluster."""
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Client(scheduler, timeout=f"{timeout_s}s", set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerError(
                f"dask scheduler {scheduler} did not answer within {timeout_s:.0f} s ({type(exc).__name__}); "
                "start it with `dask scheduler` and check the address"
            ) from None
    n = workers or max(1, min(os.cpu_count() or 1, 8))
    cluster = LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    return Client(cluster, set_as_default=False)


def run_generation(
    n: int,
    out_dir: str | Path,
    settings: GenerationSettings,
    workers: int | None = None,
    scheduler: str | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_progress: Callable[[dict[str, Any] | None], None] | None = None,
) -> GenerationSummary:
    """Generate (or finish generating) ``n`` sequences into ``out_dir``.

    ``on_start(todo, skipped)`` is called once the plan is known;
    ``on_progress(row)`` after every finished (row) or failed (None) sequence.
    """
    if workers is not None and workers < 1:
        raise ParameterError(f"`workers` must be at least 1, got {workers}")
    out = Path(out_dir)
    specs = plan_sequences(settings, n)
    _check_out(out, settings)
    start = time.perf_counter()
    summary = GenerationSummary(planned=n)
    manifest = read_manifest(out) if out.is_dir() else {}
    rows = {k: v for k, v in manifest.items() if _is_done(out, v)}
    todo = [s for s in specs if s.id not in rows]
    summary.skipped = n - len(todo)
    # Connect before writing anything, so a bad scheduler address leaves no trace.
    client = connect(scheduler, workers) if todo else None
    try:
        _prepare_out(out, settings)
        remove_stale_temporaries(out)
        if on_start:
            on_start(len(todo), summary.skipped)
        if rows != manifest:
            write_manifest(out, rows)  # drop rows whose file is missing or broken
        if client is not None:
            from distributed import as_completed

            futures = {
                client.submit(generate_one, spec, str(out), settings, key=f"{spec.id}-{settings.seed}", retries=1, pure=False): spec
                for spec in todo
            }
            for future in as_completed(futures, loop=client.loop):
                spec = futures[future]
                try:
                    row = future.result()
                except Exception as exc:  # a failed sequence is logged and the run goes on
                    message = " ".join(f"{type(exc).__name__}: {exc}".split())
                    summary.failed.append((spec.id, spec.seed, message))
                    with open(out / FAILURES, "a") as fh:
                        fh.write(f"{spec.id}\tseed={spec.seed}\tview={spec.view}\t{message}\n")
                    if on_progress:
                        on_progress(None)
                    continue
                rows[row["id"]] = row
                write_manifest(out, rows)
                summary.done += 1
                if on_progress:
                    on_progress(row)
    finally:
        if client is not None:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()
    summary.seconds = time.perf_counter() - start
    return summary
