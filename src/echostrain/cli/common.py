"""What every command shares: error handling with flag names, option parsing, output checks, progress bars."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, get_args, get_origin

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from typer.models import ArgumentInfo, OptionInfo

from echostrain.core.errors import EchoStrainError, OutputPathError, ParameterError, render_parameters

F = TypeVar("F", bound=Callable[..., Any])

#: Results go to stdout, messages and progress bars to stderr.
console = Console()
err_console = Console(stderr=True)

#: Library parameter names that the commands spell differently, and their flags.
LIBRARY_FLAGS: dict[str, str] = {
    "out_dir": "--out",
    "clips_dir": "--clips",
    "contour_dirs": "--contours",
    "views": "--view",
    "n_frames": "--frames",
    "query_frame": "--query-frame",
    "spacing_mm": "--spacing-mm",
    "es_frames": "--es-frame",
}


def command_flags(func: Callable[..., Any]) -> dict[str, str]:
    """Parameter name → how the user types it: ``--flag`` for options, ``NAME`` for arguments."""
    names: dict[str, str] = {}
    for name, param in inspect.signature(func, eval_str=True).parameters.items():
        flag = "--" + name.replace("_", "-")
        hint = param.annotation
        for info in get_args(hint)[1:] if get_origin(hint) is not None else ():
            if isinstance(info, ArgumentInfo):
                flag = name.upper()
            elif isinstance(info, OptionInfo) and info.param_decls:
                flag = next((d for d in info.param_decls if d.startswith("--")), flag)
        names[name] = flag
    return names


def handles_errors(func: F | None = None, *, flags: Mapping[str, str] | None = None) -> Any:
    """Turn an :class:`EchoStrainError` into one line on stderr and exit code 2.

    Backticked parameter names in the message (see :mod:`echostrain.core.errors`)
    become the command's flags: its own options, :data:`LIBRARY_FLAGS`, then ``flags``.
    """

    def decorate(f: F) -> F:
        names = {**LIBRARY_FLAGS, **command_flags(f), **(flags or {})}

        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return f(*args, **kwargs)
            except EchoStrainError as exc:
                text = " ".join(render_parameters(str(exc), names).split())
                print(f"echostrain: error: {text}", file=sys.stderr)
                raise typer.Exit(code=2) from None
            except OSError as exc:  # the file system refused: a name too long, no permission, disk full…
                where = f"{exc.filename}: " if exc.filename else ""
                reason = exc.strerror or " ".join(str(exc).split())
                print(f"echostrain: error: {where}{reason}; check the path, its length and its permissions",
                      file=sys.stderr)
                raise typer.Exit(code=2) from None

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate


def default(owner: Any, name: str) -> Any:
    """The default of field ``name`` of a dataclass, or of parameter ``name`` of a function.

    Commands take their defaults from the library, so the two never drift apart.
    """
    if dataclasses.is_dataclass(owner):
        field = {f.name: f for f in dataclasses.fields(owner)}[name]
        if field.default is not dataclasses.MISSING:
            return field.default
        return field.default_factory()  # type: ignore[misc]
    value = inspect.signature(owner).parameters[name].default
    if value is inspect.Parameter.empty:
        raise KeyError(f"{owner.__name__}() has no default for {name}")
    return value


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


def check_output(path: Path, option: str, *, suffixes: Iterable[str] | None = None, what: str = "") -> Path:
    """An output file's suffix is one of ``suffixes`` and its folder exists; else :class:`OutputPathError`."""
    allowed = tuple(suffixes or ())
    if allowed and path.suffix.lower() not in allowed:
        raise OutputPathError(f"{option} must be {what or ' or '.join(allowed)} file, got {path}")
    if not path.parent.is_dir():
        raise OutputPathError(f"the folder of {option} ({path.parent}) does not exist; create it first")
    if path.is_dir():
        raise OutputPathError(f"{option} {path} is a folder; give the name of a file")
    return path


class ProgressBar:
    """One progress bar on stderr, driven by the ``(done, total)`` callbacks of the library.

    ``fields`` are extra text columns (``bar.update(done, total, loss="0.12")``);
    ``rate`` adds a column of items per hour. Nothing is shown before the first
    update, so an error raised while the library checks its input prints one line.
    On a terminal the bar is redrawn in place (and removed on an error or Ctrl-C);
    elsewhere (a log, a pipe) nothing is drawn while it runs and a bar that is not
    ``transient`` prints one summary line at the end.
    """

    def __init__(self, label: str, *, fields: Iterable[str] = (), rate: bool = False, transient: bool = False) -> None:
        self._fields = tuple(fields) + (("rate",) if rate else ())
        columns = [TextColumn(label), BarColumn(), MofNCompleteColumn()]
        columns += [TextColumn(f"{{task.fields[{f}]}}") for f in self._fields]
        columns += [TimeElapsedColumn()] if rate else []
        self._progress = Progress(*columns, TimeRemainingColumn(), console=err_console, transient=transient)
        self._task: Any = None
        self._label, self._transient = label, transient
        self._live = err_console.is_terminal  # a bar redrawn in place only on a terminal
        self._rate = rate
        self._t0 = time.perf_counter()
        self._start = 0

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._task is None:
            return
        if self._live:
            if exc_type is not None:  # an error or Ctrl-C: its one line stands alone
                self._progress.live.transient = True
            self._progress.stop()
        elif exc_type is None and not self._transient:  # a log, not a terminal: one summary line
            task = self._progress.tasks[0]
            total = f"/{int(task.total)}" if task.total is not None else ""
            err_console.print(f"{self._label} {int(task.completed)}{total}")

    def update(self, done: int, total: int | None = None, **fields: str) -> None:
        """Show ``done`` of ``total`` (and the given field texts)."""
        if self._task is None:
            if self._live:
                self._progress.start()
            self._task = self._progress.add_task("", total=total, completed=done, **dict.fromkeys(self._fields, ""))
            self._t0, self._start = time.perf_counter(), done
        if self._rate:
            per_hour = (done - self._start) / max(time.perf_counter() - self._t0, 1e-9) * 3600
            fields["rate"] = f"{per_hour:.0f}/h"
        self._progress.update(self._task, completed=done, total=total, **fields)

    def advance(self) -> None:
        """One more item done."""
        task = self._progress.tasks[0] if self._task is not None else None
        self.update(int(task.completed) + 1 if task else 1, task.total if task else None)
