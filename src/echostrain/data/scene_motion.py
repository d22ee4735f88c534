"""Whole-scene motion of training clips: the heart moving in the sector as probe, breath and beat move it.

The simulated scenes keep the apex still and add a probe jitter of at most
0.3 mm, so every point of a training clip moves only with the wall. On a
patient the whole heart also shifts and turns in the image, by several mm
over a beat and more over a breath. :func:`scene_motion_augment` adds that
motion to a clip: frame ``t`` and its true tracks are moved by one rigid map
``x ↦ R(θ_t)(x − c) + c + d_t`` about a centre ``c`` near the middle of the
tracked points, with

``d_t`` (mm)
    a beat-rate sinusoid (amplitude 0–``beat_shift_mm`` per axis, period
    ``period_frames``) plus a breath-rate one (amplitude
    0–``breath_shift_mm`` along a random direction, period 4–10 times the
    beat's), each with a random phase;
``θ_t`` (°)
    a beat-rate sinusoid of amplitude 0–``rotation_deg``.

The sector (the probe's field of view) does not move: content moved out of
it is lost and the fan is re-applied after the move. What the move brings
into the fan from outside the old sector or image is blank; it is left out
of the returned sector, so that points there count as not visible. The randomness comes only from the
generator passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from echostrain.core.errors import ParameterError
from echostrain.data.image_warp import warp_images


@dataclass(frozen=True)
class SceneMotion:
    """Ranges of the whole-scene motion (module docstring); amplitudes are drawn uniformly from 0."""

    probability: float = 0.7
    beat_shift_mm: float = 3.0
    breath_shift_mm: float = 5.0
    rotation_deg: float = 4.0
    period_frames: tuple[float, float] = (20.0, 60.0)

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ParameterError(f"scene motion `probability` must be in [0, 1], got {self.probability}")
        for name in ("beat_shift_mm", "breath_shift_mm", "rotation_deg"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ParameterError(f"scene motion `{name}` must be a finite number ≥ 0, got {value}")
        low, high = self.period_frames
        if not (math.isfinite(low) and math.isfinite(high) and 2.0 <= low <= high):
            raise ParameterError(
                f"scene motion `period_frames` must be (low, high) with 2 ≤ low ≤ high, got {self.period_frames}"
            )


def scene_maps(
    n_frames: int, centre_xy_px: np.ndarray, mm_per_px: float, rng: np.random.Generator,
    motion: SceneMotion = SceneMotion(),
) -> np.ndarray:
    """float64 ``[L, 2, 3]``: per frame the rigid map (tissue px at rest → px in the moved frame)."""
    t = np.arange(n_frames, dtype=np.float64)
    period = rng.uniform(*motion.period_frames)
    breath_period = period * rng.uniform(4.0, 10.0)
    beat = np.sin(2.0 * math.pi * t / period + rng.uniform(0.0, 2.0 * math.pi))
    breath = np.sin(2.0 * math.pi * t / breath_period + rng.uniform(0.0, 2.0 * math.pi))
    beat_xy = rng.uniform(-1.0, 1.0, 2) * motion.beat_shift_mm
    direction = rng.uniform(0.0, 2.0 * math.pi)
    breath_xy = rng.uniform(0.0, motion.breath_shift_mm) * np.array([math.cos(direction), math.sin(direction)])
    shift_px = (beat[:, None] * beat_xy + breath[:, None] * breath_xy) / mm_per_px  # [L, 2]
    theta = np.radians(rng.uniform(-1.0, 1.0) * motion.rotation_deg) * np.sin(
        2.0 * math.pi * t / period + rng.uniform(0.0, 2.0 * math.pi))
    cos, sin = np.cos(theta), np.sin(theta)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)  # [L, 2, 2]
    offset = centre_xy_px - rot @ centre_xy_px + shift_px
    return np.concatenate([rot, offset[:, :, None]], axis=2)


def scene_motion_augment(
    frames: torch.Tensor,
    tracks_px: np.ndarray,
    sector: np.ndarray,
    mm_per_px: float,
    rng: np.random.Generator,
    *,
    motion: SceneMotion = SceneMotion(),
) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Move the whole content of a clip by a random rigid motion over time (module docstring).

    Parameters
    ----------
    frames : torch.Tensor
        float32 ``[L, H, W]`` in [0, 1].
    tracks_px : numpy.ndarray
        ``[L, N, 2]`` true (x, y) px.
    sector : numpy.ndarray
        bool ``[H, W]``: the imaged sector (0 outside it after the move).
    mm_per_px : float
        Pixel size (mm), to turn the ranges of ``motion`` into px.
    rng : numpy.random.Generator
        The only source of randomness.
    motion : SceneMotion
        The ranges; with probability ``1 − motion.probability`` the clip is
        returned unchanged.

    Returns
    -------
    (torch.Tensor, numpy.ndarray, numpy.ndarray)
        The moved frames ``[L, H, W]``, the moved tracks ``[L, N, 2]``, and
        the sector bool ``[H, W]`` where every frame shows moved content
        (``sector`` itself when the clip is left unchanged).
    """
    if rng.random() >= motion.probability:
        return frames, tracks_px, sector
    length, h, w = frames.shape
    tracks_px = np.asarray(tracks_px, dtype=np.float64)
    centre = tracks_px[0].mean(axis=0) if tracks_px.shape[1] else np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    maps = scene_maps(length, centre, mm_per_px, rng, motion)
    moved = np.einsum("lij,lnj->lni", maps[:, :, :2], tracks_px) + maps[:, None, :, 2]
    # pixels: output px p shows the tissue at rest at R⁻¹(p − c − d) + c
    inverse = np.linalg.inv(np.concatenate([maps, np.tile([[[0.0, 0.0, 1.0]]], (length, 1, 1))], axis=1))[:, :2]
    out = warp_images(frames[:, None].to(torch.float32), inverse)[:, 0]
    mask = torch.as_tensor(np.asarray(sector, dtype=bool))
    # where each frame's content comes from inside the old sector (the image border counts as outside)
    came_in = warp_images(mask.to(torch.float32)[None, None].expand(length, 1, h, w), inverse)
    kept = mask & (came_in[:, 0] > 0.5).all(dim=0)
    return torch.where(mask, out, torch.zeros(())), moved, kept.numpy()


__all__ = ["SceneMotion", "scene_maps", "scene_motion_augment"]
