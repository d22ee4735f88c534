"""Commands on clips and tracks files: ``strain``, ``info`` and ``overlay``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from echostrain.cli.common import check_output, console, handles_errors, parse_pair
from echostrain.cli.demo import strain_table


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
    from echostrain.io.atomic import write_text_atomic
    from echostrain.io.tracks import read_tracks
    from echostrain.strain.analysis import compute_strain

    # both outputs checked before either is written: they appear together or not at all
    if out is not None:
        check_output(out, "--out")
    if plot is not None:
        check_output(plot, "--plot", suffixes=(".png",), what="a .png")
    ts = read_tracks(tracks)
    result = compute_strain(
        ts.tracks, ts.spacing_mm, ts.layer, ts.segment,
        view=view or ts.view, ed_frame=ed, es_frame=es, smooth_frames=smooth, fps=ts.fps,
    )
    summary = result.summary(include_curves=curves)
    text = json.dumps(summary, indent=2)
    if out is not None:
        write_text_atomic(out, text)
    if plot is not None:
        from echostrain.report.strain_plot import plot_strain_curves

        plot_strain_curves(result, plot)
    if as_json:
        print(text)
    else:
        console.print(strain_table(summary))


@handles_errors
def info(
    video: Annotated[Path, typer.Argument(help="A clip: DICOM, MP4/AVI, PNG folder, NPY/NPZ or echostrain HDF5.")],
    spacing_mm: Annotated[str | None, typer.Option(help="Pixel size dy,dx in mm (overrides the file).")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate (overrides the file).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Read a clip and print its frames, size, pixel spacing and frame rate."""
    from echostrain.io import read_video
    from echostrain.io.clip_info import clip_facts

    facts = clip_facts(read_video(video, spacing_mm=parse_pair(spacing_mm, "--spacing-mm"), fps=fps))
    if as_json:
        print(json.dumps(facts, indent=2))
    else:
        for k, v in facts.items():
            console.print(f"{k:>16}: {v}")


@handles_errors
def overlay(
    video: Annotated[Path, typer.Argument(help="The clip the points were tracked on.")],
    tracks: Annotated[Path, typer.Argument(help="Tracks file (.npz).")],
    out: Annotated[Path, typer.Option(help="Output MP4, or a folder for PNG frames.")],
    radius: Annotated[int, typer.Option(help="Point radius in pixels.")] = 2,
) -> None:
    """Draw tracked points (coloured by layer) on a clip and write an MP4 or PNG frames."""
    from echostrain.io import read_tracks, read_video
    from echostrain.io.overlay_files import write_tracks_overlay

    write_tracks_overlay(out, read_video(video), read_tracks(tracks), radius_px=radius)
    console.print(f"wrote {out}")
