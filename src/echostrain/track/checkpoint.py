"""The files of a training run: configuration, checkpoints, best weights and the log.

* ``config.json`` — the :class:`~echostrain.track.train_config.TrainConfig`
  (a resumed run must match it);
* ``checkpoint.safetensors`` — the weights (safetensors, with the step and the
  architecture in the metadata) and ``checkpoint_state.pt`` — optimiser and
  schedule state (``torch.save`` of tensors only, read back with
  ``weights_only=True``);
* ``best.safetensors`` — the weights with the lowest validation error;
* ``log.csv`` — one row per step (:data:`LOG_COLUMNS`).
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import torch

from echostrain.core.errors import OutputPathError, ParameterError
from echostrain.io.atomic import atomic_path, write_text_atomic
from echostrain.track.model import TASNet
from echostrain.track.model_config import TASNetConfig
from echostrain.track.train_config import TrainConfig
from echostrain.track.weights import load_model, read_metadata, save_weights

CHECKPOINT = "checkpoint.safetensors"
STATE = "checkpoint_state.pt"
BEST = "best.safetensors"
LOG = "log.csv"
CONFIG = "config.json"
LOG_COLUMNS = ("step", "loss", "lr", "seconds", "val_mte_mm", "val_mte_px")


def _changed_settings(stored: dict[str, Any], config: TrainConfig) -> list[str]:
    """Fields of ``config.identity()`` that differ from the stored configuration (as JSON).

    A field the stored configuration lacks (a run saved before the field
    existed) counts as its default, also within the architecture (``model``).
    """
    known = {f.name for f in fields(TrainConfig)}
    given = {"data": config.data, "out": config.out, **{k: v for k, v in stored.items() if k in known}}
    if isinstance(given.get("model"), dict):
        arch = {f.name for f in fields(TASNetConfig)}
        given["model"] = TASNetConfig(**{k: v for k, v in given["model"].items() if k in arch}).to_dict()
    theirs = json.loads(json.dumps(TrainConfig(**given).identity()))
    mine = json.loads(json.dumps(config.identity()))
    return [k for k in mine if theirs.get(k) != mine[k]]


def check_run_folder(out: Path, config: TrainConfig, *, resume: bool) -> None:
    """Make the run folder ``out``, refusing a file, a run without ``resume`` and other settings."""
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"`out` {out} is a file; give a folder")
    has_run = (out / CONFIG).exists()
    if has_run and not resume:
        raise OutputPathError(
            f"`out` {out} already holds a training run; set `resume` to continue it or choose another `out`"
        )
    if resume and has_run:
        diff = _changed_settings(json.loads((out / CONFIG).read_text()), config)
        if diff:
            raise ParameterError(
                f"`resume` with other settings than {out / CONFIG} ({', '.join(diff)}); use the same ones"
            )
    out.mkdir(parents=True, exist_ok=True)


def write_config(out: Path, config: TrainConfig) -> None:
    """Write ``config.json`` (atomic)."""
    write_text_atomic(out / CONFIG, json.dumps(asdict(config), indent=2, sort_keys=True) + "\n")


def save_checkpoint(out: Path, model: TASNet, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, extra: dict[str, str]) -> None:
    """Write the weights (with ``extra`` metadata) and the optimiser and schedule state."""
    save_weights(out / CHECKPOINT, model, extra)
    with atomic_path(out / STATE) as tmp:
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, tmp)


def load_checkpoint(out: Path, model: TASNet, optimizer: torch.optim.Optimizer,
                    scheduler: torch.optim.lr_scheduler.LRScheduler, device: torch.device) -> tuple[int, float]:
    """Restore weights and state from the checkpoint in ``out``; returns (step, best validation MTE mm)."""
    loaded = load_model(out / CHECKPOINT, device=str(device))
    model.load_state_dict(loaded.state_dict())
    meta = read_metadata(out / CHECKPOINT)
    state = torch.load(out / STATE, map_location=device, weights_only=True)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return int(meta.get("step", "0")), float(meta.get("best_val_mte_mm", "inf"))


def save_best(out: Path, model: TASNet, step: int, mte_mm: float) -> None:
    """Write ``best.safetensors``."""
    save_weights(out / BEST, model, {"step": str(step), "val_mte_mm": str(mte_mm)})


def write_log_row(path: Path, row: dict[str, Any]) -> None:
    """Append ``row`` to the CSV log (header first when new)."""
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=LOG_COLUMNS)
        if new:
            w.writeheader()
        w.writerow({k: row.get(k, "") for k in LOG_COLUMNS})
