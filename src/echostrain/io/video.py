"""The in-memory echo clip (:class:`EchoVideo`) and conversion of pixel data to grey [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.io._util import check_fps, check_spacing

#: ITU-R BT.601 luma weights for (R, G, B).
LUMA_BT601: tuple[float, float, float] = (0.299, 0.587, 0.114)


def to_unit_float(
    array: np.ndarray,
    source: str,
    *,
    max_value: float | None = None,
    rgb: bool | None = None,
) -> np.ndarray:
    """Convert pixel data to float32 grey in [0, 1].

    - uint8 → /255; uint16 → /65535 (or /``max_value``, e.g. 2**BitsStored − 1);
      other integer types → /``max_value``, or /255 when all values lie in 0..255;
      bool → 0/1; floats must already lie in [0, 1].
    - ``rgb``: whether the last axis holds colour samples (RGB or RGBA, alpha is
      dropped); ``None`` means "yes when the array is 4-D with 3 or 4 samples".
      Colour is reduced to grey with ITU-R BT.601 luma (0.299, 0.587, 0.114).

    Raises InvalidDataError (non-finite or out-of-range values, unsupported dtype).
    """
    a = np.asarray(array)
    if rgb is None:
        rgb = a.ndim == 4 and a.shape[-1] in (3, 4)
    if rgb and (a.ndim < 1 or a.shape[-1] not in (3, 4)):
        raise InvalidDataError(
            f"{source}: colour data must have 3 (RGB) or 4 (RGBA) samples on the last axis, "
            f"got shape {a.shape}"
        )
    if max_value is not None and not (np.isfinite(max_value) and max_value > 0):
        raise ParameterError(f"{source}: max_value must be positive, got {max_value}")

    if a.dtype == np.bool_:
        out = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.integer):
        if max_value is not None:
            scale = float(max_value)
        elif a.dtype == np.uint8:
            scale = 255.0
        elif a.dtype == np.uint16:
            scale = 65535.0
        else:
            lo = int(a.min()) if a.size else 0
            hi = int(a.max()) if a.size else 0
            if lo < 0 or hi > 255:
                raise InvalidDataError(
                    f"{source}: {a.dtype} pixel values range from {lo} to {hi}; "
                    "convert frames to uint8, uint16 or floats in [0, 1]"
                )
            scale = 255.0
        out = a.astype(np.float32) / np.float32(scale)
        if max_value is not None:
            np.clip(out, 0.0, 1.0, out=out)
    elif np.issubdtype(a.dtype, np.floating):
        out = a.astype(np.float32, copy=True)
        finite = np.isfinite(out)
        if not finite.all():
            bad = np.argwhere(~finite)[0]
            raise InvalidDataError(
                f"{source}: pixel data contain NaN or infinite values (first at index "
                f"{tuple(int(i) for i in bad)}); replace them (e.g. numpy.nan_to_num) before use"
            )
        if out.size:
            lo, hi = float(out.min()), float(out.max())
            if lo < 0.0 or hi > 1.0:
                raise InvalidDataError(
                    f"{source}: float pixel values range from {lo:g} to {hi:g}; expected [0, 1] "
                    "(divide 8-bit data by 255, or rescale to [0, 1])"
                )
    else:
        raise InvalidDataError(
            f"{source}: pixel data of type {a.dtype} are not supported; "
            "use uint8, uint16, bool or floats in [0, 1]"
        )

    if rgb:
        weights = np.asarray(LUMA_BT601, dtype=np.float32)
        out = out[..., :3] @ weights
        np.clip(out, 0.0, 1.0, out=out)
    return np.ascontiguousarray(out, dtype=np.float32)


@dataclass
class EchoVideo:
    """A grey echo clip.

    Attributes:
        frames: float32 [T, H, W] grey values in [0, 1], T ≥ 2.
        spacing_mm: pixel size (dy, dx) in mm (row, column), or None if unknown.
        fps: frame rate in frames/s, or None if unknown.
        source: where the clip came from (a path, or a description).
        metadata: format-specific header fields (plain Python values).
    """

    frames: np.ndarray
    spacing_mm: tuple[float, float] | None = None
    fps: float | None = None
    source: str = "<memory>"
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        src = str(self.source)
        self.source = src
        f = self.frames
        if not isinstance(f, np.ndarray):
            raise InvalidDataError(f"{src}: frames must be a numpy array, got {type(f).__name__}")
        if f.ndim != 3:
            raise InvalidDataError(
                f"{src}: frames must be a 3-D array T×H×W, got shape {f.shape}; "
                "convert colour to grey and stack frames along the first axis"
            )
        if f.dtype != np.float32:
            raise InvalidDataError(
                f"{src}: frames must be float32 in [0, 1], got {f.dtype}; "
                "convert them with echostrain.io.to_unit_float"
            )
        n = f.shape[0]
        if n < 2:
            raise InvalidDataError(
                f"{src} has {n} frame{'s' if n != 1 else ''}; a clip needs at least 2 frames"
            )
        if f.shape[1] < 1 or f.shape[2] < 1:
            raise InvalidDataError(f"{src}: frames have an empty image size {f.shape[1:]}")
        if not np.isfinite(f).all():
            raise InvalidDataError(
                f"{src}: frames contain NaN or infinite values; replace them before use"
            )
        lo, hi = float(f.min()), float(f.max())
        if lo < 0.0 or hi > 1.0:
            raise InvalidDataError(
                f"{src}: frame values range from {lo:g} to {hi:g}; expected [0, 1] "
                "(convert them with echostrain.io.to_unit_float)"
            )
        self.spacing_mm = check_spacing(self.spacing_mm, src)
        self.fps = check_fps(self.fps, src)

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.frames.shape[0])

    @property
    def shape_hw(self) -> tuple[int, int]:
        """Image size (H, W) in pixels."""
        return (int(self.frames.shape[1]), int(self.frames.shape[2]))

    @property
    def duration_s(self) -> float | None:
        """Clip duration T / fps in seconds, or None without a frame rate."""
        if self.fps is None:
            return None
        return self.n_frames / self.fps

    def require_spacing(self) -> tuple[float, float]:
        """The pixel spacing (dy, dx) in mm; ParameterError naming the fix when there is none.

        The message names header fields that were present but unusable (e.g. a
        negative PixelSpacing), so the user knows why the spacing is missing.
        """
        if self.spacing_mm is not None:
            return self.spacing_mm
        ignored = self.metadata.get("ignored_fields")
        why = f" ({ignored})" if ignored else ""
        raise ParameterError(f"{self.source} has no pixel spacing{why}; give `spacing_mm` (dy, dx in mm)")

    def frame_times_s(self) -> np.ndarray:
        """Start time of each frame in seconds, float64 [T] (t = i / fps).

        Raises ParameterError when the clip has no frame rate.
        """
        if self.fps is None:
            ignored = self.metadata.get("ignored_fields")
            why = f" ({ignored})" if ignored else ""
            raise ParameterError(
                f"{self.source} has no frame rate{why}; pass fps=... when reading the clip"
            )
        return np.arange(self.n_frames, dtype=np.float64) / self.fps
