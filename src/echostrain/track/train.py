"""Training of TAS-Net on simulated sequences: AdamW + one-cycle, checkpoints, resume, logs, DDP.

``train(TrainConfig(data=..., out=...))`` (CLI: ``echostrain train``) writes
into ``out`` (see :mod:`echostrain.track.checkpoint`):

* ``config.json`` — the training configuration (a resumed run must match it);
* ``checkpoint.safetensors`` and ``checkpoint_state.pt`` — weights and
  optimiser and schedule state, every ``checkpoint_every`` steps and at the end;
* ``best.safetensors`` — the weights with the lowest validation error;
* ``log.csv`` — step, loss, learning rate, seconds, and every
  ``validate_every`` steps the validation mean trajectory error (MTE, mm);
  TensorBoard event files too when the ``tensorboard`` package is installed.

Samples: clips of the sequences' regions of interest
(:mod:`echostrain.track.samples`) drawn by :func:`echostrain.data.clips.draw_clip`
with augmentation. Loss: :func:`~echostrain.track.loss.huber_track_loss`.

Several processes (``torchrun --nproc_per_node K -m echostrain train ...``)
train with DistributedDataParallel (gloo on the CPU, nccl on CUDA); rank 0
writes the files. Every rank draws different samples: sample ``i`` of step
``s`` on rank ``r`` comes from ``default_rng([seed, s, r, i])``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from echostrain.core.checks import check_device
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import LAYER_MID
from echostrain.data.clips import ClipSettings, ClipSource, collate_sequences, draw_clip
from echostrain.track.checkpoint import (
    CHECKPOINT,
    LOG,
    check_run_folder,
    load_checkpoint,
    save_best,
    save_checkpoint,
    write_config,
    write_log_row,
)
from echostrain.track.loss import huber_track_loss
from echostrain.track.model import TASNet, TASNetConfig, count_parameters
from echostrain.track.samples import load_split
from echostrain.track.train_config import TrainConfig
from echostrain.track.weights import load_model, with_neighbour_levels

__all__ = ["TrainConfig", "huber_track_loss", "train", "validate"]


@torch.no_grad()
def validate(model: TASNet, sequences: list[ClipSource], device: torch.device) -> tuple[float, float]:
    """MTE (mm, px) of the mid-wall points queried at ED over whole sequences (no augmentation)."""
    model.eval()
    errs_mm, errs_px = [], []
    for seq in sequences:
        mid = np.flatnonzero(seq.layer == LAYER_MID)
        frames = seq.frames.to(torch.float32)[:, None] / 255.0
        q = np.concatenate([np.zeros((mid.size, 1)), seq.tracks[0, mid]], axis=1)
        rounds, _ = model(frames[None].to(device), torch.as_tensor(q, dtype=torch.float32, device=device)[None])
        pred = rounds[-1][0].permute(1, 0, 2).cpu().numpy()
        err = np.linalg.norm(pred - seq.tracks[:, mid], axis=-1)  # [T, N] ROI px
        per_track = np.median(err, axis=0)
        errs_px.append(per_track.mean())
        errs_mm.append(per_track.mean() * seq.mm_per_px)
    model.train()
    return float(np.mean(errs_mm)), float(np.mean(errs_px))


def _dist() -> tuple[int, int]:
    if "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            backend = "nccl" if torch.cuda.is_available() and os.environ.get("ECHOSTRAIN_DDP_BACKEND") != "gloo" else "gloo"
            dist.init_process_group(backend)
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _device(config: TrainConfig) -> torch.device:
    check_device(config.device)
    if config.device == "cuda":
        return torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}")
    return torch.device(config.device)


def _tensorboard(out: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(out / "tensorboard"))
    except Exception:  # noqa: BLE001 — TensorBoard is optional
        return None


@dataclass
class _Run:
    """The state of a training run in progress."""

    config: TrainConfig
    out: Path
    rank: int
    device: torch.device
    model: TASNet
    net: torch.nn.Module  # the model, wrapped in DistributedDataParallel with several processes
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    train_seqs: list[ClipSource]
    val_seqs: list[ClipSource]
    writer: Any = None
    step: int = 0
    best: float = math.inf


def _load_data(config: TrainConfig, input_size: int, say: Callable[[str], None]) -> tuple[list, list]:
    say(f"caching training sequences from {config.data} (ROI {input_size} px)")
    train_seqs = load_split(config.data, "train", input_size)
    if not train_seqs:
        raise ParameterError(f"`data` {config.data} has no training sequences (manifest split 'train')")
    try:
        val_seqs = load_split(config.data, "val", input_size, limit=config.val_sequences)
    except Exception:  # noqa: BLE001 — a data folder without a validation split trains without validation
        val_seqs = []
    say(f"{len(train_seqs)} training, {len(val_seqs)} validation sequences")
    return train_seqs, val_seqs


def _start(config: TrainConfig, rank: int, world: int, resume: bool, say: Callable[[str], None]) -> _Run:
    """Data, model, optimiser and schedule of a new run, or of a resumed one at its last checkpoint."""
    device, out = _device(config), Path(config.out)
    if rank == 0:
        check_run_folder(out, config, resume=resume)
    init_model = load_model(config.init_weights) if config.init_weights else None
    if init_model is not None and config.neighbour_levels is not None:
        init_model = with_neighbour_levels(init_model, config.neighbour_levels)
    model_cfg = init_model.config if init_model is not None else TASNetConfig(**config.model)
    if init_model is None and config.neighbour_levels is not None:
        model_cfg = replace(model_cfg, neighbour_levels=config.neighbour_levels)
    train_seqs, val_seqs = _load_data(config, model_cfg.input_size, say)
    torch.manual_seed(config.seed)
    model = (init_model if init_model is not None else TASNet(model_cfg)).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps,
                                                pct_start=0.05, anneal_strategy="cos")
    run = _Run(config, out, rank, device, model, model, opt, sched, train_seqs, val_seqs)
    if resume and (out / CHECKPOINT).exists():
        run.step, run.best = load_checkpoint(out, model, opt, sched, device)
        say(f"resumed at step {run.step}")
    if rank == 0:
        write_config(out, config)
        run.writer = _tensorboard(out)
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        run.net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    model.train()
    return run


def _batch(run: _Run, settings: ClipSettings) -> dict[str, Any]:
    """The batch of this step and rank: sample ``i`` from ``default_rng([seed, step, rank, i])``."""
    samples = []
    for i in range(run.config.batch_size):
        stream = [run.config.seed, run.step, run.rank, i]
        # the sequence index and the sample each come from a fresh generator of the same stream
        index = int(np.random.default_rng(stream).integers(1 << 30))
        samples.append(draw_clip(run.train_seqs[index % len(run.train_seqs)], settings, np.random.default_rng(stream)))
    return collate_sequences(samples, trim=True)


def _optimise(run: _Run, batch: dict[str, Any]) -> float:
    """One update on ``batch``; returns the loss."""
    rounds, vis = run.net(batch["frames"].to(run.device), batch["queries"].to(run.device),
                          iterations=run.config.train_iterations)
    loss = huber_track_loss(rounds, batch["tracks"].to(run.device), batch["visible"].to(run.device), vis)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
    run.optimizer.step()
    run.scheduler.step()
    run.step += 1
    return float(loss.detach())


def _record(run: _Run, loss: float, seconds: float) -> None:
    """Log the step (rank 0), validating every ``validate_every`` steps and at the end."""
    if run.rank != 0:
        return
    row: dict[str, Any] = {"step": run.step, "loss": round(loss, 5), "lr": f"{run.scheduler.get_last_lr()[0]:.3e}",
                           "seconds": round(seconds, 1)}
    cfg = run.config
    if run.val_seqs and (run.step % cfg.validate_every == 0 or run.step == cfg.steps):
        mte_mm, mte_px = validate(run.model, run.val_seqs, run.device)
        row["val_mte_mm"], row["val_mte_px"] = round(mte_mm, 4), round(mte_px, 4)
        if mte_mm < run.best:
            run.best = mte_mm
            save_best(run.out, run.model, run.step, mte_mm)
        if run.writer is not None:
            run.writer.add_scalar("val/mte_mm", mte_mm, run.step)
    write_log_row(run.out / LOG, row)
    if run.writer is not None:
        run.writer.add_scalar("train/loss", loss, run.step)


def _checkpoint(run: _Run) -> None:
    if run.rank == 0:
        save_checkpoint(run.out, run.model, run.optimizer, run.scheduler, {
            "step": str(run.step), "best_val_mte_mm": str(run.best), "parameters": str(count_parameters(run.model)),
            "train_sequences": str(len(run.train_seqs)), "data": str(run.config.data)})


def _finish(run: _Run, world: int) -> None:
    if run.writer is not None:
        run.writer.close()
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()


def train(config: TrainConfig, resume: bool = False,
          progress: Callable[[int, int, float], None] | None = None,
          message: Callable[[str], None] | None = None,
          stop_after: int | None = None) -> dict[str, Any]:
    """Train (or resume) a TAS-Net; returns a summary (steps done, last loss, best validation MTE).

    ``stop_after`` ends this call after that many steps (with a checkpoint), so a
    long schedule can be trained in chunks and continued with ``resume=True``.
    """
    say = message or (lambda _m: None)
    rank, world = _dist()
    if config.threads:
        torch.set_num_threads(int(config.threads))
    run = _start(config, rank, world, resume, say)
    settings = ClipSettings(clip_frames=config.clip_frames, n_points=config.n_points,
                            imaging=config.imaging_augment, scene_motion=config.scene_motion,
                            coarse_speckle=config.coarse_speckle)
    t0 = time.perf_counter()
    last_loss = float("nan")
    end = config.steps if stop_after is None else min(config.steps, run.step + int(stop_after))
    while run.step < end:
        last_loss = _optimise(run, _batch(run, settings))
        _record(run, last_loss, time.perf_counter() - t0)
        if progress is not None and rank == 0:
            progress(run.step, config.steps, last_loss)
        if run.step % config.checkpoint_every == 0 or run.step == end:
            _checkpoint(run)
    _finish(run, world)
    return {"steps": run.step, "loss": last_loss, "best_val_mte_mm": run.best, "seconds": time.perf_counter() - t0}
