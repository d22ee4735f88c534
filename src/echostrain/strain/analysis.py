"""Global, segmental and transverse strain from tracked myocardial points.

Input is ``tracks[T, N, 2]`` (x, y pixels), ``spacing_mm = (dy, dx)`` and the
per-point ``layer`` and ``segment`` codes of the tracks file (see
``docs/formats.md``). Within a layer the points are in wall order, from the
first hinge through the apex to the second. Segment ``s`` runs from its first
point to the first point of segment ``s + 1`` (to its own last point for the
last segment), so the six segments tile the line: the line length is the sum
of the segment lengths.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from echostrain.anatomy.polyline import check_spacing_mm, to_mm
from echostrain.anatomy.segments import (
    LAYER_ENDO,
    LAYER_EPI,
    LAYER_MID,
    LAYER_NAMES,
    N_SEGMENTS,
    aha18_segment,
    check_view,
    segment_names,
)
from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.core.jsonsafe import json_ready
from echostrain.strain.lines import lagrangian_strain_pct, line_length_mm
from echostrain.strain.phases import detect_ed_es
from echostrain.strain.smoothing import smooth_tracks


@dataclass(frozen=True)
class CurveSummary:
    """Scalar values of one strain curve (percent)."""

    end_systolic_pct: float
    peak_systolic_pct: float
    peak_pct: float

    @classmethod
    def of(cls, curve_pct: np.ndarray, ed: int, es: int) -> CurveSummary:
        """End-systolic value, most negative value in systole (ED…ES) and over the clip."""
        if np.all(np.isnan(curve_pct)):
            return cls(float("nan"), float("nan"), float("nan"))
        systole = curve_pct[ed : es + 1] if es >= ed else curve_pct
        return cls(float(curve_pct[es]), float(np.nanmin(systole)), float(np.nanmin(curve_pct)))


@dataclass(frozen=True)
class StrainResult:
    """Strain curves of one clip and their ED/ES frames.

    ``gls_curves_pct`` maps ``"endo"``/``"mid"`` to the longitudinal strain
    curve ``[T]`` of that line; ``segment_curves_pct`` is ``[6, T]`` for the
    line named by ``segment_layer`` (NaN rows for segments without points);
    ``transverse_curve_pct`` is the relative change of mean endo–epi distance
    (positive = thickening) or None without matched endo/epi points.
    """

    ed_frame: int
    es_frame: int
    gls_curves_pct: dict[str, np.ndarray]
    segment_curves_pct: np.ndarray
    segment_layer: str
    transverse_curve_pct: np.ndarray | None = None
    view: str | None = None
    fps: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return int(self.segment_curves_pct.shape[1])

    @property
    def gls_layer(self) -> str:
        """The line of the headline GLS: endocardium when tracked, else mid-wall."""
        return "endo" if "endo" in self.gls_curves_pct else "mid"

    @property
    def gls_pct(self) -> float:
        """Headline GLS: end-systolic longitudinal strain of :attr:`gls_layer` (%)."""
        return float(self.gls_curves_pct[self.gls_layer][self.es_frame])

    @property
    def segment_es_pct(self) -> np.ndarray:
        """End-systolic strain of segments 0…5 (%)."""
        return self.segment_curves_pct[:, self.es_frame].copy()

    def summary(self, include_curves: bool = False) -> dict[str, Any]:
        """JSON-ready dictionary of all values (NaN → None)."""
        ed, es = self.ed_frame, self.es_frame
        names = segment_names(self.view) if self.view else [f"segment {s}" for s in range(N_SEGMENTS)]
        segments = []
        for s in range(N_SEGMENTS):
            entry: dict[str, Any] = {"index": s, "name": names[s]}
            if self.view:
                entry["aha18"] = aha18_segment(self.view, s)
            entry.update(json_ready(CurveSummary.of(self.segment_curves_pct[s], ed, es).__dict__))
            segments.append(entry)
        out: dict[str, Any] = {
            "view": self.view,
            "n_frames": self.n_frames,
            "fps": self.fps,
            "ed_frame": ed,
            "es_frame": es,
            "gls_pct": json_ready(self.gls_pct),
            "gls_layer": self.gls_layer,
            "gls": {k: json_ready(CurveSummary.of(v, ed, es).__dict__) for k, v in self.gls_curves_pct.items()},
            "segment_layer": self.segment_layer,
            "segments": segments,
            "transverse": None
            if self.transverse_curve_pct is None
            else json_ready(_transverse_summary(self.transverse_curve_pct, ed, es)),
        }
        if include_curves:
            out["curves"] = {
                **{f"gls_{k}_pct": json_ready(v) for k, v in self.gls_curves_pct.items()},
                "segments_pct": json_ready(self.segment_curves_pct),
                "transverse_pct": None if self.transverse_curve_pct is None else json_ready(self.transverse_curve_pct),
            }
        return out


def _transverse_summary(curve: np.ndarray, ed: int, es: int) -> dict[str, float]:
    systole = curve[ed : es + 1] if es >= ed else curve
    return {"end_systolic_pct": float(curve[es]), "peak_systolic_pct": float(np.max(systole))}


def _check_inputs(
    tracks_px: np.ndarray, layer: np.ndarray, segment: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tr = np.asarray(tracks_px, dtype=float)
    if tr.ndim != 3 or tr.shape[-1] != 2:
        raise InvalidDataError(f"tracks must have shape (T, N, 2) with (x, y) last, got {tr.shape}")
    if tr.shape[0] < 2:
        raise InvalidDataError(f"tracks have {tr.shape[0]} frame; strain needs at least 2 frames")
    if not np.all(np.isfinite(tr)):
        t, n = np.argwhere(~np.isfinite(tr).all(axis=-1))[0]
        raise InvalidDataError(f"tracks contain NaN/inf at frame {t}, point {n}; fill or drop that point")
    lay = np.asarray(layer).astype(np.int64).reshape(-1)
    seg = np.asarray(segment).astype(np.int64).reshape(-1)
    if lay.shape[0] != tr.shape[1] or seg.shape[0] != tr.shape[1]:
        raise InvalidDataError(
            f"layer ({lay.shape[0]}) and segment ({seg.shape[0]}) must have one code per point ({tr.shape[1]})"
        )
    if not np.all(np.isin(lay, (-1, 0, 1, 2))) or not np.all((seg >= -1) & (seg < N_SEGMENTS)):
        raise InvalidDataError("layer codes must be -1, 0, 1, 2 and segment codes -1…5")
    return tr, lay, seg


def _segment_curves(line: np.ndarray, seg: np.ndarray, spacing_mm: tuple[float, float], ed: int) -> np.ndarray:
    """``[6, T]`` strain of the segments of one line (NaN for absent segments)."""
    curves = np.full((N_SEGMENTS, line.shape[0]), np.nan)
    if np.all(seg < 0):
        return curves
    for s in range(N_SEGMENTS):
        idx = np.flatnonzero(seg == s)
        if idx.size == 0:
            continue
        following = np.flatnonzero(seg > s)
        end = following[0] if following.size else idx[-1]
        if end == idx[0]:
            continue  # a single point and nothing after it: no length
        length = line_length_mm(line[:, idx[0] : end + 1], spacing_mm)
        curves[s] = lagrangian_strain_pct(length, ed)
    return curves


def compute_strain(
    tracks_px: np.ndarray,
    spacing_mm: tuple[float, float],
    layer: np.ndarray,
    segment: np.ndarray,
    view: str | None = None,
    ed_frame: int | None = None,
    es_frame: int | None = None,
    smooth_frames: int | None = None,
    segment_layer: int | None = None,
    fps: float | None = None,
) -> StrainResult:
    """Longitudinal (global, segmental) and transverse strain of one clip.

    ED and ES are detected from the GLS line's length (longest, shortest)
    unless given. ``smooth_frames`` applies Savitzky–Golay smoothing to the
    tracks first. ``segment_layer`` (0 endo or 1 mid) chooses the line of the
    segmental strain; by default the GLS line.
    """
    spacing = check_spacing_mm(spacing_mm)
    tr, lay, seg = _check_inputs(tracks_px, layer, segment)
    view = check_view(view) if view else None
    if smooth_frames:
        tr = smooth_tracks(tr, smooth_frames)

    lines: dict[int, np.ndarray] = {}
    for code in (LAYER_ENDO, LAYER_MID, LAYER_EPI):
        idx = np.flatnonzero(lay == code)
        if idx.size == 0:
            continue
        if idx.size < 2:
            raise InvalidDataError(f"the {LAYER_NAMES[code]} line has 1 point; a line needs at least 2")
        s = seg[idx]
        labelled = s >= 0
        if labelled.any() and not labelled.all():
            raise InvalidDataError(
                f"some {LAYER_NAMES[code]} points have a segment and others not; label all or none"
            )
        if np.any(np.diff(s) < 0):
            raise InvalidDataError(
                f"{LAYER_NAMES[code]} points are not in wall order (segment codes decrease); "
                "order them from the first hinge through the apex to the second"
            )
        lines[code] = idx

    long_layers = [c for c in (LAYER_ENDO, LAYER_MID) if c in lines]
    if not long_layers:
        raise InvalidDataError("no endocardial (layer 0) or mid-wall (layer 1) points: nothing to measure")
    lengths = {c: line_length_mm(tr[:, lines[c]], spacing) for c in long_layers}
    ed, es = detect_ed_es(lengths[long_layers[0]], ed_frame, es_frame)
    gls = {LAYER_NAMES[c]: lagrangian_strain_pct(lengths[c], ed) for c in long_layers}

    seg_code = long_layers[0] if segment_layer is None else int(segment_layer)
    if seg_code not in long_layers:
        raise ParameterError(
            f"segmental strain on layer {segment_layer} needs tracked endo (0) or mid-wall (1) points of that layer"
        )
    idx = lines[seg_code]
    segments = _segment_curves(tr[:, idx], seg[idx], spacing, ed)

    transverse = None
    if LAYER_ENDO in lines and LAYER_EPI in lines and lines[LAYER_ENDO].size == lines[LAYER_EPI].size:
        d = to_mm(tr[:, lines[LAYER_EPI]] - tr[:, lines[LAYER_ENDO]], spacing)
        thickness = np.hypot(d[..., 0], d[..., 1]).mean(axis=1)
        transverse = lagrangian_strain_pct(thickness, ed)

    return StrainResult(
        ed_frame=ed,
        es_frame=es,
        gls_curves_pct=gls,
        segment_curves_pct=segments,
        segment_layer=LAYER_NAMES[seg_code],
        transverse_curve_pct=transverse,
        view=view,
        fps=fps,
    )


def average_gls(results: Sequence[StrainResult]) -> float:
    """Average GLS (%) over apical views; each view may appear once."""
    if not results:
        raise ParameterError("average GLS needs at least one view")
    views = [r.view for r in results if r.view]
    if len(set(views)) != len(views):
        raise ParameterError(f"each view may appear once in the average GLS, got {views}")
    return float(np.mean([r.gls_pct for r in results]))


def bullseye_pct(results: Sequence[StrainResult]) -> dict[int, float]:
    """End-systolic segmental strain keyed by AHA 18-segment number (views must be known)."""
    out: dict[int, float] = {}
    for r in results:
        if not r.view:
            raise ParameterError("the bull's-eye needs each result's view (a2c, a3c or a4c)")
        for s, value in enumerate(r.segment_es_pct):
            out[aha18_segment(r.view, s)] = float(value)
    return dict(sorted(out.items()))
