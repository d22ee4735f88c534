"""Tracking commands: ``track``, ``analyze``, ``evaluate``, ``refine`` and ``train``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from echostrain.cli.common import ProgressBar, check_output, console, default, err_console, handles_errors, parse_pair
from echostrain.core.vocabulary import MP4_SUFFIXES, POINTS_PER_SEGMENT, WALL_SMOOTHING_POINTS
from echostrain.track.train_config import TrainConfig
from echostrain.workflows.refine_settings import RefineSettings


@handles_errors(flags={"method": "--model"})
def track_clip(
    clip: Annotated[Path, typer.Argument(help="The clip: DICOM, MP4/AVI, PNG folder, NPY/NPZ or echostrain HDF5.")],
    out: Annotated[Path, typer.Option(help="Output tracks file (.npz).")],
    points: Annotated[Path | None, typer.Option(help="Points to track: CSV with x,y (and optional frame) columns, px.")] = None,
    contour: Annotated[Path | None, typer.Option(help="ED myocardium contour (endo + epi, CSV/JSON, px): wall points.")] = None,
    model: Annotated[str, typer.Option(help="tasnet, blockmatch or opticalflow.")] = "tasnet",
    weights: Annotated[Path | None, typer.Option(help="TAS-Net weights (.safetensors) instead of the shipped ones.")] = None,
    query_frame: Annotated[int, typer.Option(help="Frame the points/contour are given on.")] = 0,
    view: Annotated[str | None, typer.Option(help="Apical view of the contour (a2c, a3c, a4c).")] = None,
    points_per_segment: Annotated[int, typer.Option(help="Wall points per segment and layer (--contour).")] = POINTS_PER_SEGMENT,
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm (overrides the clip).")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate (overrides the clip).")] = None,
    overlay: Annotated[Path | None, typer.Option(help="Also write the clip with the tracked points (.mp4).")] = None,
    device: Annotated[str, typer.Option(help="Torch device for tasnet (cpu, cuda).")] = "cpu",
    wall_smoothing: Annotated[int, typer.Option(help="With --contour, regularise the tracked wall along itself: window in points (0: as tracked); scattered points would read too little shortening.")] = WALL_SMOOTHING_POINTS,
) -> None:
    """Track points (or the wall of an ED contour) through a clip and write a tracks file."""
    from echostrain.workflows.track_clip import track_clip as run

    check_output(out, "--out", suffixes=(".npz",), what="a .npz tracks")
    if overlay is not None:
        check_output(overlay, "--overlay", suffixes=MP4_SUFFIXES, what="an .mp4")
    done = run(clip, out, points=points, contour=contour, method=model, weights=weights, query_frame=query_frame,
               view=view, points_per_segment=points_per_segment, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"),
               fps=fps, overlay=overlay, device=device, wall_smoothing=wall_smoothing)
    n_t, n = done.tracks.tracks.shape[:2]
    console.print(f"{done.method}: {n} points × {n_t} frames in {done.seconds:.2f} s → {out}"
                  + (f" and {overlay}" if overlay is not None else ""))


@handles_errors(flags={"contours": "--contour", "method": "--model"})
def analyze(
    clips: Annotated[list[Path], typer.Argument(help="One clip per apical view (DICOM, MP4/AVI, PNG folder, NPY/NPZ, HDF5).")],
    contour: Annotated[list[Path], typer.Option(help="ED myocardium contour of each clip, in order (CSV/JSON, px).")],
    out: Annotated[Path, typer.Option(help="Report folder (report.html, bull's-eye, curves, tracks, overlays).")],
    view: Annotated[list[str] | None, typer.Option(help="View of each clip (a2c, a3c, a4c), in order; default: the contour's.")] = None,
    model: Annotated[str, typer.Option(help="tasnet, blockmatch or opticalflow.")] = "tasnet",
    weights: Annotated[Path | None, typer.Option(help="TAS-Net weights (.safetensors) instead of the shipped ones.")] = None,
    query_frame: Annotated[int, typer.Option(help="Frame the contours are drawn on (ED).")] = 0,
    points_per_segment: Annotated[int, typer.Option(help="Wall points per segment and layer.")] = POINTS_PER_SEGMENT,
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm (overrides the clips).")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate (frames/s; overrides the clips).")] = None,
    es_frame: Annotated[list[int] | None, typer.Option(help="ES frame of each clip, in order (default: found from the tracked wall).")] = None,
    wall_smoothing: Annotated[int, typer.Option(help="Regularise the tracked wall along itself: window in points (0: as tracked); scattered points would read too little shortening.")] = WALL_SMOOTHING_POINTS,
) -> None:
    """Track the wall, measure GLS and segmental strain, and write a self-contained HTML report."""
    from echostrain.workflows.analyze import analyze as run

    summary = run(clips, contour, out, views=view, method=model, weights=weights,
                  points_per_segment=points_per_segment, query_frame=query_frame,
                  spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), fps=fps, es_frames=es_frame,
                  message=err_console.print, wall_smoothing=wall_smoothing)
    gls = ", ".join(f"{v.upper()} {g:.1f} %" for v, g in summary["gls_pct"].items())
    console.print(f"GLS: {gls}; average {summary['average_gls_pct']:.1f} % → {out / 'report.html'}")


@handles_errors
def evaluate(
    out: Annotated[Path, typer.Option(help="Output folder (CSV, summary.md/json, plots, report.html).")],
    data: Annotated[list[Path] | None, typer.Option(help="Simulated sequences with true tracks: a folder or .h5 files (repeat).")] = None,
    methods: Annotated[str, typer.Option(help="Comma-separated: tasnet, blockmatch, opticalflow.")] = "tasnet,blockmatch,opticalflow",
    weights: Annotated[Path | None, typer.Option(help="TAS-Net weights instead of the shipped ones.")] = None,
    observers: Annotated[bool, typer.Option(help="Also measure inter-observer GLS variability (two simulated observers).")] = True,
    clips: Annotated[Path | None, typer.Option(help="Real-cohort mode: folder of clips.")] = None,
    contours: Annotated[list[Path] | None, typer.Option(help="Real-cohort mode: folder of ED contours named like the clips (repeat for a second observer).")] = None,
    reference: Annotated[Path | None, typer.Option(help="Real-cohort mode: reference CSV (clip,view,gls[,seg1…seg6][,observer]).")] = None,
    spacing_mm: Annotated[str | None, typer.Option(help="Real-cohort mode: pixel size dy,dx in mm for clips without one.")] = None,
    beats: Annotated[bool, typer.Option(help="Real-cohort mode: per-beat GLS, segmental peak strain, drift and fwd–bwd error (beats found on the tracked wall).")] = False,
    ed_frames: Annotated[Path | None, typer.Option(help="Real-cohort mode: CSV clip,ed_frames (e.g. '0 23 46') giving the beats of some clips.")] = None,
    wall_smoothing: Annotated[int, typer.Option(help="Regularise the tracked wall along itself: window in points (0: as tracked); scattered points would read too little shortening.")] = WALL_SMOOTHING_POINTS,
) -> None:
    """Compare trackers: on synthetic sequences against true motion, or on real clips against reference strain.

    Real clips with an ES contour next to the ED one (CLIP_es.json, its "frame" the ES frame)
    are also scored against the drawn contours' GLS and ES endocardium.
    """
    from echostrain.workflows.evaluate import evaluate_trackers

    with ProgressBar("evaluating") as bar:
        text = evaluate_trackers(out, methods=methods, data=data, clips_dir=clips, contour_dirs=contours,
                                 reference=reference, weights=weights, observers=observers,
                                 spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), progress=bar.update,
                                 beats=beats, ed_frames=ed_frames, wall_smoothing=wall_smoothing)
    print(text)


@handles_errors(flags={"clips": "--real", "contours": "--contours"})
def refine(
    real: Annotated[list[Path], typer.Option(help="A real clip (repeat the option for several).")],
    contours: Annotated[list[Path], typer.Option(help="The ED myocardium contour of each clip, in order (repeat).")],
    out: Annotated[Path, typer.Option(help="Output folder: rounds.csv/png, each round's sequences and model.")],
    iterations: Annotated[int, typer.Option(help="Refinement rounds.")] = default(RefineSettings, "iterations"),
    per_clip: Annotated[int, typer.Option(help="Sequences simulated per clip and round.")] = default(RefineSettings, "per_clip"),
    base_data: Annotated[Path | None, typer.Option(help="Synthetic training data kept in every fine-tuning.")] = None,
    test_data: Annotated[Path | None, typer.Option(help="Fixed held-out synthetic test set (a folder of sequences never used in training).")] = None,
    test_sequences: Annotated[int, typer.Option(help="Sequences of the test set used.")] = default(RefineSettings, "test_sequences"),
    steps_per_round: Annotated[int, typer.Option(help="Fine-tuning steps per round.")] = default(RefineSettings, "steps_per_round"),
    weights: Annotated[Path | None, typer.Option(help="Starting TAS-Net weights (default: the shipped ones).")] = None,
    view: Annotated[list[str] | None, typer.Option(help="View of each clip, in order (default: the contour's).")] = None,
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm for clips without one.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulations and the fine-tuning.")] = default(RefineSettings, "seed"),
    max_closure_mm: Annotated[float, typer.Option(help="Reject a clip whose tracks drift more than this over a cycle (mm).")] = default(RefineSettings, "max_closure_mm"),
) -> None:
    """Iterative refinement: track real clips, simulate their motion on their own frames, fine-tune, repeat."""
    from echostrain.workflows.refine import ROUND_COLUMNS
    from echostrain.workflows.refine import refine as run

    settings = RefineSettings(iterations=iterations, per_clip=per_clip, steps_per_round=steps_per_round, seed=seed,
                              test_sequences=test_sequences, max_closure_mm=max_closure_mm)
    rows = run(real, contours, out, weights=weights, settings=settings, base_data=base_data, test_data=test_data,
               views=view, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), message=err_console.print)
    columns = [c for c in ROUND_COLUMNS if c not in ("clips_used", "clips_rejected", "seconds")]
    table = Table(title="Refinement rounds")
    for col in columns:
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(*(str(r.get(c, "")) for c in columns))
    console.print(table)
    console.print(f"→ {out / 'rounds.csv'}, {out / 'rounds.png'}")


@handles_errors
def train(
    data: Annotated[Path, typer.Option(help="Folder of simulated sequences (echostrain generate; manifest splits).")],
    out: Annotated[Path, typer.Option(help="Run folder: checkpoints, log.csv, config.json.")],
    steps: Annotated[int, typer.Option(help="Optimisation steps (the one-cycle schedule spans them).")] = default(TrainConfig, "steps"),
    batch_size: Annotated[int, typer.Option(help="Clips per step (per process).")] = default(TrainConfig, "batch_size"),
    lr: Annotated[float, typer.Option(help="Peak learning rate (AdamW, one-cycle).")] = default(TrainConfig, "lr"),
    clip_frames: Annotated[int, typer.Option(help="Frames per training clip.")] = default(TrainConfig, "clip_frames"),
    n_points: Annotated[int, typer.Option(help="Query points per clip.")] = default(TrainConfig, "n_points"),
    seed: Annotated[int, typer.Option(help="Seed of the samples and the initial weights.")] = default(TrainConfig, "seed"),
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = default(TrainConfig, "device"),
    checkpoint_every: Annotated[int, typer.Option(help="Steps between checkpoints.")] = default(TrainConfig, "checkpoint_every"),
    validate_every: Annotated[int, typer.Option(help="Steps between validations.")] = default(TrainConfig, "validate_every"),
    resume: Annotated[bool, typer.Option(help="Continue the run in --out from its last checkpoint.")] = False,
    stop_after: Annotated[int | None, typer.Option(help="Stop after this many steps of this call (train in chunks).")] = None,
    init_weights: Annotated[Path | None, typer.Option(help="Start from these TAS-Net weights (fine-tuning; their architecture is kept).")] = None,
    imaging_augment: Annotated[bool, typer.Option(help="Augment clips with imaging-chain effects (TGC, dropout, clutter, smoothing, persistence, dynamic range).")] = False,
    scene_motion: Annotated[bool, typer.Option(help="Augment clips with whole-scene motion: the heart shifting (beat 0–3 mm, breath 0–5 mm) and turning (0–4°) in a fixed sector.")] = False,
    coarse_speckle: Annotated[bool, typer.Option(help="Augment clips with coarser speckle along the beam (axial FWHM 0.9–2.2 mm, as real clips have; the simulation's is 0.45 mm).")] = False,
    neighbour_levels: Annotated[int | None, typer.Option(help="Give the model this many pyramid levels of frame-to-frame correlation (with --init-weights: added to them, starting at zero).")] = None,
) -> None:
    """Train TAS-Net on simulated sequences (resumable; torchrun for several processes)."""
    from echostrain.track.train import train as run

    config = TrainConfig(data=str(data), out=str(out), steps=steps, batch_size=batch_size, lr=lr,
                         clip_frames=clip_frames, n_points=n_points, seed=seed, device=device,
                         checkpoint_every=checkpoint_every, validate_every=validate_every,
                         init_weights=None if init_weights is None else str(init_weights),
                         imaging_augment=imaging_augment, scene_motion=scene_motion,
                         coarse_speckle=coarse_speckle, neighbour_levels=neighbour_levels)
    with ProgressBar("training", fields=("loss",)) as bar:
        summary = run(config, resume=resume, progress=lambda step, total, loss: bar.update(step, total, loss=f"loss {loss:.3f}"),
                      message=err_console.print, stop_after=stop_after)
    best = summary["best_val_mte_mm"]
    console.print(
        f"{summary['steps']} steps, last loss {summary['loss']:.4f}"
        + (f", best validation MTE {best:.3f} mm" if math.isfinite(best) else "")
        + f" → {out}"
    )
