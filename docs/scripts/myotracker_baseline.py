"""MyoTracker as an echostrain tracker, for side-by-side measurements only (never part of the package).

MyoTracker (artemcher/myotracker, CC BY-NC 4.0; "Low-complexity Tracking of the
Myocardium in 2D Echocardiography", arXiv 2503.10431) is a 0.32 M-parameter
CoTracker derivative trained on real clips. Its published TorchScript weights
live outside the project (``../shared/baselines/myotracker_scripted.pt``); this
module takes their path, loads them with ``torch.jit.load`` and wraps the call
documented there: frames float32 ``[1, T, 1, 256, 256]`` in [0, 1], queries
``[1, N, 2]`` as (y, x) in that grid, all on the clip's first frame. Queries on
a later frame q are tracked forward on ``frames[q:]`` and backward on
``frames[q::-1]`` (reversed). It is a yardstick: its outputs are never used to train, tune
or select our models.
"""

from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn.functional as F

from echostrain.core.checks import inside_image
from echostrain.track.base import TrackResult, Tracker

GRID_PX = 256


class MyoTrackerBaseline(Tracker):
    """MyoTracker's TorchScript model behind the :class:`~echostrain.track.base.Tracker` interface."""

    name = "myotracker"

    def __init__(self, weights: str | os.PathLike[str]) -> None:
        self.model = torch.jit.load(str(weights), map_location="cpu").eval()

    def _run(self, frames_small: torch.Tensor, yx: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            q = torch.as_tensor(yx[None], dtype=torch.float32)
            return self.model(frames_small[None, :, None], q)[0].numpy()  # [T, N, 2] (y, x)

    def _track(self, frames: np.ndarray, queries: np.ndarray) -> TrackResult:
        n_t, h, w = frames.shape
        small = F.interpolate(torch.as_tensor(frames)[:, None], size=(GRID_PX, GRID_PX), mode="bilinear",
                              align_corners=False)[:, 0]
        sx, sy = GRID_PX / w, GRID_PX / h
        tracks = np.zeros((n_t, len(queries), 2))
        for q in np.unique(queries[:, 0].astype(int)):
            idx = np.flatnonzero(queries[:, 0].astype(int) == q)
            x, y = queries[idx, 1], queries[idx, 2]
            yx = np.stack([(y + 0.5) * sy - 0.5, (x + 0.5) * sx - 0.5], axis=1)  # pixel centres, as the resize
            out = np.zeros((n_t, len(idx), 2))
            if q < n_t - 1:
                out[q:] = self._run(small[q:], yx)
            if q > 0:
                out[: q + 1] = self._run(torch.flip(small[: q + 1], dims=(0,)), yx)[::-1]
            out[q] = yx
            tracks[:, idx, 0] = (out[..., 1] + 0.5) / sx - 0.5
            tracks[:, idx, 1] = (out[..., 0] + 0.5) / sy - 0.5
        visible = inside_image(tracks, (h, w))
        return TrackResult(tracks.astype(np.float32), visible, np.ones(visible.shape, np.float32), self.name)
