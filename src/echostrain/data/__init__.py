"""Datasets of simulated sequences: loading, generation at scale, training clips and PyTorch datasets.

Names load their modules on first use (``SequenceDataset`` and
``collate_sequences`` import PyTorch).
"""

from __future__ import annotations

from echostrain.core.lazy import lazy_exports

#: Public name → its module in this package.
_EXPORTS = {
    "GenerationSettings": "generation_settings",
    "GenerationSummary": "generate",
    "SequenceDataset": "dataset",
    "collate_sequences": "clips",
    "collect_sequences": "sequences",
    "list_sequences": "sequences",
    "load_sequence": "sequences",
    "plan_sequences": "generate",
    "run_generation": "generate",
    "split_files": "splits",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
