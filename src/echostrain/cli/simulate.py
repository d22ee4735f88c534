"""Simulation commands: ``simulate-frame``, ``simulate``, ``view`` and ``generate``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from echostrain.cli.common import ProgressBar, check_output, console, default, err_console, handles_errors, parse_pair
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import DEFAULT_DEPTH_MM, DEFAULT_PROBE, DEFAULT_SECTOR_DEG, HDF5_SUFFIXES
from echostrain.data.generation_settings import GenerationSettings
from echostrain.sim.phantom_frame import write_phantom_frame
from echostrain.sim.probe import SectorScan
from echostrain.sim.sequence_config import SequenceConfig

RX_BANDWIDTH_HELP = ("Receive filter: −6 dB band in % of the probe's centre frequency (narrower: coarser speckle "
                     "along the beam; 10–18 with --tx-focus-mm 70 matches the real clips). Default: none, the "
                     "probe's own band.")
TX_FOCUS_HELP = ("Transmit focus depth (mm): one focused transmit per scan line, as cardiac scanners image "
                 "(about 70 matches the real clips' lateral speckle). Default: one diverging wave.")
RX_BAND_RANGE_HELP = ("Receive filter band in % of the centre frequency, LO,HI drawn per sequence (or one value); "
                      "e.g. 10,18 with --tx-focus-mm 70 matches the real clips' speckle size. Default: none, the "
                      "probe's own band.")

DECORRELATION_HELP = (
    "Speckle decorrelation: default (the model fitted to real clips, shipped), none, "
    "a profile JSON (echostrain decorrelation measure; fitted first, about a minute) "
    "or a coherence JSON (echostrain decorrelation fit)."
)


def coherence_option(value: str) -> Any:
    """The CoherenceModel (or None) that a --decorrelation value names."""
    from echostrain.realism.coherence import load_coherence

    return load_coherence(value, progress=lambda msg: err_console.print(f"decorrelation: {msg}"))


@handles_errors(flags={"n_scatterers": "--scatterers", "n_lines": "--lines"})
def simulate_frame(
    out: Annotated[Path, typer.Option(help="Output PNG of the B-mode frame.")],
    engine: Annotated[str, typer.Option(help="Simulation engine: fast (calibrated PSF) or simus (PyMUST reference).")] = default(write_phantom_frame, "engine"),
    scatterers: Annotated[int, typer.Option(help="Number of speckle scatterers in the sector.")] = default(write_phantom_frame, "n_scatterers"),
    probe: Annotated[str, typer.Option(help="Phased-array probe (P4-2v, PA4-2/20, P6-3).")] = DEFAULT_PROBE,
    depth_mm: Annotated[float, typer.Option(help="Imaging depth (mm).")] = DEFAULT_DEPTH_MM,
    sector_deg: Annotated[float, typer.Option(help="Sector angle (degrees).")] = DEFAULT_SECTOR_DEG,
    lines: Annotated[int, typer.Option(help="Number of scan lines (beam-space columns).")] = default(write_phantom_frame, "n_lines"),
    pixel_mm: Annotated[float, typer.Option(help="Pixel size of the output image (mm).")] = default(write_phantom_frame, "pixel_mm"),
    dynamic_range_db: Annotated[float, typer.Option(help="Display dynamic range (dB).")] = default(write_phantom_frame, "dynamic_range_db"),
    gain_db: Annotated[float, typer.Option(help="Display gain (dB).")] = default(write_phantom_frame, "gain_db"),
    seed: Annotated[int, typer.Option(help="Random seed of the phantom.")] = 0,
    device: Annotated[str, typer.Option(help="Torch device of the fast engine (cpu, cuda).")] = "cpu",
) -> None:
    """Simulate one frame of a phantom: uniform speckle, three point targets and an anechoic cyst."""
    check_output(out, "--out", suffixes=(".png",), what="a .png")
    frame = write_phantom_frame(out, engine=engine, n_scatterers=scatterers, probe=probe, depth_mm=depth_mm,
                                sector_deg=sector_deg, n_lines=lines, pixel_mm=pixel_mm,
                                dynamic_range_db=dynamic_range_db, gain_db=gain_db, seed=seed, device=device)
    console.print(
        f"{engine} engine: {frame.n_scatterers} scatterers, {frame.image.shape[1]}×{frame.image.shape[0]} px "
        f"at {pixel_mm} mm in {frame.seconds:.2f} s → {out}"
    )


@handles_errors(flags={"frame": "--template-frame", "noise_sd": "--noise", "spacing_mm": "--template-spacing-mm"})
def simulate(
    out: Annotated[Path, typer.Option(help="Output sequence file (.h5).")],
    view: Annotated[str, typer.Option(help="Apical view: a2c, a3c or a4c.")] = default(SequenceConfig, "view"),
    seed: Annotated[int, typer.Option(help="Seed of everything random in the sequence.")] = 0,
    frames: Annotated[int | None, typer.Option(help="Number of frames (default: one cycle, ED to ED).")] = None,
    engine: Annotated[str, typer.Option(help="Simulation engine: fast or simus.")] = default(SequenceConfig, "engine"),
    pathology: Annotated[str | None, typer.Option(help="normal, regional or global (default: drawn).")] = None,
    per_cell: Annotated[float, typer.Option(help="Scatterers per resolution cell.")] = default(SequenceConfig, "per_cell"),
    template: Annotated[Path | None, typer.Option(help="A real clip whose first frame is the echogenicity map.")] = None,
    contour: Annotated[Path | None, typer.Option(help="ED myocardium contour of the template (CSV/JSON, pixels).")] = None,
    template_spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx of the template (mm).")] = None,
    template_frame: Annotated[int, typer.Option(help="Frame of the template used (its ED).")] = 0,
    device: Annotated[str, typer.Option(help="Torch device of the fast engine (cpu, cuda).")] = "cpu",
    decorrelation: Annotated[str, typer.Option(help=DECORRELATION_HELP)] = "default",
    warp: Annotated[Path | None, typer.Option(help="A real clip whose ED frame (--template-frame) is deformed by the known motion instead of simulated; needs --contour.")] = None,
    noise: Annotated[float, typer.Option(help="With --warp: SD of Gaussian noise added to every frame (grey levels 0–255).")] = 0.0,
    rx_bandwidth_pct: Annotated[float | None, typer.Option(help=RX_BANDWIDTH_HELP)] = None,
    tx_focus_mm: Annotated[float | None, typer.Option(help=TX_FOCUS_HELP)] = None,
) -> None:
    """Simulate an apical echo sequence with known LV motion and write a sequence file.

    With --warp CLIP --contour ED.json the clip's ED frame itself is deformed by
    the motion (real scanner texture, frozen: no speckle decorrelation).
    """
    from echostrain.sim.sequence_file import simulate_to_file

    check_output(out, "--out", suffixes=HDF5_SUFFIXES, what="an .h5")
    if warp is not None:
        if rx_bandwidth_pct is not None or tx_focus_mm is not None:
            raise ParameterError("--warp deforms a real frame and simulates no imaging; drop --rx-bandwidth-pct and "
                                 "--tx-focus-mm")
        _warp(out, warp, contour, template, view=view, seed=seed, frames=frames, pathology=pathology, noise=noise,
              spacing=template_spacing_mm, frame=template_frame)
        return
    config = SequenceConfig(view=view, n_frames=frames, engine=engine, pathology=pathology, per_cell=per_cell,
                            device=device, coherence=coherence_option(decorrelation),
                            scan=SectorScan(rx_bandwidth_pct=rx_bandwidth_pct,
                                            tx_focus_m=None if tx_focus_mm is None else tx_focus_mm * 1e-3))
    with ProgressBar("simulating", transient=True) as bar:
        data = simulate_to_file(out, config, seed, template=template, contour=contour,
                                template_spacing_mm=parse_pair(template_spacing_mm, "--template-spacing-mm"),
                                template_frame=template_frame, progress=bar.update)
    m = data.parameters["motion"]
    console.print(
        f"{data.view} seed {seed}: {data.frames.shape[0]} frames {data.frames.shape[2]}×{data.frames.shape[1]} px "
        f"at {data.fps:.1f} frames/s, {m['pathology']}, GLS {data.gls_pct[data.es_index]:.2f} % "
        f"(target {m['gls_target_pct']:.2f} %), ES frame {data.es_index} → {out}"
    )


def _warp(out: Path, clip: Path, contour: Path | None, template: Path | None, *, view: str, seed: int,
          frames: int | None, pathology: str | None, noise: float, spacing: str | None, frame: int) -> None:
    """``simulate --warp``: parse, warp, report."""
    from echostrain.sim.sequence_file import warp_to_file
    from echostrain.sim.warp import WarpConfig

    if template is not None:
        raise ParameterError("give either --warp (deform a real frame) or --template (simulate on it), not both")
    if contour is None:
        raise ParameterError("--warp needs --contour, the ED myocardium (endo and epi) drawn on the clip's frame")
    config = WarpConfig(view=view, frame=frame, n_frames=frames, pathology=pathology, noise_sd=noise)
    with ProgressBar("warping", transient=True) as bar:
        data = warp_to_file(out, clip, contour, config, seed, spacing_mm=parse_pair(spacing, "--template-spacing-mm"),
                            progress=bar.update)
    m = data.parameters["motion"]
    console.print(
        f"warp of {clip.name} frame {frame}, seed {seed}: {data.frames.shape[0]} frames at {data.fps:.1f} frames/s, "
        f"{m['pathology']}, true GLS {data.gls_pct[data.es_index]:.2f} % at ES frame {data.es_index} → {out}"
    )


@handles_errors
def view_sequence(
    sequence: Annotated[Path, typer.Argument(help="A sequence file (.h5) written by echostrain simulate.")],
    out: Annotated[Path, typer.Option(help="Output MP4, or a folder for PNG frames.")],
    radius: Annotated[int, typer.Option(help="Point radius in pixels.")] = 2,
    tissue: Annotated[bool, typer.Option(help="Also draw the tissue points (white).")] = True,
) -> None:
    """Write the B-mode frames of a sequence with its true points drawn on them."""
    from echostrain.data import load_sequence
    from echostrain.io.overlay_files import write_overlay

    data = load_sequence(sequence)
    keep = np.ones(data.track_layer.shape, bool) if tissue else data.track_layer >= 0
    write_overlay(out, data.frames, data.tracks[:, keep], labels=data.track_layer[keep], fps=data.fps,
                  spacing_mm=data.spacing_mm, radius_px=radius)
    console.print(f"wrote {out}")


def _band_range(text: str | None) -> tuple[float, float] | None:
    """``--rx-bandwidth-pct`` of generate: ``LO,HI`` or one value (both ends)."""
    if text is None or "," in text:
        return parse_pair(text, "--rx-bandwidth-pct")
    try:
        value = float(text)
    except ValueError:
        raise ParameterError(f"--rx-bandwidth-pct must be a number or LO,HI (% of the centre frequency), got {text!r}") from None
    return value, value


@handles_errors(flags={"n": "--n", "rx_bandwidth_range_pct": "--rx-bandwidth-pct", "tx_focus_mm": "--tx-focus-mm"})
def generate(
    n: Annotated[int, typer.Option("--n", help="Number of sequences.")],
    out: Annotated[Path, typer.Option(help="Output folder (sequences, manifest.csv, generation.json).")],
    views: Annotated[str, typer.Option(help="Views to draw from, comma-separated.")] = ",".join(default(GenerationSettings, "views")),
    dysfunction_share: Annotated[float, typer.Option(help="Share of sequences with regional or global dysfunction.")] = default(GenerationSettings, "dysfunction_share"),
    engine: Annotated[str, typer.Option(help="Simulation engine: fast or simus.")] = default(GenerationSettings, "engine"),
    seed: Annotated[int, typer.Option(help="Master seed; per-sequence seeds are derived from it.")] = default(GenerationSettings, "seed"),
    workers: Annotated[int | None, typer.Option(help="Local worker processes (default: one per core).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of an existing dask scheduler, tcp://HOST:PORT.")] = None,
    frames: Annotated[int | None, typer.Option(help="Frames per sequence (default: one cycle).")] = None,
    per_cell: Annotated[float, typer.Option(help="Scatterers per resolution cell.")] = default(GenerationSettings, "per_cell"),
    decorrelation: Annotated[str, typer.Option(help=DECORRELATION_HELP)] = "default",
    rx_bandwidth_pct: Annotated[str | None, typer.Option(help=RX_BAND_RANGE_HELP)] = None,
    tx_focus_mm: Annotated[float | None, typer.Option(help=TX_FOCUS_HELP)] = None,
) -> None:
    """Generate a dataset of sequences on dask (resumable: re-run the same command to finish it)."""
    from echostrain.data.generate import run_generation

    model = coherence_option(decorrelation)
    settings = GenerationSettings(
        seed=seed, views=tuple(v for v in views.split(",") if v.strip()), dysfunction_share=dysfunction_share,
        engine=engine, n_frames=frames, per_cell=per_cell, coherence=None if model is None else model.to_dict(),
        rx_bandwidth_range_pct=_band_range(rx_bandwidth_pct), tx_focus_mm=tx_focus_mm,
    )
    with ProgressBar("generating", rate=True) as bar:

        def on_start(todo: int, skipped: int) -> None:
            if skipped:
                err_console.print(f"{skipped} of {n} sequences already done and verified; {todo} to go")
            bar.update(0, todo)

        summary = run_generation(n, out, settings, workers=workers, scheduler=scheduler,
                                 on_start=on_start, on_progress=lambda _row: bar.advance())
    console.print(
        f"{summary.done} generated, {summary.skipped} already done, {len(summary.failed)} failed "
        f"in {summary.seconds:.1f} s → {out}"
    )
    if summary.failed:
        for sid, sseed, message in summary.failed:
            print(f"echostrain: failed: {sid} (seed {sseed}): {message}", file=sys.stderr)
        raise typer.Exit(code=1)
