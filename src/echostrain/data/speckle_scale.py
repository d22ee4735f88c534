"""Coarser speckle for training clips: the longer pulse of a clinical cardiac scanner, in image space.

The simulated speckle is 3–4× finer along the beam than that of the real
clips (axial autocorrelation FWHM ≈ 0.45 mm against 1.2–2.0 mm,
``docs/results/speckle_size``), a short fundamental pulse against the
longer pulses, harmonic imaging and smoothing of clinical scanners.
:func:`coarsen_speckle` widens it: every frame is blurred along the image
rows' normal (y, the beam direction near the centre line) by a Gaussian
whose width brings the axial FWHM from ``sim_axial_fwhm_mm`` to a drawn
target, and a little across; the speckle contrast lost to the blur is then
restored about the local mean (a 3 mm Gaussian), so the grains grow without
the image turning flat. Blur and local mean are taken over the sector only.
The blur of an image with speckle FWHM ``f₀``
by a Gaussian of SD ``σ`` has FWHM ``√(f₀² + (2.355·√2·σ)²)``.

The tissue does not move, so the true tracks stay as they are. The same
blur serves every frame of a clip (one imaging chain). The randomness
comes only from the generator passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from echostrain.core.errors import ParameterError
from echostrain.data.appearance import gaussian_blur

#: FWHM of a Gaussian autocorrelation per SD of the blur kernel (2.355 · √2).
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0)) * math.sqrt(2.0)


@dataclass(frozen=True)
class SpeckleScale:
    """Ranges of :func:`coarsen_speckle` (module docstring)."""

    probability: float = 0.7
    sim_axial_fwhm_mm: float = 0.45
    axial_fwhm_mm: tuple[float, float] = (0.9, 2.2)
    lateral_sigma_share: tuple[float, float] = (0.0, 0.15)
    local_mean_mm: float = 3.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ParameterError(f"speckle scale `probability` must be in [0, 1], got {self.probability}")
        low, high = self.axial_fwhm_mm
        if not (math.isfinite(low) and math.isfinite(high) and self.sim_axial_fwhm_mm < low <= high):
            raise ParameterError(
                f"speckle scale `axial_fwhm_mm` must be (low, high) with {self.sim_axial_fwhm_mm} "
                f"(the simulated FWHM) < low ≤ high, got {self.axial_fwhm_mm}"
            )
        a, b = self.lateral_sigma_share
        if not 0.0 <= a <= b <= 1.0:
            raise ParameterError(
                f"speckle scale `lateral_sigma_share` must be (low, high) with 0 ≤ low ≤ high ≤ 1, got {self.lateral_sigma_share}"
            )
        if not (math.isfinite(self.local_mean_mm) and self.local_mean_mm > 0):
            raise ParameterError(f"speckle scale `local_mean_mm` must be positive, got {self.local_mean_mm}")


def axial_sigma_mm(fwhm_from_mm: float, fwhm_to_mm: float) -> float:
    """SD (mm) of the Gaussian blur that widens a speckle FWHM from ``fwhm_from_mm`` to ``fwhm_to_mm``."""
    return math.sqrt(max(fwhm_to_mm**2 - fwhm_from_mm**2, 0.0)) / _FWHM_PER_SIGMA


def _masked_blur(images: torch.Tensor, mask: torch.Tensor, sigma_x_px: float, sigma_y_px: float) -> torch.Tensor:
    """Gaussian blur of ``[B, 1, H, W]`` over the pixels of ``mask`` only (no dark halo at the sector edge)."""
    weight = mask.to(torch.float32)[None, None]
    total = gaussian_blur(images * weight, sigma_x_px, sigma_y_px)
    share = gaussian_blur(weight, sigma_x_px, sigma_y_px)
    return total / share.clamp_min(1e-6)


def coarsen_speckle(
    frames: torch.Tensor,
    sector: np.ndarray,
    mm_per_px: float,
    rng: np.random.Generator,
    *,
    scale: SpeckleScale = SpeckleScale(),
) -> torch.Tensor:
    """Widen the speckle of ``frames`` float ``[L, H, W]`` in [0, 1] (module docstring).

    Parameters
    ----------
    frames : torch.Tensor
        float32 ``[L, H, W]`` in [0, 1].
    sector : numpy.ndarray
        bool ``[H, W]``: the imaged sector (outside it the result is 0; the
        contrast is measured inside it).
    mm_per_px : float
        Pixel size (mm).
    rng : numpy.random.Generator
        The only source of randomness.
    scale : SpeckleScale
        The ranges; with probability ``1 − scale.probability`` the clip is
        returned unchanged.

    Returns
    -------
    torch.Tensor
        float32 ``[L, H, W]`` in [0, 1].
    """
    if rng.random() >= scale.probability:
        return frames
    target = rng.uniform(*scale.axial_fwhm_mm)
    sigma_y = axial_sigma_mm(scale.sim_axial_fwhm_mm, target) / mm_per_px
    sigma_x = sigma_y * rng.uniform(*scale.lateral_sigma_share)
    mask = torch.as_tensor(np.asarray(sector, dtype=bool))
    x = frames.to(torch.float32)[:, None]
    blurred = _masked_blur(x, mask, sigma_x, sigma_y)
    local_sigma = scale.local_mean_mm / mm_per_px
    mean_in, mean_out = _masked_blur(torch.cat([x, blurred]), mask, local_sigma, local_sigma).split(x.shape[0])
    detail_in, detail_out = (x - mean_in)[:, 0], (blurred - mean_out)[:, 0]
    gain = detail_in[:, mask].std() / detail_out[:, mask].std().clamp_min(1e-6)
    out = (mean_out[:, 0] + gain * detail_out).clamp(0.0, 1.0)
    return torch.where(mask, out, torch.zeros(()))


__all__ = ["SpeckleScale", "axial_sigma_mm", "coarsen_speckle"]
