"""Decorrelation profiles of several clips, measured alike (the ``decorrelation measure`` and ``realism`` commands)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from echostrain.anatomy.polyline import myocardium_mask
from echostrain.core.errors import ParameterError
from echostrain.io import read_myocardium_contours, read_video
from echostrain.realism.decorrelation import measure_decorrelation

#: A clip needs at least this many frames to measure decorrelation (lags 1 and 2).
MIN_DECORRELATION_FRAMES = 3


def measure_clips(
    clips: list[Path],
    *,
    what: str,
    max_lag_frames: int | None = None,
    max_lag_ms: float | None = None,
    patch_mm: float,
    search_mm: float,
    n_patches: int,
    spacing_mm: tuple[float, float] | None,
    fps: float | None,
    sector_threshold: float,
    seed: int,
    contours: list[Path] | None = None,
) -> list[Any]:
    """Read and measure each clip; lags from ``max_lag_frames`` or, per clip, from ``max_lag_ms``.

    With ``max_lag_ms`` a clip of T frames at ``fps`` gets
    ``min(T - 1, ceil(max_lag_ms · fps / 1000))`` lags, so every clip covers the
    same range in ms. ``contours`` (one myocardium contour file per clip, in
    the same order) restrict the patches to the wall. Everything is read and
    checked before anything is written.
    """
    if not clips:
        raise ParameterError(f"give at least one {what} clip")
    if contours and len(contours) != len(clips):
        raise ParameterError(
            f"got {len(contours)} `contours` file(s) for {len(clips)} clip(s); give one contour per clip, in order"
        )
    profiles = []
    used_ids: set[str] = set()
    for i, path in enumerate(clips):
        clip = read_video(path, spacing_mm=spacing_mm, fps=fps)
        n_t = int(clip.frames.shape[0])
        if n_t < MIN_DECORRELATION_FRAMES:
            raise ParameterError(
                f"{path}: decorrelation needs at least {MIN_DECORRELATION_FRAMES} frames, "
                f"the clip has {n_t}"
            )
        if max_lag_ms is not None:
            if clip.fps is None:
                raise ParameterError(f"{path} has no frame rate; give the frame rate (frames/s)")
            k = min(n_t - 1, max(1, math.ceil(max_lag_ms * clip.fps / 1000.0 - 1e-9)))
        else:
            k = int(max_lag_frames if max_lag_frames is not None else 4)
        clip_id = path.stem or str(path)
        if clip_id in used_ids:
            clip_id = str(path)
        used_ids.add(clip_id)
        mask = None
        if contours:
            shape = tuple(int(v) for v in clip.frames.shape[1:])
            layers = read_myocardium_contours(contours[i], image_shape_hw=shape)
            mask = myocardium_mask(layers["endo"], layers["epi"], shape)
        profiles.append(
            measure_decorrelation(
                clip, max_lag_frames=k, patch_mm=patch_mm, search_mm=search_mm,
                n_patches=n_patches, rng=seed + i, clip_id=clip_id,
                sector_threshold=sector_threshold, mask=mask,
            )
        )
    return profiles
