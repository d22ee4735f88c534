"""The square region of interest a clip is cropped to before TAS-Net, and the crop itself.

The region is the bounding box of the query points grown by ``margin`` of
its size plus ``pad_px``, made square around its centre; parts outside the
image are filled with zeros. Training (on the true myocardial points of the
ED frame) and inference (on the user's query points) use the same rule, so
the network always sees the wall at about the same scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

#: Growth of the query bounding box on each side, as a share of its larger side.
ROI_MARGIN = 0.15
#: Extra pixels on each side (so that a single point still gets context).
ROI_PAD_PX = 16.0


@dataclass(frozen=True)
class Roi:
    """Square crop: top-left corner (x0, y0) and side in input px (integers); ``size`` px after resizing."""

    x0: float
    y0: float
    side: float
    size: int

    @property
    def scale(self) -> float:
        """Model px per input px."""
        return self.size / self.side

    def to_model(self, xy: np.ndarray) -> np.ndarray:
        out = np.asarray(xy, dtype=np.float64).copy()
        out[..., 0] = (out[..., 0] - self.x0 + 0.5) * self.scale - 0.5
        out[..., 1] = (out[..., 1] - self.y0 + 0.5) * self.scale - 0.5
        return out

    def to_input(self, xy: np.ndarray) -> np.ndarray:
        out = np.asarray(xy, dtype=np.float64).copy()
        out[..., 0] = (out[..., 0] + 0.5) / self.scale - 0.5 + self.x0
        out[..., 1] = (out[..., 1] + 0.5) / self.scale - 0.5 + self.y0
        return out


def roi_for_points(xy: np.ndarray, size: int, margin: float = ROI_MARGIN, pad_px: float = ROI_PAD_PX) -> Roi:
    """The square ROI of points ``xy`` [..., 2] (see the module docstring)."""
    pts = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    side = int(math.ceil(max(extent * (1.0 + 2.0 * margin) + 2.0 * pad_px, 16.0)))
    centre = 0.5 * (lo + hi)
    return Roi(float(round(centre[0] - side / 2)), float(round(centre[1] - side / 2)), float(side), int(size))


def crop_frames(frames: np.ndarray, roi: Roi) -> torch.Tensor:
    """frames [T, H, W] (uint8 or float in [0, 1]) → float32 tensor [T, 1, size, size] of the ROI."""
    f = torch.as_tensor(np.ascontiguousarray(frames))
    if f.dtype == torch.uint8:
        f = f.to(torch.float32) / 255.0
    f = f.to(torch.float32)
    t, h, w = f.shape
    x0, y0, side = int(roi.x0), int(roi.y0), int(roi.side)
    canvas = torch.zeros((t, side, side), dtype=torch.float32)
    xs0, ys0 = max(x0, 0), max(y0, 0)
    xs1, ys1 = min(x0 + side, w), min(y0 + side, h)
    if xs1 > xs0 and ys1 > ys0:
        canvas[:, ys0 - y0 : ys1 - y0, xs0 - x0 : xs1 - x0] = f[:, ys0:ys1, xs0:xs1]
    # pixel-centre convention of to_model/to_input = align_corners=False; antialiased when shrinking
    return F.interpolate(canvas[:, None], size=(roi.size, roi.size), mode="bilinear",
                         align_corners=False, antialias=roi.size < side)
