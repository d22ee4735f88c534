"""Read movie files (MP4, AVI, MOV, MKV, M4V) with PyAV.

Our own MP4s (:func:`echostrain.io.write_mp4`) carry a container ``comment``
``echostrain spacing_mm=DY,DX fps=F size=H,W``; the reader uses it to recover
the pixel spacing, the exact frame rate and the original (odd) image size.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from echostrain.core.errors import CorruptInputError, InvalidDataError
from echostrain.core.limits import check_allocation
from echostrain.io._util import one_line, require_file
from echostrain.io.video import EchoVideo

#: First word of the container comment written by echostrain.
COMMENT_TAG = "echostrain"


def format_comment(
    spacing_mm: tuple[float, float] | None, fps: float | None, size_hw: tuple[int, int] | None
) -> str:
    """Build the container comment that :func:`parse_comment` reads back."""
    parts = [COMMENT_TAG]
    if spacing_mm is not None:
        parts.append(f"spacing_mm={float(spacing_mm[0])!r},{float(spacing_mm[1])!r}")
    if fps is not None:
        parts.append(f"fps={float(fps)!r}")
    if size_hw is not None:
        parts.append(f"size={int(size_hw[0])},{int(size_hw[1])}")
    return " ".join(parts)


def parse_comment(comment: str | None) -> dict[str, Any]:
    """Parse an echostrain comment into {spacing_mm, fps, size_hw}; {} if not ours or malformed.

    Malformed fields are dropped rather than raised: the comment is a hint, not data.
    """
    if not comment:
        return {}
    words = comment.split()
    if not words or words[0] != COMMENT_TAG:
        return {}
    out: dict[str, Any] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep:
            continue
        try:
            if key == "spacing_mm":
                dy, dx = (float(v) for v in value.split(","))
                if dy > 0 and dx > 0 and np.isfinite([dy, dx]).all():
                    out["spacing_mm"] = (dy, dx)
            elif key == "fps":
                fps = float(value)
                if fps > 0 and np.isfinite(fps):
                    out["fps"] = fps
            elif key == "size":
                h, w = (int(v) for v in value.split(","))
                if h > 0 and w > 0:
                    out["size_hw"] = (h, w)
        except ValueError:
            continue
    return out


def read_movie(path: str | os.PathLike[str]) -> EchoVideo:
    """Decode every frame of a movie file to grey float32 [T, H, W] in [0, 1].

    fps comes from an echostrain comment if present, else the stream's average
    rate. Spacing is only known for files written by echostrain.
    """
    import av

    p = require_file(path, "video file")
    try:
        container = av.open(str(p), mode="r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise CorruptInputError(
            f"{p} could not be opened as a video ({one_line(exc)}); "
            "the file may be truncated or not a video, re-export it"
        ) from exc

    with container:
        if not container.streams.video:
            raise CorruptInputError(f"{p} has no video stream; give a file that contains a video")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        declared = int(stream.frames or 0)
        ctx = stream.codec_context
        if ctx is None:
            raise CorruptInputError(f"{p} has a video stream without a decodable codec; the file may be damaged")
        check_allocation((max(declared, 1), int(ctx.height or 0), int(ctx.width or 0)), 5, f"{p} (video header)")
        frames: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="gray"))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise CorruptInputError(
                f"{p} is damaged or truncated: decoding failed after {len(frames)} frame(s) "
                f"({one_line(exc)}); re-export the clip"
            ) from exc
        comment = container.metadata.get("comment")
        rate = stream.average_rate or stream.guessed_rate
        info: dict[str, Any] = {
            "format": "movie",
            "container": container.format.name,
            "codec": stream.codec_context.name,
            "width": int(stream.codec_context.width),
            "height": int(stream.codec_context.height),
            "declared_frames": declared,
            "comment": comment,
        }

    if declared > 0 and len(frames) < declared:
        raise CorruptInputError(
            f"{p} is truncated: decoded {len(frames)} of {declared} declared frames; "
            "re-export the clip"
        )
    if not frames:
        raise CorruptInputError(
            f"{p} decoded to 0 frames; the file is empty, damaged or truncated, re-export it"
        )
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise InvalidDataError(
            f"{p}: the frame size changes within the video ({sorted(shapes)}); "
            "re-export it at a single resolution"
        )

    data = np.stack(frames)
    ours = parse_comment(comment)
    if "size_hw" in ours:
        h, w = ours["size_hw"]
        if h <= data.shape[1] and w <= data.shape[2]:
            data = data[:, :h, :w]
    grey = data.astype(np.float32) / np.float32(255.0)
    fps = ours.get("fps")
    if fps is None and rate is not None and float(rate) > 0:
        fps = float(rate)
    info["echostrain_comment"] = bool(ours)
    return EchoVideo(
        frames=grey, spacing_mm=ours.get("spacing_mm"), fps=fps, source=str(p), metadata=info
    )
