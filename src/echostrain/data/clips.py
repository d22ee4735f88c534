"""Training clips drawn from simulated sequences: the one sampling pipeline of echostrain.

:func:`draw_clip` makes one sample of a :class:`ClipSource` (a sequence held
in memory: the whole frames, or the TAS-Net region of interest of
:mod:`echostrain.track.samples`):

1. a window of ``clip_frames`` frames (random start; with ``augment``,
   temporal stride 2 for 40 % of the sequences at least twice as long as the
   clip and played backwards half of the time, against the directional bias
   of systole/diastole);
2. ``n_points`` points (:mod:`echostrain.data.points`): positions on the
   wall mesh (``points="mesh"``) or distinct true points, those visible in
   the clip first (``points="tracks"``);
3. with ``augment``: a random similarity transform (zoom 0.8–1.25, rotation
   ±15°, shift ±8 %, left-right flip) of frames and tracks alike, random
   gain, gamma, speckle-like noise and an occasional dropped frame (the
   previous frame repeated, tracks unchanged: motion the image does not show);
   with ``augment`` and ``imaging`` also the imaging-chain effects of
   :func:`echostrain.data.appearance.imaging_augment` (TGC, dropout,
   stationary clutter, smoothing, persistence, dynamic range); with
   ``augment`` and ``scene_motion`` first the whole-scene motion of
   :func:`echostrain.data.scene_motion.scene_motion_augment` (the heart
   shifting and turning in a fixed sector over the clip), with ``augment``
   and ``coarse_speckle`` the wider speckle of
   :func:`echostrain.data.speckle_scale.coarsen_speckle` (a clinical pulse);
4. visibility (:func:`point_visibility`);
5. query frames: a share ``random_query_share`` of the points is queried on
   a random frame, the others on the first; a point not visible on its
   query frame is queried on the first frame on which it is (frame 0 if it
   is never visible).

A sample is a dict: ``frames`` float32 ``[L, 1, H, W]`` in [0, 1];
``tracks`` float32 ``[L, N, 2]`` (x, y) px at every frame of the clip;
``visible`` bool ``[L, N]``; ``queries`` float32 ``[N, 3]`` (t, x, y) with
(x, y) = ``tracks[t, n]``; ``layer`` / ``segment`` int8 ``[N]`` (of the true
point a mesh position starts from); ``spacing_mm`` float32 ``[2]`` (dy, dx).
The randomness comes only from the generator passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from echostrain.core.checks import inside_image
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import LAYER_NONE
from echostrain.data.appearance import imaging_augment
from echostrain.data.image_warp import warp_images
from echostrain.data.points import mesh_points, sample_points
from echostrain.data.scene_motion import scene_motion_augment
from echostrain.data.speckle_scale import coarsen_speckle
from echostrain.io.sequence import SequenceData

#: Values of :attr:`ClipSettings.points`.
POINT_DRAWS = ("mesh", "tracks")
#: Keys of a sample with a time axis first (cut by ``collate_sequences(..., trim=True)``).
TIME_KEYS = ("frames", "tracks", "visible")


@dataclass(frozen=True)
class ClipSource:
    """One sequence in memory, in the pixels clips are drawn in."""

    frames: torch.Tensor  # uint8 [T, H, W]
    tracks: np.ndarray  # float32 [T, N, 2] (x, y) px
    layer: np.ndarray  # int8 [N]
    segment: np.ndarray  # int8 [N]
    sector: np.ndarray  # bool [H, W]: the imaged sector
    spacing_mm: tuple[float, float]  # (dy, dx) mm per px
    name: str = ""

    @property
    def n_columns(self) -> int:
        """Wall points per layer (the columns of the wall mesh)."""
        wall = np.flatnonzero(self.layer != LAYER_NONE)
        return int((self.layer == self.layer[wall[0]]).sum()) if wall.size else 0

    @property
    def mm_per_px(self) -> float:
        """mm per px along y."""
        return self.spacing_mm[0]


def clip_source(seq: SequenceData, name: str = "") -> ClipSource:
    """The whole frames of ``seq`` as a :class:`ClipSource`; the sector is where any frame is non-zero."""
    return ClipSource(
        frames=torch.from_numpy(np.ascontiguousarray(seq.frames)),
        tracks=seq.tracks,
        layer=seq.track_layer.astype(np.int8),
        segment=seq.track_segment.astype(np.int8),
        sector=(seq.frames > 0).any(axis=0),
        spacing_mm=(float(seq.spacing_mm[0]), float(seq.spacing_mm[1])),
        name=name,
    )


@dataclass(frozen=True)
class ClipSettings:
    """How clips are drawn (see the module docstring); ``clip_frames`` None: the whole sequence."""

    clip_frames: int | None = 32
    n_points: int = 48
    tissue_share: float = 0.2
    random_query_share: float = 0.3
    augment: bool = True
    points: Literal["mesh", "tracks"] = "mesh"
    imaging: bool = False
    scene_motion: bool = False
    coarse_speckle: bool = False

    def __post_init__(self) -> None:
        if self.points not in POINT_DRAWS:
            raise ParameterError(f"`points` must be one of {', '.join(POINT_DRAWS)}, got {self.points!r}")


def draw_window(n_frames: int, settings: ClipSettings, rng: np.random.Generator) -> np.ndarray:
    """Frame indices [L] of a clip: random start; stride and direction drawn with ``augment``."""
    s = settings
    clip = n_frames if s.clip_frames is None else s.clip_frames
    stride = 2 if (s.augment and rng.random() < 0.4 and n_frames >= 2 * clip) else 1
    length = min(clip, (n_frames - 1) // stride + 1)
    start = int(rng.integers(0, n_frames - (length - 1) * stride))
    t_idx = start + stride * np.arange(length)
    if s.augment and rng.random() < 0.5:
        t_idx = t_idx[::-1]
    return t_idx


def _similarity(rng: np.random.Generator, shape_hw: tuple[int, int]) -> np.ndarray:
    """2×3 affine (output px → input px) of a random zoom, rotation, shift and flip about the centre."""
    h, w = shape_hw
    zoom = math.exp(rng.uniform(math.log(0.8), math.log(1.25)))
    angle = math.radians(rng.uniform(-15.0, 15.0))
    flip = -1.0 if rng.random() < 0.5 else 1.0
    shift = rng.uniform(-0.08, 0.08, 2) * np.array([w, h])
    centre = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) / zoom
    rot = rot @ np.diag([flip, 1.0])
    offset = centre - rot @ centre + shift
    return np.concatenate([rot, offset[:, None]], axis=1)


def augment_clip(
    frames: torch.Tensor, tracks_px: np.ndarray, sector: np.ndarray, rng: np.random.Generator
) -> tuple[torch.Tensor, np.ndarray, np.ndarray, float]:
    """Step 3 of the module docstring: (frames [L, H, W], tracks [L, N, 2], sector bool [H, W], zoom).

    ``zoom`` is output px per input px (divide a pixel size in mm by it).
    """
    length, h, w = frames.shape
    aff = _similarity(rng, (h, w))
    frames = warp_images(frames[:, None], aff)[:, 0]
    sector_t = warp_images(torch.as_tensor(sector, dtype=torch.float32)[None, None], aff)
    inv = np.linalg.inv(np.vstack([aff, [0, 0, 1]]))[:2]
    tracks_px = tracks_px @ inv[:, :2].T + inv[:, 2]
    gain = rng.uniform(0.7, 1.3)
    gamma = math.exp(rng.uniform(-0.3, 0.3))
    frames = (frames * gain).clamp(0, 1) ** gamma
    noise = rng.uniform(0.0, 0.06)
    if noise > 0:
        gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
        frames = (frames * (1 + noise * torch.randn(frames.shape, generator=gen))).clamp(0, 1)
    if rng.random() < 0.2 and length > 3:
        drop = int(rng.integers(1, length))
        frames[drop] = frames[drop - 1]
    zoom = 1.0 / math.sqrt(abs(float(np.linalg.det(aff[:, :2]))))
    return frames, tracks_px, sector_t[0, 0].numpy() > 0.5, zoom


def point_visibility(tracks_xy_px: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """bool ``[..., N]``: each (x, y) lies inside the image and its nearest pixel on ``sector``.

    Inside the image is the rule of :func:`echostrain.core.checks.inside_image`
    (``0 ≤ x ≤ W − 1``, ``0 ≤ y ≤ H − 1``); ``sector`` is bool ``[H, W]``.
    """
    h, w = sector.shape
    inside = inside_image(tracks_xy_px, (h, w))
    nearest = np.round(np.where(inside[..., None], tracks_xy_px, 0.0)).astype(int)
    return inside & sector[nearest[..., 1], nearest[..., 0]]


def draw_query_frames(visible: np.ndarray, random_query_share: float, rng: np.random.Generator) -> np.ndarray:
    """Query frame [N] of each point of ``visible`` [L, N] (step 5 of the module docstring)."""
    length, n = visible.shape
    qt = np.zeros(n, int)
    rand_q = rng.random(n) < random_query_share
    qt[rand_q] = rng.integers(0, length, int(rand_q.sum()))
    for i in np.flatnonzero(~visible[qt, np.arange(n)]):
        vis_t = np.flatnonzero(visible[:, i])
        qt[i] = vis_t[0] if vis_t.size else 0
    return qt


def draw_clip(source: ClipSource, settings: ClipSettings, rng: np.random.Generator) -> dict[str, Any]:
    """One sample of ``source`` (see the module docstring)."""
    s = settings
    t_idx = draw_window(source.frames.shape[0], s, rng)
    frames = source.frames[torch.as_tensor(t_idx.copy())].to(torch.float32) / 255.0  # [L, H, W]
    if s.points == "mesh":
        ids, tracks = mesh_points(source.tracks, source.layer, source.n_columns, s.n_points, s.tissue_share, rng)
    else:
        ids, tracks = np.arange(source.layer.size), source.tracks
    tracks = tracks[t_idx]  # [L, N, 2]
    sector = source.sector
    if s.augment:
        frames, tracks, sector, zoom = augment_clip(frames, tracks, sector, rng)
        mm_per_px = source.mm_per_px / zoom
        if s.scene_motion:
            frames, tracks, sector = scene_motion_augment(frames, tracks, sector, mm_per_px, rng)
        if s.coarse_speckle:
            frames = coarsen_speckle(frames, sector, mm_per_px, rng)
        if s.imaging:
            frames = imaging_augment(frames, sector, rng)
    visible = point_visibility(tracks, sector)
    if s.points == "tracks":
        ids = sample_points(rng, source.layer, s.n_points, s.tissue_share, preferred=visible.any(axis=0))
        tracks, visible = tracks[:, ids], visible[:, ids]
    qt = draw_query_frames(visible, s.random_query_share, rng)
    n = tracks.shape[1]
    queries = np.concatenate([qt[:, None], tracks[qt, np.arange(n)]], axis=1)
    return {
        "frames": frames[:, None].contiguous(),
        "tracks": torch.as_tensor(tracks, dtype=torch.float32),
        "visible": torch.as_tensor(visible),
        "queries": torch.as_tensor(queries, dtype=torch.float32),
        "layer": torch.as_tensor(source.layer[ids], dtype=torch.int8),
        "segment": torch.as_tensor(source.segment[ids], dtype=torch.int8),
        "spacing_mm": torch.tensor(source.spacing_mm, dtype=torch.float32),
    }


def _trimmed(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Samples cut to the shortest clip; a query whose frame was cut moves to the last frame kept."""
    length = min(s["frames"].shape[0] for s in batch)
    out = []
    for sample in batch:
        cut = {**sample, **{key: sample[key][:length] for key in TIME_KEYS}}
        late = sample["queries"][:, 0] > length - 1
        if late.any():
            q = sample["queries"].clone()
            q[late, 0] = length - 1
            q[late, 1:] = sample["tracks"][length - 1, late]
            cut["queries"] = q
        out.append(cut)
    return out


def collate_sequences(batch: list[dict[str, Any]], *, trim: bool = False) -> dict[str, Any]:
    """Stack samples (:func:`draw_clip`, :class:`~echostrain.data.SequenceDataset`) into ``[B, ...]``.

    Parameters
    ----------
    batch : list of dict
        The samples.
    trim : bool
        Cut every clip to the shortest of the batch (queries of frames cut
        off move to the last frame kept). False: refuse clips of different
        length.

    Returns
    -------
    dict
        The stacked tensors; ``index`` (of the dataset) becomes int64 ``[B]``.

    Raises ParameterError when the batch is empty or the samples differ in
    shape: use ``clip_frames`` no longer than the shortest sequence,
    sequences of one frame size, or ``batch_size=1``.
    """
    if not batch:
        raise ParameterError("collate_sequences: `batch` is empty")
    if trim:
        batch = _trimmed(batch)
    out: dict[str, Any] = {}
    for key in batch[0]:
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
