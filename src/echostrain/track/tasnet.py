"""TAS-Net behind the tracker interface: ROI crop, whole-clip windows, model px ↔ input px."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch

from echostrain.core.checks import inside_image
from echostrain.core.errors import InputNotFoundError, ParameterError
from echostrain.track.base import TrackResult, Tracker
from echostrain.track.model import TASNet
from echostrain.track.roi import ROI_MARGIN, Roi, crop_frames, roi_for_points
from echostrain.track.weights import PRETRAINED, load_model

#: Longest clip tracked in one temporal window (longer clips: overlapping windows).
MAX_WINDOW = 128
#: Frames shared by consecutive windows.
WINDOW_OVERLAP = 32


def _windows(n_frames: int, size: int = MAX_WINDOW, overlap: int = WINDOW_OVERLAP) -> list[tuple[int, int]]:
    if n_frames <= size:
        return [(0, n_frames)]
    out, start = [], 0
    while True:
        end = min(start + size, n_frames)
        out.append((max(0, end - size), end))
        if end == n_frames:
            return out
        start = end - overlap


class TASNetTracker(Tracker):
    """TAS-Net point tracker (CPU by default)."""

    name = "tasnet"

    def __init__(self, weights: str | os.PathLike[str] | None = None, device: str = "cpu",
                 model: TASNet | None = None, iterations: int | None = None,
                 roi_margin: float = ROI_MARGIN) -> None:
        if model is None:
            path = Path(weights) if weights is not None else PRETRAINED
            if weights is None and not path.is_file():
                raise InputNotFoundError(
                    f"the pretrained TAS-Net weights are missing from the package ({path}); reinstall echostrain"
                )
            model = load_model(path, device=device)
        self.model = model.eval()
        self.device = torch.device(device)
        self.iterations = iterations  # update rounds (None: the model's config)
        if not (math.isfinite(roi_margin) and 0.0 <= roi_margin <= 5.0):
            raise ParameterError(f"`roi_margin` must be a share between 0 and 5 of the query box, got {roi_margin}")
        self.roi_margin = float(roi_margin)  # ROI growth per side (the training ROI's: ROI_MARGIN)

    @torch.no_grad()
    def _run(self, clip: torch.Tensor, queries_model: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = torch.as_tensor(queries_model, dtype=torch.float32, device=self.device)[None]
        rounds, vis = self.model(clip[None].to(self.device), q, iterations=self.iterations)
        xy = rounds[-1][0].permute(1, 0, 2).cpu().numpy().astype(np.float64)  # [T, N, 2]
        conf = torch.sigmoid(vis[0]).T.cpu().numpy()
        return xy, conf

    def _track(self, frames: np.ndarray, queries: np.ndarray) -> TrackResult:
        n_t, n = frames.shape[0], queries.shape[0]
        roi: Roi = roi_for_points(queries[:, 1:3], self.model.config.input_size, margin=self.roi_margin)
        clip = crop_frames(frames, roi)  # [T, 1, S, S]
        q_model = np.concatenate([queries[:, :1], roi.to_model(queries[:, 1:3])], axis=1)
        tracks = np.zeros((n_t, n, 2))
        conf = np.zeros((n_t, n))
        windows = _windows(n_t)
        qt = queries[:, 0].astype(int)
        home = np.array([next(i for i, (a, b) in enumerate(windows) if a <= t < b) for t in qt])
        filled = np.zeros((n_t, n), bool)  # positions already given by a neighbouring window

        def run(w: int, sel: np.ndarray, qw: np.ndarray, backward: bool = False) -> None:
            a, b = windows[w]
            xy, c = self._run(clip[a:b], qw)
            old = filled[a:b][:, sel]
            rows = np.flatnonzero(old.any(axis=1))
            if rows.size:  # blend over the overlap: the new window's weight grows away from its neighbour
                ramp = np.linspace(0.0, 1.0, rows.size + 2)[1:-1]
                weight = np.ones(b - a)
                weight[rows] = ramp[::-1] if backward else ramp
                wgt = np.where(old, weight[:, None], 1.0)[..., None]
                xy = wgt * xy + (1.0 - wgt) * tracks[a:b, sel]
            tracks[a:b, sel], conf[a:b, sel] = xy, c
            filled[a:b, sel] = True

        for w, (a, b) in enumerate(windows):  # forward: home windows, then chained from the overlap
            sel = np.flatnonzero(home <= w)
            if not sel.size:
                continue
            qw = np.empty((sel.size, 3))
            own = home[sel] == w
            qw[own] = np.concatenate([(qt[sel[own]] - a)[:, None], q_model[sel[own], 1:]], axis=1)
            qw[~own, 0] = 0
            qw[~own, 1:] = tracks[a, sel[~own]]
            run(w, sel, qw)
        for w in range(len(windows) - 2, -1, -1):  # backward: windows before a point's home window
            a, b = windows[w]
            sel = np.flatnonzero(home > w)
            if not sel.size:
                continue
            qw = np.concatenate([np.full((sel.size, 1), b - 1 - a), tracks[b - 1, sel]], axis=1)
            run(w, sel, qw, backward=True)
        xy_in = roi.to_input(tracks)
        visible = inside_image(xy_in, frames.shape[1:]) & (conf > 0.5)
        return TrackResult(xy_in.astype(np.float32), visible, conf.astype(np.float32), self.name)
