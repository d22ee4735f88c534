"""Painting an echogenicity map in the LV frame: the canvas, its textures and chamber shapes.

:class:`Canvas` holds the image being painted with the LV-frame coordinates
(``l``, ``a``; see :mod:`echostrain.anatomy.lv_geometry`) of every pixel;
every mask is blurred with a Gaussian of 0.7 mm before it is painted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.path import Path
from scipy.ndimage import distance_transform_edt, gaussian_filter

from echostrain.anatomy.echomap import sector_grid
from echostrain.anatomy.lv_geometry import LVFrame, smoothstep
from echostrain.anatomy.scene_parameters import SceneParameters

_SMOOTH_MM = 0.7


class Canvas:
    """The echogenicity image being painted, with the LV-frame coordinates of every pixel."""

    def __init__(self, frame: LVFrame, depth_mm: float, sector_deg: float, pixel_mm: float) -> None:
        self.x0, self.z0, h, w = sector_grid(depth_mm, sector_deg, pixel_mm)
        self.pixel = float(pixel_mm)
        self.shape = (h, w)
        xs = self.x0 + np.arange(w) * self.pixel
        zs = self.z0 + np.arange(h) * self.pixel
        self.x, self.z = np.meshgrid(xs, zs)
        self.frame = frame
        self.l, self.a = frame.to_local(self.x, self.z)
        self.sigma_px = _SMOOTH_MM / self.pixel
        self.image = np.zeros((h, w), dtype=np.float64)

    def _window(self, lo_xz: np.ndarray, hi_xz: np.ndarray) -> tuple[int, int, int, int] | None:
        """Rows ``i0:i1`` and columns ``j0:j1`` of the pixels in a box (x, z mm), or None if it is off the image."""
        x_lo, z_lo = lo_xz
        x_hi, z_hi = hi_xz
        j0 = max(int(math.floor((x_lo - self.x0) / self.pixel)), 0)
        j1 = min(int(math.ceil((x_hi - self.x0) / self.pixel)) + 1, self.shape[1])
        i0 = max(int(math.floor((z_lo - self.z0) / self.pixel)), 0)
        i1 = min(int(math.ceil((z_hi - self.z0) / self.pixel)) + 1, self.shape[0])
        if j1 <= j0 or i1 <= i0:
            return None
        return i0, i1, j0, j1

    def polygon(self, poly_local: np.ndarray) -> np.ndarray:
        """Boolean mask of the pixels inside a closed polygon given in the LV frame."""
        path = Path(self.frame.to_world(poly_local))
        mask = np.zeros(self.shape, dtype=bool)
        window = self._window(path.vertices.min(axis=0), path.vertices.max(axis=0))
        if window is None:
            return mask
        i0, i1, j0, j1 = window
        pts = np.stack([self.x[i0:i1, j0:j1].ravel(), self.z[i0:i1, j0:j1].ravel()], axis=-1)
        mask[i0:i1, j0:j1] = path.contains_points(pts).reshape(i1 - i0, j1 - j0)
        return mask

    def band(self, mask: np.ndarray, width_mm: float) -> np.ndarray:
        """Pixels outside ``mask`` within ``width_mm`` of it."""
        if not mask.any():
            return mask
        dist = distance_transform_edt(~mask) * self.pixel
        return (dist > 0) & (dist <= width_mm)

    def alpha(self, mask: np.ndarray) -> np.ndarray:
        """Soft coverage of a mask: the mask blurred with a Gaussian of 0.7 mm."""
        return gaussian_filter(mask.astype(np.float64), self.sigma_px)

    def paint(self, alpha: np.ndarray, value: float | np.ndarray) -> None:
        """Blend ``value`` into the image with coverage ``alpha`` (0 keeps the image, 1 replaces it)."""
        self.image += alpha * (value - self.image)

    def distance_to(self, polyline_local: np.ndarray, reach_mm: float) -> np.ndarray:
        """Distance (mm) of every pixel to a polyline given in the LV frame (inf beyond ``reach_mm``)."""
        pts = self.frame.to_world(polyline_local)
        dist = np.full(self.shape, np.inf)
        window = self._window(pts.min(axis=0) - reach_mm, pts.max(axis=0) + reach_mm)
        if window is None:
            return dist
        i0, i1, j0, j1 = window
        px = self.x[i0:i1, j0:j1][..., None]
        pz = self.z[i0:i1, j0:j1][..., None]
        ax, az = pts[:-1, 0], pts[:-1, 1]
        ex, ez = pts[1:, 0] - ax, pts[1:, 1] - az
        t = np.clip(((px - ax) * ex + (pz - az) * ez) / np.maximum(ex * ex + ez * ez, 1e-12), 0.0, 1.0)
        dist[i0:i1, j0:j1] = np.hypot(px - ax - t * ex, pz - az - t * ez).min(axis=-1)
        return dist

    def line_alpha(self, polyline_local: np.ndarray, width_mm: float) -> np.ndarray:
        """Soft coverage of a thick polyline (LV frame): 1 on its centre line, a ~0.7 mm soft edge."""
        d = self.distance_to(polyline_local, width_mm + 3.0)
        return 1.0 / (1.0 + np.exp(np.minimum((d - 0.5 * width_mm) / (0.5 * _SMOOTH_MM), 50.0)))

    def spot_alpha(self, centre_local: np.ndarray, sigma_mm: float) -> np.ndarray:
        """Gaussian spot (peak 1, σ ``sigma_mm``) about a point given in the LV frame."""
        cx, cz = self.frame.to_world(np.asarray(centre_local, dtype=float))
        return np.exp(-((self.x - cx) ** 2 + (self.z - cz) ** 2) / (2.0 * sigma_mm**2))


def noise(gen: np.random.Generator, shape: tuple[int, int], sigma_px: float | tuple[float, float]) -> np.ndarray:
    """Gaussian-filtered white noise with zero mean and unit standard deviation."""
    n = gaussian_filter(gen.standard_normal(shape), sigma_px, mode="reflect")
    n -= n.mean()
    return n / max(float(n.std()), 1e-12)


@dataclass(frozen=True)
class SceneTextures:
    """The noise fields of one scene (zero mean, unit std), drawn in a fixed order.

    ``fine`` textures the myocardium, ``tissue`` the surrounding tissue and
    the pericardium, ``blood`` the blood, ``streak`` the near-field haze;
    ``gain`` (1 + 6 % of a coarse field) modulates tissue brightness slowly;
    ``patch`` (σ 4 mm) makes tissue blotchy by ``patchiness`` (drawn last, so
    the other fields of a seed do not depend on it).
    """

    fine: np.ndarray
    gain: np.ndarray
    tissue: np.ndarray
    blood: np.ndarray
    streak: np.ndarray
    patch: np.ndarray

    @staticmethod
    def draw(gen: np.random.Generator, canvas: Canvas, texture_scale_mm: float) -> SceneTextures:
        """Draw the textures of a canvas (correlation length ``texture_scale_mm`` for the fine one)."""
        shape, px = canvas.shape, canvas.pixel
        fine = noise(gen, shape, texture_scale_mm / px)
        coarse = noise(gen, shape, 8.0 / px)
        tissue = noise(gen, shape, 1.5 * texture_scale_mm / px)
        blood = noise(gen, shape, 2.0 / px)
        streak = noise(gen, shape, (1.5 / px, 10.0 / px))
        patch = noise(gen, shape, 4.0 / px)
        return SceneTextures(fine, 1.0 + 0.06 * coarse, tissue, blood, streak, patch)

    def tissue_gain(self, p: SceneParameters) -> np.ndarray:
        """Slow brightness modulation of tissue: ``gain × (1 + patchiness · patch)``, at least 0.25 × gain."""
        if p.patchiness <= 0:
            return self.gain
        return self.gain * np.maximum(1.0 + p.patchiness * self.patch, 0.25)

    def myocardium(self, p: SceneParameters) -> np.ndarray:
        """Textured grey level of the LV and RV myocardium."""
        return np.minimum(p.myocardium_echo * (1.0 + p.texture_strength * self.fine) * self.tissue_gain(p), 1.0)

    def atrial_wall(self, p: SceneParameters) -> np.ndarray:
        """Textured grey level of the atrial walls (a little darker than the ventricles')."""
        return np.minimum(0.95 * p.myocardium_echo * (1.0 + p.texture_strength * self.fine) * self.tissue_gain(p), 1.0)

    def bright_wall(self, p: SceneParameters) -> np.ndarray:
        """Textured grey level of the aortic walls (brighter than the valves)."""
        return min(p.valve_echo + 0.1, 1.0) * (1.0 + 0.5 * p.texture_strength * self.fine)


def bulb(
    canvas: Canvas,
    top_left: np.ndarray,
    top_right: np.ndarray,
    max_width_mm: float,
    length_mm: float,
    turn_deg: float = 0.0,
    overlap_mm: float = 3.0,
) -> np.ndarray:
    """Mask of a chamber hanging below the line ``top_left → top_right`` (LV frame).

    Its width grows from the line's length to ``max_width_mm`` and it
    closes in an elliptic bottom ``length_mm`` below the line; the axis is
    perpendicular to the line (pointing away from the apex), turned by
    ``turn_deg`` (positive: towards +l). It reaches ``overlap_mm`` above the line.
    """
    p0, p1 = np.asarray(top_left, dtype=float), np.asarray(top_right, dtype=float)
    centre = 0.5 * (p0 + p1)
    across = p1 - p0
    w0 = float(np.hypot(*across))
    across = across / w0
    axis = np.array([-across[1], across[0]])
    if axis[1] < 0:
        axis = -axis
    t = math.radians(turn_deg)
    rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    axis = rot @ axis  # turns towards +l for positive t when the axis points to +a
    side = np.array([axis[1], -axis[0]])
    dl, da = canvas.l - centre[0], canvas.a - centre[1]
    s = dl * axis[0] + da * axis[1]
    q = dl * side[0] + da * side[1]
    w1 = max(max_width_mm, w0 + 2.0)
    s_c = 0.55 * length_mm
    grow = smoothstep(np.clip(s, 0.0, None) / (0.45 * length_mm))
    half = 0.5 * w0 + 0.5 * (w1 - w0) * grow
    bottom = np.clip((s - s_c) / (length_mm - s_c), 0.0, 1.0)
    half = np.where(s > s_c, 0.5 * w1 * np.sqrt(np.clip(1.0 - bottom**2, 0.0, 1.0)), half)
    return (s >= -overlap_mm) & (s <= length_mm) & (np.abs(q) <= half)


def tapered_tube(path: np.ndarray, radius_mm: float, tip_ratio: float, n: int = 40) -> np.ndarray:
    """Closed outline (LV frame) of a tube along ``path`` whose radius shrinks to ``tip_ratio`` at the end."""
    path = np.asarray(path, dtype=float)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    s = np.linspace(0.0, arc[-1], n)
    centre = np.stack([np.interp(s, arc, path[:, 0]), np.interp(s, arc, path[:, 1])], axis=-1)
    centre = gaussian_filter(centre, (2.0, 0.0), mode="nearest")  # round the corners
    tangent = np.gradient(centre, axis=0)
    tangent /= np.hypot(tangent[:, :1], tangent[:, 1:2])
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=-1)
    radius = radius_mm * (1.0 - (1.0 - tip_ratio) * s / s[-1])
    cap_angle = np.linspace(0.0, np.pi, 9)[1:-1]
    cap = centre[-1] + radius[-1] * (
        np.cos(cap_angle)[:, None] * normal[-1] + np.sin(cap_angle)[:, None] * tangent[-1]
    )
    return np.concatenate([centre + radius[:, None] * normal, cap, (centre - radius[:, None] * normal)[::-1]])


def curve(p0: np.ndarray, direction_deg: float, length_mm: float, bend_deg: float, n: int = 9) -> np.ndarray:
    """A gently bent line (LV frame) from ``p0``; direction 0° = towards the apex (−a), positive towards +l."""
    heading = np.radians(direction_deg + np.linspace(0.0, bend_deg, n - 1))
    step = length_mm / (n - 1)
    steps = np.stack([np.sin(heading), -np.cos(heading)], axis=-1) * step
    return np.concatenate([np.asarray(p0, dtype=float)[None], p0 + np.cumsum(steps, axis=0)])
