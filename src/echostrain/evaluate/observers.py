"""Simulated observers: the ED contour as two people would draw it, for inter-observer GLS variability.

An observer draws the true wall at a reference frame up to one frame off ED,
shifted along the wall normal by up to ±1 mm and along the wall by up to
±2 mm (uniform draws). Each observer's wall points are tracked and their GLS
(ED = the observer's reference frame, ES = the true ES) compared: the
absolute difference between the two observers is the inter-observer
variability of the method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echostrain.anatomy.myocardium import Myocardium
from echostrain.anatomy.polyline import cumulative_arc_mm

NORMAL_SHIFT_MM = 1.0
ALONG_SHIFT_MM = 2.0
FRAME_OFFSET = 1


@dataclass(frozen=True)
class Observer:
    frame: int
    normal_mm: float
    along_mm: float


def draw_observer(rng: np.random.Generator, es_frame: int) -> Observer:
    frame = int(rng.integers(0, FRAME_OFFSET + 1))  # ED is frame 0: one frame late at most
    frame = min(frame, max(es_frame - 1, 0))
    return Observer(frame, float(rng.uniform(-NORMAL_SHIFT_MM, NORMAL_SHIFT_MM)),
                    float(rng.uniform(-ALONG_SHIFT_MM, ALONG_SHIFT_MM)))


def _shift_line(xy: np.ndarray, spacing_mm: tuple[float, float], along_mm: float, normal_mm: float,
                outward: np.ndarray) -> np.ndarray:
    """A polyline (px) moved along itself by ``along_mm`` and along its normal by ``normal_mm``."""
    s = cumulative_arc_mm(xy, spacing_mm)
    target = s + along_mm
    # linear extrapolation beyond the ends along the end segments
    x = np.interp(target, s, xy[:, 0], left=np.nan, right=np.nan)
    y = np.interp(target, s, xy[:, 1], left=np.nan, right=np.nan)
    for end, (i0, i1) in (("start", (0, 1)), ("end", (-2, -1))):
        d = xy[i1] - xy[i0]
        seg = max(float(np.hypot(d[0] * spacing_mm[1], d[1] * spacing_mm[0])), 1e-9)
        bad = np.isnan(x) & ((target < 0) if end == "start" else (target > s[-1]))
        base = xy[0] if end == "start" else xy[-1]
        offset = target[bad] - (0.0 if end == "start" else s[-1])
        x[bad] = base[0] + d[0] * offset / seg
        y[bad] = base[1] + d[1] * offset / seg
    out = np.stack([x, y], axis=1)
    tangent = np.gradient(out, axis=0)
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    normal *= np.sign(((normal * outward).sum(axis=1, keepdims=True)) + 1e-12)
    return out + normal * np.array([normal_mm / spacing_mm[1], normal_mm / spacing_mm[0]])


def observer_myocardium(endo: np.ndarray, epi: np.ndarray, spacing_mm: tuple[float, float], view: str,
                        obs: Observer) -> Myocardium:
    """The myocardium an observer draws from the true endo/epi lines of their reference frame."""
    outward = epi - endo  # endo → epi points outwards from the cavity
    e = _shift_line(endo, spacing_mm, obs.along_mm, obs.normal_mm, outward)
    p = _shift_line(epi, spacing_mm, obs.along_mm, obs.normal_mm, outward)
    return Myocardium(e, p, view=view, spacing_mm=spacing_mm)
