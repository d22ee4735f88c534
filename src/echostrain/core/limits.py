"""How much a reader may allocate, checked from headers and options before any allocation.

The budget is ``ECHOSTRAIN_MAX_MEMORY_MB`` (MiB; default 8192, which fits a
laptop); a clip, a track set or an option whose arrays would need more is
refused with the size and how to raise the limit. Text inputs (contour
files) are limited to ``MAX_TEXT_BYTES``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

from echostrain.core.errors import InvalidDataError, ParameterError

#: Environment variable of the memory budget (MiB).
MEMORY_ENV = "ECHOSTRAIN_MAX_MEMORY_MB"
#: Default memory budget (MiB).
DEFAULT_MEMORY_MB = 8192.0
#: Largest contour file read (bytes).
MAX_TEXT_BYTES = 64 * 1024 * 1024


def memory_budget_bytes() -> int:
    """The memory budget in bytes (``ECHOSTRAIN_MAX_MEMORY_MB``, default 8192 MiB)."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    if not text:
        return int(DEFAULT_MEMORY_MB * 2**20)
    try:
        mb = float(text)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise ParameterError(f"{MEMORY_ENV}={text!r} must be a positive number of MiB, e.g. {MEMORY_ENV}=16384")
    return int(mb * 2**20)


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MiB"


def check_allocation(shape: Iterable[int], bytes_per_element: float, what: str, *,
                     fix: str = "give a smaller clip") -> None:
    """Raise InvalidDataError if an array of ``shape`` would exceed the memory budget.

    ``bytes_per_element`` counts every copy a reader makes (e.g. the stored
    dtype plus the float32 frames it is converted to).
    """
    dims = [int(d) for d in shape]
    if any(d < 0 for d in dims):
        raise InvalidDataError(f"{what} declares a negative size {tuple(dims)}; the file is damaged")
    need = math.prod(dims) * float(bytes_per_element)
    budget = memory_budget_bytes()
    if need > budget:
        shape_text = "×".join(str(d) for d in dims)
        raise InvalidDataError(
            f"{what} declares {shape_text} values, which would need {_gib(need)} of memory, above the "
            f"budget of {_gib(budget)}; {fix} or raise the budget with {MEMORY_ENV}=<MiB>"
        )
