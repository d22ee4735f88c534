"""Test helpers: an ellipsoidal LV wall with known periodic motion, and a tracker that follows it exactly."""

from __future__ import annotations

import json

import numpy as np

from echostrain.anatomy.shapes import ellipsoidal_myocardium
from echostrain.io.video import EchoVideo
from echostrain.motion.analytic import cardiac_time_course
from echostrain.track.base import TrackResult, Tracker

SPACING = (0.3, 0.3)
FPS = 50.0
FRAMES_PER_BEAT = 50  # one RR interval at 50 frames/s and 60 beats/min
STRAIN_PCT = np.array([-19.0, -18.0, -8.0, -21.0, -20.0, -17.0])


class ExactTracker(Tracker):
    """Follows known tracks: each query takes the known track nearest to it on its frame."""

    name = "exact"

    def __init__(self, tracks_px: np.ndarray):
        self.truth = tracks_px

    def _track(self, frames, queries):
        q = np.asarray(queries, dtype=float)
        t = q[:, 0].astype(int)
        idx = np.array([np.argmin(np.linalg.norm(self.truth[ti] - xy, axis=-1)) for ti, xy in zip(t, q[:, 1:])])
        tracks = self.truth[:, idx] + (q[:, 1:] - self.truth[t, idx])[None]
        n_t, n = tracks.shape[:2]
        return TrackResult(tracks.astype(np.float32), np.ones((n_t, n), bool), np.ones((n_t, n), np.float32), self.name)


def wall_scene(n_beats: int, folder):
    """An ellipsoidal A4C wall, its ED contour file ``folder/ed.json``, the time course over ``n_beats`` and a blank clip."""
    myo = ellipsoidal_myocardium(view="a4c", spacing_mm=SPACING)
    contour = folder / "ed.json"
    contour.write_text(json.dumps({"endo": myo.endo_xy_px.tolist(), "epi": myo.epi_xy_px.tolist(), "view": "a4c"}))
    course = cardiac_time_course(FRAMES_PER_BEAT * n_beats + 1, FPS, 60.0)
    h = int(np.ceil(max(myo.endo_xy_px[:, 1].max(), myo.epi_xy_px[:, 1].max()))) + 20
    w = int(np.ceil(max(myo.endo_xy_px[:, 0].max(), myo.epi_xy_px[:, 0].max()))) + 20
    video = EchoVideo(np.zeros((len(course), h, w), np.float32), spacing_mm=SPACING, fps=FPS)
    return myo, contour, course, video


def contour_gls_pct(endo_ed: np.ndarray, endo_es: np.ndarray) -> float:
    """Endocardial length change (%) between two polylines (px, at :data:`SPACING`)."""
    def length(line):
        d = np.diff(line * np.array([SPACING[1], SPACING[0]]), axis=0)
        return np.hypot(d[:, 0], d[:, 1]).sum()

    return float((length(endo_es) - length(endo_ed)) / length(endo_ed) * 100.0)
