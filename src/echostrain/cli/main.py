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
    sequence: Annotated[bool, typer.Option(help="Also simulate an A4C echo sequence with known motion and analyze it with TAS-Net (≈20 s).")] = True,
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
        from echostrain.cli.demo import run_demo_analysis

        start = time.perf_counter()
        summary, report = run_demo_analysis(out, data, seq_path)
        true_segments = ", ".join(f"{v:.1f}" for v in data.segmental_pct[:, data.es_index])
        measured = summary["clips"][0]["strain"]
        segments = ", ".join(f"{s['end_systolic_pct']:.1f}" for s in measured["segments"])
        console.print(
            f"analyzed it with TAS-Net from its ED contour in {time.perf_counter() - start:.1f} s: "
            f"GLS {summary['average_gls_pct']:.2f} % (true {data.gls_pct[data.es_index]:.2f} %); "
            f"segments {segments} (true {true_segments}) → {report}"
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


# --------------------------------------------------------------------------- tracking


def _read_points_csv(path: Path) -> np.ndarray:
    """Points CSV: header with x and y (and optionally frame) columns → float [N, 2] or [N, 3] (frame, x, y)."""
    import csv

    from echostrain.errors import CorruptInputError, InputNotFoundError

    if not path.is_file():
        raise InputNotFoundError(f"points file {path} does not exist; check the path")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CorruptInputError(f"{path} could not be read as CSV ({exc.__class__.__name__})") from exc
    if not rows:
        raise ParameterError(f"{path} lists no points; give a CSV with header x,y and one row per point")
    cols = {c.strip().lower(): c for c in rows[0] if c}
    if "x" not in cols or "y" not in cols:
        raise CorruptInputError(f"{path} needs a header with x and y columns (got {', '.join(cols) or 'none'})")
    try:
        xy = np.array([[float(r[cols["x"]]), float(r[cols["y"]])] for r in rows])
        if "frame" in cols:
            fr = np.array([float(r[cols["frame"]]) for r in rows])
            return np.concatenate([fr[:, None], xy], axis=1)
    except (TypeError, ValueError) as exc:
        raise CorruptInputError(f"{path}: x, y and frame must be numbers") from exc
    return xy


@app.command("track")
@handles_errors
def track_clip(
    clip: Annotated[Path, typer.Argument(help="The clip: DICOM, MP4/AVI, PNG folder, NPY/NPZ or echostrain HDF5.")],
    out: Annotated[Path, typer.Option(help="Output tracks file (.npz).")],
    points: Annotated[Path | None, typer.Option(help="Points to track: CSV with x,y (and optional frame) columns, px.")] = None,
    contour: Annotated[Path | None, typer.Option(help="ED myocardium contour (endo + epi, CSV/JSON, px): wall points.")] = None,
    model: Annotated[str, typer.Option(help="tasnet, blockmatch or opticalflow.")] = "tasnet",
    weights: Annotated[Path | None, typer.Option(help="TAS-Net weights (.safetensors) instead of the shipped ones.")] = None,
    query_frame: Annotated[int, typer.Option(help="Frame the points/contour are given on.")] = 0,
    view: Annotated[str | None, typer.Option(help="Apical view of the contour (a2c, a3c, a4c).")] = None,
    points_per_segment: Annotated[int, typer.Option(help="Wall points per segment and layer (--contour).")] = 8,
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm (overrides the clip).")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate (overrides the clip).")] = None,
    overlay: Annotated[Path | None, typer.Option(help="Also write the clip with the tracked points (.mp4).")] = None,
    device: Annotated[str, typer.Option(help="Torch device for tasnet (cpu, cuda).")] = "cpu",
) -> None:
    """Track points (or the wall of an ED contour) through a clip and write a tracks file."""
    from echostrain.anatomy.myocardium import load_myocardium
    from echostrain.io import TrackSet, overlay_points, read_video, write_mp4, write_tracks
    from echostrain.track import check_track_input, load

    if out.suffix.lower() != ".npz":
        raise ParameterError(f"--out must be a .npz tracks file, got {out}")
    _check_out_folder(out, "--out")
    if overlay is not None:
        if overlay.suffix.lower() not in (".mp4", ".m4v", ".mov"):
            raise ParameterError(f"--overlay must be an .mp4 file, got {overlay}")
        _check_out_folder(overlay, "--overlay")
    if (points is None) == (contour is None):
        raise ParameterError("give exactly one of --points PTS.csv or --contour ED.csv")
    video = read_video(clip, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), fps=fps)
    if video.spacing_mm is None:
        raise ParameterError(f"{clip} has no pixel spacing; give --spacing-mm DY,DX (mm)")
    n_t = video.n_frames
    if not 0 <= query_frame < n_t:
        raise ParameterError(f"--query-frame {query_frame} is outside the clip's frames 0…{n_t - 1}")
    layer = segment = None
    the_view = None
    if contour is not None:
        myo = load_myocardium(str(contour), view=view, spacing_mm=video.spacing_mm, image_shape_hw=video.shape_hw)
        wall = myo.sample_points(points_per_segment)
        xy, layer, segment, the_view = wall.xy_px, wall.layer, wall.segment, myo.view
        queries = np.concatenate([np.full((len(xy), 1), float(query_frame)), xy], axis=1)
    else:
        pts = _read_points_csv(points)
        queries = pts if pts.shape[1] == 3 else np.concatenate([np.full((len(pts), 1), float(query_frame)), pts], axis=1)
    check_track_input(video.frames, queries)  # cheap checks before loading a model
    tracker = load(model, weights=weights, device=device)
    result = tracker.track(video.frames, queries)
    n = queries.shape[0]
    ts = TrackSet(
        tracks=result.tracks_px.astype(np.float64),
        spacing_mm=video.spacing_mm,
        layer=layer if layer is not None else np.full(n, -1, np.int8),
        segment=segment if segment is not None else np.full(n, -1, np.int8),
        view=the_view,
        fps=video.fps,
        source=str(out),
    )
    if overlay is not None:
        rgb = overlay_points(video.frames, ts.tracks, labels=ts.layer, radius_px=2)
    write_tracks(out, ts)
    if overlay is not None:
        write_mp4(overlay, rgb, fps=video.fps or 25.0, spacing_mm=video.spacing_mm)
    console.print(
        f"{tracker.name}: {n} points × {n_t} frames in {result.seconds:.2f} s → {out}"
        + (f" and {overlay}" if overlay is not None else "")
    )


@app.command("analyze")
@handles_errors
def analyze_command(
    clips: Annotated[list[Path], typer.Argument(help="One clip per apical view (DICOM, MP4/AVI, PNG folder, NPY/NPZ, HDF5).")],
    contour: Annotated[list[Path], typer.Option(help="ED myocardium contour of each clip, in order (CSV/JSON, px).")],
    out: Annotated[Path, typer.Option(help="Report folder (report.html, bull's-eye, curves, tracks, overlays).")],
    view: Annotated[list[str] | None, typer.Option(help="View of each clip (a2c, a3c, a4c), in order; default: the contour's.")] = None,
    model: Annotated[str, typer.Option(help="tasnet, blockmatch or opticalflow.")] = "tasnet",
    weights: Annotated[Path | None, typer.Option(help="TAS-Net weights (.safetensors) instead of the shipped ones.")] = None,
    query_frame: Annotated[int, typer.Option(help="Frame the contours are drawn on (ED).")] = 0,
    points_per_segment: Annotated[int, typer.Option(help="Wall points per segment and layer.")] = 8,
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm (overrides the clips).")] = None,
) -> None:
    """Track the wall, measure GLS and segmental strain, and write a self-contained HTML report."""
    from echostrain.report.analyze import analyze

    err = Console(stderr=True)
    summary = analyze(clips, contour, out, views=view, method=model, weights=weights,
                      points_per_segment=points_per_segment, query_frame=query_frame,
                      spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), message=lambda m: err.print(m))
    gls = ", ".join(f"{v.upper()} {g:.1f} %" for v, g in summary["gls_pct"].items())
    console.print(f"GLS: {gls}; average {summary['average_gls_pct']:.1f} % → {out / 'report.html'}")


@app.command("evaluate")
@handles_errors
def evaluate_command(
    out: Annotated[Path, typer.Option(help="Output folder (CSV, summary.md/json, plots, report.html).")],
    data: Annotated[list[Path] | None, typer.Option(help="Simulated sequences with true tracks: a folder or .h5 files (repeat).")] = None,
    methods: Annotated[str, typer.Option(help="Comma-separated: tasnet, blockmatch, opticalflow.")] = "tasnet,blockmatch,opticalflow",
    weights: Annotated[Path | None, typer.Option(help="TAS-Net weights instead of the shipped ones.")] = None,
    observers: Annotated[bool, typer.Option(help="Also measure inter-observer GLS variability (two simulated observers).")] = True,
    clips: Annotated[Path | None, typer.Option(help="Real-cohort mode: folder of clips.")] = None,
    contours: Annotated[list[Path] | None, typer.Option(help="Real-cohort mode: folder of ED contours named like the clips (repeat for a second observer).")] = None,
    reference: Annotated[Path | None, typer.Option(help="Real-cohort mode: reference CSV (clip,view,gls[,seg1…seg6][,observer]).")] = None,
    spacing_mm: Annotated[str | None, typer.Option(help="Real-cohort mode: pixel size dy,dx in mm for clips without one.")] = None,
) -> None:
    """Compare trackers: on synthetic sequences against true motion, or on real clips against reference strain."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from echostrain.track import METHODS

    names = [m.strip().lower() for m in methods.split(",") if m.strip()]
    if not names:
        raise ParameterError("--methods is empty; give e.g. tasnet,blockmatch,opticalflow")
    for m in names:
        if m not in METHODS:
            raise ParameterError(f"unknown tracking method {m!r} in --methods; use {', '.join(METHODS)}")
    if (data is None) == (clips is None):
        raise ParameterError("give either --data (simulated sequences) or --clips with --contours (real cohort)")
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file; give a folder")
    err = Console(stderr=True)
    bar = Progress(TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err)
    state: dict[str, int] = {}

    def on_progress(done: int, total: int) -> None:
        if "task" not in state:
            state["task"] = bar.add_task("eval", total=total)
        bar.update(state["task"], completed=done)

    if clips is not None:
        from echostrain.evaluate.real import evaluate_real

        if not contours:
            raise ParameterError("the real-cohort mode needs --contours FOLDER (one ED contour per clip)")
        with bar:
            rows = evaluate_real(clips, contours, reference, names, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"),
                                 weights=weights, progress=on_progress)
        from echostrain.evaluate.summary import write_real_evaluation

        print(write_real_evaluation(rows, out))
        return

    from echostrain.data.sequences import load_sequence
    from echostrain.evaluate.summary import write_evaluation
    from echostrain.evaluate.synthetic import evaluate_sequences

    files: list[Path] = []
    for d in data:
        if d.is_dir():
            found = sorted(d.glob("*.h5"))
            if not found:
                raise ParameterError(f"{d} holds no sequence files (*.h5); give simulated sequences (echostrain generate)")
            files += found
        elif d.is_file():
            files.append(d)
        else:
            raise ParameterError(f"--data {d} does not exist; give a folder or .h5 files")
    for f in files:  # check before any tracking
        seq = load_sequence(f)
        if seq.tracks is None or not (seq.track_layer >= 0).any():
            raise ParameterError(f"{f} has no true myocardial tracks; the synthetic mode needs simulated sequences")
    with bar:
        results = evaluate_sequences(files, names, weights=weights, progress=on_progress, observers=observers)
    write_evaluation(results, out)
    print((out / "summary.md").read_text())


@app.command("refine")
@handles_errors
def refine_command(
    real: Annotated[list[Path], typer.Option(help="A real clip (repeat the option for several).")],
    contours: Annotated[list[Path], typer.Option(help="The ED myocardium contour of each clip, in order (repeat).")],
    out: Annotated[Path, typer.Option(help="Output folder: rounds.csv/png, each round's sequences and model.")],
    iterations: Annotated[int, typer.Option(help="Refinement rounds.")] = 3,
    per_clip: Annotated[int, typer.Option(help="Sequences simulated per clip and round.")] = 2,
    base_data: Annotated[Path | None, typer.Option(help="Synthetic training data kept in every fine-tuning.")] = None,
    test_data: Annotated[Path | None, typer.Option(help="Fixed held-out synthetic test set (a folder of sequences never used in training).")] = None,
    test_sequences: Annotated[int, typer.Option(help="Sequences of the test set used.")] = 6,
    steps_per_round: Annotated[int, typer.Option(help="Fine-tuning steps per round.")] = 300,
    weights: Annotated[Path | None, typer.Option(help="Starting TAS-Net weights (default: the shipped ones).")] = None,
    view: Annotated[list[str] | None, typer.Option(help="View of each clip, in order (default: the contour's).")] = None,
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm for clips without one.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulations and the fine-tuning.")] = 0,
    max_closure_mm: Annotated[float, typer.Option(help="Reject a clip whose tracks drift more than this over a cycle (mm).")] = 4.0,
) -> None:
    """Iterative refinement: track real clips, simulate their motion on their own frames, fine-tune, repeat."""
    import os as _os

    from echostrain.realism.refine import RefineSettings, TrackerHooks, refine
    from echostrain.track.tasnet import TASNetTracker
    from echostrain.track.train import TrainConfig, train
    from echostrain.track.weights import PRETRAINED, load_model, save_weights

    settings = RefineSettings(iterations=iterations, per_clip=per_clip, steps_per_round=steps_per_round, seed=seed,
                              test_sequences=test_sequences, max_closure_mm=max_closure_mm)
    test_files: list[Path] = []
    if test_data is not None:
        from echostrain.data.dataset import split_files

        test_files = split_files(test_data, None)[:test_sequences]
        if not test_files:
            raise ParameterError(f"--test-data {test_data} holds no sequences")
    if base_data is not None and not base_data.is_dir():
        raise ParameterError(f"--base-data {base_data} is not a folder of sequences")
    err = Console(stderr=True)

    def fine_tune(data_dirs: list[str], rdir: Path, init: Path, k: int) -> Path:
        cfg = TrainConfig(data=_os.pathsep.join(data_dirs), out=str(rdir / "train"), steps=steps_per_round,
                          batch_size=settings.batch_size, lr=settings.lr, seed=seed + k,
                          checkpoint_every=steps_per_round, validate_every=10**9, init_weights=str(init))
        train(cfg, message=lambda m: err.print(f"round {k}: {m}"))
        return save_weights(rdir / "model.safetensors", load_model(rdir / "train" / "checkpoint.safetensors"),
                            {"round": str(k)})

    def test_mte(w: Path) -> float:
        from echostrain.evaluate.synthetic import evaluate_sequence

        if not test_files:
            return float("nan")
        tracker = {"tasnet": TASNetTracker(weights=w)}
        return float(np.mean([evaluate_sequence(f, tracker, observers=False)[0].row["mte_mm"] for f in test_files]))

    hooks = TrackerHooks(tracker=lambda w: TASNetTracker(weights=w), fine_tune=fine_tune, test_mte=test_mte)
    rows = refine(real, contours, out, hooks, weights if weights is not None else PRETRAINED, settings=settings,
                  base_data=base_data, views=view, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"),
                  message=lambda m: err.print(m))
    table = Table(title="Refinement rounds")
    for col in ("round", "sequences", "real_drift_mm", "real_fb_mm", "decorrelation_mae", "test_mte_mm"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(*(str(r.get(c, "")) for c in ("round", "sequences", "real_drift_mm", "real_fb_mm",
                                                    "decorrelation_mae", "test_mte_mm")))
    console.print(table)
    console.print(f"→ {out / 'rounds.csv'}, {out / 'rounds.png'}")


@app.command("train")
@handles_errors
def train_command(
    data: Annotated[Path, typer.Option(help="Folder of simulated sequences (echostrain generate; manifest splits).")],
    out: Annotated[Path, typer.Option(help="Run folder: checkpoints, log.csv, config.json.")],
    steps: Annotated[int, typer.Option(help="Optimisation steps (the one-cycle schedule spans them).")] = 4000,
    batch_size: Annotated[int, typer.Option(help="Clips per step (per process).")] = 2,
    lr: Annotated[float, typer.Option(help="Peak learning rate (AdamW, one-cycle).")] = 5e-4,
    clip_frames: Annotated[int, typer.Option(help="Frames per training clip.")] = 32,
    n_points: Annotated[int, typer.Option(help="Query points per clip.")] = 48,
    seed: Annotated[int, typer.Option(help="Seed of the samples and the initial weights.")] = 0,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    checkpoint_every: Annotated[int, typer.Option(help="Steps between checkpoints.")] = 100,
    validate_every: Annotated[int, typer.Option(help="Steps between validations.")] = 200,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out from its last checkpoint.")] = False,
    stop_after: Annotated[int | None, typer.Option(help="Stop after this many steps of this call (train in chunks).")] = None,
) -> None:
    """Train TAS-Net on simulated sequences (resumable; torchrun for several processes)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from echostrain.track.train import TrainConfig, train

    if not data.is_dir():
        raise ParameterError(f"--data {data} is not a folder of sequences")
    config = TrainConfig(data=str(data), out=str(out), steps=steps, batch_size=batch_size, lr=lr,
                         clip_frames=clip_frames, n_points=n_points, seed=seed, device=device,
                         checkpoint_every=checkpoint_every, validate_every=validate_every)
    err = Console(stderr=True)
    bar = Progress(TextColumn("training"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
                   TimeRemainingColumn(), console=err)
    state: dict[str, int] = {}

    def on_step(step: int, total: int, loss: float) -> None:
        if "task" not in state:
            state["task"] = bar.add_task("train", total=total, completed=step, loss="")
        bar.update(state["task"], completed=step, loss=f"{loss:.3f}")

    with bar:
        summary = train(config, resume=resume, progress=on_step, message=lambda m: err.print(m), stop_after=stop_after)
    best = summary["best_val_mte_mm"]
    console.print(
        f"{summary['steps']} steps, last loss {summary['loss']:.4f}"
        + (f", best validation MTE {best:.3f} mm" if np.isfinite(best) else "")
        + f" → {out}"
    )


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
