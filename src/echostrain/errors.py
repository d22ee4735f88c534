"""Exception types shared by every stage.

Every error a user can cause derives from :class:`EchoStrainError`; its
message names what was wrong and how to fix it, on one line. The CLI prints
that line on stderr and exits with code 2. Any other exception is a bug.
"""

from __future__ import annotations


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
