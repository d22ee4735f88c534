"""TAS-Net: a CoTracker-style point tracker for grey-scale echo, whole clip in one window.

Reads top to bottom:

1. ``Encoder``: a small CNN maps every frame to ``feature_dim`` features at
   stride 4.
2. Query features are sampled (bilinear) at each query point's position in
   its query frame.
3. Every track starts at its query position in every frame. For
   ``iterations`` rounds:

   a. the correlation of the query feature with the features around the
      current estimate is sampled in each frame from a 4-level pyramid
      (radius ``corr_radius``, ``(2r+1)²`` values per level);
   b. with ``neighbour_levels`` > 0, each track's feature at its current
      estimate in the previous frame and in the next one is correlated with a
      window around its estimate in this frame (the first levels of the
      pyramid): where this frame's content came from, as a frame-to-frame
      tracker sees it, which survives when the query's appearance fades;
   c. one token per (track, frame) is built from the correlations, the
      displacement from the query position, the time relative to the query
      frame and a query-frame flag;
   d. a transformer alternates attention over time (within a track) and over
      tracks (within a frame, with learned virtual tracks);
   e. a linear head predicts a position update and a visibility logit.

Coordinates are (x, y) pixels of the model's input frames. The model knows
no physical units: :mod:`echostrain.track.tasnet` crops, resizes and converts.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from echostrain.track.model_config import TASNetConfig


class ResBlock(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, padding=1)
        self.conv2 = nn.Conv2d(dim, dim, 3, padding=1)
        self.norm1 = nn.GroupNorm(8, dim)
        self.norm2 = nn.GroupNorm(8, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        return F.relu(x + self.norm2(self.conv2(y)))


class Encoder(nn.Module):
    """Grey frames [B, 1, H, W] → features [B, D, H/4, W/4].

    The stem folds each 4×4 pixel block into channels (pixel unshuffle) and
    convolves at stride 4 directly: on a CPU this is ~2× faster than strided
    convolutions at full resolution, for the same receptive field.
    """

    def __init__(self, dim: int, out_dim: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.PixelUnshuffle(4), nn.Conv2d(16, dim, 3, padding=1), nn.GroupNorm(8, dim), nn.ReLU(),
        )
        self.block = ResBlock(dim)
        self.out = nn.Conv2d(dim, out_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.block(self.stem(x)))


def sinusoid(x: torch.Tensor, n_freq: int, max_period: float) -> torch.Tensor:
    """[..., C] → [..., C · 2 · n_freq] sine/cosine features."""
    freqs = torch.exp(torch.linspace(0.0, math.log(max_period), n_freq, device=x.device, dtype=x.dtype))
    ang = x[..., None] * (2 * math.pi / freqs)
    return torch.cat([ang.sin(), ang.cos()], dim=-1).flatten(-2)


class Attention(nn.Module):
    """Pre-norm multi-head self-attention + MLP over the second-to-last axis of [S, L, C]."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int = 2) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s, n, c = x.shape
        q, k, v = self.qkv(self.norm1(x)).reshape(s, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(s, n, c)
        x = x + self.proj(y)
        return x + self.mlp(self.norm2(x))


class TimeSpaceBlock(nn.Module):
    """Attention over time within each track, then over tracks within each frame."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int) -> None:
        super().__init__()
        self.time = Attention(dim, heads, mlp_ratio)
        self.space = Attention(dim, heads, mlp_ratio)

    def forward(self, x: torch.Tensor, virtual: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, t, c = x.shape  # tokens [B, N, T, C]; virtual tracks [B, V, T, C]
        nv = virtual.shape[1]
        allx = torch.cat([x, virtual], dim=1)
        allx = self.time(allx.reshape(b * (n + nv), t, c)).reshape(b, n + nv, t, c)
        allx = allx.transpose(1, 2).reshape(b * t, n + nv, c)
        allx = self.space(allx).reshape(b, t, n + nv, c).transpose(1, 2)
        return allx[:, :n], allx[:, n:]


def sample_features(fmap: torch.Tensor, xy: torch.Tensor) -> torch.Tensor:
    """Bilinear samples of fmap [B, C, h, w] at pixel positions xy [B, P, 2] (feature-map px) → [B, P, C]."""
    h, w = fmap.shape[-2:]
    grid = torch.stack([2 * xy[..., 0] / max(w - 1, 1) - 1, 2 * xy[..., 1] / max(h - 1, 1) - 1], dim=-1)
    out = F.grid_sample(fmap, grid[:, :, None, :], mode="bilinear", padding_mode="zeros", align_corners=True)
    return out[..., 0].transpose(1, 2)


class TASNet(nn.Module):
    """Point tracker: ``forward(frames, queries)`` → positions per iteration and visibility logits."""

    stride = 4

    def __init__(self, config: TASNetConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or TASNetConfig()
        self.encoder = Encoder(cfg.encoder_dim, cfg.feature_dim)
        win = (2 * cfg.corr_radius + 1) ** 2
        self.n_corr = cfg.corr_levels * win
        offsets = torch.arange(-cfg.corr_radius, cfg.corr_radius + 1, dtype=torch.float32)
        dy, dx = torch.meshgrid(offsets, offsets, indexing="ij")
        self.register_buffer("window", torch.stack([dx, dy], dim=-1).reshape(-1, 2), persistent=False)
        token_in = self.n_corr + 2 * 2 * 8 + 2 * 8 + 1
        self.token = nn.Linear(token_in, cfg.hidden_dim)
        if cfg.neighbour_levels:
            # zero at the start: weights without it (the shipped ones) keep their output when it is added
            self.neighbour_token = nn.Linear(2 * cfg.neighbour_levels * win, cfg.hidden_dim)
            nn.init.zeros_(self.neighbour_token.weight)
            nn.init.zeros_(self.neighbour_token.bias)
        self.virtual = nn.Parameter(torch.randn(1, cfg.virtual_tracks, 1, cfg.hidden_dim) * 0.02)
        self.blocks = nn.ModuleList([TimeSpaceBlock(cfg.hidden_dim, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.blocks)])
        self.head_norm = nn.LayerNorm(cfg.hidden_dim)
        self.head = nn.Linear(cfg.hidden_dim, 3)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def pyramid(self, frames: torch.Tensor) -> list[torch.Tensor]:
        """frames [B, T, 1, H, W] → per level features [B·T, D, h_l, w_l], L2-normalised over D."""
        b, t = frames.shape[:2]
        f = self.encoder(frames.flatten(0, 1))
        f = F.normalize(f, dim=1)
        levels = [f]
        for _ in range(self.config.corr_levels - 1):
            levels.append(F.avg_pool2d(levels[-1], 2, stride=2))
        return levels

    def correlation_volumes(self, levels: list[torch.Tensor], query_feat: torch.Tensor, t: int) -> list[torch.Tensor]:
        """Per level, the correlation of every query feature with every position: [B·T·N, 1, h_l, w_l]."""
        b, n, d = query_feat.shape
        vols = []
        for fmap in levels:
            h, w = fmap.shape[-2:]
            f = fmap.reshape(b, t, d, h * w)
            corr = torch.einsum("bnd,btdp->btnp", query_feat, f)
            vols.append(corr.reshape(b * t * n, 1, h, w))
        return vols

    def correlations(self, volumes: list[torch.Tensor], xy: torch.Tensor) -> torch.Tensor:
        """Correlation windows around xy [B, N, T, 2] (input px) → [B, N, T, L·(2r+1)²]."""
        b, n, t, _ = xy.shape
        pts = xy.permute(0, 2, 1, 3).reshape(b * t * n, 1, 2)  # same order as the volumes
        out = []
        for lvl, vol in enumerate(volumes):
            scale = self.stride * 2**lvl
            centre = (pts + 0.5) / scale - 0.5  # input px → level px (pixel centres)
            out.append(sample_features(vol, centre + self.window[None])[..., 0])  # [B·T·N, W]
        corr = torch.cat(out, dim=-1)
        return corr.reshape(b, t, n, -1).transpose(1, 2)

    def neighbour_correlations(self, levels: list[torch.Tensor], xy: torch.Tensor) -> torch.Tensor:
        """Frame-to-frame correlation windows of tracks xy [B, N, T, 2] → [B, N, T, 2·levels·(2r+1)²].

        Per level, the feature at each track's estimate in frame t − 1 (and t + 1) against the
        features on the window around its estimate in frame t; zero where there is no such frame.
        """
        b, n, t, _ = xy.shape
        pts = xy.permute(0, 2, 1, 3).reshape(b * t, n, 2)  # [B·T, N, 2], the pyramid's order
        win = self.window.shape[0]
        out = []
        for lvl in range(self.config.neighbour_levels):
            fmap = levels[lvl]  # [B·T, D, h, w]
            scale = self.stride * 2**lvl
            centre = (pts + 0.5) / scale - 0.5
            own = sample_features(fmap, centre).reshape(b, t, n, -1)  # [B, T, N, D]
            around = sample_features(fmap, (centre[:, :, None, :] + self.window[None, None]).reshape(b * t, n * win, 2))
            around = around.reshape(b, t, n, win, -1)
            zero = own.new_zeros(b, 1, n, own.shape[-1])
            prev = torch.cat([zero, own[:, :-1]], dim=1)
            nxt = torch.cat([own[:, 1:], zero], dim=1)
            out.append(torch.einsum("btnwd,btnd->btnw", around, prev))
            out.append(torch.einsum("btnwd,btnd->btnw", around, nxt))
        return torch.cat(out, dim=-1).transpose(1, 2)

    def forward(
        self, frames: torch.Tensor, queries: torch.Tensor, iterations: int | None = None,
        start: torch.Tensor | None = None,
    ) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Track.

        Args:
            frames: grey [B, T, 1, H, W] in [0, 1].
            queries: [B, N, 3] (t, x, y) — query frame index and input px.
            iterations: update rounds (default: the config's).
            start: positions [B, N, T, 2] (input px) the rounds start from (default: every track at its
                query position in every frame; query frames are held at the query position either way).

        Returns:
            (positions of every round, each [B, N, T, 2] input px; visibility logits [B, N, T]).
        """
        b, t = frames.shape[:2]
        n = queries.shape[1]
        levels = self.pyramid((frames - 0.5) / 0.25)
        qt = queries[..., 0].round().long().clamp(0, t - 1)
        qxy = queries[..., 1:3]
        fmap0 = levels[0].reshape(b, t, *levels[0].shape[1:])
        picked = fmap0[torch.arange(b, device=frames.device)[:, None], qt]  # [B, N, D, h, w]
        centre = (qxy + 0.5) / self.stride - 0.5
        qfeat = sample_features(picked.flatten(0, 1), centre.reshape(b * n, 1, 2)).reshape(b, n, -1)

        times = torch.arange(t, device=frames.device, dtype=frames.dtype)
        rel_t = (times[None, None, :] - qt[..., None].to(frames.dtype))  # [B, N, T]
        time_feat = sinusoid(rel_t[..., None] / 8.0, 8, 64.0)  # [B, N, T, 16]
        is_query = (rel_t == 0).to(frames.dtype)[..., None]
        volumes = self.correlation_volumes(levels, qfeat, t)
        xy = (qxy[:, :, None, :].expand(b, n, t, 2) if start is None else start).clone()
        query_mask = is_query.bool()
        rounds = []
        vis = torch.zeros(b, n, t, device=frames.device, dtype=frames.dtype)
        for _ in range(iterations or self.config.iterations):
            xy = xy.detach()
            corr = self.correlations(volumes, xy)
            disp = sinusoid((xy - qxy[:, :, None, :]) / 16.0, 8, 64.0)  # [B, N, T, 32]
            tok = self.token(torch.cat([corr, disp, time_feat, is_query], dim=-1))
            if self.config.neighbour_levels:
                tok = tok + self.neighbour_token(self.neighbour_correlations(levels, xy))
            virt = self.virtual.expand(b, -1, t, -1)
            for block in self.blocks:
                tok, virt = block(tok, virt)
            out = self.head(self.head_norm(tok))
            xy = torch.where(query_mask, qxy[:, :, None, :], xy + out[..., :2])
            vis = out[..., 2]
            rounds.append(xy)
        return rounds, vis


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
