"""Write clips as MP4 (H.264) or as a folder of PNG frames, atomically.

MP4 details: libx264, yuv420p tagged *full range* (so grey levels 0..255 are
kept, not squeezed to 16..235), chroma neutral for grey input. Odd H or W is
padded to even by edge replication and the original size is stored in the
container comment (``echostrain spacing_mm=DY,DX fps=F size=H,W``), which
:func:`echostrain.io.read_video` uses to crop back and to recover spacing/fps.
``crf=0`` is lossless for grey frames (exact uint8 round trip; the stream then
uses the High 4:4:4 Predictive profile, which some players cannot show).
"""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import numpy as np

from echostrain.core.errors import InvalidDataError, ParameterError, UnsupportedFormatError
from echostrain.io._util import as_path, check_fps, check_spacing
from echostrain.io.atomic import atomic_path
from echostrain.io.movie import format_comment
from echostrain.io.pngdir import SIDECAR_NAME
from echostrain.io.video import to_unit_float

__all__ = ["atomic_path", "frames_to_uint8", "write_mp4", "write_png_frames"]

#: Output suffix → FFmpeg muxer used by write_mp4.
_MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}


def frames_to_uint8(frames: np.ndarray, source: str = "frames") -> np.ndarray:
    """Convert grey [T, H, W] or RGB [T, H, W, 3] frames (uint8, or floats in [0, 1]) to uint8.

    Floats are mapped with ``round(x * 255)``. RGBA drops alpha. Raises
    InvalidDataError for a wrong shape, NaN/inf or out-of-range values.
    """
    a = np.asarray(frames)
    colour = a.ndim == 4 and a.shape[-1] in (3, 4)
    if not (a.ndim == 3 or colour):
        raise InvalidDataError(
            f"{source} has shape {a.shape}; expected grey frames T×H×W or RGB frames T×H×W×3"
        )
    if colour:
        a = a[..., :3]
    if a.shape[0] < 1 or a.shape[1] < 1 or a.shape[2] < 1:
        raise InvalidDataError(f"{source} has shape {a.shape}; there is nothing to write")
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    unit = to_unit_float(a, source, rgb=False)
    return np.ascontiguousarray(np.rint(unit * np.float32(255.0)).astype(np.uint8))


def _pad_even(a: np.ndarray) -> np.ndarray:
    """Pad H and W (axes 1, 2) to even sizes by repeating the last row/column."""
    ph, pw = a.shape[1] % 2, a.shape[2] % 2
    if not (ph or pw):
        return a
    pad = [(0, 0), (0, ph), (0, pw)] + [(0, 0)] * (a.ndim - 3)
    return np.pad(a, pad, mode="edge")


def write_mp4(
    path: str | os.PathLike[str],
    frames: np.ndarray,
    fps: float,
    spacing_mm: tuple[float, float] | None = None,
    crf: int = 18,
) -> Path:
    """Write frames to an H.264 MP4 atomically; return the final path.

    Args:
        path: output file ending in ``.mp4`` (``.m4v``, ``.mov`` also work); its folder
            must exist.
        frames: grey [T, H, W] or RGB [T, H, W, 3], uint8 or float in [0, 1].
        fps: frame rate in frames/s.
        spacing_mm: pixel size (dy, dx) in mm, stored in the container comment.
        crf: x264 constant rate factor 0..51 (0 = lossless, 18 ≈ visually lossless).
    """
    import av

    target = as_path(path)
    muxer = _MUXERS.get(target.suffix.lower())
    if muxer is None:
        raise UnsupportedFormatError(
            f"cannot write {target}: write_mp4 writes .mp4 (or .m4v, .mov) files; "
            "give a name ending in .mp4"
        )
    fps_value = check_fps(fps, f"write_mp4({target})")
    if fps_value is None:
        raise ParameterError(f"write_mp4({target}): fps is required (frames/s)")
    spacing = check_spacing(spacing_mm, f"write_mp4({target})")
    if isinstance(crf, bool) or not isinstance(crf, (int, np.integer)) or not 0 <= int(crf) <= 51:
        raise ParameterError(f"write_mp4({target}): crf must be an integer 0..51, got {crf!r}")
    if "libx264" not in av.codecs_available:
        raise UnsupportedFormatError(
            f"cannot write {target}: this PyAV build has no libx264 encoder; "
            "install the PyAV wheel from PyPI (pip install av)"
        )

    data = frames_to_uint8(frames, f"frames for {target}")
    size_hw = (int(data.shape[1]), int(data.shape[2]))
    padded = _pad_even(data)
    colour = padded.ndim == 4
    height, width = int(padded.shape[1]), int(padded.shape[2])
    rate = Fraction(fps_value).limit_denominator(100_000)
    comment = format_comment(spacing, fps_value, size_hw)

    with atomic_path(target) as tmp:
        with av.open(str(tmp), mode="w", format=muxer, options={"movflags": "+faststart"}) as out:
            stream = out.add_stream("libx264", rate=rate)
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(int(crf))}
            stream.codec_context.color_range = av.video.reformatter.ColorRange.JPEG
            out.metadata["comment"] = comment
            fmt = "rgb24" if colour else "gray"
            for i, image in enumerate(padded):
                frame = av.VideoFrame.from_ndarray(image, format=fmt)
                frame.color_range = av.video.reformatter.ColorRange.JPEG
                frame.pts = i
                frame.time_base = 1 / rate
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    return target


def write_png_frames(
    folder: str | os.PathLike[str],
    frames: np.ndarray,
    fps: float | None = None,
    spacing_mm: tuple[float, float] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write frames as ``frame_0000.png``… plus an ``echostrain.json`` sidecar, atomically.

    The folder is built under a temporary sibling name and renamed when
    complete. An existing non-empty folder is replaced only with ``overwrite``.
    Frames are grey [T, H, W] or RGB [T, H, W, 3], uint8 or float in [0, 1]
    (floats are stored as 8-bit, ``round(x * 255)``).
    """
    from PIL import Image

    target = as_path(folder)
    fps_value = check_fps(fps, f"write_png_frames({target})")
    spacing = check_spacing(spacing_mm, f"write_png_frames({target})")
    data = frames_to_uint8(frames, f"frames for {target}")
    digits = max(4, len(str(data.shape[0] - 1)))
    sidecar = {
        "fps": fps_value,
        "spacing_mm": list(spacing) if spacing is not None else None,
        "n_frames": int(data.shape[0]),
    }
    with atomic_path(target, overwrite=overwrite, folder=True) as tmp:
        for i, image in enumerate(data):
            Image.fromarray(image).save(tmp / f"frame_{i:0{digits}d}.png")
        (tmp / SIDECAR_NAME).write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    return target
