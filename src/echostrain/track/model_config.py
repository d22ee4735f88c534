"""TAS-Net's architecture hyper-parameters, apart from the model so configs import without torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from echostrain.core.errors import ParameterError


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
    # levels of the frame-to-frame correlation (each track's feature in the previous and the next frame
    # against a window around its position); 0: none (the shipped weights)
    neighbour_levels: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.neighbour_levels <= self.corr_levels:
            raise ParameterError(f"`neighbour_levels` must be within 0…{self.corr_levels} (corr_levels), "
                                 f"got {self.neighbour_levels}")

    def to_dict(self) -> dict[str, int]:
        return asdict(self)
