"""Datasets of simulated sequences: loading, generation at scale, training clips and PyTorch datasets.

``SequenceDataset`` and ``collate_sequences`` import PyTorch, so they are
loaded on first use.
"""

from __future__ import annotations

from typing import Any

from echostrain.data.generate import GenerationSettings, GenerationSummary, plan_sequences, run_generation
from echostrain.data.sequences import collect_sequences, list_sequences, load_sequence
from echostrain.data.splits import split_files

__all__ = [
    "GenerationSettings",
    "GenerationSummary",
    "SequenceDataset",
    "collate_sequences",
    "collect_sequences",
    "list_sequences",
    "load_sequence",
    "plan_sequences",
    "run_generation",
    "split_files",
]

#: Names loaded on first use, and their modules.
_LAZY = {"SequenceDataset": "dataset", "collate_sequences": "clips"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"echostrain.data.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'echostrain.data' has no attribute {name!r}")
