"""Imaging-chain appearance augmentation of training clips: what a scanner does to the picture.

:func:`imaging_augment` changes how a clip looks, never how its tissue moves
(the true tracks stay as they are). Each effect is drawn on its own, with
the probability in :data:`EFFECT_PROBABILITY`, so a clip gets a random few:

``tgc``
    time-gain compensation: a smooth random gain along the image rows
    (≈ depth), 0.55–1.6×, the same on every frame;
``dropout``
    lateral-wall dropout: a band along a random, near-vertical line (a
    beam direction) dimmed to 15–60 % of its brightness, the same on every
    frame (the beam does not follow the tissue);
``clutter``
    stationary haze and side-lobe clutter: a smooth positive field of
    3–12 px grain, up to 0.35 of full scale, strongest near the top of the
    image (the near field), added to every frame alike;
``smoothing``
    scanner smoothing: a Gaussian blur of σ 0.3–1.5 px across and 0.3–2.5 px
    along the rows, drawn independently;
``persistence``
    frame averaging: ``out[t] = a·out[t−1] + (1 − a)·frame[t]`` with
    ``a`` 0.1–0.35 (the display lags the tissue a little, as it does on a
    scanner);
``compression``
    a narrower or wider displayed dynamic range: grey levels raised to a
    power 0.6–1.6 about a random mid-level and clipped.

Everything outside ``sector`` stays 0. The randomness comes only from the
generator passed in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F

from echostrain.core.errors import ParameterError

#: Each effect and the probability that a clip gets it.
EFFECT_PROBABILITY: dict[str, float] = {
    "tgc": 0.5,
    "dropout": 0.35,
    "clutter": 0.5,
    "smoothing": 0.4,
    "persistence": 0.25,
    "compression": 0.4,
}


def _smooth_field(gen: torch.Generator, shape_hw: tuple[int, int], sigma_px: float) -> torch.Tensor:
    """White noise blurred by a Gaussian of ``sigma_px`` (drawn coarse, then upsampled), zero mean, unit SD."""
    h, w = shape_hw
    step = max(1, int(sigma_px // 2))
    coarse = torch.randn((1, 1, h // step + 2, w // step + 2), generator=gen)
    field = gaussian_blur(coarse, sigma_px / step, sigma_px / step)
    field = F.interpolate(field, size=(h, w), mode="bilinear", align_corners=False)[0, 0]
    field = field - field.mean()
    return field / field.std().clamp_min(1e-6)


def _gaussian_kernel(sigma_px: float) -> torch.Tensor:
    radius = max(1, int(math.ceil(3.0 * sigma_px)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / max(sigma_px, 1e-6)) ** 2)
    return k / k.sum()


def gaussian_blur(images: torch.Tensor, sigma_x_px: float, sigma_y_px: float) -> torch.Tensor:
    """Separable Gaussian blur of ``[B, 1, H, W]`` (reflected edges)."""
    kx, ky = _gaussian_kernel(sigma_x_px), _gaussian_kernel(sigma_y_px)
    rx, ry = kx.numel() // 2, ky.numel() // 2
    h, w = images.shape[-2:]
    out = F.pad(images, (rx, rx, 0, 0), mode="reflect" if rx < w else "replicate")
    out = F.conv2d(out, kx.view(1, 1, 1, -1))
    out = F.pad(out, (0, 0, ry, ry), mode="reflect" if ry < h else "replicate")
    return F.conv2d(out, ky.view(1, 1, -1, 1))


def _tgc(rng: np.random.Generator, h: int) -> torch.Tensor:
    """Gain per row ``[H, 1]``: a smooth curve through 5 random log-gains."""
    knots = rng.uniform(math.log(0.55), math.log(1.6), 5)
    rows = np.interp(np.arange(h), np.linspace(0, h - 1, 5), knots)
    return torch.as_tensor(np.exp(rows), dtype=torch.float32)[:, None]


def _dropout(rng: np.random.Generator, h: int, w: int) -> torch.Tensor:
    """Multiplicative ``[H, W]`` map dimming a band about a near-vertical line."""
    angle = math.radians(rng.uniform(-25.0, 25.0))
    x0 = rng.uniform(0.15, 0.85) * w
    half_width = rng.uniform(0.04, 0.14) * w
    depth = rng.uniform(0.15, 0.6)
    yy, xx = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    # distance from the line through (x0, h/2) at ``angle`` from the vertical
    dist = (xx - x0) * math.cos(angle) - (yy - h / 2) * math.sin(angle)
    band = torch.exp(-0.5 * (dist / half_width) ** 4)
    return 1.0 - (1.0 - depth) * band


def _clutter(rng: np.random.Generator, gen: torch.Generator, h: int, w: int) -> torch.Tensor:
    """Additive stationary haze ``[H, W]`` ≥ 0, strongest near the top rows."""
    grain = rng.uniform(3.0, 12.0)
    level = rng.uniform(0.05, 0.35)
    field = (0.6 + 0.4 * _smooth_field(gen, (h, w), grain)).clamp_min(0.0)
    fade = rng.uniform(0.3, 1.0) * h
    profile = torch.exp(-torch.arange(h, dtype=torch.float32) / fade)[:, None]
    floor = rng.uniform(0.0, 0.5)  # share of the haze that reaches every depth (cavity clutter)
    return level * field * (floor + (1.0 - floor) * profile)


def _persist(frames: torch.Tensor, a: float) -> torch.Tensor:
    out = frames.clone()
    for t in range(1, frames.shape[0]):
        out[t] = a * out[t - 1] + (1.0 - a) * frames[t]
    return out


def imaging_augment(
    frames: torch.Tensor,
    sector: np.ndarray,
    rng: np.random.Generator,
    *,
    probabilities: Mapping[str, float] | None = None,
) -> torch.Tensor:
    """Random imaging-chain effects (module docstring) on ``frames`` float ``[L, H, W]`` in [0, 1].

    Parameters
    ----------
    frames : torch.Tensor
        float32 ``[L, H, W]`` in [0, 1].
    sector : numpy.ndarray
        bool ``[H, W]``: the imaged sector (outside it the result is 0).
    rng : numpy.random.Generator
        The only source of randomness.
    probabilities : mapping, optional
        Probability of each effect (keys of :data:`EFFECT_PROBABILITY`, the
        default); effects left out are never applied.

    Returns
    -------
    torch.Tensor
        float32 ``[L, H, W]`` in [0, 1], a new tensor.
    """
    _, h, w = frames.shape
    chances = EFFECT_PROBABILITY if probabilities is None else probabilities
    unknown = set(chances) - set(EFFECT_PROBABILITY)
    if unknown:
        raise ParameterError(
            f"unknown imaging effect(s) {', '.join(sorted(unknown))}; use {', '.join(EFFECT_PROBABILITY)}"
        )
    draws = {name: rng.random() < chances.get(name, 0.0) for name in EFFECT_PROBABILITY}
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    out = frames.to(torch.float32)
    if draws["smoothing"]:
        sx, sy = rng.uniform(0.3, 1.5), rng.uniform(0.3, 2.5)
        out = gaussian_blur(out[:, None], sx, sy)[:, 0]
    gain = torch.ones((h, w))
    if draws["tgc"]:
        gain = gain * _tgc(rng, h)
    if draws["dropout"]:
        gain = gain * _dropout(rng, h, w)
    out = out * gain
    if draws["clutter"]:
        out = out + _clutter(rng, gen, h, w)
    if draws["compression"]:
        power = math.exp(rng.uniform(math.log(0.6), math.log(1.6)))
        mid = rng.uniform(0.3, 0.6)
        out = mid * (out.clamp_min(0.0) / mid) ** power
    if draws["persistence"]:
        out = _persist(out, rng.uniform(0.1, 0.35))
    mask = torch.as_tensor(np.asarray(sector, dtype=bool))
    return torch.where(mask, out.clamp(0.0, 1.0), torch.zeros(()))
