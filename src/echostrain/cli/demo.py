"""``echostrain demo``: the main job on built-in data."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from echostrain.cli.common import console, handles_errors


def strain_table(summary: dict[str, Any]) -> Table:
    """GLS and the segmental values of a strain summary, end-systolic and peak systolic."""
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


@handles_errors
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's tracks, JSON and strain-curve PNG.")] = Path(
        "demo_output"
    ),
    sequence: Annotated[bool, typer.Option(help="Also simulate an A4C echo sequence with known motion and analyze it with TAS-Net (≈20 s).")] = True,
) -> None:
    """Run the main job on built-in data: known strain from analytic contours and a simulated echo sequence."""
    from echostrain.workflows.demo import run_demo

    outputs = run_demo(out)
    summary = outputs.result.summary()
    console.print(strain_table(summary))
    truth = ", ".join(f"{v:.2f}" for v in outputs.true_segment_pct)
    console.print(f"true segmental end-systolic strain (%): {truth}")
    console.print(f"GLS = {outputs.result.gls_pct:.2f} %  (ED frame {summary['ed_frame']}, ES frame {summary['es_frame']})")
    console.print(f"wrote {outputs.tracks_path}, {outputs.json_path}, {outputs.plot_path}")
    if sequence:
        _demo_sequence(out)


def _demo_sequence(out: Path) -> None:
    from echostrain.anatomy.segments import segment_names
    from echostrain.workflows.demo import run_demo_analysis, run_demo_sequence

    start = time.perf_counter()
    data, seq_path, movie = run_demo_sequence(out)
    m = data.parameters["motion"]
    states = ", ".join(f"{name}: {state}" for name, state in zip(segment_names("a4c"), m["segment_state"]) if state != "normal")
    console.print(
        f"simulated an A4C sequence with known motion in {time.perf_counter() - start:.1f} s: "
        f"{data.frames.shape[0]} frames at {data.fps:.0f} frames/s, true GLS {data.gls_pct[data.es_index]:.2f} %"
        f" ({states or 'no dysfunction'}) → {seq_path}, {movie}"
    )
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
