"""Realism: measure speckle decorrelation on real clips and fit the simulator's coherence to it.

Part 1 (this module set): :func:`measure_decorrelation` measures how the
speckle of tissue patches decorrelates over time (motion-compensated,
sub-pixel best-match normalised cross-correlation versus lag in ms), and
:class:`DecorrelationProfile` stores the result as JSON.
"""

from __future__ import annotations

from echostrain.realism.decorrelation import (
    DecorrelationProfile,
    combine_profiles,
    curve_mae,
    measure_decorrelation,
    tissue_mask,
)

__all__ = [
    "DecorrelationProfile",
    "combine_profiles",
    "curve_mae",
    "measure_decorrelation",
    "tissue_mask",
]
