"""The ``echostrain`` command line: the app and its commands, one module per group.

Each command parses its options, calls one library function and prints the
result (see :mod:`echostrain.cli.common` for errors, defaults and progress).
"""

from __future__ import annotations

from typing import Annotated

import typer

from echostrain import __version__
from echostrain.cli import clips, demo, realism, simulate, studio, track

app = typer.Typer(
    name="echostrain",
    help="Myocardial strain in 2D echocardiography: simulate, track, measure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


app.command("demo")(demo.demo)
app.command("strain")(clips.strain)
app.command("info")(clips.info)
app.command("overlay")(clips.overlay)
app.command("simulate-frame")(simulate.simulate_frame)
app.command("simulate")(simulate.simulate)
app.command("view")(simulate.view_sequence)
app.command("generate")(simulate.generate)
app.command("track")(track.track_clip)
app.command("analyze")(track.analyze)
app.command("evaluate")(track.evaluate)
app.command("refine")(track.refine)
app.command("train")(track.train)
app.add_typer(realism.decorrelation_app, name="decorrelation")
app.command("realism")(realism.realism)
app.command("studio")(studio.studio)


#: Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
_INTERRUPTED = 130


def main() -> None:
    """Console-script entry point: option errors, like every other error, as one line and exit code 2."""
    import sys

    try:  # typer ≥ 0.20 carries its own copy of click; Abort lives in typer.exceptions there
        from typer._click.exceptions import UsageError
        from typer.exceptions import Abort
    except ImportError:  # pragma: no cover - older typer on click
        from click.exceptions import Abort, UsageError

    try:
        code = app(standalone_mode=False)
    except UsageError as exc:
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        print(f"echostrain: error: {' '.join(exc.format_message().split())}{where}", file=sys.stderr)
        sys.exit(2)
    except (Abort, KeyboardInterrupt):
        code = _INTERRUPTED
    if code == _INTERRUPTED:  # typer turns Ctrl-C inside a command into exit code 130, silently
        print("echostrain: interrupted; unfinished outputs were removed (re-run `generate` to resume a dataset)",
              file=sys.stderr)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
