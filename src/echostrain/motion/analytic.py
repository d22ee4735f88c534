"""Analytic wall motion with exactly known strain, for demos and tests.

:func:`cardiac_time_course` gives a shortening fraction over the cycle
(0 at end-diastole, 1 at end-systole). :func:`deform_wall` moves labelled
wall points so that every chord of the endocardial line in segment ``s`` is
scaled by ``1 + e_s·f(t)``: the endocardial segmental strain is exactly
``e_s·f(t)`` and the apex stays still while the base descends. The wall
thickens so that its area is kept (near-incompressible tissue in 2-D).
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import PchipInterpolator

from echostrain.anatomy.myocardium import WallPoints
from echostrain.anatomy.segments import LAYER_ENDO, LAYER_EPI, LAYER_MID, N_SEGMENTS
from echostrain.core.errors import GeometryError, ParameterError

#: Knots (fraction of the RR interval, shortening fraction): ejection to ES,
#: rapid early filling, slow diastasis, atrial contraction back to ED.
_DIASTOLE_KNOTS = ((0.17, 0.35), (0.45, 0.22))


def cardiac_time_course(
    n_frames: int, fps: float, heart_rate_bpm: float = 60.0, es_fraction: float = 0.35
) -> np.ndarray:
    """Shortening fraction ``f[T]`` in [0, 1]: 0 at ED (frame 0), 1 at ES.

    Systole is S-shaped: isovolumic contraction (4 % of the shortening in
    the first 12 % of systole), fastest shortening in mid ejection (62 % at
    55 % of systole), ES at ``es_fraction`` of the RR interval. Early
    filling recovers 65 % of the shortening within 0.17 RR, diastasis a
    further 13 % by ES + 0.45 RR (capped at 0.9 RR), atrial contraction the
    rest. Longer clips repeat the cycle.
    """
    if n_frames < 2 or fps <= 0 or heart_rate_bpm <= 0:
        raise ParameterError("need n_frames ≥ 2, fps > 0 and heart_rate_bpm > 0")
    if not 0.2 <= es_fraction <= 0.5:
        raise ParameterError(f"es_fraction must be within 0.2…0.5 of the cycle, got {es_fraction}")
    (d1, v1), (d2, v2) = _DIASTOLE_KNOTS
    knots_t = [0.0, 0.12 * es_fraction, 0.55 * es_fraction, es_fraction, es_fraction + d1, min(es_fraction + d2, 0.9), 1.0]
    knots_f = [0.0, 0.04, 0.62, 1.0, v1, v2, 0.0]
    course = PchipInterpolator(knots_t, knots_f)
    rr_s = 60.0 / heart_rate_bpm
    phase = (np.arange(n_frames) / fps / rr_s) % 1.0
    return np.clip(course(phase), 0.0, 1.0)


def deform_wall(
    points: WallPoints, segment_strain_pct: np.ndarray, shortening_fraction: np.ndarray
) -> np.ndarray:
    """Tracks ``[T, N, 2]`` (pixels) of labelled wall points under segmental shortening.

    ``segment_strain_pct`` holds the six peak longitudinal strains (%,
    negative = shortening) reached when ``shortening_fraction`` is 1. Only
    myocardial points move; endo, mid and epi lines must have equal counts
    (as :meth:`Myocardium.sample_points` gives).
    """
    strain = np.asarray(segment_strain_pct, dtype=float).reshape(-1)
    if strain.shape != (N_SEGMENTS,) or not np.all(np.isfinite(strain)) or np.any(strain <= -100):
        raise ParameterError("segment_strain_pct must be six finite values above -100 %")
    f = np.asarray(shortening_fraction, dtype=float).reshape(-1)
    endo = points.select(LAYER_ENDO)
    if endo.size < 2:
        raise GeometryError("the wall has no endocardial line to deform")
    seg = points.segment[endo].astype(int)
    if np.any(seg < 0) or np.any(np.diff(seg) < 0):
        raise GeometryError("endocardial points need segment labels 0…5 in wall order")
    after_apex = np.flatnonzero(seg >= 3)
    apex = int(after_apex[0]) if after_apex.size else endo.size - 1

    ref = points.xy_px
    tracks = np.repeat(ref[None].astype(float), f.size, axis=0)
    chords = np.diff(ref[endo], axis=0)  # [K-1, 2]
    factor = 1.0 + np.outer(f, strain[seg[:-1]] / 100.0)  # [T, K-1]
    scaled = chords[None] * factor[..., None]
    line = np.empty((f.size, endo.size, 2))
    line[:, apex] = ref[endo[apex]]
    line[:, apex + 1 :] = ref[endo[apex]] + np.cumsum(scaled[:, apex:], axis=1)
    line[:, :apex] = ref[endo[apex]] - np.cumsum(scaled[:, :apex][:, ::-1], axis=1)[:, ::-1]
    tracks[:, endo] = line

    epi = points.select(LAYER_EPI)
    if epi.size:
        if epi.size != endo.size:
            raise GeometryError("endo and epi lines need the same number of points to deform together")
        node_factor = np.concatenate([factor[:, :1], 0.5 * (factor[:, 1:] + factor[:, :-1]), factor[:, -1:]], axis=1)
        thickness = ref[epi] - ref[endo]
        tracks[:, epi] = line + thickness[None] / node_factor[..., None]
        mid = points.select(LAYER_MID)
        if mid.size:
            if mid.size != endo.size:
                raise GeometryError("the mid-wall line needs as many points as the endocardium")
            tracks[:, mid] = 0.5 * (tracks[:, endo] + tracks[:, epi])
    return tracks
