"""Evaluate trackers on simulated sequences with true motion.

For every sequence and method: the true myocardial points (endo, mid-wall,
epi) of the ED frame are the queries; the tracker's positions are compared to
the true tracks (:func:`~echostrain.evaluate.metrics.tracking_metrics`) and
the strain of the tracked points to the strain of the true points — both
with ED = frame 0 and ES = the true ES frame, so the comparison isolates the
tracking. Two simulated observers (:mod:`echostrain.evaluate.observers`)
give the inter-observer GLS variability of each method.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.checks import clip_to_image
from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.core.vocabulary import LAYER_ENDO, LAYER_EPI
from echostrain.data.sequences import list_sequences, load_sequence
from echostrain.evaluate.metrics import errors_mm, tracking_metrics
from echostrain.evaluate.observers import draw_observer, observer_myocardium
from echostrain.strain import compute_strain
from echostrain.track import Tracker, load
from echostrain.core.vocabulary import WALL_SMOOTHING_POINTS
from echostrain.track.wall import check_wall_smoothing, query_points, regularise_tracks


@dataclass
class SequenceEvaluation:
    """One sequence × one method."""

    row: dict[str, Any]
    error_by_frame_mm: np.ndarray  # [T] mean error over the wall points
    segment_error_pct: np.ndarray  # [6] tracked − true ES segmental strain


def _strain(tracks: np.ndarray, data: Any, wall: np.ndarray):
    return compute_strain(
        tracks, data.spacing_mm, data.track_layer[wall], data.track_segment[wall],
        view=data.view, ed_frame=0, es_frame=int(data.es_index), fps=data.fps,
    )


def _observer_gls(data: Any, tracker: Tracker, rng: np.random.Generator, smoothing_points: int) -> list[float]:
    """GLS (%) measured by two simulated observers (:mod:`echostrain.evaluate.observers`)."""
    endo_idx = np.flatnonzero(data.track_layer == LAYER_ENDO)
    epi_idx = np.flatnonzero(data.track_layer == LAYER_EPI)
    k = endo_idx.size
    out = []
    for _ in range(2):
        obs = draw_observer(rng, int(data.es_index))
        myo = observer_myocardium(data.tracks[obs.frame, endo_idx].astype(float),
                                  data.tracks[obs.frame, epi_idx].astype(float), data.spacing_mm, data.view, obs)
        pts = myo.sample_points((k - 1) // 6)
        res = tracker.track(data.frames, query_points(clip_to_image(pts.xy_px, data.frames.shape[1:]), obs.frame))
        tracks = regularise_tracks(res.tracks_px, pts.layer, obs.frame, smoothing_points)
        st = compute_strain(tracks, data.spacing_mm, pts.layer, pts.segment,
                            view=data.view, ed_frame=obs.frame, es_frame=int(data.es_index), fps=data.fps)
        out.append(st.gls_pct)
    return out


def evaluate_sequence(path: str | os.PathLike[str], trackers: dict[str, Tracker],
                      observers: bool = True, *, smoothing_points: int = WALL_SMOOTHING_POINTS
                      ) -> list[SequenceEvaluation]:
    """All methods on one sequence file (with two simulated observers per method when ``observers``).

    Tracked walls are regularised as the real-clip jobs do
    (:func:`~echostrain.track.wall.regularise_tracks`, ``smoothing_points``; 0: as tracked).
    """
    check_wall_smoothing(smoothing_points, "smoothing_points")
    data = load_sequence(path)
    wall = np.flatnonzero(data.track_layer >= 0)
    if wall.size == 0 or data.tracks.shape[0] < 3:
        raise InvalidDataError(f"{path} has no true myocardial tracks to evaluate against")
    true = data.tracks[:, wall].astype(np.float64)
    queries = query_points(true[0], 0)
    truth = _strain(true, data, wall)
    motion = data.parameters.get("motion", {}) if isinstance(data.parameters, dict) else {}
    out = []
    for name, tracker in trackers.items():
        res = tracker.track(data.frames, queries)
        pred = regularise_tracks(res.tracks_px, data.track_layer[wall], 0, smoothing_points)
        met = tracking_metrics(pred, true, data.spacing_mm, data.frames.shape[1:])
        est = _strain(pred, data, wall)
        seg_err = est.segment_es_pct - truth.segment_es_pct
        row = {
            "sequence": Path(path).name,
            "view": data.view,
            "pathology": motion.get("pathology", "unknown"),
            "method": name,
            "n_frames": int(data.frames.shape[0]),
            "n_points": int(wall.size),
            **met,
            "gls_true_pct": truth.gls_pct,
            "gls_est_pct": est.gls_pct,
            "gls_error_pct": est.gls_pct - truth.gls_pct,
            **{f"seg{i + 1}_true_pct": float(v) for i, v in enumerate(truth.segment_es_pct)},
            **{f"seg{i + 1}_est_pct": float(v) for i, v in enumerate(est.segment_es_pct)},
            "segment_mae_pct": float(np.nanmean(np.abs(seg_err))),
            "seconds": res.seconds,
        }
        if observers:
            rng = np.random.default_rng(zlib.crc32(Path(path).name.encode()))  # same observers for every method
            g1, g2 = _observer_gls(data, tracker, rng, smoothing_points)
            row.update({"observer1_gls_pct": g1, "observer2_gls_pct": g2,
                        "interobserver_gls_diff_pct": abs(g1 - g2)})
        out.append(SequenceEvaluation(row, errors_mm(pred, true, data.spacing_mm).mean(axis=1), seg_err))
    return out


def find_sequences(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The sequence files of ``paths`` (folders or .h5 files), each checked to hold true myocardial tracks.

    Folders are searched by :func:`~echostrain.data.sequences.list_sequences`,
    which skips hidden files such as the temporaries of writes in progress.
    """
    files: list[Path] = []
    for p in (Path(x) for x in paths):
        if p.is_file():
            files.append(p)
        elif not p.exists():
            raise ParameterError(f"`data` {p} does not exist; give a folder or .h5 files")
        else:
            found = list_sequences(p)
            if not found:
                raise ParameterError(f"{p} holds no sequence files (*.h5); give simulated sequences (echostrain generate)")
            files += found
    for f in files:  # check before any tracking
        seq = load_sequence(f)
        if seq.tracks is None or not (seq.track_layer >= 0).any():
            raise ParameterError(f"{f} has no true myocardial tracks; the synthetic mode needs simulated sequences")
    return files


def evaluate_sequences(
    files: Sequence[str | os.PathLike[str]],
    methods: Sequence[str],
    weights: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    observers: bool = True,
    *,
    smoothing_points: int = WALL_SMOOTHING_POINTS,
) -> list[SequenceEvaluation]:
    """Evaluate ``methods`` on every file (methods loaded once); ``smoothing_points`` as :func:`evaluate_sequence`."""
    check_wall_smoothing(smoothing_points, "smoothing_points")
    trackers = {m: load(m, weights=weights if m == "tasnet" else None) for m in methods}
    results: list[SequenceEvaluation] = []
    for i, f in enumerate(files):
        results.extend(evaluate_sequence(f, trackers, observers=observers, smoothing_points=smoothing_points))
        if progress is not None:
            progress(i + 1, len(files))
    return results
