"""Datasets of simulated sequences: loading, (later) generation and PyTorch datasets."""

from __future__ import annotations

from echostrain.data.sequences import list_sequences, load_sequence

__all__ = ["list_sequences", "load_sequence"]
