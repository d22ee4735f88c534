"""Draw tracked points on frames (filled discs, pure numpy)."""

from __future__ import annotations

import math

import numpy as np

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.io.write import frames_to_uint8

#: RGB colour of each layer code (0 endo, 1 mid-wall, 2 epi, −1 not myocardium).
LAYER_COLORS: dict[int, tuple[int, int, int]] = {
    0: (255, 0, 0),  # endocardium: red
    1: (255, 255, 0),  # mid-wall: yellow
    2: (0, 255, 255),  # epicardium: cyan
    -1: (200, 200, 200),  # not myocardium: light grey
}
#: Colour used when neither ``colors`` nor ``labels`` is given.
DEFAULT_COLOR: tuple[int, int, int] = (0, 255, 0)


#: Largest point radius drawn (px).
MAX_RADIUS_PX = 50


def _disc_offsets(radius_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Integer (dy, dx) offsets of pixels within ``radius_px`` of the centre pixel."""
    r = math.floor(radius_px)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    inside = dy * dy + dx * dx <= radius_px * radius_px
    return dy[inside], dx[inside]


def _point_colors(n: int, colors: np.ndarray | None, labels: np.ndarray | None) -> np.ndarray:
    """uint8 [N, 3] colours from explicit colours, layer labels or the default."""
    if colors is not None and labels is not None:
        raise ParameterError("overlay_points: pass either colors or labels, not both")
    if colors is not None:
        c = np.asarray(colors)
        if c.shape == (3,):
            c = np.broadcast_to(c, (n, 3))
        if c.shape != (n, 3):
            raise ParameterError(
                f"overlay_points: colors must have shape ({n}, 3) or (3,), got {c.shape}"
            )
        if not np.issubdtype(c.dtype, np.integer) or c.min(initial=0) < 0 or c.max(initial=0) > 255:
            raise ParameterError("overlay_points: colors must be integers 0..255 (uint8 RGB)")
        return c.astype(np.uint8)
    if labels is not None:
        lab = np.asarray(labels)
        if lab.shape != (n,):
            raise ParameterError(f"overlay_points: labels must have shape ({n},), got {lab.shape}")
        out = np.empty((n, 3), dtype=np.uint8)
        for i, code in enumerate(lab.tolist()):
            if code not in LAYER_COLORS:
                raise ParameterError(
                    f"overlay_points: label {code!r} of point {i} is not a layer code "
                    "(0 endo, 1 mid-wall, 2 epi, -1 none)"
                )
            out[i] = LAYER_COLORS[code]
        return out
    return np.tile(np.asarray(DEFAULT_COLOR, dtype=np.uint8), (n, 1))


def overlay_points(
    frames: np.ndarray,
    points_xy: np.ndarray,
    colors: np.ndarray | None = None,
    radius_px: float = 2,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Draw points as filled discs on each frame; return uint8 RGB [T, H, W, 3].

    Args:
        frames: grey [T, H, W] (or RGB [T, H, W, 3]), uint8 or float in [0, 1].
        points_xy: (x, y) in px, [T, N, 2] per frame or [N, 2] for every frame.
        colors: uint8 RGB per point [N, 3] (or one colour [3]).
        radius_px: disc radius in px around the nearest pixel (0 = one pixel).
        labels: layer code per point [N] (0 endo red, 1 mid yellow, 2 epi cyan,
            −1 grey), used when ``colors`` is not given.

    NaN points are skipped; points whose nearest pixel lies outside the image
    are not drawn; discs near the border are cut at the border. Later points
    are drawn over earlier ones.
    """
    img = frames_to_uint8(frames, "overlay frames")
    rgb = img if img.ndim == 4 else np.repeat(img[..., np.newaxis], 3, axis=-1)
    rgb = np.array(rgb, dtype=np.uint8, copy=True)
    t, h, w = rgb.shape[:3]

    pts = np.asarray(points_xy, dtype=np.float64)
    if pts.ndim == 2 and pts.shape[-1] == 2:
        pts = np.broadcast_to(pts, (t, *pts.shape))
    if pts.ndim != 3 or pts.shape[-1] != 2:
        raise InvalidDataError(
            f"overlay_points: points must be [T, N, 2] or [N, 2] (x, y) px, got shape {pts.shape}"
        )
    if pts.shape[0] != t:
        raise InvalidDataError(
            f"overlay_points: points cover {pts.shape[0]} frames but there are {t} frames"
        )
    if not (
        isinstance(radius_px, (int, float, np.integer, np.floating))
        and math.isfinite(radius_px)
        and radius_px >= 0
    ):
        raise ParameterError(f"overlay_points: radius_px must be a number ≥ 0, got {radius_px!r}")
    if radius_px > MAX_RADIUS_PX:
        raise ParameterError(
            f"overlay_points: radius_px {radius_px:g} is above the limit of {MAX_RADIUS_PX} px; draw smaller points"
        )

    n = pts.shape[1]
    color = _point_colors(n, colors, labels)
    if n == 0:
        return rgb

    with np.errstate(invalid="ignore"):
        cx = np.rint(pts[..., 0])
        cy = np.rint(pts[..., 1])
        valid = (
            np.isfinite(cx)
            & np.isfinite(cy)
            & (cx >= 0)
            & (cx <= w - 1)
            & (cy >= 0)
            & (cy <= h - 1)
        )
    ti, ni = np.nonzero(valid)  # row-major: frame by frame, points in order
    if ti.size == 0:
        return rgb
    dy, dx = _disc_offsets(float(radius_px))
    rows = cy[ti, ni].astype(np.int64)[:, None] + dy[None, :]
    cols = cx[ti, ni].astype(np.int64)[:, None] + dx[None, :]
    inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
    frame_idx = np.broadcast_to(ti[:, None], rows.shape)
    point_idx = np.broadcast_to(ni[:, None], rows.shape)
    rgb[frame_idx[inside], rows[inside], cols[inside]] = color[point_idx[inside]]
    return rgb
