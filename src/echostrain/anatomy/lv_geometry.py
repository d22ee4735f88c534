"""The LV of a procedural scene: its frame, its endo- and epicardial polylines, its fit in the sector.

The LV is described in its own frame: the endocardial apex is the origin,
``a`` runs along the long axis from the apex to the base (the mitral plane
is at ``a = lv_length_mm``) and ``l`` runs across it, to the image's right
when the tilt is 0. A positive ``tilt_deg`` swings the base to the right
about the apex.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from echostrain.anatomy.echomap import sector_margin_mm
from echostrain.anatomy.scene_parameters import (
    MIN_ATRIUM_DEPTH_MM,
    N_CONTOUR_POINTS,
    SECTOR_MARGIN_MM,
    SceneParameters,
)
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import DEFAULT_DEPTH_MM, DEFAULT_SECTOR_DEG

_PHI_BASE = math.radians(115.0)  # the mitral plane cuts the LV ellipse a little below its equator
_PHI_FULL_WALL = math.radians(65.0)  # the wall reaches wall_mm this far from the apex
_A3C_BASE_FLARE = 0.12


@dataclass(frozen=True)
class LVFrame:
    """The LV frame: endocardial apex at the origin, ``a`` along the axis, ``l`` across.

    ``apex`` is the endocardial apex (x, z) in mm, ``u`` the unit vector from
    the apex towards the base and ``v`` the unit vector across, to the right.
    """

    apex: np.ndarray
    u: np.ndarray
    v: np.ndarray

    @staticmethod
    def of(p: SceneParameters) -> LVFrame:
        """The frame of a scene's LV (its apex position and tilt)."""
        t = math.radians(p.tilt_deg)
        u = np.array([math.sin(t), math.cos(t)])
        v = np.array([math.cos(t), -math.sin(t)])
        apex = np.array([p.lateral_offset_mm, p.apex_depth_mm])
        return LVFrame(apex, u, v)

    def to_world(self, la: np.ndarray) -> np.ndarray:
        """(x, z) mm of points ``[..., 2]`` given as (l, a) in the LV frame."""
        la = np.asarray(la, dtype=float)
        return self.apex + la[..., :1] * self.v + la[..., 1:2] * self.u

    def to_local(self, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(l, a) in the LV frame of points at ``x``, ``z`` mm."""
        dx, dz = x - self.apex[0], z - self.apex[1]
        return dx * self.v[0] + dz * self.v[1], dx * self.u[0] + dz * self.u[1]


def smoothstep(t: np.ndarray) -> np.ndarray:
    """``3t² − 2t³`` of ``t`` clipped to [0, 1]: a smooth ramp from 0 to 1."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def lv_walls_local(p: SceneParameters, n_points: int = N_CONTOUR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Endocardial and epicardial polylines ``[n, 2]`` as (l, a) in the LV frame."""
    length = p.lv_length_mm
    b = length / (1.0 - math.cos(_PHI_BASE))
    a = 0.5 * p.sphericity * length
    # A3C: the base widens on the anteroseptal side, where the LVOT joins the cavity.
    flare = _A3C_BASE_FLARE if p.view == "a3c" else 0.0

    def curve(phi: np.ndarray) -> np.ndarray:
        half = a * (1.0 + p.asymmetry * np.sin(phi))
        if flare:
            half = half * (1.0 + flare * smoothstep((phi - math.radians(75.0)) / math.radians(40.0)))
        return np.stack([half * np.sin(phi), b * (1.0 - np.cos(phi))], axis=-1)

    dense_phi = np.linspace(-_PHI_BASE, _PHI_BASE, 4001)
    dense = curve(dense_phi)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(dense, axis=0).T))])
    phi = np.interp(np.linspace(0.0, arc[-1], n_points), arc, dense_phi)  # equal arc-length steps
    endo = curve(phi)
    # Outward unit normal from the tangent (the line runs left → apex → right).
    eps = 1e-6
    tangent = (curve(phi + eps) - curve(phi - eps)) / (2.0 * eps)
    norm = np.hypot(tangent[:, 0], tangent[:, 1])
    normal = np.stack([tangent[:, 1] / norm, -tangent[:, 0] / norm], axis=-1)
    thickness = p.apex_wall_mm + (p.wall_mm - p.apex_wall_mm) * smoothstep(np.abs(phi) / _PHI_FULL_WALL)
    epi = endo + normal * thickness[:, None]
    return endo, epi


def lv_contours_mm(params: SceneParameters, n_points: int = N_CONTOUR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Endocardial and epicardial polylines ``[n, 2]`` of (x, z) mm, first hinge → apex → second hinge.

    The endocardium is a truncated ellipse (cut at 115° from the apex, so
    the base is a little narrower than the LV's widest part); the
    epicardium lies along the outward normals at the local wall thickness
    (``apex_wall_mm`` at the apex, ``wall_mm`` from mid-level down), so the
    k-th points of the two lines face each other.
    """
    if n_points < 3:
        raise ParameterError(f"n_points must be at least 3, got {n_points}")
    frame = LVFrame.of(params)
    endo, epi = lv_walls_local(params, n_points)
    return frame.to_world(endo), frame.to_world(epi)


def lv_fit_margin_mm(
    params: SceneParameters, depth_mm: float = DEFAULT_DEPTH_MM, sector_deg: float = DEFAULT_SECTOR_DEG
) -> float:
    """How far (mm) the LV myocardium stays inside the sector (its worst point); negative if outside.

    The mitral hinges must also lie ``MIN_ATRIUM_DEPTH_MM`` above the sector's
    depth; a hinge deeper than that lowers the margin accordingly.
    """
    endo, epi = lv_contours_mm(params)
    pts = np.concatenate([endo, epi])
    margin = float(sector_margin_mm(pts[:, 0], pts[:, 1], depth_mm, sector_deg).min())
    hinge_room = depth_mm - MIN_ATRIUM_DEPTH_MM - max(endo[0, 1], endo[-1, 1])
    return min(margin, SECTOR_MARGIN_MM + hinge_room)
