"""A tiny simulated data folder (4 sequences, manifest with splits) shared by the tracking tests."""

from __future__ import annotations

import csv

import pytest

from echostrain.io.sequence import write_sequence
from echostrain.sim.sequence import SequenceConfig, simulate_sequence


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny_data")
    rows = []
    for i, (view, split) in enumerate([("a4c", "train"), ("a2c", "train"), ("a3c", "train"), ("a4c", "val")]):
        data = simulate_sequence(SequenceConfig(view=view, n_frames=18, per_cell=1.0, pathology="normal"), seed=100 + i)
        name = f"seq_{i:05d}.h5"
        write_sequence(root / name, data)
        rows.append({"file": name, "split": split})
    with open(root / "manifest.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["file", "split"])
        w.writeheader()
        w.writerows(rows)
    return root
