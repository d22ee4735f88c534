"""The training loss of TAS-Net.

Huber (δ = 1 px) between predicted and true positions of visible points,
summed over the update rounds with weights γ^(M−m), γ = 0.8, plus 0.05 × L1
of the frame-to-frame motion of the last round and 0.1 × the binary
cross-entropy of the visibility logits.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def huber_track_loss(rounds: list[torch.Tensor], tracks: torch.Tensor, visible: torch.Tensor,
                     vis_logits: torch.Tensor, gamma: float = 0.8) -> torch.Tensor:
    """The loss (see the module docstring): positions [B, N, T, 2] per round; truth [B, T, N, 2]."""
    truth = tracks.permute(0, 2, 1, 3)
    vis = visible.permute(0, 2, 1).to(truth.dtype)
    denom = vis.sum().clamp_min(1.0)
    m = len(rounds)
    loss = truth.new_zeros(())
    for i, pred in enumerate(rounds):
        err = F.huber_loss(pred, truth, reduction="none", delta=1.0).sum(-1)
        loss = loss + gamma ** (m - 1 - i) * (err * vis).sum() / denom
    motion_pred = rounds[-1][:, :, 1:] - rounds[-1][:, :, :-1]
    motion_true = truth[:, :, 1:] - truth[:, :, :-1]
    both = vis[:, :, 1:] * vis[:, :, :-1]
    loss = loss + 0.05 * ((motion_pred - motion_true).abs().sum(-1) * both).sum() / both.sum().clamp_min(1.0)
    return loss + 0.1 * F.binary_cross_entropy_with_logits(vis_logits, vis)
