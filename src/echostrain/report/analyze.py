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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.anatomy.myocardium import load_myocardium
from echostrain.anatomy.segments import segment_names
from echostrain.errors import ParameterError
from echostrain.io import TrackSet, overlay_points, read_video, write_mp4, write_tracks
from echostrain.io.atomic import write_text_atomic
from echostrain.io.jsonsafe import json_ready
from echostrain.report.bullseye import plot_bullseye
from echostrain.report.html import Html
from echostrain.report.strain_plot import plot_strain_curves
from echostrain.strain import average_gls, bullseye_pct, compute_strain
from echostrain.track import check_track_input, load


def _stem(path: Path, used: set[str]) -> str:
    stem = path.stem or "clip"
    name, i = stem, 2
    while name in used:
        name, i = f"{stem}_{i}", i + 1
    used.add(name)
    return name


def analyze(
    clips: Sequence[str | os.PathLike[str]],
    contours: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    views: Sequence[str | None] | None = None,
    method: str = "tasnet",
    weights: str | os.PathLike[str] | None = None,
    points_per_segment: int = 8,
    query_frame: int = 0,
    spacing_mm: tuple[float, float] | None = None,
    message: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the analysis (see the module docstring); returns the summary."""
    say = message or (lambda _m: None)
    clips = [Path(c) for c in clips]
    contours = [Path(c) for c in contours]
    if not clips:
        raise ParameterError("give at least one clip to analyze")
    if len(contours) != len(clips):
        raise ParameterError(f"got {len(contours)} contour(s) for {len(clips)} clip(s); give one ED contour per clip, in order")
    views = list(views) if views else [None] * len(clips)
    if len(views) != len(clips):
        raise ParameterError(f"got {len(views)} --view value(s) for {len(clips)} clip(s); give one per clip or none")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file; give a folder")

    # read and check everything before tracking or writing anything
    prepared = []
    for clip_path, contour_path, view in zip(clips, contours, views):
        video = read_video(clip_path, spacing_mm=spacing_mm)
        if video.spacing_mm is None:
            raise ParameterError(f"{clip_path} has no pixel spacing; give --spacing-mm DY,DX (mm)")
        if not 0 <= query_frame < video.n_frames:
            raise ParameterError(f"--query-frame {query_frame} is outside {clip_path}'s frames 0…{video.n_frames - 1}")
        myo = load_myocardium(str(contour_path), view=view, spacing_mm=video.spacing_mm, image_shape_hw=video.shape_hw)
        wall = myo.sample_points(points_per_segment)
        queries = np.concatenate([np.full((len(wall.xy_px), 1), float(query_frame)), wall.xy_px], axis=1)
        check_track_input(video.frames, queries)
        prepared.append((clip_path, video, myo, wall, queries))
    seen_views = [p[2].view for p in prepared]
    if len(set(seen_views)) != len(seen_views):
        raise ParameterError(f"two clips have the same view ({', '.join(seen_views)}); give one clip per apical view")

    tracker = load(method, weights=weights)
    out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    per_clip, results = [], []
    for clip_path, video, myo, wall, queries in prepared:
        name = _stem(clip_path, used)
        say(f"{name}: tracking {len(queries)} wall points with {tracker.name}")
        res = tracker.track(video.frames, queries)
        tracks = res.tracks_px.astype(np.float64)
        strain = compute_strain(tracks, video.spacing_mm, wall.layer, wall.segment, view=myo.view, fps=video.fps,
                                ed_frame=query_frame)  # the contour is drawn on ED
        results.append(strain)
        ts = TrackSet(tracks=tracks, spacing_mm=video.spacing_mm, layer=wall.layer, segment=wall.segment,
                      view=myo.view, fps=video.fps, source=name)
        tracks_path = write_tracks(out / f"{name}_tracks.npz", ts)
        movie = write_mp4(out / f"{name}_overlay.mp4", overlay_points(video.frames, tracks, labels=wall.layer, radius_px=2),
                          fps=video.fps or 25.0, spacing_mm=video.spacing_mm)
        curves = plot_strain_curves(strain, out / f"{name}_curves.png", title=f"{name} ({myo.view.upper()})")
        per_clip.append({
            "clip": str(clip_path), "name": name, "view": myo.view, "method": tracker.name,
            "seconds": res.seconds, "tracks": tracks_path.name, "overlay": movie.name, "curves": curves.name,
            "strain": strain.summary(include_curves=False),
        })
    values = bullseye_pct(results)
    n_views = len(results)
    bull = plot_bullseye(values, out / "bullseye.png",
                         title="Longitudinal strain, 18 segments" if n_views == 3 else
                         f"Longitudinal strain, {', '.join(r.view.upper() for r in results)}")
    summary = {
        "clips": per_clip,
        "gls_pct": {r.view: r.gls_pct for r in results},
        "average_gls_pct": float(average_gls(results)) if n_views > 1 else results[0].gls_pct,
        "bullseye_pct": {str(k): v for k, v in sorted(values.items())},
        "method": tracker.name,
    }
    write_text_atomic(out / "summary.json", json.dumps(json_ready(summary), indent=2, allow_nan=False) + "\n")
    _write_html(out, per_clip, results, summary, bull)
    return summary


def _write_html(out: Path, per_clip: list[dict], results: list, summary: dict, bull: Path) -> Path:
    page = Html("Myocardial strain report",
                f"echostrain — wall tracked with {summary['method']}; longitudinal strain (%), negative = shortening")
    page.heading("Global longitudinal strain")
    rows = [[c["name"], c["view"].upper(), r.gls_pct, r.ed_frame, r.es_frame, f"{c['seconds']:.2f} s"]
            for c, r in zip(per_clip, results)]
    if len(results) > 1:
        rows.append(["average", "", summary["average_gls_pct"], "", "", ""])
    page.table(["clip", "view", "GLS (%)", "ED frame", "ES frame", "tracking time"], rows, element_id="gls-table")
    page.image(bull, alt="bull's-eye of segmental strain", caption="Peak segmental longitudinal strain (%)",
               element_id="bullseye", width_px=380)
    for c, r in zip(per_clip, results):
        page.heading(f"{c['name']} — {c['view'].upper()}")
        page.video(out / c["overlay"], caption="tracked wall points (endo, mid-wall, epi)", element_id=f"overlay-{c['name']}")
        page.image(out / c["curves"], alt="strain curves", caption="GLS and segmental strain over the clip",
                   element_id=f"curves-{c['name']}", width_px=560)
        names = segment_names(c["view"])
        page.table(["segment", "peak strain (%)"], [[n, v] for n, v in zip(names, r.segment_es_pct)])
    page.paragraph("Strain is the relative change of length of the tracked endocardial line (GLS) and of its six "
                   "segments between ED and ES; see docs/formats.md for the definitions.", note=True)
    return page.write(out / "report.html")
