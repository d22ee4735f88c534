"""A PyTorch dataset of simulated sequences for training point trackers (CoTracker-style).

:class:`SequenceDataset` reads a folder of sequence files (``*.h5``, see
``docs/formats.md``, "Sequence file") and gives, per sequence, a clip of
frames with the true tracks of a random set of query points, drawn by the
sampling pipeline of TAS-Net training (:mod:`echostrain.data.clips`) without
augmentation, on the whole frames::

    ds = SequenceDataset("sims/", split="train", clip_frames=24, n_queries=64)
    loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=4,
                        collate_fn=collate_sequences)
    for epoch in range(n_epochs):
        ds.set_epoch(epoch)          # new windows and queries each epoch
        for batch in loader: ...

Sample ``i`` (``L`` frames of ``H`` × ``W`` px, ``N = n_queries`` points):

- ``frames`` float32 ``[L, 1, H, W]`` grey in [0, 1] (uint8 / 255);
- ``tracks`` float32 ``[L, N, 2]`` true (x, y) px at every frame of the clip,
  also before a point's query frame (trackers learn forward and backward);
- ``visible`` bool ``[L, N]``: the point lies in the image and its nearest
  pixel in the sector, the pixels that are non-zero in any frame of the
  sequence (``(frames > 0).any(axis=0)``);
- ``queries`` float32 ``[N, 3]``: (t, x, y), t the query frame within the
  clip and (x, y) = ``tracks[t, n]``;
- ``layer`` / ``segment`` int8 ``[N]`` (encodings of DESIGN.md);
- ``spacing_mm`` float32 ``[2]`` (dy, dx); ``index`` int.

Randomness (clip window, points, query frames) comes only from
``np.random.default_rng([seed, epoch, index])``: a sample depends on the
seed, the epoch (:meth:`SequenceDataset.set_epoch`) and the index, never on
the worker process that makes it, so ``DataLoader`` with any number of
workers gives the same samples. The epoch is kept in shared memory, so
:meth:`~SequenceDataset.set_epoch` also reaches ``persistent_workers``
(call it before iterating the loader of that epoch).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from echostrain.core.errors import InputNotFoundError, ParameterError
from echostrain.data.clips import ClipSettings, ClipSource, clip_source, draw_clip
from echostrain.data.sequences import load_sequence
from echostrain.data.splits import MANIFEST, split_files
from echostrain.io._util import as_path

#: Values of ``query_frame``, and the share of points each queries on a random frame.
QUERY_FRAMES = ("first", "random")
_RANDOM_QUERY_SHARE = {"first": 0.0, "random": 1.0}

_SRC = "SequenceDataset"


def _int_arg(value: Any, name: str, minimum: int, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{_SRC}: `{name}` must be an integer ≥ {minimum}, got {value!r}")
    if int(value) < minimum:
        raise ParameterError(f"{_SRC}: `{name}` must be ≥ {minimum}, got {int(value)}")
    return int(value)


def _share_arg(value: Any) -> float:
    try:
        share = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{_SRC}: `tissue_share` must be a number in [0, 1], got {value!r}") from exc
    if isinstance(value, (bool, np.bool_)) or not 0.0 <= share <= 1.0:
        raise ParameterError(
            f"{_SRC}: `tissue_share` must be a number in [0, 1] (share of points outside "
            f"the myocardium), got {value!r}"
        )
    return share


class SequenceDataset(Dataset):
    """Clips of simulated sequences with true tracks of random query points.

    Args:
        root: folder of sequence files (``*.h5``).
        split: ``"train"``, ``"val"``, ``"test"`` (any value of the manifest's
            ``split`` column): use only the files of that split listed in
            ``root / manifest`` (column ``file``, relative to ``root``, in the
            manifest's order). ``None``: every ``*.h5`` in ``root`` (sorted by name),
            whether or not a manifest exists.
        clip_frames: frames per sample (≥ 2): a random window of that many
            consecutive frames. ``None``: the whole sequence. A sequence shorter
            than ``clip_frames`` is given whole (not padded), so samples of
            such sequences are shorter; :func:`collate_sequences` refuses to
            stack clips of different length.
        n_queries: points per sample (≥ 1).
        tissue_share: share of the points taken from tissue outside the
            myocardium (layer −1), ``round(n_queries * tissue_share)``; the rest
            come from the myocardium (layers 0–2). A sequence without points of
            one group gives all points from the other.
        query_frame: ``"first"``: every point is queried on the clip's first
            frame; ``"random"``: each point on a random frame of the clip. A
            point not visible there is queried on the first frame on which it
            is visible (the first frame if it never is).
        seed: master seed (integer ≥ 0) of the per-sample generators.
        cache_size: sequences each process keeps in memory (least recently
            used first out; 0 = none).
        manifest: file name of the manifest in ``root`` (a CSV with columns
            at least ``file`` and ``split``; ``id`` and more are ignored);
            ``None``: no manifest.

    Each group is drawn without replacement (:func:`~echostrain.data.points.sample_points`),
    preferring points visible in some frame of the clip; invisible points
    fill up when too few visible ones exist, and points repeat only when the
    group has fewer points than its quota (each of its points then appears
    at least once).

    Raises InputNotFoundError (no ``root``, no sequence files, a file of the
    manifest missing), ParameterError (invalid arguments, a split without a
    manifest or without rows) and CorruptInputError (unreadable manifest).
    Reading a sequence raises what :func:`echostrain.data.load_sequence` raises.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        split: str | None = None,
        clip_frames: int | None = None,
        n_queries: int = 64,
        tissue_share: float = 0.2,
        query_frame: Literal["first", "random"] = "first",
        seed: int = 0,
        cache_size: int = 8,
        manifest: str | os.PathLike[str] | None = MANIFEST,
    ) -> None:
        self.clip_frames = _int_arg(clip_frames, "clip_frames", 2, allow_none=True)
        self.n_queries = int(_int_arg(n_queries, "n_queries", 1))  # type: ignore[arg-type]
        self.tissue_share = _share_arg(tissue_share)
        if query_frame not in QUERY_FRAMES:
            raise ParameterError(
                f"{_SRC}: `query_frame` must be one of {', '.join(QUERY_FRAMES)}, got {query_frame!r}"
            )
        self.query_frame = query_frame
        self.seed = int(_int_arg(seed, "seed", 0))  # type: ignore[arg-type]
        self.cache_size = int(_int_arg(cache_size, "cache_size", 0))  # type: ignore[arg-type]
        if split is not None and (not isinstance(split, str) or not split.strip()):
            raise ParameterError(
                f"{_SRC}: `split` must be a name such as 'train', 'val' or 'test', or None, got {split!r}"
            )
        self.split = split
        self.root = as_path(root)
        self.files = split_files(self.root, split, manifest=manifest)
        if not self.files:
            raise InputNotFoundError(
                f"{self.root} holds no sequence files (*.h5); generate sequences with "
                "`echostrain generate`"
            )
        self._settings = ClipSettings(
            clip_frames=self.clip_frames, n_points=self.n_queries, tissue_share=self.tissue_share,
            random_query_share=_RANDOM_QUERY_SHARE[query_frame], augment=False, points="tracks",
        )
        # The epoch lives in shared memory so persistent DataLoader workers see set_epoch.
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self._cache: OrderedDict[int, ClipSource] = OrderedDict()

    # ------------------------------------------------------------ epoch and pickling

    @property
    def epoch(self) -> int:
        """The epoch the samples are drawn for (see :meth:`set_epoch`)."""
        return int(self._epoch.item())

    def set_epoch(self, epoch: int) -> None:
        """Draw new windows and queries: samples depend on ``(seed, epoch, index)``."""
        self._epoch.fill_(_int_arg(epoch, "epoch", 0))  # type: ignore[arg-type]

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cache"] = OrderedDict()  # each process fills its own cache
        return state

    # ------------------------------------------------------------ samples

    def _source(self, index: int) -> ClipSource:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        source = clip_source(load_sequence(self.files[index]), name=self.files[index].name)
        if self.cache_size > 0:
            self._cache[index] = source
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return source

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{_SRC} indices are integers, got {type(index).__name__}")
        n_seq = len(self.files)
        if not -n_seq <= int(index) < n_seq:
            raise IndexError(f"{_SRC} index {index} out of range for {n_seq} sequences")
        index = int(index) % n_seq
        rng = np.random.default_rng([self.seed, self.epoch, index])
        sample = draw_clip(self._source(index), self._settings, rng)
        sample["index"] = index
        return sample

    def __repr__(self) -> str:
        return (
            f"SequenceDataset(root={str(self.root)!r}, split={self.split!r}, "
            f"n={len(self)}, clip_frames={self.clip_frames}, n_queries={self.n_queries}, "
            f"tissue_share={self.tissue_share}, query_frame={self.query_frame!r}, "
            f"seed={self.seed}, epoch={self.epoch})"
        )


__all__ = ["QUERY_FRAMES", "SequenceDataset", "split_files"]
