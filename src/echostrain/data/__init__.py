"""Datasets of simulated sequences: loading, generation at scale and PyTorch datasets.

``SequenceDataset`` and ``collate_sequences`` import PyTorch, so they are
loaded on first use.
"""

from __future__ import annotations

from typing import Any

from echostrain.data.generate import GenerationSettings, GenerationSummary, plan_sequences, run_generation
from echostrain.data.sequences import list_sequences, load_sequence

__all__ = [
    "GenerationSettings",
    "GenerationSummary",
    "SequenceDataset",
    "collate_sequences",
    "list_sequences",
    "load_sequence",
    "plan_sequences",
    "run_generation",
]


def __getattr__(name: str) -> Any:
    if name in ("SequenceDataset", "collate_sequences"):
        from echostrain.data import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'echostrain.data' has no attribute {name!r}")
