"""``echostrain evaluate``: trackers side by side, on simulated sequences or on a real cohort, written to one folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import WALL_SMOOTHING_POINTS
from echostrain.evaluate.real import evaluate_real, read_ed_frames
from echostrain.evaluate.real_report import write_real_evaluation
from echostrain.evaluate.summary import write_evaluation
from echostrain.evaluate.synthetic import evaluate_sequences, find_sequences
from echostrain.track import METHODS
from echostrain.track.wall import check_wall_smoothing
from echostrain.workflows.analyze import check_out_dir


def parse_methods(methods: str | Sequence[str]) -> list[str]:
    """Tracking method names from ``"a,b"`` or a list, each checked against :data:`~echostrain.track.METHODS`."""
    items = methods.split(",") if isinstance(methods, str) else list(methods)
    names = [m.strip().lower() for m in items if m.strip()]
    if not names:
        raise ParameterError("`methods` is empty; give e.g. tasnet,blockmatch,opticalflow")
    for m in names:
        if m not in METHODS:
            raise ParameterError(f"unknown tracking method {m!r} in `methods`; use {', '.join(METHODS)}")
    return names


def evaluate_trackers(
    out_dir: str | os.PathLike[str],
    *,
    methods: str | Sequence[str],
    data: Sequence[str | os.PathLike[str]] | None = None,
    clips_dir: str | os.PathLike[str] | None = None,
    contour_dirs: Sequence[str | os.PathLike[str]] | None = None,
    reference: str | os.PathLike[str] | None = None,
    weights: str | os.PathLike[str] | None = None,
    observers: bool = True,
    spacing_mm: tuple[float, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    beats: bool = False,
    ed_frames: str | os.PathLike[str] | None = None,
    wall_smoothing: int = WALL_SMOOTHING_POINTS,
) -> str:
    """Evaluate ``methods`` and write the tables, plots and report into ``out_dir``; returns summary.md's text.

    Give either ``data`` (simulated sequences: folders or .h5 files) or
    ``clips_dir`` with ``contour_dirs`` (and optionally ``reference``) for a
    real cohort (see :mod:`echostrain.evaluate.real`); there ``beats`` adds the
    per-beat figures and ``ed_frames`` (a CSV ``clip,ed_frames``) gives the beats
    of some clips. ``wall_smoothing``: the window (points) in which tracked walls are
    regularised (:func:`~echostrain.track.wall.regularise_tracks`; 0: as tracked).
    Everything is read and checked before any tracking.
    """
    check_wall_smoothing(wall_smoothing)
    names = parse_methods(methods)
    if (data is None) == (clips_dir is None):
        raise ParameterError("give either `data` (simulated sequences) or `clips_dir` with `contour_dirs` (real cohort)")
    if clips_dir is None and (beats or ed_frames is not None):
        raise ParameterError("`beats` and `ed_frames` are for the real-cohort mode (`clips_dir`)")
    out = check_out_dir(out_dir)
    if clips_dir is not None:
        if not contour_dirs:
            raise ParameterError("the real-cohort mode needs `contour_dirs` (a folder of ED contours, one per clip)")
        given = read_ed_frames(ed_frames) if ed_frames is not None else None
        rows = evaluate_real(clips_dir, contour_dirs, reference, names, spacing_mm=spacing_mm, weights=weights,
                             progress=progress, beats=beats, ed_frames=given, smoothing_points=wall_smoothing)
        return write_real_evaluation(rows, out)
    files = find_sequences(data)
    results = evaluate_sequences(files, names, weights=weights, progress=progress, observers=observers,
                                 smoothing_points=wall_smoothing)
    write_evaluation(results, out)
    return (out / "summary.md").read_text()
