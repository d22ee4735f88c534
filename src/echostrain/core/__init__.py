"""The bottom layer: vocabulary, errors, shared checks, NCC kernels and JSON helpers.

Everything in ``echostrain`` may import ``core``; ``core`` imports nothing of
ours. Submodules: :mod:`~echostrain.core.vocabulary` (views, layer and segment
codes, clip suffixes, default scan), :mod:`~echostrain.core.errors`,
:mod:`~echostrain.core.checks`, :mod:`~echostrain.core.ncc` and
:mod:`~echostrain.core.jsonsafe`.
"""

from echostrain.core.errors import EchoStrainError
from echostrain.core.vocabulary import (
    CLIP_SUFFIXES,
    DEFAULT_DEPTH_MM,
    DEFAULT_PROBE,
    DEFAULT_SECTOR_DEG,
    LAYER_ENDO,
    LAYER_EPI,
    LAYER_MID,
    LAYER_NAMES,
    LAYER_NONE,
    N_SEGMENTS,
    SEGMENT_NONE,
    VIEWS,
)

__all__ = [
    "CLIP_SUFFIXES",
    "DEFAULT_DEPTH_MM",
    "DEFAULT_PROBE",
    "DEFAULT_SECTOR_DEG",
    "LAYER_ENDO",
    "LAYER_EPI",
    "LAYER_MID",
    "LAYER_NAMES",
    "LAYER_NONE",
    "N_SEGMENTS",
    "SEGMENT_NONE",
    "VIEWS",
    "EchoStrainError",
]
