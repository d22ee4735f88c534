"""Points drawn on a clip, written as an MP4 or a folder of PNG frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from echostrain.core.checks import first_outside
from echostrain.core.errors import GeometryError, OutputPathError, ParameterError
from echostrain.core.vocabulary import MP4_SUFFIXES
from echostrain.io.overlay import overlay_points
from echostrain.io.tracks import TrackSet
from echostrain.io.video import EchoVideo
from echostrain.io.write import write_mp4, write_png_frames

#: Frame rate of an overlay when neither the clip nor the tracks have one.
FALLBACK_FPS = 25.0


def check_overlay_out(out: str | os.PathLike[str], parameter: str = "out") -> Path:
    """``out`` as a Path if it can take an overlay: an MP4 name that is not a folder, or a suffix-less folder name.

    ``parameter`` is the caller's name of ``out`` (in the messages).
    """
    path = Path(out)
    if path.suffix and path.suffix.lower() not in MP4_SUFFIXES:
        raise ParameterError(
            f"`{parameter}` {path.name}: an overlay is an MP4 movie ({', '.join(MP4_SUFFIXES)}) or a folder of PNG frames "
            "(a name without a suffix); rename it"
        )
    if path.suffix and path.is_dir():
        raise OutputPathError(f"`{parameter}` {path} is a folder; give the name of an .mp4 file")
    if not path.parent.is_dir():
        raise OutputPathError(f"the folder of `{parameter}` ({path.parent}) does not exist; create it first")
    return path


def write_overlay(
    out: str | os.PathLike[str],
    frames: np.ndarray,
    tracks_px: np.ndarray,
    *,
    labels: np.ndarray | None = None,
    fps: float | None = None,
    spacing_mm: tuple[float, float] | None = None,
    radius_px: int = 2,
) -> Path:
    """Draw ``tracks_px [T, N, 2]`` (coloured by ``labels``, the layer codes) on ``frames`` and write them.

    ``out`` ending in .mp4/.m4v/.mov is a movie; a name without a suffix a folder
    of PNG frames; any other suffix is refused (before anything is drawn).
    """
    path = check_overlay_out(out)
    rgb = overlay_points(frames, tracks_px, labels=labels, radius_px=radius_px)
    rate = fps or FALLBACK_FPS
    if path.suffix.lower() in MP4_SUFFIXES:
        return Path(write_mp4(path, rgb, fps=rate, spacing_mm=spacing_mm))
    return Path(write_png_frames(path, rgb, fps=rate, spacing_mm=spacing_mm))


def write_tracks_overlay(out: str | os.PathLike[str], clip: EchoVideo, tracks: TrackSet, *, radius_px: int = 2) -> Path:
    """The points of a tracks file drawn on the clip they were tracked on (checked to belong to it)."""
    if tracks.tracks.shape[0] != clip.n_frames:
        raise ParameterError(
            f"{tracks.source} has {tracks.tracks.shape[0]} frames but {clip.source} has {clip.n_frames}; "
            "use the tracks of this clip"
        )
    i = first_outside(tracks.tracks[0], clip.shape_hw)
    if i is not None:
        h, w = clip.shape_hw
        x, y = tracks.tracks[0, i]
        raise GeometryError(
            f"point {i} (x={x:.1f}, y={y:.1f}) is outside the {w}×{h} image at frame 0; "
            "were the tracks made on another clip?"
        )
    return write_overlay(out, clip.frames, tracks.tracks, labels=tracks.layer, fps=clip.fps or tracks.fps,
                         spacing_mm=clip.spacing_mm, radius_px=radius_px)
