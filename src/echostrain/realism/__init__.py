"""Realism: measure speckle decorrelation on real clips and fit the simulator's coherence to it.

* :mod:`~echostrain.realism.decorrelation`: :func:`measure_decorrelation`
  (motion-compensated, sub-pixel best-match NCC of tissue patches versus lag
  in ms), measured where :mod:`~echostrain.realism.tissue_patches` says;
* :mod:`~echostrain.realism.profile`: :class:`DecorrelationProfile` (its JSON
  file), :func:`combine_profiles` and :func:`curve_mae`;
* :mod:`~echostrain.realism.coherence`: the engine's calibration curve and
  the fit of the simulator's amplitude renewal to a profile;
* :mod:`~echostrain.realism.report`: real versus simulated curves and their MAE.

See docs/realism.md.
"""

from __future__ import annotations

from echostrain.realism.decorrelation import measure_decorrelation
from echostrain.realism.profile import DecorrelationProfile, combine_profiles, curve_mae
from echostrain.realism.tissue_patches import tissue_mask

__all__ = [
    "DecorrelationProfile",
    "combine_profiles",
    "curve_mae",
    "measure_decorrelation",
    "tissue_mask",
]
