"""The ``echostrain`` command line."""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from echostrain import __version__
from echostrain.errors import EchoStrainError, ParameterError

app = typer.Typer(
    name="echostrain",
    help="Myocardial strain in 2D echocardiography: simulate, track, measure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(func: F) -> F:
    """Turn an :class:`EchoStrainError` into one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EchoStrainError as exc:
            print(f"echostrain: error: {' '.join(str(exc).split())}", file=sys.stderr)
            raise typer.Exit(code=2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"echostrain {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Myocardial strain in 2D echocardiography: simulate, track, measure."""


def parse_pair(text: str | None, name: str) -> tuple[float, float] | None:
    """Parse ``"A,B"`` into two floats (e.g. ``--spacing-mm 0.3,0.3`` as dy,dx)."""
    if text is None:
        return None
    parts = text.replace(" ", "").split(",")
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise ParameterError(f"{name} must be two numbers separated by a comma, e.g. 0.3,0.3; got {text!r}") from None
    return a, b


def _strain_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"Longitudinal strain ({summary['view'] or 'view unknown'}), ES = frame {summary['es_frame']}")
    table.add_column("segment")
    table.add_column("AHA", justify="right")
    table.add_column("end-systolic %", justify="right")
    table.add_column("peak systolic %", justify="right")

    def fmt(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    for s in summary["segments"]:
        table.add_row(s["name"], str(s.get("aha18", "")), fmt(s["end_systolic_pct"]), fmt(s["peak_systolic_pct"]))
    for layer, vals in summary["gls"].items():
        table.add_row(f"[bold]GLS {layer}[/bold]", "", fmt(vals["end_systolic_pct"]), fmt(vals["peak_systolic_pct"]))
    return table


@app.command()
@handles_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's tracks, JSON and strain-curve PNG.")] = Path(
        "demo_output"
    ),
    sequence: Annotated[bool, typer.Option(help="Also simulate an A4C echo sequence with known motion (≈10 s).")] = True,
) -> None:
    """Run the main job on built-in data: known strain from analytic contours and a simulated echo sequence."""
    from echostrain.anatomy.segments import segment_names
    from echostrain.cli.demo import run_demo

    outputs = run_demo(out)
    summary = outputs.result.summary()
    console.print(_strain_table(summary))
    truth = ", ".join(f"{v:.2f}" for v in outputs.true_segment_pct)
    console.print(f"true segmental end-systolic strain (%): {truth}")
    console.print(f"GLS = {outputs.result.gls_pct:.2f} %  (ED frame {summary['ed_frame']}, ES frame {summary['es_frame']})")
    console.print(f"wrote {outputs.tracks_path}, {outputs.json_path}, {outputs.plot_path}")
    if sequence:
        from echostrain.cli.demo import run_demo_sequence

        start = time.perf_counter()
        data, seq_path, movie = run_demo_sequence(out)
        m = data.parameters["motion"]
        states = ", ".join(f"{name}: {state}" for name, state in zip(segment_names("a4c"), m["segment_state"]) if state != "normal")
        console.print(
            f"simulated an A4C sequence with known motion in {time.perf_counter() - start:.1f} s: "
            f"{data.frames.shape[0]} frames at {data.fps:.0f} frames/s, true GLS {data.gls_pct[data.es_index]:.2f} %"
            f" ({states or 'no dysfunction'}) → {seq_path}, {movie}"
        )


@app.command()
@handles_errors
def strain(
    tracks: Annotated[Path, typer.Argument(help="Tracks file (.npz: tracks, spacing_mm, layer, segment).")],
    view: Annotated[str | None, typer.Option(help="Apical view: a2c, a3c or a4c (default: from the file).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    curves: Annotated[bool, typer.Option(help="Include the strain curves in the JSON.")] = False,
    ed: Annotated[int | None, typer.Option(help="End-diastolic frame (default: detected, longest).")] = None,
    es: Annotated[int | None, typer.Option(help="End-systolic frame (default: detected, shortest).")] = None,
    smooth: Annotated[int | None, typer.Option(help="Temporal smoothing window in frames (odd, ≥3).")] = None,
    out: Annotated[Path | None, typer.Option(help="Also write the JSON to this file.")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a strain-curve PNG here.")] = None,
) -> None:
    """Global and segmental longitudinal strain of a tracks file."""
    from echostrain.io.tracks import read_tracks
    from echostrain.io.atomic import atomic_path
    from echostrain.strain.analysis import compute_strain

    ts = read_tracks(tracks)
    result = compute_strain(
        ts.tracks, ts.spacing_mm, ts.layer, ts.segment,
        view=view or ts.view, ed_frame=ed, es_frame=es, smooth_frames=smooth, fps=ts.fps,
    )
    summary = result.summary(include_curves=curves)
    text = json.dumps(summary, indent=2)
    if out is not None:
        with atomic_path(out) as tmp:
            Path(tmp).write_text(text)
    if plot is not None:
        from echostrain.report.strain_plot import plot_strain_curves

        plot_strain_curves(result, plot)
    if as_json:
        print(text)
    else:
        console.print(_strain_table(summary))


@app.command()
@handles_errors
def info(
    video: Annotated[Path, typer.Argument(help="A clip: DICOM, MP4/AVI, PNG folder, NPY/NPZ or echostrain HDF5.")],
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm (overrides the file).")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate (overrides the file).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Read a clip and print its frames, size, pixel spacing and frame rate."""
    from echostrain.io import read_video, sector_mask

    clip = read_video(video, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), fps=fps)
    mask = sector_mask(clip.frames)
    t, h, w = clip.frames.shape
    facts = {
        "source": clip.source,
        "frames": t,
        "height_px": h,
        "width_px": w,
        "spacing_mm": list(clip.spacing_mm) if clip.spacing_mm else None,
        "fps": clip.fps,
        "duration_s": clip.duration_s,
        "sector_fraction": round(float(mask.mean()), 4),
    }
    if as_json:
        print(json.dumps(facts, indent=2))
    else:
        for k, v in facts.items():
            console.print(f"{k:>16}: {v}")


@app.command()
@handles_errors
def overlay(
    video: Annotated[Path, typer.Argument(help="The clip the points were tracked on.")],
    tracks: Annotated[Path, typer.Argument(help="Tracks file (.npz).")],
    out: Annotated[Path, typer.Option(help="Output MP4, or a folder for PNG frames.")],
    radius: Annotated[int, typer.Option(help="Point radius in pixels.")] = 2,
) -> None:
    """Draw tracked points (coloured by layer) on a clip and write an MP4 or PNG frames."""
    from echostrain.io import overlay_points, read_tracks, read_video, write_mp4, write_png_frames

    clip = read_video(video)
    ts = read_tracks(tracks)
    if ts.tracks.shape[0] != clip.n_frames:
        raise ParameterError(
            f"{tracks} has {ts.tracks.shape[0]} frames but {video} has {clip.n_frames}; use the tracks of this clip"
        )
    h, w = clip.shape_hw
    first = ts.tracks[0]
    outside = (first[:, 0] < 0) | (first[:, 0] > w - 1) | (first[:, 1] < 0) | (first[:, 1] > h - 1)
    if outside.any():
        i = int(outside.nonzero()[0][0])
        raise ParameterError(
            f"point {i} (x={first[i, 0]:.1f}, y={first[i, 1]:.1f}) is outside the {w}×{h} image at frame 0; "
            "were the tracks made on another clip?"
        )
    rgb = overlay_points(clip.frames, ts.tracks, labels=ts.layer, radius_px=radius)
    fps = clip.fps or ts.fps or 25.0
    if out.suffix.lower() in (".mp4", ".m4v", ".mov"):
        write_mp4(out, rgb, fps=fps, spacing_mm=clip.spacing_mm)
    else:
        write_png_frames(out, rgb, fps=fps, spacing_mm=clip.spacing_mm)
    console.print(f"wrote {out}")


@app.command("simulate-frame")
@handles_errors
def simulate_frame(
    out: Annotated[Path, typer.Option(help="Output PNG of the B-mode frame.")],
    engine: Annotated[str, typer.Option(help="Simulation engine: fast (calibrated PSF) or simus (PyMUST reference).")] = "fast",
    scatterers: Annotated[int, typer.Option(help="Number of speckle scatterers in the sector.")] = 150_000,
    probe: Annotated[str, typer.Option(help="Phased-array probe (P4-2v, PA4-2/20, P6-3).")] = "P4-2v",
    depth_mm: Annotated[float, typer.Option(help="Imaging depth (mm).")] = 150.0,
    sector_deg: Annotated[float, typer.Option(help="Sector angle (degrees).")] = 75.0,
    lines: Annotated[int, typer.Option(help="Number of scan lines (beam-space columns).")] = 256,
    pixel_mm: Annotated[float, typer.Option(help="Pixel size of the output image (mm).")] = 0.25,
    dynamic_range_db: Annotated[float, typer.Option(help="Display dynamic range (dB).")] = 60.0,
    gain_db: Annotated[float, typer.Option(help="Display gain (dB).")] = 0.0,
    seed: Annotated[int, typer.Option(help="Random seed of the phantom.")] = 0,
    device: Annotated[str, typer.Option(help="Torch device of the fast engine (cpu, cuda).")] = "cpu",
) -> None:
    """Simulate one frame of a phantom: uniform speckle, three point targets and an anechoic cyst."""
    import time

    import numpy as np

    from echostrain.io.atomic import atomic_path
    from echostrain.sim import BModeSettings, SectorScan, Simulator, get_probe, make_phantom

    if scatterers < 1:
        raise ParameterError(f"--scatterers must be at least 1, got {scatterers}")
    if out.suffix.lower() != ".png":
        raise ParameterError(f"--out must be a .png file, got {out}")
    the_probe = get_probe(probe)
    scan = SectorScan(sector_deg=sector_deg, depth_m=depth_mm * 1e-3, n_lines=lines)
    settings = BModeSettings(dynamic_range_db=dynamic_range_db, gain_db=gain_db, pixel_mm=pixel_mm)
    sim = Simulator(engine, the_probe, scan, settings, device=device)
    phantom = make_phantom(the_probe, scan, np.random.default_rng(seed), n_scatterers=scatterers)
    start = time.perf_counter()
    image, _ = sim.frame(phantom.scatterers)
    elapsed = time.perf_counter() - start
    from PIL import Image

    with atomic_path(out) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
    console.print(
        f"{engine} engine: {len(phantom.scatterers)} scatterers, {image.shape[1]}×{image.shape[0]} px "
        f"at {pixel_mm} mm in {elapsed:.2f} s → {out}"
    )


DECORRELATION_HELP = (
    "Speckle decorrelation: default (the model fitted to real clips, shipped), none, "
    "a profile JSON (echostrain decorrelation measure; fitted first, about a minute) "
    "or a coherence JSON (echostrain decorrelation fit)."
)


def _coherence_option(value: str):
    """The CoherenceModel (or None) that a --decorrelation value names."""
    from echostrain.realism.coherence import load_coherence

    return load_coherence(value, progress=lambda msg: Console(stderr=True).print(f"decorrelation: {msg}"))


def _coherence_dict(model) -> dict | None:
    return None if model is None else model.to_dict()


@app.command()
@handles_errors
def simulate(
    out: Annotated[Path, typer.Option(help="Output sequence file (.h5).")],
    view: Annotated[str, typer.Option(help="Apical view: a2c, a3c or a4c.")] = "a4c",
    seed: Annotated[int, typer.Option(help="Seed of everything random in the sequence.")] = 0,
    frames: Annotated[int | None, typer.Option(help="Number of frames (default: one cycle, ED to ED).")] = None,
    engine: Annotated[str, typer.Option(help="Simulation engine: fast or simus.")] = "fast",
    pathology: Annotated[str | None, typer.Option(help="normal, regional or global (default: drawn).")] = None,
    per_cell: Annotated[float, typer.Option(help="Scatterers per resolution cell.")] = 10.0,
    template: Annotated[Path | None, typer.Option(help="A real clip whose first frame is the echogenicity map.")] = None,
    contour: Annotated[Path | None, typer.Option(help="ED myocardium contour of the template (CSV/JSON, pixels).")] = None,
    template_spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx of the template (mm).")] = None,
    template_frame: Annotated[int, typer.Option(help="Frame of the template used (its ED).")] = 0,
    device: Annotated[str, typer.Option(help="Torch device of the fast engine (cpu, cuda).")] = "cpu",
    decorrelation: Annotated[str, typer.Option(help=DECORRELATION_HELP)] = "default",
) -> None:
    """Simulate an apical echo sequence with known LV motion and write a sequence file."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from echostrain.io.sequence import write_sequence
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    if out.suffix.lower() not in (".h5", ".hdf5"):
        raise ParameterError(f"--out must end in .h5, got {out}")
    if out.parent and not out.parent.exists():
        raise ParameterError(f"the folder of --out ({out.parent}) does not exist; create it first")
    coherence = _coherence_option(decorrelation)
    config = SequenceConfig(view=view, n_frames=frames, engine=engine, pathology=pathology, per_cell=per_cell,
                            device=device, coherence=coherence)
    scene = None
    if template is not None or contour is not None:
        if template is None or contour is None:
            raise ParameterError("a template needs both --template CLIP and --contour ED.csv (its ED myocardium)")
        from echostrain.anatomy.template import template_scene
        from echostrain.io import read_video

        clip = read_video(template, spacing_mm=parse_pair(template_spacing_mm, "--template-spacing-mm"))
        scene = template_scene(clip, contour, view=config.view, frame=template_frame,
                               depth_mm=config.scan.depth_m * 1e3, sector_deg=config.scan.sector_deg)
    with Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.completed}/{task.total} frames"),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("frames", total=None)
        data = simulate_sequence(config, seed, scene=scene,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
    write_sequence(out, data)
    m = data.parameters["motion"]
    console.print(
        f"{data.view} seed {seed}: {data.frames.shape[0]} frames {data.frames.shape[2]}×{data.frames.shape[1]} px "
        f"at {data.fps:.1f} frames/s, {m['pathology']}, GLS {data.gls_pct[data.es_index]:.2f} % "
        f"(target {m['gls_target_pct']:.2f} %), ES frame {data.es_index} → {out}"
    )


@app.command("view")
@handles_errors
def view_sequence(
    sequence: Annotated[Path, typer.Argument(help="A sequence file (.h5) written by echostrain simulate.")],
    out: Annotated[Path, typer.Option(help="Output MP4, or a folder for PNG frames.")],
    radius: Annotated[int, typer.Option(help="Point radius in pixels.")] = 2,
    tissue: Annotated[bool, typer.Option(help="Also draw the tissue points (white).")] = True,
) -> None:
    """Write the B-mode frames of a sequence with its true points drawn on them."""
    from echostrain.data import load_sequence
    from echostrain.io import overlay_points, write_mp4, write_png_frames

    data = load_sequence(sequence)
    keep = np.ones(data.track_layer.shape, bool) if tissue else data.track_layer >= 0
    rgb = overlay_points(data.frames, data.tracks[:, keep], labels=data.track_layer[keep], radius_px=radius)
    if out.suffix.lower() in (".mp4", ".m4v", ".mov"):
        write_mp4(out, rgb, fps=data.fps, spacing_mm=data.spacing_mm)
    else:
        write_png_frames(out, rgb, fps=data.fps, spacing_mm=data.spacing_mm)
    console.print(f"wrote {out}")


@app.command()
@handles_errors
def generate(
    n: Annotated[int, typer.Option("--n", help="Number of sequences.")],
    out: Annotated[Path, typer.Option(help="Output folder (sequences, manifest.csv, generation.json).")],
    views: Annotated[str, typer.Option(help="Views to draw from, comma-separated.")] = "a2c,a3c,a4c",
    dysfunction_share: Annotated[float, typer.Option(help="Share of sequences with regional or global dysfunction.")] = 0.3,
    engine: Annotated[str, typer.Option(help="Simulation engine: fast or simus.")] = "fast",
    seed: Annotated[int, typer.Option(help="Master seed; per-sequence seeds are derived from it.")] = 0,
    workers: Annotated[int | None, typer.Option(help="Local worker processes (default: one per core).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Address of an existing dask scheduler, tcp://HOST:PORT.")] = None,
    frames: Annotated[int | None, typer.Option(help="Frames per sequence (default: one cycle).")] = None,
    per_cell: Annotated[float, typer.Option(help="Scatterers per resolution cell.")] = 10.0,
    decorrelation: Annotated[str, typer.Option(help=DECORRELATION_HELP)] = "default",
) -> None:
    """Generate a dataset of sequences on dask (resumable: re-run the same command to finish it)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from echostrain.data.generate import GenerationSettings, run_generation

    settings = GenerationSettings(
        seed=seed, views=tuple(v for v in views.split(",") if v.strip()), dysfunction_share=dysfunction_share,
        engine=engine, n_frames=frames, per_cell=per_cell,
        coherence=_coherence_dict(_coherence_option(decorrelation)),
    )
    err = Console(stderr=True)
    progress = Progress(
        TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err,
    )
    state: dict[str, float] = {}

    def on_start(todo: int, skipped: int) -> None:
        if skipped:
            err.print(f"{skipped} of {n} sequences already done and verified; {todo} to go")
        state["task"] = progress.add_task("seq", total=todo, rate="")
        state["t0"] = time.perf_counter()

    def on_progress(row) -> None:
        task = int(state["task"])
        progress.advance(task)
        done = progress.tasks[task].completed
        per_hour = done / max(time.perf_counter() - state["t0"], 1e-9) * 3600
        progress.update(task, rate=f"{per_hour:.0f}/h")

    with progress:
        summary = run_generation(n, out, settings, workers=workers, scheduler=scheduler,
                                 on_start=on_start, on_progress=on_progress)
    console.print(
        f"{summary.done} generated, {summary.skipped} already done, {len(summary.failed)} failed "
        f"in {summary.seconds:.1f} s → {out}"
    )
    if summary.failed:
        for sid, sseed, message in summary.failed:
            print(f"echostrain: failed: {sid} (seed {sseed}): {message}", file=sys.stderr)
        raise typer.Exit(code=1)


# --------------------------------------------------------------------------- realism: speckle decorrelation

decorrelation_app = typer.Typer(
    help="Speckle decorrelation of tissue patches over time (motion-compensated correlation vs lag).",
    no_args_is_help=True,
)
app.add_typer(decorrelation_app, name="decorrelation")

#: A clip needs at least this many frames to measure decorrelation (lags 1 and 2).
MIN_DECORRELATION_FRAMES = 3


def _check_out_folder(out: Path, option: str) -> None:
    if not out.parent.exists() or not out.parent.is_dir():
        raise ParameterError(f"the folder of {option} ({out.parent}) does not exist; create it first")


def _measure_clips(
    clips: list[Path],
    *,
    what: str,
    max_lag_frames: int | None = None,
    max_lag_ms: float | None = None,
    patch_mm: float,
    search_mm: float,
    n_patches: int,
    spacing_mm: tuple[float, float] | None,
    fps: float | None,
    sector_threshold: float,
    seed: int,
    contours: list[Path] | None = None,
) -> list[Any]:
    """Read and measure each clip; lags from ``max_lag_frames`` or, per clip, from ``max_lag_ms``.

    With ``max_lag_ms`` a clip of T frames at ``fps`` gets
    ``min(T - 1, ceil(max_lag_ms · fps / 1000))`` lags, so every clip covers the
    same range in ms. ``contours`` (one myocardium contour file per clip, in
    the same order) restrict the patches to the wall. Everything is read and
    checked before anything is written.
    """
    import math

    from echostrain.anatomy.polyline import myocardium_mask
    from echostrain.io import read_myocardium_contours, read_video
    from echostrain.realism.decorrelation import measure_decorrelation

    if not clips:
        raise ParameterError(f"give at least one {what} clip")
    if contours and len(contours) != len(clips):
        raise ParameterError(
            f"got {len(contours)} --contour file(s) for {len(clips)} clip(s); give one contour per clip, in order"
        )
    profiles = []
    used_ids: set[str] = set()
    for i, path in enumerate(clips):
        clip = read_video(path, spacing_mm=spacing_mm, fps=fps)
        n_t = int(clip.frames.shape[0])
        if n_t < MIN_DECORRELATION_FRAMES:
            raise ParameterError(
                f"{path}: decorrelation needs at least {MIN_DECORRELATION_FRAMES} frames, "
                f"the clip has {n_t}"
            )
        if max_lag_ms is not None:
            if clip.fps is None:
                raise ParameterError(f"{path} has no frame rate; give the frame rate (frames/s)")
            k = min(n_t - 1, max(1, math.ceil(max_lag_ms * clip.fps / 1000.0 - 1e-9)))
        else:
            k = int(max_lag_frames if max_lag_frames is not None else 4)
        clip_id = path.stem or str(path)
        if clip_id in used_ids:
            clip_id = str(path)
        used_ids.add(clip_id)
        mask = None
        if contours:
            shape = tuple(int(v) for v in clip.frames.shape[1:])
            layers = read_myocardium_contours(contours[i], image_shape_hw=shape)
            mask = myocardium_mask(layers["endo"], layers["epi"], shape)
        profiles.append(
            measure_decorrelation(
                clip, max_lag_frames=k, patch_mm=patch_mm, search_mm=search_mm,
                n_patches=n_patches, rng=seed + i, clip_id=clip_id,
                sector_threshold=sector_threshold, mask=mask,
            )
        )
    return profiles


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
@handles_errors
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
    from echostrain.realism.decorrelation import combine_profiles

    _check_out_folder(out, "--out")
    profiles = _measure_clips(
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

    if out.suffix.lower() != ".json":
        raise ParameterError(f"--out must be a .json file, got {out}")
    _check_out_folder(out, "--out")
    err = Console(stderr=True)
    model, info = fit_to_profile_file(profile, progress=lambda msg: err.print(f"fit: {msg}"))
    save_coherence(out, model, fit=info)
    depth = ", ".join(f"{d:g} mm: {b:.3f}" for d, b in zip(model.depth_mm, model.beta_by_depth))
    console.print(f"β = {model.beta:.3f}" + (f" (by depth {depth})" if depth else "") + f", τ = {model.tau_ms:.0f} ms → {out}")


@app.command("realism")
@handles_errors
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
    import math

    from echostrain.io import write_text_atomic
    from echostrain.realism.report import realism_report

    if not (math.isfinite(max_lag_ms) and max_lag_ms > 0):
        raise ParameterError(f"--max-lag-ms must be a positive number, got {max_lag_ms}")
    if out.suffix.lower() != ".png":
        raise ParameterError(f"--out must be a .png file, got {out}")
    _check_out_folder(out, "--out")
    if json_out is not None:
        _check_out_folder(json_out, "--json")
    common = dict(max_lag_ms=max_lag_ms, patch_mm=patch_mm, search_mm=search_mm, n_patches=n_patches,
                  sector_threshold=sector_threshold, seed=seed)
    real_profiles = _measure_clips(real, what="--real", spacing_mm=parse_pair(real_spacing_mm, "--real-spacing-mm"),
                                   fps=real_fps, **common)
    sim_profiles = _measure_clips(sim, what="--sim", spacing_mm=None, fps=None, **common)
    result = realism_report(real_profiles, sim_profiles, out)
    result["parameters"] = {k: v for k, v in common.items()}
    result["parameters"]["real_files"] = [str(p) for p in real]
    result["parameters"]["sim_files"] = [str(p) for p in sim]
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(result, indent=2, allow_nan=False) + "\n")
    for name, value in result["mae_per_real"].items():
        console.print(f"  {name}: MAE vs simulated = {value:.4f}")
    if result["phase"] is not None and result["phase"]["mae"] is not None:
        console.print(f"  by phase at {result['phase']['lag_ms']:.1f} ms: MAE = {result['phase']['mae']:.4f}")
    console.print(f"wrote {out}" + (f" and {json_out}" if json_out is not None else ""))
    print(f"mae={result['mae']:.4f}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
