"""The user-facing job: track the wall of each clip, measure strain, write an HTML report.

:func:`analyze` takes one clip per apical view with its ED myocardium
contour, tracks the wall points (TAS-Net by default), computes GLS and the
six segmental strains per view, and writes into ``out_dir``:

* ``<clip>_tracks.npz`` (tracks file), ``<clip>_overlay.mp4``,
  ``<clip>_curves.png`` per clip;
* ``bullseye.png`` — six segments of one view, or all 18 with three views;
* ``summary.json`` — every value;
* ``report.html`` — a self-contained page (images and videos embedded).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from echostrain.anatomy.segments import segment_names
from echostrain.core.errors import OutputPathError, ParameterError
from echostrain.core.jsonsafe import json_ready
from echostrain.io import overlay_points, read_video, write_mp4, write_tracks
from echostrain.io.atomic import write_text_atomic
from echostrain.report.bullseye import plot_bullseye
from echostrain.report.html import Html
from echostrain.report.strain_plot import plot_strain_curves
from echostrain.strain import average_gls, bullseye_pct
from echostrain.strain.phases import check_es_after_ed
from echostrain.track import check_track_input, load
from echostrain.track.base import check_not_blank
from echostrain.core.vocabulary import POINTS_PER_SEGMENT, WALL_SMOOTHING_POINTS
from echostrain.track.wall import WallTracking, check_wall_smoothing, query_points, track_wall, wall_points


#: The files of each clip in a report: ``<clip name><suffix>``.
CLIP_FILES = {"tracks": "_tracks.npz", "overlay": "_overlay.mp4", "curves": "_curves.png"}


def unique_stem(path: Path, used: set[str]) -> str:
    """``path``'s stem, made unique among ``used`` with a numeric suffix (and added to it)."""
    stem = path.stem or "clip"
    name, i = stem, 2
    while name in used:
        name, i = f"{stem}_{i}", i + 1
    used.add(name)
    return name


def check_out_dir(out_dir: str | os.PathLike[str], parameter: str = "out_dir") -> Path:
    """``out_dir`` as a Path; raise :class:`OutputPathError` if it exists and is not a folder."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"`{parameter}` {out} is a file; give a folder")
    return out


def _prepare(clips: list[Path], contours: list[Path], views: list[str | None], *, points_per_segment: int,
             query_frame: int, spacing_mm: tuple[float, float] | None,
             fps: float | None = None) -> list[tuple]:
    """Read and check every clip and contour before anything is tracked or written."""
    prepared = []
    for clip_path, contour_path, view in zip(clips, contours, views):
        video = read_video(clip_path, spacing_mm=spacing_mm, fps=fps)
        check_not_blank(video.frames, str(clip_path))
        myo, wall = wall_points(str(contour_path), video, view=view, points_per_segment=points_per_segment,
                                query_frame=query_frame)
        check_track_input(video.frames, query_points(wall.xy_px, query_frame))
        prepared.append((clip_path, video, myo, wall))
    seen_views = [p[2].view for p in prepared]
    if len(set(seen_views)) != len(seen_views):
        raise ParameterError(f"two clips have the same view ({', '.join(seen_views)}); give one clip per apical view")
    return prepared


def _write_clip(out: Path, name: str, clip_path: Path, video: Any, tracked: WallTracking) -> dict[str, Any]:
    """Tracks file, overlay movie and strain-curve figure of one clip; its entry of the summary."""
    tracks_path = write_tracks(out / f"{name}{CLIP_FILES['tracks']}", tracked.track_set(video, name))
    rgb = overlay_points(video.frames, tracked.tracks_px, labels=tracked.wall.layer, radius_px=2)
    movie = write_mp4(out / f"{name}{CLIP_FILES['overlay']}", rgb, fps=video.fps or 25.0, spacing_mm=video.spacing_mm)
    curves = plot_strain_curves(tracked.strain, out / f"{name}{CLIP_FILES['curves']}", title=f"{name} ({tracked.view.upper()})")
    return {
        "clip": str(clip_path), "name": name, "view": tracked.view, "method": tracked.method,
        "seconds": tracked.seconds, "tracks": tracks_path.name, "overlay": movie.name, "curves": curves.name,
        "strain": tracked.strain.summary(include_curves=False),
    }


def analyze(
    clips: Sequence[str | os.PathLike[str]],
    contours: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    views: Sequence[str | None] | None = None,
    method: str = "tasnet",
    weights: str | os.PathLike[str] | None = None,
    points_per_segment: int = POINTS_PER_SEGMENT,
    query_frame: int = 0,
    spacing_mm: tuple[float, float] | None = None,
    fps: float | None = None,
    es_frames: Sequence[int | None] | None = None,
    message: Callable[[str], None] | None = None,
    wall_smoothing: int = WALL_SMOOTHING_POINTS,
) -> dict[str, Any]:
    """Run the analysis (see the module docstring); returns the summary.

    Parameters
    ----------
    clips, contours : sequence of path
        One clip per apical view and its ED myocardium contour, in the same order.
    out_dir : path
        Report folder (created).
    views : sequence of str or None, optional
        View of each clip (default: each contour's).
    method, weights : str, path
        Tracker (:func:`echostrain.track.load`) and, for TAS-Net, other weights.
    points_per_segment : int
        Wall points per segment and layer.
    query_frame : int
        Frame the contours are drawn on (ED).
    spacing_mm : (float, float), optional
        Pixel size (dy, dx) for clips without one.
    fps : float, optional
        Frame rate (frames/s) for clips without one (overrides the file's).
    es_frames : sequence of int or None, optional
        ES frame of each clip (None: found from the tracked wall, the default).
    message : callable, optional
        Receives one line per step.
    wall_smoothing : int
        Window (points) in which each tracked wall is regularised along itself
        (:func:`~echostrain.track.wall.regularise_tracks`); 0 keeps the tracks as tracked.
        Recorded in summary.json as ``wall_smoothing_points``.
    """
    say = message or (lambda _m: None)
    clips = [Path(c) for c in clips]
    contours = [Path(c) for c in contours]
    if not clips:
        raise ParameterError("give at least one clip to analyze")
    if len(contours) != len(clips):
        raise ParameterError(f"got {len(contours)} contour(s) for {len(clips)} clip(s); give one ED contour per clip, in order")
    check_wall_smoothing(wall_smoothing)
    views = list(views) if views else [None] * len(clips)
    if len(views) != len(clips):
        raise ParameterError(f"got {len(views)} `views` value(s) for {len(clips)} clip(s); give one per clip or none")
    es_list = list(es_frames) if es_frames else [None] * len(clips)
    if len(es_list) != len(clips):
        raise ParameterError(f"got {len(es_list)} `es_frames` value(s) for {len(clips)} clip(s); give one per clip or none")
    out = check_out_dir(out_dir)
    prepared = _prepare(clips, contours, views, points_per_segment=points_per_segment, query_frame=query_frame,
                        spacing_mm=spacing_mm, fps=fps)
    for (clip_path, video, _, _), es in zip(prepared, es_list):
        if es is not None:
            check_es_after_ed(es, query_frame, video.frames.shape[0], subject=f"`es_frames` {es} of {clip_path.name}")
    used: set[str] = set()
    names = [unique_stem(p[0], used) for p in prepared]
    _check_targets(out, names)
    tracker = load(method, weights=weights)
    out.parent.mkdir(parents=True, exist_ok=True)
    # everything is written to a hidden sibling folder and moved into `out` at the end,
    # so the report's files appear together or not at all (errors and Ctrl-C included)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        per_clip, results = [], []
        for (clip_path, video, myo, wall), es, name in zip(prepared, es_list, names):
            say(f"{name}: tracking {len(wall)} wall points with {tracker.name}")
            tracked = track_wall(tracker, video, wall, view=myo.view, query_frame=query_frame,  # contour drawn on ED
                                 es_frame=es, smoothing_points=wall_smoothing)
            results.append(tracked.strain)
            per_clip.append(_write_clip(work, name, clip_path, video, tracked))
        values = bullseye_pct(results)
        summary = _summary(per_clip, results, values, tracker.name, wall_smoothing)
        bull = plot_bullseye(values, work / "bullseye.png",
                             title="Longitudinal strain, 18 segments" if len(results) == 3 else
                             f"Longitudinal strain, {', '.join(r.view.upper() for r in results)}")
        write_text_atomic(work / "summary.json", json.dumps(json_ready(summary), indent=2, allow_nan=False) + "\n")
        _write_html(work, per_clip, results, summary, bull)
        if not out.exists():  # one rename: the whole report appears at once
            os.replace(work, out)
        else:
            for item in sorted(work.iterdir()):
                os.replace(item, out / item.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return summary


def _check_targets(out: Path, names: list[str]) -> None:
    """Refuse before any work if a file the report writes is a folder in ``out``."""
    files = ["report.html", "bullseye.png", "summary.json"]
    files += [f"{n}{suffix}" for n in names for suffix in CLIP_FILES.values()]
    for name in files:
        if (out / name).is_dir():
            raise OutputPathError(f"{out / name} is a folder; remove it or give another `out_dir`")


def _summary(per_clip: list[dict], results: list, bullseye: dict[int, float], method: str,
             wall_smoothing: int) -> dict[str, Any]:
    return {
        "clips": per_clip,
        "gls_pct": {r.view: r.gls_pct for r in results},
        "average_gls_pct": float(average_gls(results)) if len(results) > 1 else results[0].gls_pct,
        "bullseye_pct": {str(k): v for k, v in sorted(bullseye.items())},
        "method": method,
        "wall_smoothing_points": wall_smoothing,
    }


def _write_html(out: Path, per_clip: list[dict], results: list, summary: dict, bull: Path) -> Path:
    page = Html("Myocardial strain report",
                f"echostrain — wall tracked with {summary['method']}"
                + (f", regularised along the wall over {summary['wall_smoothing_points']} points"
                   if summary["wall_smoothing_points"] else "")
                + "; longitudinal strain (%), negative = shortening")
    page.heading("Global longitudinal strain")
    rows = [[c["name"], c["view"].upper(), r.gls_pct, r.ed_frame, r.es_frame, f"{c['seconds']:.2f} s"]
            for c, r in zip(per_clip, results)]
    if len(results) > 1:
        rows.append(["average", "", summary["average_gls_pct"], "", "", ""])
    page.table(["clip", "view", "GLS (%)", "ED frame", "ES frame", "tracking time"], rows, element_id="gls-table")
    page.image(bull, alt="bull's-eye of segmental strain", caption="End-systolic segmental longitudinal strain (%)",
               element_id="bullseye", width_px=380)
    for c, r in zip(per_clip, results):
        page.heading(f"{c['name']} — {c['view'].upper()}")
        page.video(out / c["overlay"], caption="tracked wall points (endo, mid-wall, epi)", element_id=f"overlay-{c['name']}")
        page.image(out / c["curves"], alt="strain curves", caption="GLS and segmental strain over the clip",
                   element_id=f"curves-{c['name']}", width_px=560)
        names = segment_names(c["view"])
        page.table(["segment", "end-systolic strain (%)"], [[n, v] for n, v in zip(names, r.segment_es_pct)])
    page.paragraph("Strain is the relative change of length of the tracked endocardial line (GLS) and of its six "
                   "segments between ED and ES; see docs/formats.md for the definitions.", note=True)
    return page.write(out / "report.html")
