"""Iterative refinement: real clips as templates, their tracked motion fed back into the simulator.

Round k (k = 1…iterations), with the tracker of round k − 1 (round 0: the
shipped TAS-Net or ``weights``):

1. **Track** every real clip's wall (endo, mid-wall, epi; 49 points per layer)
   from its ED contour (:func:`~echostrain.track.wall.track_wall_cycle`).
2. **Fit** a smooth, closed, physiologically constrained motion to the tracks
   (:func:`~echostrain.realism.motion_fit.fit_cycle_motion`, which gives the
   reason when it rejects a clip).
3. **Simulate** ``per_clip`` sequences per accepted clip in a 90° sector
   (real scanners image wider than the default 75°). Each uses the clip's
   frame as echogenicity template, the fitted wall motion (thin-plate motion
   around it), the shipped decorrelation and a new seed.
4. **Fine-tune** TAS-Net (:func:`fine_tune`) on the union of the base data and
   every round's sequences, starting from the previous round's weights.
5. **Measure** and append to ``DIR/rounds.csv``:

   * on the real clips, with the new tracker: the cycle drift and the
     forward–backward consistency (mm);
   * the decorrelation MAE of the new sequences against the shipped real profile;
   * the MTE of the new tracker on a fixed held-out synthetic test set (:func:`test_mte`).

Layout of ``DIR``:

* ``round_K/sequences/*.h5``
* ``round_K/model.safetensors`` and the training run in ``round_K/train/``
* ``round_K/fits.json`` (accepted and rejected clips)
* ``rounds.csv``, ``rounds.png`` and ``settings.json``
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from echostrain.anatomy.myocardium import WallPoints
from echostrain.core.errors import OutputPathError, ParameterError
from echostrain.data.splits import split_files
from echostrain.io import read_video, write_sequence
from echostrain.io.atomic import atomic_path, write_text_atomic
from echostrain.io.video import EchoVideo
from echostrain.realism.motion_fit import (
    POINTS_PER_SEGMENT,
    REFINE_SECTOR_DEG,
    clip_geometry,
    fit_cycle_motion,
    motion_for_scene,
)
from echostrain.sim.probe import SectorScan
from echostrain.sim.sequence import SequenceConfig, simulate_sequence
from echostrain.track.base import Tracker
from echostrain.track.wall import WallCycle, track_wall_cycle
from echostrain.workflows.analyze import check_out_dir
from echostrain.workflows.refine_settings import RefineSettings

ROUND_COLUMNS = ("round", "clips_used", "clips_rejected", "sequences", "real_drift_mm", "real_fb_mm",
                 "decorrelation_mae", "test_mte_mm", "seconds")


@dataclass
class RealClip:
    """A real clip of the loop, read and checked: its frames, template scene, wall points and px → mm."""

    clip: Path
    video: EchoVideo
    scene: Any
    wall: WallPoints
    to_mm: Callable[[np.ndarray], np.ndarray]
    view: str


# ----------------------------------------------------------------- the tracking stage (replaceable in tests)


def make_tracker(weights: Path) -> Tracker:
    """The round's tracker: TAS-Net with ``weights``."""
    from echostrain.track.tasnet import TASNetTracker

    return TASNetTracker(weights=weights)


def fine_tune(data_dirs: list[str], round_dir: Path, init_weights: Path, *, round_index: int,
              settings: RefineSettings, message: Callable[[str], None]) -> Path:
    """Fine-tune TAS-Net from ``init_weights`` on ``data_dirs``; returns ``round_dir/model.safetensors``."""
    from echostrain.track.train import TrainConfig, train
    from echostrain.track.weights import load_model, save_weights

    cfg = TrainConfig(data=os.pathsep.join(data_dirs), out=str(round_dir / "train"), steps=settings.steps_per_round,
                      batch_size=settings.batch_size, lr=settings.lr, seed=settings.seed + round_index,
                      checkpoint_every=settings.steps_per_round, validate_every=10**9, init_weights=str(init_weights))
    train(cfg, message=lambda m: message(f"round {round_index}: {m}"))
    return save_weights(round_dir / "model.safetensors", load_model(round_dir / "train" / "checkpoint.safetensors"),
                        {"round": str(round_index)})


def test_mte(weights: Path, test_files: Sequence[Path]) -> float:
    """Mean MTE (mm) of TAS-Net with ``weights`` on the held-out synthetic ``test_files`` (NaN without any)."""
    from echostrain.evaluate.synthetic import evaluate_sequence

    if not test_files:
        return math.nan
    trackers = {"tasnet": make_tracker(weights)}
    return float(np.mean([evaluate_sequence(f, trackers, observers=False)[0].row["mte_mm"] for f in test_files]))


# ----------------------------------------------------------------- steps of a round


def _read_clips(clips: list[Path], contours: list[Path], views: list[str | None],
                spacing_mm: tuple[float, float] | None) -> list[RealClip]:
    items = []
    for clip, contour, view in zip(clips, contours, views):
        video = read_video(clip, spacing_mm=spacing_mm)
        scene, myo_px, to_mm = clip_geometry(video, contour, view)
        items.append(RealClip(clip, video, scene, myo_px.sample_points(POINTS_PER_SEGMENT), to_mm, scene.view))
    return items


def _track_real(tracker: Tracker, items: list[RealClip]) -> tuple[list[WallCycle], float, float]:
    """Every real clip's wall tracked by ``tracker``, with the mean cycle drift and forward–backward consistency (mm)."""
    cycles = [track_wall_cycle(tracker, it.video, it.wall, view=it.view) for it in items]
    return cycles, float(np.mean([c.drift_mm for c in cycles])), float(np.mean([c.fb_mm for c in cycles]))


def _simulate_round(items: list[RealClip], cycles: list[WallCycle], k: int, seq_dir: Path,
                    settings: RefineSettings, say: Callable[[str], None]) -> tuple[dict[str, dict], list[Path]]:
    """Fit each clip's tracked cycle and simulate ``per_clip`` sequences of it; the fits and the new files."""
    fits, new_files = {}, []
    for i, (it, cyc) in enumerate(zip(items, cycles)):
        fit = fit_cycle_motion(cyc.tracks_px, it.wall.layer, it.wall.segment, it.to_mm, it.scene.params.spacing_mm,
                               it.video.fps, it.view, settings.smooth_frames, settings.max_closure_mm)
        name = it.clip.stem
        if isinstance(fit, str):
            fits[name] = {"accepted": False, "reason": fit}
            say(f"round {k}: {name} rejected: {fit}")
            continue
        fits[name] = {"accepted": True, "closure_mm": fit.closure_mm, "gls_pct": fit.gls_pct,
                      "frames": int(fit.endo_mm.shape[0]), "es_frame": fit.es_frame}
        motion = motion_for_scene(fit, it.scene.myocardium)
        for j in range(settings.per_clip):
            seed = int(np.random.SeedSequence([settings.seed, k, i, j]).generate_state(1)[0])
            cfg = SequenceConfig(view=it.view, n_frames=fit.endo_mm.shape[0], pathology="normal",
                                 scan=SectorScan(sector_deg=REFINE_SECTOR_DEG))
            data = simulate_sequence(cfg, seed, scene=it.scene, motion=motion)
            new_files.append(Path(write_sequence(seq_dir / f"{name}_r{k}_{j}.h5", data)))
        say(f"round {k}: {name}: closure {fit.closure_mm:.2f} mm, GLS {fit.gls_pct:.1f} %, {settings.per_clip} sequences")
    return fits, new_files


def _decorrelation_mae(files: list[Path]) -> float:
    """MAE of the new sequences' decorrelation curve against the shipped real profile."""
    from echostrain.realism.coherence import DEFAULT_PROFILE_PATH
    from echostrain.realism.decorrelation import measure_decorrelation
    from echostrain.realism.profile import DecorrelationProfile, combine_profiles, curve_mae

    if not files:
        return math.nan
    real = DecorrelationProfile.from_json(DEFAULT_PROFILE_PATH)
    profs = []
    for f in files:
        clip = read_video(f)
        k = min(clip.n_frames - 1, max(1, math.ceil(real.max_lag_ms * clip.fps / 1000.0 - 1e-9)))
        profs.append(measure_decorrelation(clip, max_lag_frames=k, rng=np.random.default_rng(0), n_patches=150))
    return float(curve_mae(real, combine_profiles(profs)))


def _write_rounds(rows: list[dict[str, Any]], path: Path) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=ROUND_COLUMNS)
        w.writeheader()
        w.writerows([{k: r.get(k, "") for k in ROUND_COLUMNS} for r in rows])


def _check_inputs(clips: list[Path], contours: list[Path], views: list[str | None], out: Path) -> None:
    if not clips:
        raise ParameterError("give at least one real clip (`clips`)")
    if len(contours) != len(clips):
        raise ParameterError(f"got {len(contours)} contour(s) for {len(clips)} clip(s); give one ED contour per clip, in order")
    if len(views) != len(clips):
        raise ParameterError(f"got {len(views)} `views` value(s) for {len(clips)} clip(s)")
    if (out / "rounds.csv").exists():
        raise OutputPathError(f"{out} already holds a refinement run (rounds.csv); choose another `out_dir`")


def _test_files(test_data: str | os.PathLike[str] | None, n: int) -> list[Path]:
    if test_data is None:
        return []
    files = split_files(Path(test_data), None)[:n]
    if not files:
        raise ParameterError(f"`test_data` {test_data} holds no sequences")
    return files


# ----------------------------------------------------------------- the loop


def refine(
    clips: Sequence[str | os.PathLike[str]],
    contours: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    weights: str | os.PathLike[str] | None = None,
    settings: RefineSettings = RefineSettings(),
    base_data: str | os.PathLike[str] | None = None,
    test_data: str | os.PathLike[str] | None = None,
    views: Sequence[str | None] | None = None,
    spacing_mm: tuple[float, float] | None = None,
    message: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the refinement loop (see the module docstring); returns the rows of rounds.csv.

    Parameters
    ----------
    clips, contours : sequence of path
        Real clips and the ED myocardium contour of each, in order.
    out_dir : path
        Output folder (must not hold a run already).
    weights : path, optional
        Starting TAS-Net weights (default: the shipped ones).
    settings : RefineSettings
        Rounds, sequences per clip, fine-tuning steps, checks and seed.
    base_data : path, optional
        Synthetic training data kept in every fine-tuning.
    test_data : path, optional
        A fixed held-out synthetic test set (``settings.test_sequences`` of it are used).
    views : sequence of str or None, optional
        View of each clip (default: each contour's).
    spacing_mm : (float, float), optional
        Pixel size (dy, dx) for clips without one.
    message : callable, optional
        Receives one line per step.
    """
    from echostrain.track.weights import PRETRAINED

    say = message or (lambda _m: None)
    clips, contours = [Path(c) for c in clips], [Path(c) for c in contours]
    views = list(views) if views else [None] * len(clips)
    out = check_out_dir(out_dir)
    _check_inputs(clips, contours, views, out)
    if base_data is not None and not Path(base_data).is_dir():
        raise ParameterError(f"`base_data` {base_data} is not a folder of sequences")
    tests = _test_files(test_data, settings.test_sequences)
    items = _read_clips(clips, contours, views, spacing_mm)  # read and check everything first
    out.mkdir(parents=True, exist_ok=True)
    start = Path(weights) if weights is not None else Path(PRETRAINED)
    current = start
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    say("round 0: the starting tracker on the real clips and the test set")
    cycles, drift, fb = _track_real(make_tracker(current), items)
    rows.append({"round": 0, "clips_used": "", "clips_rejected": "", "sequences": 0, "real_drift_mm": round(drift, 3),
                 "real_fb_mm": round(fb, 3), "decorrelation_mae": "", "test_mte_mm": round(test_mte(current, tests), 4),
                 "seconds": round(time.perf_counter() - t0, 1)})
    _write_rounds(rows, out / "rounds.csv")
    data_dirs = [str(base_data)] if base_data is not None else []
    for k in range(1, settings.iterations + 1):
        t0 = time.perf_counter()
        rdir = out / f"round_{k}"
        seq_dir = rdir / "sequences"
        seq_dir.mkdir(parents=True, exist_ok=True)
        fits, new_files = _simulate_round(items, cycles, k, seq_dir, settings, say)
        write_text_atomic(rdir / "fits.json", json.dumps(fits, indent=2) + "\n")
        if new_files:
            data_dirs.append(str(seq_dir))
        if data_dirs:
            current = Path(fine_tune(list(data_dirs), rdir, current, round_index=k, settings=settings, message=say))
            cycles, drift, fb = _track_real(make_tracker(current), items)
        rows.append({"round": k, "clips_used": ";".join(n for n, f in fits.items() if f["accepted"]),
                     "clips_rejected": " | ".join(f"{n}: {f['reason']}" for n, f in fits.items() if not f["accepted"]),
                     "sequences": len(new_files), "real_drift_mm": round(drift, 3), "real_fb_mm": round(fb, 3),
                     "decorrelation_mae": round(_decorrelation_mae(new_files), 4),
                     "test_mte_mm": round(test_mte(current, tests), 4), "seconds": round(time.perf_counter() - t0, 1)})
        _write_rounds(rows, out / "rounds.csv")
    _plot_rounds(rows, out / "rounds.png")
    write_text_atomic(out / "settings.json", json.dumps(
        {**asdict(settings), "clips": [str(c) for c in clips], "contours": [str(c) for c in contours],
         "base_data": str(base_data), "weights": str(start)}, indent=2) + "\n")
    return rows


def _plot_rounds(rows: list[dict[str, Any]], path: Path) -> None:
    r = [row["round"] for row in rows]
    fig = Figure(figsize=(12, 3.4), dpi=100)
    axes = fig.subplots(1, 3)
    axes[0].plot(r, [row["real_drift_mm"] for row in rows], "o-", label="cycle drift")
    axes[0].plot(r, [row["real_fb_mm"] for row in rows], "s-", label="forward–backward")
    axes[0].set_ylabel("mm (real clips)")
    axes[0].legend(fontsize=8)
    axes[1].plot(r, [row["test_mte_mm"] for row in rows], "o-", color="#d62728")
    axes[1].set_ylabel("test MTE (mm)")
    axes[2].plot(r[1:], [row["decorrelation_mae"] for row in rows[1:]], "o-", color="#2ca02c")
    axes[2].set_ylabel("decorrelation MAE")
    for ax in axes:
        ax.set_xlabel("round")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
