"""TAS-Net's architecture hyper-parameters, apart from the model so configs import without torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class TASNetConfig:
    """Architecture hyper-parameters (stored with the weights)."""

    feature_dim: int = 48
    encoder_dim: int = 32
    corr_levels: int = 3
    corr_radius: int = 3
    hidden_dim: int = 64
    heads: int = 4
    mlp_ratio: int = 2
    blocks: int = 2
    virtual_tracks: int = 8
    iterations: int = 3
    input_size: int = 256  # frames are resized to input_size × input_size

    def to_dict(self) -> dict[str, int]:
        return asdict(self)
