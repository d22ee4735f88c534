"""The structures of each apical view around the LV: chambers, vessels, valves, as masks and lines.

A4C: RV (with its free wall) left of the septum, RA and LA below the
tricuspid and mitral planes, split by the interatrial septum; mitral and
tricuspid leaflets. A2C: LA and the left atrial appendage beside the basal
anterior wall; mitral leaflets. A3C: aortic root to the right of the base
(with its cusps), LA below the mitral orifice; the LV cavity reaches down to
the aortic–mitral continuity. Everything is built in the LV frame of
:mod:`echostrain.anatomy.lv_geometry` and painted by
:func:`echostrain.anatomy.scene.build_scene`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from echostrain.anatomy.canvas import Canvas, SceneTextures, bulb, curve, tapered_tube
from echostrain.anatomy.lv_geometry import smoothstep
from echostrain.anatomy.scene_parameters import SceneParameters

_ATRIAL_WALL_MM = 2.5
_AORTIC_WALL_MM = 2.5
_IAS_HALF_MM = 2.0


@dataclass
class Chambers:
    """Masks ``[H, W]`` of the canvas and lines (LV frame) of one view, in painting order.

    ``cavities[0]`` is the LV cavity; ``walls`` are (mask, grey level) pairs
    painted before the blood; ``heart`` is the ventricles (cavities and walls),
    which the pericardium wraps; ``leaflets`` and ``cusps`` are valve lines and
    ``spots`` the annulus points; ``landmarks`` name points (l, a) of the anatomy.
    """

    lv_myo: np.ndarray
    heart: np.ndarray
    cavities: list[np.ndarray]
    walls: list[tuple[np.ndarray, np.ndarray | float]]
    leaflets: list[np.ndarray]
    cusps: list[np.ndarray]
    spots: list[np.ndarray]
    landmarks: dict[str, np.ndarray]


def view_chambers(
    p: SceneParameters, canvas: Canvas, endo: np.ndarray, epi: np.ndarray, tex: SceneTextures
) -> Chambers:
    """The LV and the structures of view ``p.view`` around it.

    Parameters
    ----------
    p : SceneParameters
        The scene.
    canvas : Canvas
        The canvas the masks are drawn on.
    endo, epi : ndarray
        Endocardial and epicardial polylines ``[n, 2]`` (l, a) in the LV frame.
    tex : SceneTextures
        The scene's textures (for the walls' grey levels).

    Returns
    -------
    Chambers
        Masks, lines and landmarks, ready to paint.
    """
    ch = _lv_chambers(canvas, endo, epi)
    _VIEW_CHAMBERS[p.view](ch, p, canvas, endo, epi, tex)
    return ch


def _lv_chambers(canvas: Canvas, endo: np.ndarray, epi: np.ndarray) -> Chambers:
    """The LV alone: cavity, myocardium, the mitral hinges as spots, the LV landmarks."""
    h1, h2 = endo[0], endo[-1]  # first (left) and second (right) hinge
    landmarks: dict[str, np.ndarray] = {
        "apex": endo[np.argmin(endo[:, 1])],
        "mv_hinge_first": h1,
        "mv_hinge_second": h2,
        "base_centre": 0.5 * (h1 + h2),
    }
    lv_cavity = canvas.polygon(endo)
    lv_myo = canvas.polygon(np.concatenate([endo, epi[::-1]]))
    return Chambers(
        lv_myo=lv_myo,
        heart=lv_cavity | lv_myo,
        cavities=[lv_cavity],
        walls=[],
        leaflets=[],
        cusps=[],
        spots=[h1, h2],
        landmarks=landmarks,
    )


def _a4c(
    ch: Chambers, p: SceneParameters, canvas: Canvas, endo: np.ndarray, epi: np.ndarray, tex: SceneTextures
) -> None:
    """RV, RA and LA, tricuspid and mitral leaflets."""
    length = p.lv_length_mm
    h1, h2 = endo[0], endo[-1]
    lv_cavity = ch.cavities[0]
    # Septum: the first wall. Its RV-side surface is the epicardium's first half.
    k_apex = int(np.argmin(endo[:, 1]))
    sept_a, sept_l = epi[: k_apex + 1, 1][::-1], epi[: k_apex + 1, 0][::-1]

    def l_septum(a: np.ndarray) -> np.ndarray:
        return np.interp(a, sept_a, sept_l)

    a_tv = length - p.tv_offset_mm
    a_rv0 = max(a_tv - p.rv_length_ratio * length, 0.12 * length)
    rv_len = a_tv - a_rv0
    tau = np.clip((canvas.a - a_rv0) / rv_len, 0.0, 1.0)
    rv_half = p.rv_width_mm * (1.0 - (1.0 - tau) ** 1.8)
    l_s = l_septum(canvas.a)
    rv_cavity = (canvas.a >= a_rv0) & (canvas.a <= a_tv) & (canvas.l <= l_s) & (canvas.l >= l_s - rv_half)
    rv_cavity &= ~ch.lv_myo
    rv_wall = canvas.band(rv_cavity, p.rv_wall_mm) & ~lv_cavity & (canvas.a <= a_tv + 1.0)
    ch.heart |= rv_cavity | rv_wall
    tv_septal = np.array([float(l_septum(np.array(a_tv))), a_tv])
    tv_lateral = tv_septal - np.array([p.rv_width_mm, 0.0])
    l_ias = 0.5 * (h1[0] + float(l_septum(np.array(length))))
    la = bulb(canvas, np.array([l_ias + _IAS_HALF_MM, length]), h2, p.la_width_mm, p.la_length_mm)
    la &= canvas.l >= l_ias + _IAS_HALF_MM
    ra = bulb(canvas, tv_lateral, tv_septal, p.ra_width_mm, p.ra_length_mm, turn_deg=-5.0)
    ra &= canvas.l <= l_ias - _IAS_HALF_MM
    atrial_value = tex.atrial_wall(p)
    ch.walls += [(canvas.band(la, _ATRIAL_WALL_MM), atrial_value), (canvas.band(ra, _ATRIAL_WALL_MM), atrial_value)]
    ch.walls.append((rv_wall, tex.myocardium(p)))
    ch.cavities += [rv_cavity, la, ra]
    # Mitral: anterior leaflet on the septal side; tricuspid: septal and anterior leaflets.
    base_width = float(h2[0] - h1[0])
    ch.leaflets += [
        curve(h1, 25.0, 0.50 * base_width, 15.0),
        curve(h2, -35.0, 0.30 * base_width, -10.0),
        curve(tv_septal, -30.0, 0.35 * p.rv_width_mm, -10.0),
        curve(tv_lateral, 30.0, 0.45 * p.rv_width_mm, 10.0),
    ]
    ch.spots += [tv_septal, tv_lateral]
    tau_c = 0.6
    rv_c_a = a_rv0 + tau_c * rv_len
    rv_c_l = float(l_septum(np.array(rv_c_a))) - 0.5 * p.rv_width_mm * (1.0 - (1.0 - tau_c) ** 1.8)
    ch.landmarks.update(
        tv_hinge_septal=tv_septal,
        tv_hinge_lateral=tv_lateral,
        rv_centre=np.array([rv_c_l, rv_c_a]),
        ra_centre=np.array([0.5 * (tv_lateral[0] + l_ias), a_tv + 0.5 * p.ra_length_mm]),
        la_centre=np.array([0.5 * (l_ias + h2[0]), length + 0.5 * p.la_length_mm]),
    )


def _a2c(
    ch: Chambers, p: SceneParameters, canvas: Canvas, endo: np.ndarray, epi: np.ndarray, tex: SceneTextures
) -> None:
    """LA and left atrial appendage, mitral leaflets."""
    length = p.lv_length_mm
    h1, h2 = endo[0], endo[-1]
    la = bulb(canvas, h1, h2, p.la_width_mm, p.la_length_mm)
    # Left atrial appendage: a finger from the LA's anterior corner up beside the basal anterior wall.
    e2 = epi[-1]
    laa_path = np.array(
        [
            [h2[0] - 4.0, length + 8.0],
            [e2[0] + 4.0, e2[1] + 2.0],
            [e2[0] + 7.0, e2[1] - 8.0],
            [e2[0] + 9.0, e2[1] - 16.0],
        ]
    )
    laa = canvas.polygon(tapered_tube(laa_path, 0.12 * p.la_width_mm, 0.45))
    ch.walls.append((canvas.band(la | laa, _ATRIAL_WALL_MM), tex.atrial_wall(p)))
    ch.cavities += [la, laa]
    base_width = float(h2[0] - h1[0])
    ch.leaflets += [curve(h1, 30.0, 0.35 * base_width, 10.0), curve(h2, -25.0, 0.45 * base_width, -15.0)]
    ch.landmarks.update(
        la_centre=np.array([ch.landmarks["base_centre"][0], length + 0.5 * p.la_length_mm]),
        laa_centre=laa_path[2],
    )


def _a3c(
    ch: Chambers, p: SceneParameters, canvas: Canvas, endo: np.ndarray, epi: np.ndarray, tex: SceneTextures
) -> None:
    """Aortic root with its cusps and LA, mitral leaflets; the LV cavity closed through the annulus."""
    h1, h2 = endo[0], endo[-1]
    t = math.radians(p.aorta_angle_deg)
    ao_axis = np.array([math.sin(t), math.cos(t)])  # (l, a): deeper and to the right
    ao_side = np.array([math.cos(t), -math.sin(t)])  # towards the septal (anterior) side
    beta = 0.5 * t  # the aortic annulus slopes down from the septal hinge to the mitral side
    amc = h2 + p.lvot_mm * np.array([-math.cos(beta), math.sin(beta)])  # aortic–mitral continuity
    ao_o = 0.5 * (h2 + amc)  # annulus centre
    r0 = 0.5 * abs(float((h2 - amc) @ ao_side))
    dl, da = canvas.l - ao_o[0], canvas.a - ao_o[1]
    s = dl * ao_axis[0] + da * ao_axis[1]
    q = dl * ao_side[0] + da * ao_side[1]
    d = p.lvot_mm
    radius = r0 * (
        1.0
        + 0.25 * np.exp(-(((s - 0.6 * d) / (0.4 * d)) ** 2))
        + 0.10 * smoothstep((s - 0.6 * d) / (0.8 * d))
    )
    aorta = (s >= -4.0) & (s <= 200.0) & (np.abs(q) <= radius)
    ao_wall = canvas.band(aorta, _AORTIC_WALL_MM) & (s >= -1.0)
    # The cavity reaches down to the annulus: close the LV through the aortic–mitral continuity.
    ch.cavities[0] = canvas.polygon(np.concatenate([endo, amc[None]]))
    la = bulb(canvas, h1, amc, p.la_width_mm, p.la_length_mm, turn_deg=-10.0)
    la &= ~canvas.band(aorta, _AORTIC_WALL_MM + 1.0) & ~aorta
    ch.walls += [(canvas.band(la, _ATRIAL_WALL_MM), tex.atrial_wall(p)), (ao_wall, tex.bright_wall(p))]
    ch.cavities += [la, aorta]
    coapt = ao_o + 0.35 * d * ao_axis
    ch.cusps += [
        np.stack([h2, 0.5 * (h2 + coapt) - 1.5 * ao_axis, coapt]),
        np.stack([amc, 0.5 * (amc + coapt) - 1.5 * ao_axis, coapt]),
    ]
    mitral_width = float(np.hypot(*(amc - h1)))
    ch.leaflets += [curve(h1, 30.0, 0.40 * mitral_width, 10.0), curve(amc, -10.0, 0.75 * mitral_width, -10.0)]
    ch.spots += [amc]
    ch.landmarks.update(
        la_centre=0.5 * (h1 + amc) + np.array([-0.1, 0.5]) * p.la_length_mm,
        aortic_mitral_continuity=amc,
        aortic_annulus_centre=ao_o,
        aortic_root=ao_o + 0.9 * d * ao_axis,
    )


_ViewStep = Callable[[Chambers, SceneParameters, Canvas, np.ndarray, np.ndarray, SceneTextures], None]
#: The structures each view adds around the LV.
_VIEW_CHAMBERS: dict[str, _ViewStep] = {"a4c": _a4c, "a2c": _a2c, "a3c": _a3c}
