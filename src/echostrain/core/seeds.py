"""Named random streams derived from one seed (``numpy.random.SeedSequence.spawn``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from echostrain.core.errors import ParameterError

#: Largest seed a sequence file can record.
SEED_LIMIT = 2**64


def seed_streams(seed: int, names: Sequence[str]) -> dict[str, np.random.Generator]:
    """One independent generator per name, derived from ``seed``.

    The i-th name gets ``default_rng(SeedSequence(seed).spawn(len(names))[i])``,
    so a stream's draws depend only on the seed and the name's position, never
    on how much the other streams were used.

    Examples
    --------
    >>> rngs = seed_streams(7, ("motion", "noise"))
    >>> sorted(rngs)
    ['motion', 'noise']
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < SEED_LIMIT:
        raise ParameterError(f"the seed must be a non-negative integer below 2^64, got {seed!r}")
    children = np.random.SeedSequence(int(seed)).spawn(len(names))
    return {name: np.random.default_rng(child) for name, child in zip(names, children)}
