"""The built-in demo of ``make demo``: analytic contours with known strain, and a simulated echo sequence with known motion."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from echostrain.anatomy.shapes import ellipsoidal_myocardium
from echostrain.core.vocabulary import LAYER_ENDO, LAYER_EPI
from echostrain.io.tracks import TrackSet, write_tracks
from echostrain.io.atomic import atomic_path
from echostrain.io.sequence import SequenceData
from echostrain.motion.analytic import cardiac_time_course, deform_wall
from echostrain.report.strain_plot import plot_strain_curves
from echostrain.strain.analysis import StrainResult, compute_strain

#: Peak segmental strains of the demo (%): an A4C with a hypokinetic apical septum.
DEMO_SEGMENT_STRAIN_PCT = (-19.0, -18.0, -8.0, -21.0, -20.0, -17.0)


@dataclass(frozen=True)
class DemoOutputs:
    """What :func:`run_demo` computed and wrote."""

    result: StrainResult
    true_segment_pct: np.ndarray
    tracks_path: Path
    json_path: Path
    plot_path: Path


def run_demo(out_dir: str | Path, fps: float = 50.0, heart_rate_bpm: float = 60.0) -> DemoOutputs:
    """Build an analytic A4C contour sequence, compute its strain, write tracks, JSON and a PNG."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    myo = ellipsoidal_myocardium(view="a4c", spacing_mm=(0.3, 0.3))
    points = myo.sample_points(points_per_segment=8)
    n_frames = int(round(fps * 60.0 / heart_rate_bpm))
    course = cardiac_time_course(n_frames, fps, heart_rate_bpm)
    tracks = deform_wall(points, np.array(DEMO_SEGMENT_STRAIN_PCT), course)
    trackset = TrackSet(
        tracks=tracks, spacing_mm=myo.spacing_mm, layer=points.layer, segment=points.segment, view="a4c", fps=fps
    )
    result = compute_strain(
        tracks, myo.spacing_mm, points.layer, points.segment, view="a4c", fps=fps
    )
    true_pct = np.asarray(DEMO_SEGMENT_STRAIN_PCT) * course[result.es_frame]
    tracks_path = write_tracks(out / "demo_tracks.npz", trackset)
    json_path = out / "demo_strain.json"
    with atomic_path(json_path) as tmp:
        tmp.write_text(json.dumps(result.summary(include_curves=True), indent=2))
    plot_path = plot_strain_curves(result, out / "demo_strain_curves.png", title="Demo: analytic A4C, known strain")
    return DemoOutputs(result, true_pct, Path(tracks_path), json_path, plot_path)


def run_demo_sequence(out_dir: str | Path, seed: int = 7) -> tuple[SequenceData, Path, Path]:
    """Simulate one A4C cycle with regional dysfunction; write the sequence file and an MP4 with the true points."""
    from echostrain.io import overlay_points, write_mp4
    from echostrain.io.sequence import write_sequence
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    out = Path(out_dir)
    data = simulate_sequence(SequenceConfig(view="a4c", pathology="regional"), seed=seed)
    seq_path = write_sequence(out / "demo_sequence.h5", data)
    rgb = overlay_points(data.frames, data.tracks, labels=data.track_layer, radius_px=2)
    movie = write_mp4(out / "demo_sequence.mp4", rgb, fps=data.fps, spacing_mm=data.spacing_mm)
    return data, Path(seq_path), Path(movie)


def run_demo_analysis(out_dir: str | Path, data: SequenceData, seq_path: Path) -> tuple[dict, Path]:
    """Analyze the demo sequence as a user would a patient: its ED contour, TAS-Net, strain, HTML report."""
    from echostrain.io.atomic import write_text_atomic
    from echostrain.workflows.analyze import analyze

    out = Path(out_dir)
    endo = data.tracks[data.ed_index, data.track_layer == LAYER_ENDO]
    epi = data.tracks[data.ed_index, data.track_layer == LAYER_EPI]
    contour = write_text_atomic(out / "demo_sequence_ed_contour.json", json.dumps(
        {"endo": endo.tolist(), "epi": epi.tolist(), "view": data.view, "frame": int(data.ed_index)}))
    summary = analyze([seq_path], [contour], out / "report", method="tasnet", query_frame=int(data.ed_index))
    return summary, out / "report" / "report.html"
