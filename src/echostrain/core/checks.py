"""Checks shared by every stage: views and the one rule of what lies inside an image."""

from __future__ import annotations

import re

import numpy as np

from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import VIEWS


def check_view(view: str) -> str:
    """Return the view in lower case, or raise :class:`ParameterError` if unknown.

    Examples
    --------
    >>> check_view(" A4C ")
    'a4c'
    """
    v = str(view).strip().lower()
    if v not in VIEWS:
        raise ParameterError(f"unknown view {view!r}; use one of {', '.join(VIEWS)}")
    return v


def inside_image(xy_px: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """bool ``[...]``: points ``xy_px [..., 2]`` (x, y) inside an ``H × W`` image.

    The one rule used everywhere: a point is inside when ``0 ≤ x ≤ W − 1`` and
    ``0 ≤ y ≤ H − 1`` (pixel centres at integers). NaN is outside.

    Examples
    --------
    >>> inside_image(np.array([[0.0, 0.0], [9.0, 4.0], [9.5, 0.0]]), (5, 10)).tolist()
    [True, True, False]
    """
    h, w = (int(v) for v in shape_hw)
    xy = np.asarray(xy_px, dtype=np.float64)
    x, y = xy[..., 0], xy[..., 1]
    with np.errstate(invalid="ignore"):
        return (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)


def first_outside(xy_px: np.ndarray, shape_hw: tuple[int, int]) -> int | None:
    """Index of the first point of ``xy_px [N, 2]`` outside the image (:func:`inside_image`), or None."""
    out = ~inside_image(xy_px, shape_hw)
    return int(np.argmax(out)) if out.any() else None


def clip_to_image(xy_px: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """``xy_px [..., 2]`` moved onto the nearest point inside the image (:func:`inside_image`)."""
    h, w = (int(v) for v in shape_hw)
    return np.clip(np.asarray(xy_px, dtype=np.float64), 0.0, [w - 1, h - 1])


_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?|mps)$")


def check_device(device: object) -> str:
    """A torch device name that this PyTorch can use (``cpu``, ``cuda``, ``cuda:N``, ``mps``); else ParameterError.

    Torch is imported only for a GPU name, to see whether it is there.
    """
    name = str(device).strip().lower()
    if not _DEVICE.match(name):
        raise ParameterError(f"`device` {device!r} is not a device name; use cpu, cuda, cuda:N or mps")
    if name.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise ParameterError(f"`device` {name} was asked for but this PyTorch sees no CUDA device; use cpu")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise ParameterError(
                f"`device` {name}: this machine has {torch.cuda.device_count()} CUDA device(s); use cuda:0…"
            )
    if name == "mps":
        import torch

        if not torch.backends.mps.is_available():
            raise ParameterError("`device` mps was asked for but this PyTorch sees no MPS device; use cpu")
    return name
