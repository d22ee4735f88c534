"""Speckle-decorrelation commands: ``decorrelation measure``, ``decorrelation fit`` and ``realism``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from echostrain.cli.common import check_output, console, err_console, handles_errors, parse_pair
from echostrain.core.errors import ParameterError

decorrelation_app = typer.Typer(
    help="Speckle decorrelation of tissue patches over time (motion-compensated correlation vs lag).",
    no_args_is_help=True,
)


def _decorrelation_table(profiles: list[Any], combined: Any, title: str) -> Table:
    """Lag (ms) rows × one column per clip plus the combined curve."""
    table = Table(title=title)
    table.add_column("lag (ms)", justify="right")
    for p in profiles:
        table.add_column(", ".join(p.clip_ids), justify="right")
    if len(profiles) > 1:
        table.add_column("combined", justify="right")
    cols = profiles + ([combined] if len(profiles) > 1 else [])
    lags = np.unique(np.round(np.concatenate([p.lags_ms for p in cols]), 6))
    for lag in lags:
        cells = []
        for p in cols:
            hit = np.nonzero(np.isclose(p.lags_ms, lag, atol=1e-6))[0]
            v = float(p.mean[hit[0]]) if hit.size else float("nan")
            cells.append(f"{v:.3f}" if np.isfinite(v) else "—")
        table.add_row(f"{lag:.1f}", *cells)
    return table


@decorrelation_app.command("measure")
@handles_errors(flags={"contours": "--contour"})
def decorrelation_measure(
    clips: Annotated[list[Path], typer.Argument(help="Clips: DICOM, MP4/AVI, PNG folder, NPY/NPZ or echostrain HDF5.")],
    out: Annotated[Path, typer.Option(help="Output profile (JSON).")],
    max_lag_frames: Annotated[int, typer.Option(help="Largest lag in frames (lags 1…K).")] = 4,
    patch_mm: Annotated[float, typer.Option(help="Patch side (mm).")] = 4.0,
    search_mm: Annotated[float, typer.Option(help="Half-size of the block-matching search window (mm).")] = 2.0,
    n_patches: Annotated[int, typer.Option(help="Patches per clip.")] = 300,
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm (overrides the files).")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate (overrides the files).")] = None,
    sector_threshold: Annotated[float, typer.Option(help="Grey threshold of the imaging sector (0–1).")] = 2 / 255,
    seed: Annotated[int, typer.Option(help="Seed of the patch positions.")] = 0,
    contour: Annotated[
        list[Path] | None,
        typer.Option(help="Myocardium contour (endo + epi, CSV/JSON, px) of each clip, in order: patches in the wall."),
    ] = None,
) -> None:
    """Measure speckle decorrelation vs lag on clips, combine them and write a profile JSON."""
    from echostrain.realism.measure_clips import measure_clips
    from echostrain.realism.profile import combine_profiles

    check_output(out, "--out")
    profiles = measure_clips(
        clips, what="input", max_lag_frames=max_lag_frames, patch_mm=patch_mm, search_mm=search_mm,
        n_patches=n_patches, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), fps=fps,
        sector_threshold=sector_threshold, seed=seed, contours=contour,
    )
    combined = combine_profiles(profiles)
    combined.to_json(out)
    console.print(_decorrelation_table(profiles, combined, "Mean best-match correlation vs lag"))
    console.print(f"{len(profiles)} clip(s), {combined.n_patches} patches → {out}")


@decorrelation_app.command("fit")
@handles_errors
def decorrelation_fit(
    profile: Annotated[Path, typer.Argument(help="A measured profile (JSON from `echostrain decorrelation measure`).")],
    out: Annotated[Path, typer.Option(help="Output coherence model (JSON) for --decorrelation.")],
) -> None:
    """Fit the simulator's speckle coherence (β per depth, τ) to a measured profile."""
    from echostrain.realism.coherence import fit_to_profile_file, save_coherence

    check_output(out, "--out", suffixes=(".json",), what="a .json")
    model, info = fit_to_profile_file(profile, progress=lambda msg: err_console.print(f"fit: {msg}"))
    save_coherence(out, model, fit=info)
    depth = ", ".join(f"{d:g} mm: {b:.3f}" for d, b in zip(model.depth_mm, model.beta_by_depth))
    console.print(f"β = {model.beta:.3f}" + (f" (by depth {depth})" if depth else "") + f", τ = {model.tau_ms:.0f} ms → {out}")


@handles_errors(flags={"json_out": "--json"})
def realism(
    real: Annotated[list[Path], typer.Option(help="Real clip (repeat the option for several).")],
    sim: Annotated[list[Path], typer.Option(help="Simulated sequence (.h5; repeat for several).")],
    out: Annotated[Path, typer.Option(help="Output plot (.png).")],
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the numbers as JSON here.")] = None,
    max_lag_ms: Annotated[float, typer.Option(help="Lag range to measure (ms), for real and simulated clips.")] = 200.0,
    real_spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx of the real clips (mm).")] = None,
    real_fps: Annotated[float | None, typer.Option(help="Frame rate of the real clips (overrides the files).")] = None,
    patch_mm: Annotated[float, typer.Option(help="Patch side (mm).")] = 4.0,
    search_mm: Annotated[float, typer.Option(help="Half-size of the block-matching search window (mm).")] = 2.0,
    n_patches: Annotated[int, typer.Option(help="Patches per clip.")] = 300,
    sector_threshold: Annotated[float, typer.Option(help="Grey threshold of the imaging sector (0–1).")] = 2 / 255,
    seed: Annotated[int, typer.Option(help="Seed of the patch positions.")] = 0,
) -> None:
    """Plot real vs simulated speckle correlation curves (vs lag and phase) and print their MAE."""
    from echostrain.io import write_text_atomic
    from echostrain.realism.measure_clips import measure_clips
    from echostrain.realism.report import realism_report

    if not (math.isfinite(max_lag_ms) and max_lag_ms > 0):
        raise ParameterError(f"--max-lag-ms must be a positive number, got {max_lag_ms}")
    check_output(out, "--out", suffixes=(".png",), what="a .png")
    if json_out is not None:
        check_output(json_out, "--json")
    common = dict(max_lag_ms=max_lag_ms, patch_mm=patch_mm, search_mm=search_mm, n_patches=n_patches,
                  sector_threshold=sector_threshold, seed=seed)
    real_profiles = measure_clips(real, what="--real", spacing_mm=parse_pair(real_spacing_mm, "--real-spacing-mm"),
                                  fps=real_fps, **common)
    sim_profiles = measure_clips(sim, what="--sim", spacing_mm=None, fps=None, **common)
    result = realism_report(real_profiles, sim_profiles, out)
    result["parameters"] = {**common, "real_files": [str(p) for p in real], "sim_files": [str(p) for p in sim]}
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(result, indent=2, allow_nan=False) + "\n")
    for name, value in result["mae_per_real"].items():
        console.print(f"  {name}: MAE vs simulated = {value:.4f}")
    if result["phase"] is not None and result["phase"]["mae"] is not None:
        console.print(f"  by phase at {result['phase']['lag_ms']:.1f} ms: MAE = {result['phase']['mae']:.4f}")
    console.print(f"wrote {out}" + (f" and {json_out}" if json_out is not None else ""))
    print(f"mae={result['mae']:.4f}")
