"""Package namespaces whose names load their modules on first use (PEP 562).

A package's ``__init__`` lists its public names and the submodule of each;
``import echostrain.sim.probe`` or ``from echostrain.sim import SectorScan``
then imports only what it needs, so the CLI starts fast and importing a light
submodule never pulls torch or scipy in through its package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` whose name ``n`` lives in submodule ``exports[n]``.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("echostrain.core", {"check_view": "checks"})
    >>> getattr_("check_view")("A4C")
    'a4c'
    """
    table = dict(exports)

    def __getattr__(name: str) -> Any:
        if name in table:
            return getattr(import_module(f"{package}.{table[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(table)

    return __getattr__, __dir__
