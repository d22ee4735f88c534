"""The output of a docs/scripts study: a markdown page of one note and one table, also printed."""

from __future__ import annotations

from pathlib import Path

from echostrain.io import write_text_atomic


def write_study_md(path: Path, title: str, note: str, lines: list[str]) -> None:
    """Write ``# title``, ``note`` and the table ``lines`` to ``path`` (atomic) and print the table."""
    write_text_atomic(path, f"# {title}\n\n" + note + "\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))
