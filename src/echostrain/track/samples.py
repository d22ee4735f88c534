"""TAS-Net training data: each simulated sequence cached as its region of interest.

Each sequence is read once and kept in memory as a
:class:`~echostrain.data.clips.ClipSource` of its ROI (the rule of
:mod:`echostrain.track.roi` applied to the true myocardial points of the ED
frame) resized to ``input_size``, with the true tracks in ROI pixels and the
sector mask. Training clips are drawn from it by the one sampling pipeline,
:func:`echostrain.data.clips.draw_clip`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from echostrain.core.errors import InvalidDataError
from echostrain.core.vocabulary import LAYER_NONE
from echostrain.data.clips import ClipSource
from echostrain.data.sequences import load_sequence
from echostrain.data.splits import MANIFEST, split_files
from echostrain.track.roi import crop_frames, roi_for_points


def cache_sequence(path: str | os.PathLike[str], input_size: int) -> ClipSource:
    """The ROI of the sequence file ``path``, ``input_size`` px square, as a clip source."""
    d = load_sequence(path)
    wall = np.flatnonzero(d.track_layer != LAYER_NONE)
    if wall.size == 0:
        raise InvalidDataError(f"{path} has no myocardial tracks; it cannot train a tracker")
    roi = roi_for_points(d.tracks[0, wall], input_size)
    frames = crop_frames(d.frames, roi)[:, 0]
    mm_per_px = (float(d.spacing_mm[0]) / roi.scale, float(d.spacing_mm[1]) / roi.scale)
    return ClipSource(
        frames=(frames * 255.0).round().clamp(0, 255).to(torch.uint8),
        tracks=roi.to_model(d.tracks).astype(np.float32),
        layer=d.track_layer.astype(np.int8),
        segment=d.track_segment.astype(np.int8),
        sector=(frames > 0).any(dim=0).numpy(),  # of the resampled frames, before rounding to uint8
        spacing_mm=mm_per_px,
        name=Path(path).name,
    )


def load_split(data_dir: str | os.PathLike[str], split: str, input_size: int,
               progress: Callable[[int, int], None] | None = None, limit: int | None = None) -> list[ClipSource]:
    """Cache every sequence of a split (``all`` for every file).

    ``data_dir`` may list several folders separated by ``os.pathsep``; a folder
    without ``manifest.csv`` counts as training data only (e.g. sequences
    simulated by the refinement loop).
    """
    files: list[Path] = []
    for folder in (p for p in str(data_dir).split(os.pathsep) if p):
        if (Path(folder) / MANIFEST).is_file() or split == "all":
            files += split_files(folder, None if split == "all" else split)
        elif split == "train":
            files += split_files(folder, None)
    if limit is not None:
        files = files[:limit]
    out = []
    for i, f in enumerate(files):
        out.append(cache_sequence(f, input_size))
        if progress is not None:
            progress(i + 1, len(files))
    return out
