"""Real-clip motion for the simulator: a closed, smooth cycle fitted to tracked wall points.

Used by the refinement loop (:mod:`echostrain.workflows.refine`):
:func:`fit_cycle_motion` fits one cycle of wall motion to a clip's tracked
wall (or gives the reason to reject it), :func:`motion_for_scene` turns it
into an :class:`~echostrain.motion.LVMotion` on the clip's template scene,
and :func:`clip_geometry` builds that scene from the clip and its contour.

The cycle runs from ED (the contour's frame) to the next ED (the frame after
ES where the wall is longest again). The tracks are smoothed in time
(Savitzky–Golay) and along the wall, and the residual drift at the end of the
cycle is spread linearly over the cycle so that the motion closes. A clip is
rejected, with the reason, when:

* it holds no full cycle;
* the drift before closing exceeds ``max_closure_mm``;
* its GLS lies outside −35…0 %;
* the wall thickness drops below 1 mm;
* a point moves more than 30 mm.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.anatomy.myocardium import Myocardium, load_myocardium
from echostrain.anatomy.template import template_scene
from echostrain.core.vocabulary import LAYER_ENDO, LAYER_EPI
from echostrain.io.video import EchoVideo
from echostrain.motion.lv_motion import LVMotion
from echostrain.motion.parameters import MotionParameters
from echostrain.strain import compute_strain
from echostrain.strain.phases import next_ed_frame

#: Wall points per segment and layer of the fitted motion.
POINTS_PER_SEGMENT = 8
#: Sector of the simulations (degrees): real scanners image ~90°, wider than the default 75° scan.
REFINE_SECTOR_DEG = 90.0


@dataclass
class FittedMotion:
    """A clip's wall motion over one cycle, in the template scene's mm (probe at the origin)."""

    endo_mm: np.ndarray  # [T, K, 2]
    epi_mm: np.ndarray  # [T, K, 2]
    es_frame: int
    fps: float
    closure_mm: float
    gls_pct: float
    segment_strain_pct: tuple[float, ...]


def fit_cycle_motion(tracks_px: np.ndarray, layer: np.ndarray, segment: np.ndarray,
                     px_to_scene_mm: Callable[[np.ndarray], np.ndarray],
                     spacing_mm: tuple[float, float], fps: float, view: str, smooth_frames: int = 5,
                     max_closure_mm: float = 4.0) -> FittedMotion | str:
    """Fit one closed, smooth cycle of wall motion to tracked wall points, or the reason for rejecting them."""
    st = compute_strain(tracks_px, spacing_mm, layer, segment, view=view, ed_frame=0, fps=fps)
    curve = st.gls_curves_pct["endo"]
    es = st.es_frame
    end = next_ed_frame(curve, es)
    if es < 2 or end - es < 2:
        return f"no full cycle (ES at frame {es}, next ED at frame {end} of {tracks_px.shape[0]})"
    cyc = tracks_px[: end + 1].astype(float)
    mm = px_to_scene_mm(cyc.reshape(-1, 2)).reshape(cyc.shape)
    win = min(smooth_frames if smooth_frames % 2 else smooth_frames + 1, (mm.shape[0] // 2) * 2 - 1)
    if win >= 3:
        from scipy.signal import savgol_filter  # ~0.4 s to import: only when smoothing

        mm = savgol_filter(mm, win, 2, axis=0)
    endo, epi = mm[:, layer == LAYER_ENDO], mm[:, layer == LAYER_EPI]
    # along-wall smoothing (3-point) of the displacement, hinges kept
    for line in (endo, epi):
        disp = line - line[:1]
        disp[:, 1:-1] = (disp[:, :-2] + disp[:, 1:-1] + disp[:, 2:]) / 3.0
        line[:] = line[:1] + disp
    closure = float(np.mean(np.hypot(*(np.concatenate([endo, epi], 1)[-1] - np.concatenate([endo, epi], 1)[0]).T)))
    if closure > max_closure_mm:
        return f"drift over the cycle {closure:.1f} mm > {max_closure_mm:g} mm (tracking failed)"
    ramp = np.linspace(0.0, 1.0, mm.shape[0])[:, None, None]
    endo = endo - ramp * (endo[-1] - endo[0])
    epi = epi - ramp * (epi[-1] - epi[0])
    length = np.hypot(*np.diff(endo, axis=1).transpose(2, 0, 1)).sum(axis=1)  # endo line length (mm) per frame
    gls = float((length[es] - length[0]) / length[0] * 100.0)  # after closing the cycle
    if not -35.0 <= gls <= 0.0:
        return f"GLS {gls:.1f} % outside −35…0 % once the cycle is closed"
    thick = np.hypot(*(epi - endo).transpose(2, 0, 1))
    if thick.min() < 1.0:
        return f"wall thickness drops to {thick.min():.2f} mm"
    if np.max(np.hypot(*(endo - endo[:1]).transpose(2, 0, 1))) > 30.0:
        return "a wall point moves more than 30 mm"
    segs = tuple(float(v) for v in st.segment_es_pct)
    return FittedMotion(endo, epi, int(es), float(fps), closure, gls, segs)


def motion_for_scene(fit: FittedMotion, myocardium_mm: Myocardium) -> LVMotion:
    """An :class:`LVMotion` on the template scene whose wall follows the fitted tracks."""
    n = fit.endo_mm.shape[0]
    params = MotionParameters(
        pathology="tracked", gls_target_pct=fit.gls_pct, segment_strain_pct=fit.segment_strain_pct,
        segment_state=("tracked",) * 6, heart_rate_bpm=60.0 * fit.fps / max(n - 1, 1), fps=fit.fps,
        n_frames=n, es_frame=fit.es_frame, jitter_mm=0.0, jitter_phase_rad=(0.0, 0.0, 0.0, 0.0),
    )
    # the mesh starts on the scene's ED contour: shift the fitted tracks so their frame 0 matches it exactly
    wall = myocardium_mm.sample_points(POINTS_PER_SEGMENT, layers=(LAYER_ENDO, LAYER_EPI))
    endo0, epi0 = wall.xy_px[wall.layer == LAYER_ENDO], wall.xy_px[wall.layer == LAYER_EPI]
    endo = fit.endo_mm - fit.endo_mm[:1] + endo0[None]
    epi = fit.epi_mm - fit.epi_mm[:1] + epi0[None]
    return LVMotion(myocardium_mm, params, POINTS_PER_SEGMENT, wall_tracks_mm=(endo, epi))


def clip_geometry(video: EchoVideo, contour: Path, view: str | None) -> tuple[Any, Myocardium, Callable]:
    """The clip's template scene (90° sector), its myocardium in px, and px → scene mm (probe at the origin)."""
    scene = template_scene(video, contour, view=view or "a4c", sector_deg=REFINE_SECTOR_DEG)
    dy, dx = scene.params.spacing_mm
    ax, ay = scene.params.apex_xy_px
    myo_px = load_myocardium(str(contour), view=scene.view, spacing_mm=(dy, dx), image_shape_hw=video.shape_hw)

    def to_mm(xy: np.ndarray) -> np.ndarray:
        return np.stack([(xy[:, 0] - ax) * dx, (xy[:, 1] - ay) * dy], axis=-1)

    return scene, myo_px, to_mm
