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
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.anatomy.myocardium import load_myocardium
from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.core.vocabulary import CLIP_SUFFIXES, FRAME_SUFFIXES, N_SEGMENTS
from echostrain.evaluate.metrics import agreement
from echostrain.io import read_video
from echostrain.track import load
from echostrain.track.wall import track_wall, track_wall_cycle

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
) -> list[dict[str, Any]]:
    """One row per clip × method (see the module docstring). Everything is read and checked first."""
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
        if video.spacing_mm is None:
            raise ParameterError(f"{clip} has no pixel spacing; give `spacing_mm` (dy, dx in mm)")
        r = ref.get(clip.stem)
        if reference is not None and r is None:
            raise ParameterError(f"{clip.stem} has no row in {reference}; add it or remove the clip")
        myos = [load_myocardium(str(_contour_for(f, clip.stem)), view=(r or {}).get("view"),
                                spacing_mm=video.spacing_mm, image_shape_hw=video.shape_hw) for f in folders]
        items.append((clip, video, myos, r))
    trackers = {m: load(m, weights=weights if m == "tasnet" else None) for m in methods}
    rows = []
    for i, (clip, video, myos, r) in enumerate(items):
        rows += [_clip_row(clip, myos, r, name, tracker, video) for name, tracker in trackers.items()]
        if progress is not None:
            progress(i + 1, len(items))
    return rows


def _clip_row(clip: Path, myos: list, ref: dict[str, Any] | None, name: str, tracker: Any, video: Any) -> dict[str, Any]:
    """One clip × one method: observer 1's strain, drift and consistency; observer 2's GLS; the reference."""
    wall = myos[0].sample_points(8)
    cyc = track_wall_cycle(tracker, video, wall, view=myos[0].view)  # observer 1: strain, drift, consistency
    st = cyc.strain
    gls = [st.gls_pct] + [track_wall(tracker, video, m.sample_points(8), view=m.view).strain.gls_pct for m in myos[1:]]
    row = {"clip": clip.stem, "view": myos[0].view, "method": name, "gls_pct": gls[0],
           **{f"seg{k + 1}_pct": float(v) for k, v in enumerate(st.segment_es_pct)},
           "cycle_drift_mm": cyc.drift_mm, "fb_consistency_mm": cyc.fb_mm, "es_frame": st.es_frame,
           "next_ed_frame": cyc.next_ed, "seconds": cyc.seconds}
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
        }
    return out
