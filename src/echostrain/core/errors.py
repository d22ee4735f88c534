"""Exception types shared by every stage.

Every error a user can cause derives from :class:`EchoStrainError`; its
message names what was wrong and how to fix it, on one line. The CLI prints
that line on stderr and exits with code 2. Any other exception is a bug.

Library code names its own parameters, not command-line flags: a parameter
is written in backticks (``"`spacing_mm` is missing; give (dy, dx) in mm"``).
:func:`render_parameters` turns those names into whatever the caller calls
them; the CLI maps each to its flag (``--spacing-mm``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: A parameter name inside a message: a Python identifier in backticks.
PARAMETER_PATTERN = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def render_parameters(message: str, names: Mapping[str, str] | None = None) -> str:
    """``message`` with each backticked parameter replaced by ``names[param]`` (or the bare name).

    Examples
    --------
    >>> render_parameters("`out_dir` x is a file", {"out_dir": "--out"})
    '--out x is a file'
    >>> render_parameters("`spacing_mm` is missing")
    'spacing_mm is missing'
    """
    table = names or {}
    return PARAMETER_PATTERN.sub(lambda m: table.get(m.group(1), m.group(1)), str(message))


class EchoStrainError(Exception):
    """Base class of all errors caused by bad input, options or files."""


class InputNotFoundError(EchoStrainError):
    """An input file or folder does not exist."""


class UnsupportedFormatError(EchoStrainError):
    """A file's format is not one echostrain can read or write."""


class CorruptInputError(EchoStrainError):
    """A file exists and has a known format but cannot be decoded (truncated, no pixel data...)."""


class InvalidDataError(EchoStrainError):
    """Array data has the wrong shape, type, range or non-finite values."""


class GeometryError(EchoStrainError):
    """A contour or point set is unusable (too few points, outside the image, bad ordering)."""


class ParameterError(EchoStrainError):
    """An option or parameter value is not allowed (unknown view, negative spacing...)."""


class OutputPathError(EchoStrainError):
    """An output path cannot be written (exists, is a file where a folder is needed...)."""
