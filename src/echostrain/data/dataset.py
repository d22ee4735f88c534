"""A PyTorch dataset of simulated sequences for training point trackers (CoTracker-style).

:class:`SequenceDataset` reads a folder of sequence files (``*.h5``, see
``docs/formats.md``, "Sequence file") and gives, per sequence, a clip of
frames with the true tracks of a random set of query points::

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
- ``visible`` bool ``[L, N]``: the point's nearest pixel lies in the image
  and in the sector, the pixels that are non-zero in any frame of the
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

import csv
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from echostrain.data.sequences import list_sequences, load_sequence
from echostrain.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.io._util import as_path, one_line

#: Columns a manifest must have (more are allowed).
MANIFEST_COLUMNS = ("file", "split")
#: Values of ``query_frame``.
QUERY_FRAMES = ("first", "random")

_SRC = "SequenceDataset"


@dataclass(frozen=True)
class _Arrays:
    """What the cache keeps of one sequence: the arrays a sample needs (no mask)."""

    frames: np.ndarray  # uint8 [T, H, W]
    tracks: np.ndarray  # float32 [T, N, 2]
    layer: np.ndarray  # int8 [N]
    segment: np.ndarray  # int8 [N]
    sector: np.ndarray  # bool [H, W], pixels non-zero in any frame
    spacing_mm: tuple[float, float]  # (dy, dx)


def _int_arg(value: Any, name: str, minimum: int, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{_SRC}: {name} must be an integer ≥ {minimum}, got {value!r}")
    if int(value) < minimum:
        raise ParameterError(f"{_SRC}: {name} must be ≥ {minimum}, got {int(value)}")
    return int(value)


def _read_manifest(root: Path, manifest: Path, split: str) -> list[Path]:
    """The files of ``split`` listed in ``manifest`` (columns ``file``, ``split``), in order."""
    try:
        with manifest.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            columns = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in MANIFEST_COLUMNS if c not in columns]
            if missing:
                raise CorruptInputError(
                    f"{manifest}: manifest lacks column(s) {', '.join(missing)} (has "
                    f"{', '.join(columns) or 'none'}); it needs a header with file and split"
                )
            rows = [
                {k.strip(): (v or "").strip() for k, v in row.items() if isinstance(k, str)}
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CorruptInputError(
            f"{manifest} could not be read as CSV ({one_line(exc)})"
        ) from exc
    splits = sorted({r["split"] for r in rows if r["split"]})
    files = [r["file"] for r in rows if r["split"] == split]
    if not files:
        raise ParameterError(
            f"{_SRC}: split {split!r} has no rows in {manifest} (splits there: "
            f"{', '.join(splits) or 'none'}); choose one of those or split=None for all files"
        )
    paths = []
    for name in files:
        if not name:
            raise CorruptInputError(f"{manifest}: a row of split {split!r} has an empty file")
        path = root / name
        if not path.is_file():
            raise InputNotFoundError(
                f"{manifest} lists {name}, but {path} does not exist; regenerate the "
                "manifest or restore the file"
            )
        paths.append(path)
    return paths


def split_files(root: str | os.PathLike[str], split: str | None) -> list[Path]:
    """Sequence files of ``split`` (from ``root/manifest.csv``); every ``*.h5`` when split is None."""
    folder = as_path(root)
    if split is None:
        return list_sequences(folder)
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        raise InputNotFoundError(
            f"{folder} has no manifest.csv, so it has no {split!r} split; make the data with echostrain generate"
        )
    return _read_manifest(folder, manifest, split)


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
            frame; ``"random"``: each point on a random frame of the clip on
            which it is visible (any frame if it is never visible).
        seed: master seed (integer ≥ 0) of the per-sample generators.
        cache_size: sequences each process keeps in memory (least recently
            used first out; 0 = none).
        manifest: file name of the manifest in ``root`` (a CSV with columns
            at least ``file`` and ``split``; ``id`` and more are ignored);
            ``None``: no manifest.

    Each group is drawn without replacement, preferring points visible at
    their query frame (for ``"random"``: visible in some frame of the clip);
    invisible points fill up when too few visible ones exist, and points
    repeat only when the group has fewer points than its quota (each of its
    points then appears at least once).

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
        manifest: str | os.PathLike[str] | None = "manifest.csv",
    ) -> None:
        self.clip_frames = _int_arg(clip_frames, "clip_frames", 2, allow_none=True)
        self.n_queries = int(_int_arg(n_queries, "n_queries", 1))  # type: ignore[arg-type]
        try:
            share = float(tissue_share)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"{_SRC}: tissue_share must be a number in [0, 1], got {tissue_share!r}"
            ) from exc
        if isinstance(tissue_share, (bool, np.bool_)) or not 0.0 <= share <= 1.0:
            raise ParameterError(
                f"{_SRC}: tissue_share must be a number in [0, 1] (share of points outside "
                f"the myocardium), got {tissue_share!r}"
            )
        self.tissue_share = share
        if query_frame not in QUERY_FRAMES:
            raise ParameterError(
                f"{_SRC}: query_frame must be one of {', '.join(QUERY_FRAMES)}, "
                f"got {query_frame!r}"
            )
        self.query_frame = query_frame
        self.seed = int(_int_arg(seed, "seed", 0))  # type: ignore[arg-type]
        self.cache_size = int(_int_arg(cache_size, "cache_size", 0))  # type: ignore[arg-type]
        if split is not None and (not isinstance(split, str) or not split.strip()):
            raise ParameterError(
                f"{_SRC}: split must be a name such as 'train', 'val' or 'test', or None, "
                f"got {split!r}"
            )
        self.split = split

        self.root = as_path(root)
        if not self.root.exists():
            raise InputNotFoundError(
                f"sequence folder {self.root} does not exist; check the path, or generate "
                "sequences with `echostrain generate`"
            )
        if not self.root.is_dir():
            raise InputNotFoundError(f"{self.root} is a file, not a folder of sequence files")
        if split is None:
            self.files = list_sequences(self.root)
        else:
            if manifest is None:
                raise ParameterError(
                    f"{_SRC}: split={split!r} needs a manifest, but manifest=None; give the "
                    "manifest's file name, or split=None to use every file"
                )
            manifest_path = self.root / as_path(manifest)
            if not manifest_path.is_file():
                raise ParameterError(
                    f"{_SRC}: split={split!r} needs {manifest_path} (CSV with columns id, "
                    "file, split), which does not exist; `echostrain generate` writes it, "
                    "or use split=None for every file"
                )
            self.files = _read_manifest(self.root, manifest_path, split)
        if not self.files:
            raise InputNotFoundError(
                f"{self.root} holds no sequence files (*.h5); generate sequences with "
                "`echostrain generate`"
            )
        # The epoch lives in shared memory so persistent DataLoader workers see set_epoch.
        self._epoch = torch.zeros((), dtype=torch.int64).share_memory_()
        self._cache: OrderedDict[int, _Arrays] = OrderedDict()

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

    # ------------------------------------------------------------ loading

    def _arrays(self, index: int) -> _Arrays:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        seq = load_sequence(self.files[index])
        arrays = _Arrays(
            frames=seq.frames,
            tracks=seq.tracks,
            layer=seq.track_layer,
            segment=seq.track_segment,
            sector=(seq.frames > 0).any(axis=0),
            spacing_mm=seq.spacing_mm,
        )
        if self.cache_size > 0:
            self._cache[index] = arrays
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return arrays

    # ------------------------------------------------------------ samples

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"{_SRC} indices are integers, got {type(index).__name__}")
        n_seq = len(self.files)
        if not -n_seq <= int(index) < n_seq:
            raise IndexError(f"{_SRC} index {index} out of range for {n_seq} sequences")
        index = int(index) % n_seq
        arrays = self._arrays(index)
        rng = np.random.default_rng([self.seed, self.epoch, index])

        n_frames = arrays.frames.shape[0]
        length = n_frames if self.clip_frames is None else min(self.clip_frames, n_frames)
        start = int(rng.integers(0, n_frames - length + 1))
        window = slice(start, start + length)
        tracks_all = arrays.tracks[window]  # [L, N_all, 2]
        visible_all = point_visibility(tracks_all, arrays.sector)  # [L, N_all]

        if self.query_frame == "first":
            candidate = visible_all[0]
        else:
            candidate = visible_all.any(axis=0)
        points = sample_points(
            rng, arrays.layer, self.n_queries, self.tissue_share, preferred=candidate
        )
        tracks = tracks_all[:, points]
        visible = visible_all[:, points]
        if self.query_frame == "first":
            t_query = np.zeros(len(points), dtype=np.int64)
        else:
            # A random visible frame per point (any frame if never visible).
            allowed = np.where(visible.any(axis=0)[None, :], visible, True)
            count = np.cumsum(allowed, axis=0)  # [L, N]
            pick = rng.integers(0, count[-1])  # the pick-th allowed frame (0-based)
            t_query = (count <= pick[None, :]).sum(axis=0).astype(np.int64)
        xy_query = tracks[t_query, np.arange(len(points))]
        queries = np.concatenate([t_query[:, None].astype(np.float32), xy_query], axis=1)

        frames = arrays.frames[window].astype(np.float32) / np.float32(255.0)
        return {
            "frames": torch.from_numpy(frames[:, None]),
            "tracks": torch.from_numpy(np.ascontiguousarray(tracks, dtype=np.float32)),
            "visible": torch.from_numpy(np.ascontiguousarray(visible)),
            "queries": torch.from_numpy(queries.astype(np.float32)),
            "layer": torch.from_numpy(arrays.layer[points].astype(np.int8)),
            "segment": torch.from_numpy(arrays.segment[points].astype(np.int8)),
            "spacing_mm": torch.tensor(arrays.spacing_mm, dtype=torch.float32),
            "index": index,
        }

    def __repr__(self) -> str:
        return (
            f"SequenceDataset(root={str(self.root)!r}, split={self.split!r}, "
            f"n={len(self)}, clip_frames={self.clip_frames}, n_queries={self.n_queries}, "
            f"tissue_share={self.tissue_share}, query_frame={self.query_frame!r}, "
            f"seed={self.seed}, epoch={self.epoch})"
        )


def point_visibility(tracks_xy_px: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """Bool ``[..., N]``: the nearest pixel of each (x, y) lies in the image and on ``sector``.

    Pixel centres are at integer coordinates, so the image spans
    ``[-0.5, W - 0.5) × [-0.5, H - 0.5)``. ``sector`` is bool ``[H, W]``.
    """
    h, w = sector.shape
    ix = np.floor(tracks_xy_px[..., 0] + 0.5)
    iy = np.floor(tracks_xy_px[..., 1] + 0.5)
    inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    visible = np.zeros(inside.shape, dtype=bool)
    visible[inside] = sector[iy[inside].astype(np.intp), ix[inside].astype(np.intp)]
    return visible


def _draw_preferring(
    rng: np.random.Generator, pool: np.ndarray, preferred: np.ndarray, k: int
) -> np.ndarray:
    """``k`` of ``pool``: preferred ones first, the others to fill up; repeats only if needed.

    With ``k > len(pool)`` every point is taken once and the rest are drawn
    with replacement (from the preferred points if there are any).
    """
    first = pool[preferred[pool]]
    rest = pool[~preferred[pool]]
    if k <= len(first):
        return rng.choice(first, size=k, replace=False)
    if k <= len(pool):
        return np.concatenate([first, rng.choice(rest, size=k - len(first), replace=False)])
    extra = rng.choice(first if len(first) else pool, size=k - len(pool), replace=True)
    return np.concatenate([pool, extra])


def sample_points(
    rng: np.random.Generator,
    layer: np.ndarray,
    n: int,
    tissue_share: float,
    preferred: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of ``n`` points: ``round(n * tissue_share)`` with layer −1, the rest layers 0–2.

    Each group is drawn without replacement; a group with fewer points than
    its quota gives every point once and repeats some. A group without any
    points leaves its quota to the other. Within a group, points with
    ``preferred`` True are taken first. The result is in random order.
    """
    layer = np.asarray(layer)
    pref = np.ones(layer.shape, dtype=bool) if preferred is None else np.asarray(preferred)
    tissue = np.flatnonzero(layer == -1)
    myo = np.flatnonzero(layer != -1)
    k_t = int(np.floor(n * tissue_share + 0.5))
    if len(tissue) == 0:
        k_t = 0
    elif len(myo) == 0:
        k_t = n
    chosen = np.concatenate(
        [_draw_preferring(rng, tissue, pref, k_t), _draw_preferring(rng, myo, pref, n - k_t)]
    ).astype(np.int64)
    return rng.permutation(chosen)


def collate_sequences(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack samples of :class:`SequenceDataset` into batch tensors (``[B, ...]``).

    ``index`` becomes an int64 tensor ``[B]``. Raises ParameterError when the
    samples differ in shape (clips of different length or frames of
    different size): use ``clip_frames`` no longer than the shortest sequence,
    sequences of one frame size, or ``batch_size=1``.
    """
    if not batch:
        raise ParameterError("collate_sequences: the batch is empty")
    keys = list(batch[0])
    out: dict[str, Any] = {}
    for key in keys:
        values = [sample[key] for sample in batch]
        if key == "index":
            out[key] = torch.as_tensor([int(v) for v in values], dtype=torch.int64)
            continue
        shapes = {tuple(v.shape) for v in values}
        if len(shapes) > 1:
            raise ParameterError(
                f"collate_sequences: samples differ in {key} shape "
                f"({', '.join(str(list(s)) for s in sorted(shapes))}); use clip_frames (at most "
                "the shortest sequence's frames) with sequences of one frame size, or batch_size=1"
            )
        out[key] = torch.stack(values)
    return out


__all__ = [
    "MANIFEST_COLUMNS",
    "QUERY_FRAMES",
    "SequenceDataset",
    "collate_sequences",
    "point_visibility",
    "sample_points",
]
