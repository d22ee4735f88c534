"""Real-texture warps: a real clip's ED frame deformed by an analytic LV motion with known strain.

The ED myocardium drawn on the frame (endo- and epicardium) drives the wall
model of :mod:`echostrain.motion` (segmental longitudinal shortening, apex
still, wall area kept; a thin-plate-spline field outside the wall; a slow
probe jitter), drawn from the seed exactly as :func:`~echostrain.sim.sequence.simulate_sequence`
draws it. Frame ``t`` is the ED frame pulled back through that motion,
``I_t(x) = I_ED(φ_t⁻¹(x))``, inside the sector; the fan's edge and what lies
outside it (annotations, ECG trace) stay still, as on a scanner. Tissue that
moves in across the edge shows the edge's texture extended outwards (the ED
frame has no image beyond it).

Truth and frames use one field: the displacement ``u_t = φ_t − id`` on the
pixel grid of the ED frame, smoothed (Gaussian, ``field_smoothing_mm``) and
interpolated bilinearly. A true point moves to
``X + u_t(X)``; a pixel ``x`` of frame ``t`` shows the ED frame at the
``X`` that solves ``X + u_t(X) = x``, found by the fixed-point iteration
``X ← x − u_t(X)`` (it contracts where ``|∇u| < 1``, i.e. everywhere a
heart can deform) until every pixel's residual is below
``tolerance_px``. The true strain is computed from the true tracks.

Limits: the texture is frozen — the ED speckle is carried along, never
renewed; there is no out-of-plane motion, no decorrelation, no moving valve
or blood speckle, and resampling the image slightly smooths it (cubic
spline). A warp tests how well a tracker follows real scanner appearance
under known motion, not how it copes with speckle that changes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates, spline_filter

from echostrain import __version__
from echostrain.anatomy.myocardium import Myocardium
from echostrain.anatomy.polyline import myocardium_mask
from echostrain.anatomy.segments import check_view
from echostrain.core.errors import GeometryError, ParameterError
from echostrain.core.seeds import seed_streams
from echostrain.io.contours import read_myocardium_contours
from echostrain.io.sector import fan_apex_px, sector_mask
from echostrain.io.sequence import SequenceData
from echostrain.io.video import EchoVideo
from echostrain.motion.lv_motion import Binding, LVMotion, sample_motion
from echostrain.motion.parameters import MotionParameters
from echostrain.motion.parameters import check_pathology
from echostrain.strain.analysis import compute_strain

#: Engine name stored in warp sequence files.
WARP_ENGINE = "warp"
#: Margin (mm) of the motion field's region around the image.
_EXTENT_MARGIN_MM = 20.0


@dataclass(frozen=True)
class WarpConfig:
    """How a real frame is warped.

    Attributes
    ----------
    view : str
        Apical view of the clip (a2c, a3c, a4c).
    frame : int
        The clip's ED frame (the one the contour was drawn on).
    n_frames : int or None
        Frames of the warp (default: one cycle of the drawn heart rate and frame rate).
    pathology : str or None
        normal, regional or global (default: drawn from the seed).
    noise_sd : float
        Standard deviation of Gaussian noise added to every frame, in grey levels (0–255).
    points_per_segment : int
        Wall columns per segment of the true tracks.
    n_tissue_points : int
        True points outside the myocardium, inside the sector.
    field_smoothing_mm : float
        Gaussian σ (mm) applied to the displacement field: removes the
        sub-millimetre kinks where the wall mesh meets the field outside it,
        which would otherwise fold the image. The truth moves with the
        smoothed field too.
    tolerance_px : float
        Largest residual of the inverse map, in pixels.
    max_iterations : int
        Fixed-point iterations allowed per frame.
    """

    view: str = "a4c"
    frame: int = 0
    n_frames: int | None = None
    pathology: str | None = None
    noise_sd: float = 0.0
    points_per_segment: int = 8
    n_tissue_points: int = 200
    field_smoothing_mm: float = 1.0
    tolerance_px: float = 1e-3
    max_iterations: int = 60

    def __post_init__(self) -> None:
        object.__setattr__(self, "view", check_view(self.view))
        if self.pathology is not None:
            object.__setattr__(self, "pathology", check_pathology(self.pathology))
        if not isinstance(self.frame, (int, np.integer)) or self.frame < 0:
            raise ParameterError(f"`frame` must be a frame index ≥ 0, got {self.frame!r}")
        if self.n_frames is not None and not 2 <= self.n_frames <= 2000:
            raise ParameterError(f"`n_frames` must be within 2…2000, got {self.n_frames}")
        if not (math.isfinite(self.noise_sd) and 0.0 <= self.noise_sd <= 255.0):
            raise ParameterError(f"`noise_sd` must be within 0…255 grey levels, got {self.noise_sd}")
        if not 1 <= self.points_per_segment <= 64:
            raise ParameterError(f"`points_per_segment` must be within 1…64, got {self.points_per_segment}")
        if not 0 <= self.n_tissue_points <= 100_000:
            raise ParameterError(f"`n_tissue_points` must be within 0…100000, got {self.n_tissue_points}")
        if not (math.isfinite(self.field_smoothing_mm) and 0.0 <= self.field_smoothing_mm <= 10.0):
            raise ParameterError(f"`field_smoothing_mm` must be within 0…10 mm, got {self.field_smoothing_mm}")
        if not (math.isfinite(self.tolerance_px) and 0.0 < self.tolerance_px <= 0.05):
            raise ParameterError(f"`tolerance_px` must be within (0, 0.05] px, got {self.tolerance_px}")
        if self.max_iterations < 1:
            raise ParameterError(f"`max_iterations` must be ≥ 1, got {self.max_iterations}")


@dataclass(frozen=True)
class WarpField:
    """The displacement of one frame on the ED pixel grid, ``[2, H, W]`` px (x, y)."""

    u_px: np.ndarray

    def at(self, xy_px: np.ndarray) -> np.ndarray:
        """Displacement ``[P, 2]`` (px) at ED points ``[P, 2]`` (x, y), bilinear."""
        rc = [xy_px[:, 1], xy_px[:, 0]]
        return np.stack([map_coordinates(c, rc, order=1, mode="nearest") for c in self.u_px], axis=-1)

    def forward(self, xy_px: np.ndarray) -> np.ndarray:
        """Where ED points ``[P, 2]`` are in this frame."""
        return xy_px + self.at(xy_px)

    def inverse(
        self, xy_px: np.ndarray, tolerance_px: float, max_iterations: int, start_px: np.ndarray | None = None
    ) -> tuple[np.ndarray, float, int]:
        """ED points whose images are ``xy_px``: ``(X [P, 2], largest residual px, iterations)``.

        Fixed-point iteration ``X ← x − u(X)`` from ``start_px`` (default
        ``x − u(x)``); its step is the residual ``X + u(X) − x`` of the point
        before it, and a point stops once that is below ``tolerance_px``.
        """
        x = np.asarray(xy_px, dtype=np.float64)
        ed = x - self.at(x) if start_px is None else np.array(start_px, dtype=np.float64)
        active = np.arange(len(x))
        worst = 0.0
        for i in range(1, max_iterations + 1):
            new = x[active] - self.at(ed[active])
            step = np.max(np.abs(new - ed[active]), axis=1)
            ed[active] = new
            done = step < tolerance_px
            if done.any():
                worst = max(worst, float(step[done].max()))
            active = active[~done]
            if active.size == 0:
                return ed, worst, i
        residual = float(np.max(np.abs(self.forward(ed[active]) - x[active])))
        raise GeometryError(
            f"the inverse warp did not converge (residual {residual:.3g} px after {max_iterations} iterations); "
            "the motion folds the image: check the contour (endo inside epi, base to base) "
            "or smooth the field more (`field_smoothing_mm`)"
        )


@dataclass(frozen=True)
class _Placement:
    """Pixels ↔ mm of the motion model (probe at the fan apex, x lateral, z depth)."""

    apex_xy_px: tuple[float, float]
    dy_mm: float
    dx_mm: float

    def to_mm(self, xy_px: np.ndarray) -> np.ndarray:
        ax, ay = self.apex_xy_px
        return np.stack([(xy_px[..., 0] - ax) * self.dx_mm, (xy_px[..., 1] - ay) * self.dy_mm], axis=-1)

    def to_px(self, xz_mm: np.ndarray) -> np.ndarray:
        ax, ay = self.apex_xy_px
        return np.stack([xz_mm[..., 0] / self.dx_mm + ax, xz_mm[..., 1] / self.dy_mm + ay], axis=-1)


_STREAMS = ("motion", "tissue_points", "noise")


def _extend_sector(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``image`` with every pixel outside the sector given the value of the nearest sector pixel."""
    from scipy.ndimage import distance_transform_edt

    rows, cols = distance_transform_edt(~mask, return_distances=False, return_indices=True)
    return image[rows, cols]


def _tissue_points_px(
    mask: np.ndarray, motion: LVMotion, place: _Placement, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` random sub-pixel ED points inside the sector (eroded by 10 px), outside the myocardium."""
    from scipy.ndimage import binary_erosion

    inner = binary_erosion(mask, iterations=10)
    rows, cols = np.nonzero(inner)
    if n == 0 or rows.size == 0:
        return np.empty((0, 2))
    picked: list[np.ndarray] = []
    count = 0
    for _ in range(20):
        i = rng.integers(0, rows.size, 4 * n)
        xy = np.stack([cols[i], rows[i]], axis=-1) + rng.uniform(-0.5, 0.5, (4 * n, 2))
        keep = xy[~motion.bind(place.to_mm(xy)).inside]
        picked.append(keep)
        count += len(keep)
        if count >= n:
            break
    return np.concatenate(picked)[:n]


@dataclass(frozen=True)
class WarpPlan:
    """The motion of one warp on the ED frame's pixel grid, and its true points.

    Attributes
    ----------
    motion : LVMotion
        The analytic LV motion (mm, probe at the fan apex).
    params : MotionParameters
        What the seed drew (GLS target, segment strains, timing).
    place : _Placement
        Pixels ↔ mm of the motion.
    shape_hw : tuple of int
        Image size.
    sigma_px : float
        Smoothing of the displacement field (px).
    ed_px : ndarray
        True points at ED ``[N, 2]`` (x, y): endo, mid, epi (wall order), then tissue points.
    layer, segment : ndarray
        Codes of the true points (−1 for tissue points).
    n_wall : int
        Number of wall points (the first of ``ed_px``).
    grid_px : ndarray
        Every pixel ``[H·W, 2]`` (x, y), row by row.
    grid_binding : Binding
        The pixels bound to the motion (where each lies relative to the wall).
    noise : numpy.random.Generator
        The seed's stream for the image noise.
    """

    motion: LVMotion
    params: MotionParameters
    place: _Placement
    shape_hw: tuple[int, int]
    sigma_px: float
    ed_px: np.ndarray
    layer: np.ndarray
    segment: np.ndarray
    n_wall: int
    grid_px: np.ndarray
    grid_binding: Binding
    noise: np.random.Generator

    @property
    def n_frames(self) -> int:
        return int(self.params.n_frames)

    def field(self, frame: int) -> WarpField:
        """The (smoothed) displacement field of one frame."""
        h, w = self.shape_hw
        moved = self.place.to_px(self.motion.positions(self.grid_binding, frame)) - self.grid_px
        moved = moved.T.reshape(2, h, w)
        if self.sigma_px > 0:
            moved = np.stack([gaussian_filter(c, self.sigma_px, mode="nearest") for c in moved])
        return WarpField(moved)


def plan_warp(
    clip: EchoVideo, contour: str | os.PathLike[str], config: WarpConfig, seed: int
) -> tuple[WarpPlan, np.ndarray]:
    """The motion and true points of a warp of ``clip`` (and the clip's sector mask ``[H, W]``).

    The same clip, contour, config and seed give the same plan.
    """
    if not config.frame < clip.n_frames:
        raise ParameterError(f"`frame` {config.frame} is outside the clip (0…{clip.n_frames - 1})")
    if clip.spacing_mm is None:
        raise ParameterError(
            f"{clip.source} has no pixel size; give it as `spacing_mm` DY,DX (mm) so the motion is in mm"
        )
    rngs = seed_streams(seed, _STREAMS)
    h, w = clip.frames.shape[1:]
    contours = read_myocardium_contours(contour, image_shape_hw=(h, w))
    if contours["view"] is not None and contours["view"] != config.view:
        raise ParameterError(
            f"{contour} is an {contours['view']} contour but the warp asks for {config.view}; give `view` {contours['view']}"
        )
    mask = sector_mask(clip.frames)
    dy, dx = (float(v) for v in clip.spacing_mm)
    place = _Placement(fan_apex_px(mask), dy, dx)
    myocardium = Myocardium(place.to_mm(contours["endo"]), place.to_mm(contours["epi"]), view=config.view)
    corners = place.to_mm(np.array([[0.0, 0.0], [w - 1.0, h - 1.0]]))
    m = _EXTENT_MARGIN_MM
    extent = (corners[0, 0] - m, corners[1, 0] + m, corners[0, 1] - m, corners[1, 1] + m)
    params, motion = sample_motion(myocardium, rngs["motion"], config.n_frames, config.pathology,
                                   config.points_per_segment, extent_mm=extent)
    wall_mm, layer, segment = motion.myocardial_tracks()
    wall_ed = place.to_px(wall_mm[0])
    tissue_ed = _tissue_points_px(mask, motion, place, config.n_tissue_points, rngs["tissue_points"])
    grid = np.stack(np.meshgrid(np.arange(w, dtype=float), np.arange(h, dtype=float)), axis=-1).reshape(-1, 2)
    plan = WarpPlan(
        motion=motion, params=params, place=place, shape_hw=(h, w),
        sigma_px=config.field_smoothing_mm / min(dy, dx),
        ed_px=np.concatenate([wall_ed, tissue_ed]),
        layer=np.concatenate([layer, np.full(len(tissue_ed), -1, np.int8)]),
        segment=np.concatenate([segment, np.full(len(tissue_ed), -1, np.int8)]),
        n_wall=len(wall_ed),
        grid_px=grid, grid_binding=motion.bind(place.to_mm(grid)), noise=rngs["noise"],
    )
    return plan, mask


def warp_frame(
    coefficients: np.ndarray, field: WarpField, out_xy_px: np.ndarray, *, tolerance_px: float = 1e-3,
    max_iterations: int = 60, start_px: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Values of the ED image at the pre-images of pixels ``out_xy_px`` ``[P, 2]`` under ``field``.

    ``coefficients`` are the ED image's cubic-spline coefficients
    (``scipy.ndimage.spline_filter(image, order=3, mode="mirror")``). Returns
    ``(values [P], pre-images [P, 2], largest residual px, iterations)``.
    """
    ed, residual, iterations = field.inverse(out_xy_px, tolerance_px, max_iterations, start_px=start_px)
    values = map_coordinates(coefficients, [ed[:, 1], ed[:, 0]], order=3, mode="mirror", prefilter=False)
    return values, ed, residual, iterations


def warp_clip(
    clip: EchoVideo,
    contour: str | os.PathLike[str],
    config: WarpConfig,
    seed: int,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> SequenceData:
    """Deform frame ``config.frame`` of a real clip by an analytic LV motion; frames and exact truth.

    Parameters
    ----------
    clip : EchoVideo
        The real clip; it needs its pixel size (``spacing_mm``).
    contour : path
        ED myocardium (endo and epi, JSON or CSV, pixels) drawn on that frame.
    config : WarpConfig
        View, frame, length, pathology and noise.
    seed : int
        Seed of the motion, the tissue points and the noise.
    progress : callable, optional
        ``progress(done, total)`` after every frame.

    Returns
    -------
    SequenceData
        Frames uint8, true tracks (endo, mid, epi and tissue points), masks
        and true strain; engine ``"warp"``; ``parameters["warp"]`` records
        the source, the placement and the inverse map's largest residual.

    Examples
    --------
    >>> data = warp_clip(read_video("clip.dcm"), "clip_ed.json", WarpConfig(view="a4c"), seed=1)  # doctest: +SKIP
    """
    plan, mask = plan_warp(clip, contour, config, seed)
    image = clip.frames[config.frame].astype(np.float64)
    h, w = plan.shape_hw
    inside = np.flatnonzero(mask.ravel())
    out_xy = np.stack([inside % w, inside // w], axis=-1).astype(np.float64)
    coefficients = spline_filter(_extend_sector(image, mask), order=3, mode="mirror")
    n = plan.n_frames
    frames = np.empty((n, h, w), np.uint8)
    tracks = np.empty((n, len(plan.ed_px), 2))
    worst, most, pre = 0.0, 0, None
    for t in range(n):
        field = plan.field(t)
        tracks[t] = field.forward(plan.ed_px)
        values = image.ravel().copy()  # outside the sector the frame stands still
        values[inside], pre, residual, iterations = warp_frame(
            coefficients, field, out_xy, tolerance_px=config.tolerance_px,
            max_iterations=config.max_iterations, start_px=pre,
        )
        worst, most = max(worst, residual), max(most, iterations)
        if config.noise_sd > 0:
            values[inside] += plan.noise.normal(0.0, config.noise_sd / 255.0, inside.size)
        frames[t] = np.round(np.clip(values, 0.0, 1.0) * 255.0).reshape(h, w).astype(np.uint8)
        if progress is not None:
            progress(t + 1, n)
    return _sequence(plan, clip, contour, config, seed, frames, tracks, residual_px=worst, iterations=most)


def _sequence(
    plan: WarpPlan, clip: EchoVideo, contour: str | os.PathLike[str], config: WarpConfig, seed: int,
    frames: np.ndarray, tracks: np.ndarray, *, residual_px: float, iterations: int,
) -> SequenceData:
    """The sequence file's content: frames, truth, masks, true strain and the warp's record."""
    h, w = plan.shape_hw
    k, n = plan.motion.n_columns, len(frames)
    params, place = plan.params, plan.place
    tracks_px = tracks.astype(np.float32)
    masks = np.stack([myocardium_mask(tracks_px[t, :k], tracks_px[t, 2 * k : 3 * k], (h, w)) for t in range(n)])
    spacing = (place.dy_mm, place.dx_mm)
    strain = compute_strain(tracks_px, spacing, plan.layer, plan.segment, view=config.view,
                            ed_frame=0, es_frame=params.es_frame, fps=params.fps)
    analytic = place.to_px(plan.motion.myocardial_tracks()[0])
    parameters = {
        "warp": {
            "source": clip.source,
            "frame": int(config.frame),
            "contour": str(Path(contour)),
            "apex_xy_px": list(place.apex_xy_px),
            "noise_sd": float(config.noise_sd),
            "inverse_residual_px": residual_px,
            "inverse_iterations": iterations,
            "truth_minus_analytic_px": float(np.max(np.abs(tracks[:, : plan.n_wall] - analytic))),
            "config": asdict(config),
        },
        "motion": params.to_dict(),
        "annulus_descent_mm": plan.motion.annulus_descent_mm(),
        "n_tissue_points": int(len(plan.ed_px) - plan.n_wall),
    }
    return SequenceData(
        frames=frames, tracks=tracks_px, track_layer=plan.layer, track_segment=plan.segment,
        myocardium_mask=masks, spacing_mm=spacing, fps=float(params.fps), view=config.view,
        ed_index=0, es_index=int(params.es_frame), seed=int(seed), engine=WARP_ENGINE,
        gls_pct=strain.gls_curves_pct["endo"].astype(np.float32),
        segmental_pct=strain.segment_curves_pct.astype(np.float32),
        parameters=parameters, version=__version__,
    )
