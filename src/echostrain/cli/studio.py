"""``echostrain studio``: parse, then serve the page (:mod:`echostrain.studio`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from echostrain.cli.common import default, handles_errors
from echostrain.studio.settings import StudioSettings


@handles_errors
def studio(
    clips: Annotated[list[Path] | None, typer.Argument(help="Clips to list first (inside the workspace).")] = None,
    workspace: Annotated[Path | None, typer.Option(help="Folder the page may read and write (default: the first clip's folder, else the current one).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = default(StudioSettings, "host"),
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free one).")] = default(StudioSettings, "port"),
    max_upload_mb: Annotated[float, typer.Option(help="Largest upload accepted (MiB).")] = default(StudioSettings, "max_upload_mb"),
) -> None:
    """Open clips, draw the ED contour, run the analysis and read the report in a local web page."""
    from echostrain.studio.app import serve

    clips = list(clips or [])
    root = workspace if workspace is not None else (clips[0].parent if clips else Path.cwd())
    settings = StudioSettings(workspace=root, clips=tuple(clips), host=host, port=port, max_upload_mb=max_upload_mb)
    serve(settings, announce=lambda line: print(line, flush=True))
