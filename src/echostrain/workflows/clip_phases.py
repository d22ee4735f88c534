"""A first guess at a clip's ED and ES frames, before anything is tracked.

:func:`suggest_phases` reads them from the file when it holds them (the
``ed_index``/``es_index`` of a sequence file); otherwise it looks at the
frames: at end-diastole the LV cavity is largest, so the region holds the
most dark (blood) pixels; at end-systole, within the following systole, the
fewest. The region is the central part of the sector, or better the box of
the ED endocardium once it is drawn (:func:`suggest_es`). The guesses are
for the user to confirm or change (``echostrain studio``), not measurements:
on the two shared real clips, with the box of the drawn ED endocardium, ES
comes out at frame 22 (drawn: 21) and 14 (drawn: 12).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from echostrain.io.sector import sector_mask
from echostrain.io.video import EchoVideo

#: Longest ED → ES interval searched (s); half a beat at 50 beats/min.
MAX_SYSTOLE_S = 0.6


def _file_index(metadata: dict[str, Any], key: str, n_frames: int) -> int | None:
    value = metadata.get(key)
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if 0 <= index < n_frames else None


def _central_region(frames: np.ndarray) -> np.ndarray:
    t, h, w = frames.shape
    mask = sector_mask(frames)
    central = np.zeros_like(mask)
    central[int(0.15 * h) : int(0.85 * h), int(0.25 * w) : int(0.75 * w)] = True
    region = mask & central
    if region.sum() < 16:
        region = mask if mask.any() else np.ones_like(mask)
    return region


def dark_share(frames: np.ndarray, region: np.ndarray | None = None) -> np.ndarray:
    """Share ``[T]`` of dark pixels in ``region`` (bool ``[H, W]``; default the central sector), 3-frame mean.

    Dark: below the midpoint of the clip's 5th and 95th grey-level percentiles there.
    """
    region = _central_region(frames) if region is None or region.sum() < 16 else region
    values = frames[:, region]
    lo, hi = np.percentile(values, [5, 95])
    share = (values < 0.5 * (lo + hi)).mean(axis=1)
    kernel = np.ones(3) / 3
    return np.convolve(np.pad(share, 1, mode="edge"), kernel, mode="valid")


def box_region(points_xy_px: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """bool ``[H, W]``: the bounding box of the points (x, y) px."""
    pts = np.asarray(points_xy_px, dtype=float)
    h, w = shape_hw
    x0, y0 = np.clip(np.floor(pts.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(pts.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    region = np.zeros((h, w), dtype=bool)
    region[y0 : y1 + 1, x0 : x1 + 1] = True
    return region


def suggest_es(video: EchoVideo, ed_frame: int, *, region: np.ndarray | None = None,
               fps: float | None = None) -> int | None:
    """The frame of fewest dark pixels in ``region`` within ``MAX_SYSTOLE_S`` after ``ed_frame`` (None: none left).

    Without a frame rate (``fps`` or the clip's) half the clip is searched.
    """
    n = video.frames.shape[0]
    rate = fps or video.fps
    span = int(round(MAX_SYSTOLE_S * rate)) if rate else n // 2
    last = min(n, ed_frame + 1 + max(span, 1))
    if last <= ed_frame + 1:
        return None
    share = dark_share(video.frames, region)
    return ed_frame + 1 + int(np.argmin(share[ed_frame + 1 : last]))


def suggest_phases(video: EchoVideo) -> dict[str, Any]:
    """``{"ed_frame": int, "es_frame": int | None, "source": "file" | "image"}`` for ``video``."""
    n = video.frames.shape[0]
    ed = _file_index(video.metadata, "ed_index", n)
    es = _file_index(video.metadata, "es_index", n)
    if ed is not None:
        return {"ed_frame": ed, "es_frame": es if es is not None and es > ed else None, "source": "file"}
    share = dark_share(video.frames)
    ed = int(np.argmax(share[: max(1, n - 2)]))
    return {"ed_frame": ed, "es_frame": suggest_es(video, ed), "source": "image"}
