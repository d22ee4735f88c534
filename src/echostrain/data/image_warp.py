"""Resampling of training images by affine maps given in pixels (x, y)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def warp_images(images: torch.Tensor, out_to_in_px: np.ndarray) -> torch.Tensor:
    """Bilinear resampling of ``images`` ``[B, 1, H, W]``: output px ``p`` shows input px ``A p`` (zeros outside).

    ``out_to_in_px`` is one 2×3 affine map ``A`` (x, y px) for every image, or
    ``[B, 2, 3]``, one per image.
    """
    h, w = images.shape[-2:]
    maps = np.asarray(out_to_in_px, dtype=np.float64)
    maps = maps[None] if maps.ndim == 2 else maps
    gx, gy = np.meshgrid(np.arange(w), np.arange(h))
    xy = np.stack([gx, gy], -1)
    src = np.stack([xy @ m[:, :2].T + m[:, 2] for m in maps])
    grid = torch.as_tensor(2 * src / np.array([w - 1, h - 1]) - 1, dtype=torch.float32)
    return F.grid_sample(images, grid.expand(images.shape[0], -1, -1, -1), align_corners=True)


__all__ = ["warp_images"]
