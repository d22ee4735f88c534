"""Evaluate trackers on real clips without true motion: reference strain values, observers, drift, consistency.

Inputs: a folder of clips, one or two folders of ED myocardium contours (one
file per clip with the clip's stem as name, ``.json`` or ``.csv``; a second
folder is a second observer) and a reference CSV (see ``docs/evaluation.md``)::

    clip,view,gls,seg1,seg2,seg3,seg4,seg5,seg6,observer
    patient01_a4c,a4c,-19.5,-17.1,-20.3,-24.0,-22.2,-18.4,-15.9,expert1

``clip`` is the clip's file stem; ``gls`` and ``seg1``…``seg6`` (optional,
segments in the file order of docs/formats.md) are end-systolic longitudinal
strains in %; ``observer`` is optional (rows of other observers are ignored
unless they are the only ones for that clip: the first row of a clip is used).

Per clip and method: GLS and segmental strain of the tracked wall (contour of
observer 1) against the reference; with two observers the GLS difference
between them; the cycle drift (distance between a point's position at ED and
at the next ED, mean over the wall, mm) and the forward–backward consistency
(track forward from ED to the last frame, then back from there, mean distance
to the start, mm).

With an ES contour next to a clip's ED contour (``CLIP_es.json``, its ``frame`` the
ES frame; :mod:`echostrain.evaluate.contour_reference`): the drawn contours'
endocardial GLS (``contour_gls_pct``), the tracker's endocardial GLS at that frame
(``tracked_gls_at_es_pct``), their difference, and the mean distance of the tracked
endocardial points to the drawn ES endocardium (``es_distance_mm``); with two
observers, the second observer's contour GLS and the difference between them.

With ``beats`` (or ``ed_frames`` for a clip): per beat, ED to the next ED, found on
the tracked wall or given (:mod:`echostrain.track.beats`): GLS, segmental peak
strain, drift and forward–backward error; over the beats, the mean, SD and range of
GLS (``beat_gls_*``). The beats themselves are under the row's ``_beats`` key and
its whole-clip GLS curve under ``_gls_curve_pct`` (keys with ``_`` are not columns).
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.anatomy.myocardium import load_myocardium
from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.core.vocabulary import CLIP_SUFFIXES, FRAME_SUFFIXES, LAYER_ENDO, N_SEGMENTS, POINTS_PER_SEGMENT, WALL_SMOOTHING_POINTS
from echostrain.evaluate.contour_reference import (
    EsContour,
    contour_gls_pct,
    distance_to_polyline_mm,
    es_contour_path,
    load_es_contour,
)
from echostrain.evaluate.metrics import agreement
from echostrain.io import read_video
from echostrain.track import load
from echostrain.track.base import Tracker
from echostrain.track.beats import beat_spread, check_ed_frames, track_beats
from echostrain.track.wall import WallTracking, check_wall_smoothing, track_wall, track_wall_cycle

REFERENCE_COLUMNS = ("clip", "view", "gls")


def read_reference(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Reference CSV → {clip stem: {"view", "gls", "segments" (6 floats or None), "observer"}}."""
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"reference file {p} does not exist; check the path")
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            cols = [c.strip().lower() for c in reader.fieldnames or []]
            rows = [{k.strip().lower(): (v or "").strip() for k, v in r.items() if k} for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CorruptInputError(f"{p} could not be read as CSV ({exc.__class__.__name__})") from exc
    missing = [c for c in REFERENCE_COLUMNS if c not in cols]
    if missing:
        raise CorruptInputError(f"{p} lacks column(s) {', '.join(missing)}; it needs clip,view,gls (+ seg1…seg6, observer)")
    out: dict[str, dict[str, Any]] = {}
    for i, r in enumerate(rows, start=2):
        if r["clip"] in out:
            continue
        try:
            gls = float(r["gls"])
            segs = [float(r[f"seg{k}"]) for k in range(1, 7)] if all(r.get(f"seg{k}") for k in range(1, 7)) else None
        except ValueError as exc:
            raise CorruptInputError(f"{p} line {i}: gls and seg1…seg6 must be numbers") from exc
        out[r["clip"]] = {"view": r["view"].lower() or None, "gls": gls, "segments": segs, "observer": r.get("observer")}
    if not out:
        raise ParameterError(f"{p} has no rows; add one row per clip")
    return out


def read_ed_frames(path: str | os.PathLike[str]) -> dict[str, list[int]]:
    """ED frames per clip from a CSV ``clip,ed_frames`` (frames separated by spaces, e.g. ``0 23 46``)."""
    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"ED-frames file {p} does not exist; check the path")
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            cols = [c.strip().lower() for c in reader.fieldnames or []]
            rows = [{k.strip().lower(): (v or "").strip() for k, v in r.items() if k} for r in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CorruptInputError(f"{p} could not be read as CSV ({exc.__class__.__name__})") from exc
    if "clip" not in cols or "ed_frames" not in cols:
        raise CorruptInputError(f"{p} needs the columns clip,ed_frames (frames separated by spaces)")
    out: dict[str, list[int]] = {}
    for i, r in enumerate(rows, start=2):
        try:
            out[r["clip"]] = [int(v) for v in r["ed_frames"].split()]
        except ValueError as exc:
            raise CorruptInputError(f"{p} line {i}: ed_frames must be whole frame numbers separated by spaces") from exc
    if not out:
        raise ParameterError(f"{p} has no rows; add one row per clip")
    return out


def _is_frame_folder(path: Path) -> bool:
    return path.is_dir() and any(f.suffix.lower() in FRAME_SUFFIXES for f in path.iterdir())


def find_clips(folder: str | os.PathLike[str]) -> list[Path]:
    """The clips of a folder: every file :func:`~echostrain.io.read_video` reads by suffix, and folders of frames.

    Hidden files (``.name``, e.g. a writer's temporaries) are skipped.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputNotFoundError(f"clip folder {folder} does not exist; check `clips_dir`")
    files = sorted(p for p in folder.iterdir() if not p.name.startswith(".")
                   and ((p.is_file() and p.suffix.lower() in CLIP_SUFFIXES) or _is_frame_folder(p)))
    if not files:
        raise ParameterError(f"{folder} holds no clips ({', '.join(CLIP_SUFFIXES)} or folders of frames)")
    return files


def _contour_for(folder: Path, stem: str) -> Path:
    for suffix in (".json", ".csv"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    raise InputNotFoundError(f"no contour for clip {stem} in {folder} (expected {stem}.json or {stem}.csv)")


def evaluate_real(
    clips_dir: str | os.PathLike[str],
    contour_dirs: Sequence[str | os.PathLike[str]],
    reference: str | os.PathLike[str] | None,
    methods: Sequence[str],
    spacing_mm: tuple[float, float] | None = None,
    weights: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    beats: bool = False,
    ed_frames: Mapping[str, Sequence[int]] | None = None,
    trackers: Mapping[str, Tracker] | None = None,
    smoothing_points: int = WALL_SMOOTHING_POINTS,
) -> list[dict[str, Any]]:
    """One row per clip × method (see the module docstring). Everything is read and checked first.

    ``beats`` asks for the per-beat figures of every clip; ``ed_frames`` (clip stem →
    ED frames) gives the beats of some clips instead of finding them. ``trackers``
    (name → :class:`~echostrain.track.base.Tracker`) adds trackers of your own next
    to the ``methods`` loaded by name. Tracked walls are regularised along the wall with
    ``smoothing_points`` (:func:`~echostrain.track.wall.regularise_tracks`; 0: as tracked).
    """
    check_wall_smoothing(smoothing_points, "smoothing_points")
    if not contour_dirs or len(contour_dirs) > 2:
        raise ParameterError("give one `contour_dirs` folder (or two, one per observer)")
    folders = [Path(c) for c in contour_dirs]
    for f in folders:
        if not f.is_dir():
            raise InputNotFoundError(f"contour folder {f} does not exist; check `contour_dirs`")
    ref = read_reference(reference) if reference is not None else {}
    items = []
    for clip in find_clips(clips_dir):
        video = read_video(clip, spacing_mm=spacing_mm)
        video.require_spacing()
        r = ref.get(clip.stem)
        if reference is not None and r is None:
            raise ParameterError(f"{clip.stem} has no row in {reference}; add it or remove the clip")
        myos = [load_myocardium(str(_contour_for(f, clip.stem)), view=(r or {}).get("view"),
                                spacing_mm=video.spacing_mm, image_shape_hw=video.shape_hw) for f in folders]
        es = [_es_contour(f, clip.stem, myo, video) for f, myo in zip(folders, myos)]
        items.append((clip, video, myos, es, r))
    unknown = sorted(set(ed_frames or {}) - {clip.stem for clip, *_ in items})
    if unknown:
        raise ParameterError(f"`ed_frames` names clip(s) not in the cohort: {', '.join(unknown)}")
    for clip, video, *_ in items:
        if clip.stem in (ed_frames or {}):
            check_ed_frames(ed_frames[clip.stem], video.n_frames)
    extra = dict(trackers or {})
    clash = sorted(set(extra) & set(methods))
    if clash:
        raise ParameterError(f"tracker name(s) {', '.join(clash)} given both in `methods` and in `trackers`")
    trackers = {**{m: load(m, weights=weights if m == "tasnet" else None) for m in methods}, **extra}
    if not trackers:
        raise ParameterError("no tracker to evaluate; give `methods` (or `trackers`)")
    rows = []
    for i, (clip, video, myos, es, r) in enumerate(items):
        given = (ed_frames or {}).get(clip.stem)
        rows += [_clip_row(clip, myos, r, name, tracker, video, es=es, beats=beats or given is not None,
                           ed_frames=given, smoothing_points=smoothing_points) for name, tracker in trackers.items()]
        if progress is not None:
            progress(i + 1, len(items))
    return rows


def _es_contour(folder: Path, stem: str, ed: Any, video: Any) -> EsContour | None:
    """The observer's ES contour of a clip (checked against its ED contour's clip), or None."""
    path = es_contour_path(folder, stem)
    if path is None:
        return None
    return load_es_contour(path, view=ed.view, spacing_mm=video.spacing_mm, image_shape_hw=video.shape_hw,
                           n_frames=video.n_frames, ed_frame=0)


def _contour_columns(myos: list, es: list[EsContour | None], tracks_px: np.ndarray, wall: Any,
                     gls_curve_pct: np.ndarray, spacing_mm: tuple[float, float]) -> dict[str, Any]:
    """The contour reference of observer 1 (and 2) against the tracked endocardium at the drawn ES frame."""
    if es[0] is None:
        return {}
    f = es[0].frame
    ref = contour_gls_pct(myos[0], es[0].myocardium)
    tracked = float(gls_curve_pct[f])
    endo = wall.layer == LAYER_ENDO
    cols = {"es_contour_frame": f, "contour_gls_pct": ref, "tracked_gls_at_es_pct": tracked,
            "tracked_minus_contour_gls_pct": tracked - ref,
            "es_distance_mm": float(distance_to_polyline_mm(tracks_px[f, endo], es[0].myocardium.endo_xy_px,
                                                            spacing_mm).mean())}
    if len(es) == 2 and es[1] is not None:
        cols["contour_gls_observer2_pct"] = contour_gls_pct(myos[1], es[1].myocardium)
        cols["interobserver_contour_gls_diff_pct"] = abs(ref - cols["contour_gls_observer2_pct"])
    return cols


def _beat_columns(tracker: Any, video: Any, wall: Any, cyc: Any, view: str,
                  ed_frames: Sequence[int] | None) -> dict[str, Any]:
    """Per-beat figures (under ``_beats``) and their spread over the clip's beats."""
    tracked = WallTracking(cyc.tracks_px, wall, view, cyc.strain, tracker.name, cyc.seconds)
    beats = track_beats(tracker, video, tracked, ed_frames=ed_frames)
    spread = beat_spread(beats)
    return {"n_beats": spread.n_beats, "beat_gls_mean_pct": spread.gls_mean_pct,
            "beat_gls_sd_pct": spread.gls_sd_pct, "beat_gls_range_pct": spread.gls_range_pct,
            "beat_drift_mm": float(np.mean([b.drift_mm for b in beats])),
            "beat_fb_mm": float(np.mean([b.fb_mm for b in beats])), "_beats": beats}


def _clip_row(clip: Path, myos: list, ref: dict[str, Any] | None, name: str, tracker: Any, video: Any, *,
              es: list[EsContour | None], beats: bool = False, ed_frames: Sequence[int] | None = None,
              smoothing_points: int = WALL_SMOOTHING_POINTS) -> dict[str, Any]:
    """One clip × one method: observer 1's strain, drift and consistency; observer 2's GLS; the references."""
    wall = myos[0].sample_points(POINTS_PER_SEGMENT)
    # observer 1: strain, drift, consistency
    cyc = track_wall_cycle(tracker, video, wall, view=myos[0].view, smoothing_points=smoothing_points)
    st = cyc.strain
    gls = [st.gls_pct] + [track_wall(tracker, video, m.sample_points(POINTS_PER_SEGMENT), view=m.view,
                                     smoothing_points=smoothing_points).strain.gls_pct for m in myos[1:]]
    row = {"clip": clip.stem, "view": myos[0].view, "method": name, "gls_pct": gls[0],
           **{f"seg{k + 1}_pct": float(v) for k, v in enumerate(st.segment_es_pct)},
           "cycle_drift_mm": cyc.drift_mm, "fb_consistency_mm": cyc.fb_mm, "es_frame": st.es_frame,
           "next_ed_frame": cyc.next_ed, "seconds": cyc.seconds,
           "_gls_curve_pct": st.gls_curves_pct[st.gls_layer].copy()}
    row.update(_contour_columns(myos, es, cyc.tracks_px, wall, st.gls_curves_pct["endo"], video.spacing_mm))
    if beats:
        row.update(_beat_columns(tracker, video, wall, cyc, myos[0].view, ed_frames))
    if len(gls) == 2:
        row["gls_observer2_pct"] = gls[1]
        row["interobserver_gls_diff_pct"] = abs(gls[0] - gls[1])
    if ref is not None:
        row["ref_gls_pct"] = ref["gls"]
        row["gls_error_pct"] = gls[0] - ref["gls"]
        if ref["segments"] is not None:
            for k in range(N_SEGMENTS):
                row[f"ref_seg{k + 1}_pct"] = ref["segments"][k]
    return row


def _nanmean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def real_summary(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per method: GLS and segmental agreement with the reference, inter-observer difference, drift, consistency."""
    out: dict[str, dict[str, float]] = {}
    for m in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == m]

        def col(key: str) -> np.ndarray:
            return np.array([r.get(key, math.nan) for r in mine], dtype=float)

        g = agreement(col("gls_pct"), col("ref_gls_pct"))
        s = agreement(np.concatenate([col(f"seg{k}_pct") for k in range(1, 7)]),
                      np.concatenate([col(f"ref_seg{k}_pct") for k in range(1, 7)]))
        inter = col("interobserver_gls_diff_pct")
        out[m] = {
            "n_clips": len(mine),
            "gls_mae_pct": g["mae"], "gls_bias_pct": g["bias"], "gls_loa_low_pct": g["loa_low"],
            "gls_loa_high_pct": g["loa_high"], "gls_r": g["r"],
            "segment_mae_pct": s["mae"], "segment_bias_pct": s["bias"], "segment_r": s["r"],
            "interobserver_gls_pct": float(np.nanmean(inter)) if np.isfinite(inter).any() else math.nan,
            "cycle_drift_mm": float(np.nanmean(col("cycle_drift_mm"))),
            "fb_consistency_mm": float(np.nanmean(col("fb_consistency_mm"))),
            "contour_gls_error_pct": _nanmean(np.abs(col("tracked_minus_contour_gls_pct"))),
            "contour_gls_bias_pct": _nanmean(col("tracked_minus_contour_gls_pct")),
            "es_distance_mm": _nanmean(col("es_distance_mm")),
            "interobserver_contour_gls_pct": _nanmean(col("interobserver_contour_gls_diff_pct")),
            "beat_gls_sd_pct": _nanmean(col("beat_gls_sd_pct")),
            "beat_drift_mm": _nanmean(col("beat_drift_mm")),
            "beat_fb_mm": _nanmean(col("beat_fb_mm")),
        }
    return out
