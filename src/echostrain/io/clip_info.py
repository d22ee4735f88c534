"""The facts of a clip that ``echostrain info`` prints: frames, size, spacing, frame rate, sector."""

from __future__ import annotations

from typing import Any

from echostrain.io.sector import sector_mask
from echostrain.io.video import EchoVideo


def clip_facts(clip: EchoVideo) -> dict[str, Any]:
    """Source, frames, height and width (px), spacing (mm), fps, duration (s) and the sector's share of the image.

    ``ignored_fields`` is added when the file held spacing or frame-rate fields that
    could not be used (e.g. a negative PixelSpacing).
    """
    t, h, w = clip.frames.shape
    facts: dict[str, Any] = {
        "source": clip.source,
        "frames": t,
        "height_px": h,
        "width_px": w,
        "spacing_mm": list(clip.spacing_mm) if clip.spacing_mm else None,
        "fps": clip.fps,
        "duration_s": clip.duration_s,
        "sector_fraction": round(float(sector_mask(clip.frames).mean()), 4),
    }
    if clip.metadata.get("ignored_fields"):
        facts["ignored_fields"] = clip.metadata["ignored_fields"]  # header values that could not be used
    return facts
