"""Training of TAS-Net on simulated sequences: AdamW + one-cycle, checkpoints, resume, logs, DDP.

``train(TrainConfig(data=..., out=...))`` (CLI: ``echostrain train``) writes
into ``out``:

* ``config.json`` — the training configuration (a resumed run must match it);
* ``checkpoint.safetensors`` — the weights (safetensors, with the step and the
  architecture in the metadata) and ``checkpoint_state.pt`` — optimiser and
  schedule state (``torch.save`` of tensors only, read back with
  ``weights_only=True``), both every ``checkpoint_every`` steps and at the end;
* ``best.safetensors`` — the weights with the lowest validation error;
* ``log.csv`` — step, loss, learning rate, seconds, and every
  ``validate_every`` steps the validation mean trajectory error (MTE, mm);
  TensorBoard event files too when the ``tensorboard`` package is installed.

Loss: Huber (δ = 1 px) between predicted and true positions of visible
points, summed over the update rounds with weights γ^(M−m), γ = 0.8, plus
0.05 × L1 of the frame-to-frame motion of the last round and 0.1 × the
binary cross-entropy of the visibility logits.

Several processes (``torchrun --nproc_per_node K -m echostrain train ...``)
train with DistributedDataParallel (gloo on the CPU, nccl on CUDA); rank 0
writes the files. Every rank draws different samples: sample ``i`` of step
``s`` on rank ``r`` comes from ``default_rng([seed, s, r, i])``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from echostrain.errors import ParameterError
from echostrain.track.model import TASNet, TASNetConfig, count_parameters
from echostrain.track.samples import SampleSettings, collate, load_split, sample
from echostrain.track.weights import load_model, read_metadata, save_weights

CHECKPOINT = "checkpoint.safetensors"
STATE = "checkpoint_state.pt"
BEST = "best.safetensors"
LOG = "log.csv"
CONFIG = "config.json"
LOG_COLUMNS = ("step", "loss", "lr", "seconds", "val_mte_mm", "val_mte_px")


@dataclass
class TrainConfig:
    """What a training run does (stored as config.json)."""

    data: str
    out: str
    steps: int = 2000
    batch_size: int = 2
    lr: float = 5e-4
    weight_decay: float = 1e-4
    clip_frames: int = 32
    n_points: int = 48
    train_iterations: int = 3
    seed: int = 0
    device: str = "cpu"
    checkpoint_every: int = 100
    validate_every: int = 200
    val_sequences: int = 8
    threads: int | None = None
    model: dict[str, Any] = field(default_factory=lambda: TASNetConfig().to_dict())
    init_weights: str | None = None  # start from these weights (fine-tuning); their architecture wins

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "clip_frames", "n_points", "train_iterations",
                     "checkpoint_every", "validate_every"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.clip_frames < 4:
            raise ParameterError(f"--clip-frames must be at least 4, got {self.clip_frames}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError(f"--lr must be positive, got {self.lr}")

    def identity(self) -> dict[str, Any]:
        """The fields a resumed run must share (everything but how often it saves and where)."""
        d = asdict(self)
        for key in ("checkpoint_every", "validate_every", "threads", "device", "out"):
            d.pop(key)
        return d


def huber_track_loss(rounds: list[torch.Tensor], tracks: torch.Tensor, visible: torch.Tensor,
                     vis_logits: torch.Tensor, gamma: float = 0.8) -> torch.Tensor:
    """Loss of :mod:`echostrain.track.train` (positions [B, N, T, 2] per round; truth [B, T, N, 2])."""
    truth = tracks.permute(0, 2, 1, 3)
    vis = visible.permute(0, 2, 1).to(truth.dtype)
    denom = vis.sum().clamp_min(1.0)
    m = len(rounds)
    loss = truth.new_zeros(())
    for i, pred in enumerate(rounds):
        err = F.huber_loss(pred, truth, reduction="none", delta=1.0).sum(-1)
        loss = loss + gamma ** (m - 1 - i) * (err * vis).sum() / denom
    motion_pred = rounds[-1][:, :, 1:] - rounds[-1][:, :, :-1]
    motion_true = truth[:, :, 1:] - truth[:, :, :-1]
    both = vis[:, :, 1:] * vis[:, :, :-1]
    loss = loss + 0.05 * ((motion_pred - motion_true).abs().sum(-1) * both).sum() / both.sum().clamp_min(1.0)
    return loss + 0.1 * F.binary_cross_entropy_with_logits(vis_logits, vis)


@torch.no_grad()
def validate(model: TASNet, sequences: list, device: torch.device) -> tuple[float, float]:
    """MTE (mm, px) of the mid-wall points queried at ED over whole sequences (no augmentation)."""
    model.eval()
    errs_mm, errs_px = [], []
    for seq in sequences:
        mid = np.flatnonzero(seq.layer == 1)
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


def _write_log_row(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=LOG_COLUMNS)
        if new:
            w.writeheader()
        w.writerow({k: row.get(k, "") for k in LOG_COLUMNS})


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
    device = torch.device(config.device if config.device != "cuda" or not torch.cuda.is_available()
                          else f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}")
    if config.device.startswith("cuda") and not torch.cuda.is_available():
        raise ParameterError("--device cuda was asked for but PyTorch sees no CUDA device; use --device cpu")
    out = Path(config.out)
    if rank == 0:
        if out.exists() and not out.is_dir():
            raise ParameterError(f"--out {out} is a file; give a folder")
        has_run = (out / CONFIG).exists()
        if has_run and not resume:
            raise ParameterError(f"{out} already holds a training run; add --resume to continue it or choose another --out")
        if resume and has_run:
            stored = json.loads((out / CONFIG).read_text())
            mine = config.identity()
            theirs = {k: stored.get(k) for k in mine}
            if theirs != json.loads(json.dumps(mine)):
                diff = [k for k in mine if theirs.get(k) != json.loads(json.dumps(mine[k]))]
                raise ParameterError(f"--resume with other settings than {out / CONFIG} ({', '.join(diff)}); use the same ones")
        out.mkdir(parents=True, exist_ok=True)

    init_model = load_model(config.init_weights) if config.init_weights else None
    model_cfg = init_model.config if init_model is not None else TASNetConfig(**config.model)
    say(f"caching training sequences from {config.data} (ROI {model_cfg.input_size} px)")
    train_seqs = load_split(config.data, "train", model_cfg.input_size)
    if not train_seqs:
        raise ParameterError(f"{config.data} has no training sequences (manifest split 'train')")
    try:
        val_seqs = load_split(config.data, "val", model_cfg.input_size, limit=config.val_sequences)
    except Exception:  # noqa: BLE001 — a data folder without a validation split trains without validation
        val_seqs = []
    say(f"{len(train_seqs)} training, {len(val_seqs)} validation sequences")

    torch.manual_seed(config.seed)
    model = (init_model if init_model is not None else TASNet(model_cfg)).to(device).train()
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=config.steps,
                                                pct_start=0.05, anneal_strategy="cos")
    step = 0
    best = math.inf
    if resume and (out / CHECKPOINT).exists():
        loaded = load_model(out / CHECKPOINT, device=str(device))
        model.load_state_dict(loaded.state_dict())
        meta = read_metadata(out / CHECKPOINT)
        step = int(meta.get("step", "0"))
        best = float(meta.get("best_val_mte_mm", "inf"))
        state = torch.load(out / STATE, map_location=device, weights_only=True)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        say(f"resumed at step {step}")
    if rank == 0:
        from echostrain.io.atomic import write_text_atomic

        write_text_atomic(out / CONFIG, json.dumps(asdict(config), indent=2, sort_keys=True) + "\n")
    ddp_model: torch.nn.Module = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        ddp_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    writer = None
    if rank == 0:
        try:
            from torch.utils.tensorboard import SummaryWriter

            writer = SummaryWriter(str(out / "tensorboard"))
        except Exception:  # noqa: BLE001 — TensorBoard is optional
            writer = None

    settings = SampleSettings(clip_frames=config.clip_frames, n_points=config.n_points)
    model.train()
    t0 = time.perf_counter()
    last_loss = float("nan")

    def save(final: bool = False) -> None:
        if rank != 0:
            return
        extra = {"step": str(step), "best_val_mte_mm": str(best), "parameters": str(count_parameters(model)),
                 "train_sequences": str(len(train_seqs)), "data": str(config.data)}
        save_weights(out / CHECKPOINT, model, extra)
        from echostrain.io.atomic import atomic_path

        with atomic_path(out / STATE) as tmp:
            torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp)

    end = config.steps if stop_after is None else min(config.steps, step + int(stop_after))
    while step < end:
        streams = [[config.seed, step, rank, i] for i in range(config.batch_size)]
        # the sequence index and the sample each come from a fresh generator of the same stream
        batch = collate([
            sample(train_seqs, int(np.random.default_rng(st).integers(1 << 30)), settings, np.random.default_rng(st))
            for st in streams
        ])
        frames = batch["frames"].to(device)
        rounds, vis = ddp_model(frames, batch["queries"].to(device), iterations=config.train_iterations)
        loss = huber_track_loss(rounds, batch["tracks"].to(device), batch["visible"].to(device), vis)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        last_loss = float(loss.detach())
        row: dict[str, Any] = {"step": step, "loss": round(last_loss, 5), "lr": f"{sched.get_last_lr()[0]:.3e}",
                               "seconds": round(time.perf_counter() - t0, 1)}
        if val_seqs and (step % config.validate_every == 0 or step == config.steps) and rank == 0:
            mte_mm, mte_px = validate(model, val_seqs, device)
            row["val_mte_mm"], row["val_mte_px"] = round(mte_mm, 4), round(mte_px, 4)
            if mte_mm < best:
                best = mte_mm
                save_weights(out / BEST, model, {"step": str(step), "val_mte_mm": str(mte_mm)})
            if writer is not None:
                writer.add_scalar("val/mte_mm", mte_mm, step)
        if rank == 0:
            _write_log_row(out / LOG, row)
            if writer is not None:
                writer.add_scalar("train/loss", last_loss, step)
        if progress is not None and rank == 0:
            progress(step, config.steps, last_loss)
        if step % config.checkpoint_every == 0 or step == end:
            save()
    if writer is not None:
        writer.close()
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    return {"steps": step, "loss": last_loss, "best_val_mte_mm": best, "seconds": time.perf_counter() - t0}
