"""Find the ultrasound sector (fan) of a clip."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from echostrain.core.errors import GeometryError, InvalidDataError, ParameterError
from echostrain.io.video import EchoVideo, to_unit_float


#: Grey level (0–1) a pixel must exceed in some frame to belong to the imaged sector.
SECTOR_THRESHOLD = 2 / 255


def sector_mask(frames: np.ndarray | EchoVideo, threshold: float = SECTOR_THRESHOLD) -> np.ndarray:
    """Boolean [H, W] mask of the imaging sector.

    Pixels whose maximum over time exceeds ``threshold`` (grey level in [0, 1];
    frames may be uint8 or float in [0, 1]), reduced to the largest
    8-connected component, with holes filled. Clips whose background is not
    black (heavy compression noise outside the fan) need a higher threshold.
    Raises InvalidDataError if no pixel exceeds the threshold.
    """
    if isinstance(frames, EchoVideo):
        source = frames.source
        data = frames.frames
    else:
        source = "sector_mask frames"
        data = to_unit_float(np.asarray(frames), source, rgb=False)
    if data.ndim != 3:
        raise InvalidDataError(f"{source}: expected grey frames T×H×W, got shape {data.shape}")
    if not (0.0 <= float(threshold) < 1.0):
        raise ParameterError(f"sector_mask: threshold must be in [0, 1), got {threshold}")

    bright = data.max(axis=0) > threshold
    labels, count = ndimage.label(bright, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        raise InvalidDataError(
            f"{source}: no pixel is brighter than {threshold:.4g} in any frame, so no sector was "
            "found; check the clip is not blank or lower the threshold"
        )
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    largest = labels == int(np.argmax(sizes))
    return ndimage.binary_fill_holes(largest)


def fan_apex_px(mask: np.ndarray) -> tuple[float, float]:
    """(x, y) pixel of the fan's apex: the centre of the mask's top row."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        raise GeometryError("the sector mask is empty (all pixels are black), so the fan has no apex")
    top = rows[0]
    cols = np.flatnonzero(mask[top])
    return float(cols.mean()), float(top)
