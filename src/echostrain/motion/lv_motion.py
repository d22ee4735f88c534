"""LV motion over a clip and the dense displacement field that moves every scatterer.

Inside the myocardium the motion is the wall model of
:mod:`echostrain.motion.analytic` (segmental longitudinal shortening with the
apex still, thickening that keeps wall area) on a mesh of the wall: columns
along the wall, ``n_transmural`` levels from endo- to epicardium. A point of
the myocardium keeps its barycentric coordinates in its mesh triangle.
Outside, the displacement is a thin-plate-spline interpolation (scipy
``RBFInterpolator``) of the wall's boundary displacement and of zero
displacement at anchors ≥ ``far_mm`` from the heart, evaluated on a 2 mm
grid and interpolated bilinearly. A small, slow probe jitter moves
everything. All coordinates are (x lateral, z depth) in mm, probe at the
origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import RBFInterpolator

from echostrain.anatomy.myocardium import Myocardium
from echostrain.anatomy.polyline import chord_lengths_mm
from echostrain.anatomy.segments import LAYER_ENDO, LAYER_EPI, N_SEGMENTS
from echostrain.core.errors import ParameterError
from echostrain.motion.analytic import cardiac_time_course, deform_wall
from echostrain.motion.parameters import (
    DESCENT_RANGE_MM,
    GLS_RANGES,
    JITTER_RANGE_MM,
    PATHOLOGIES,
    MotionParameters,
    check_pathology,
    sample_segment_scales,
    sample_timing,
    segment_strains_for_gls,
)

_GRID_MM = 2.0


@dataclass(frozen=True)
class Binding:
    """Where each of a set of points sits at ED: its mesh triangle and weights, or outside."""

    points_mm: np.ndarray  # [P, 2] ED positions
    inside: np.ndarray  # [P] bool
    vertices: np.ndarray  # [P_in, 3] mesh node indices
    weights: np.ndarray  # [P_in, 3] barycentric weights


class LVMotion:
    """Positions of the myocardium, any bound point and the probe jitter at every frame."""

    def __init__(
        self,
        myocardium_mm: Myocardium,
        params: MotionParameters,
        points_per_segment: int = 8,
        n_transmural: int = 9,
        far_mm: float = 30.0,
        extent_mm: tuple[float, float, float, float] = (-110.0, 110.0, -10.0, 170.0),
        wall_tracks_mm: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        """``wall_tracks_mm`` = (endo, epi) [T, K, 2] mm replaces the parametric wall motion
        (e.g. motion tracked on a real clip); K = 6·points_per_segment + 1 points along the wall
        in the order of ``myocardium_mm.sample_points``, frame 0 on the ED contour."""
        if n_transmural < 2:
            raise ParameterError("the wall mesh needs at least 2 transmural levels")
        self.myocardium = myocardium_mm
        self.params = params
        self.n_frames = params.n_frames
        # the parametric time course (not needed when the wall's motion is given)
        self.course = None if wall_tracks_mm is not None else cardiac_time_course(
            params.n_frames, params.fps, params.heart_rate_bpm, es_fraction=params.es_fraction
        )
        wall = myocardium_mm.sample_points(points_per_segment, layers=(LAYER_ENDO, LAYER_EPI))
        if wall_tracks_mm is None:
            tracks = deform_wall(wall, np.asarray(params.segment_strain_pct), self.course)
            endo, epi = tracks[:, wall.select(LAYER_ENDO)], tracks[:, wall.select(LAYER_EPI)]
        else:
            endo, epi = (np.asarray(a, dtype=float) for a in wall_tracks_mm)
            k = len(wall.select(LAYER_ENDO))
            if endo.shape != (params.n_frames, k, 2) or epi.shape != endo.shape:
                raise ParameterError(
                    f"wall tracks must be [T={params.n_frames}, K={k}, 2] for endo and epi, got {endo.shape} and {epi.shape}"
                )
        levels = np.linspace(0.0, 1.0, n_transmural)
        # Mesh nodes [T, K, W, 2]: node (k, w) = endo_k + w (epi_k − endo_k).
        self.mesh = endo[:, :, None] + levels[None, None, :, None] * (epi - endo)[:, :, None]
        self.n_columns, self.n_levels = endo.shape[1], n_transmural
        self.column_segment = wall.segment[wall.select(LAYER_ENDO)]
        self._triangulation = self._build_triangulation()
        self.jitter_mm = self._jitter()
        self.extent_mm = extent_mm
        self._anchors = self._far_anchors(far_mm)
        self._field_cache: dict[int, np.ndarray] = {}

    # -- the wall --------------------------------------------------------------
    def myocardial_tracks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """True tracks of the wall: endo, mid-wall and epi mesh nodes, jitter included.

        Returns ``(tracks [T, 3K, 2] mm, layer [3K] int8, segment [3K] int8)``
        in the order of the tracks file (endo, mid, epi; each in wall order).
        """
        mid = (self.n_levels - 1) // 2
        if self.n_levels % 2 == 0:
            raise ParameterError("use an odd number of transmural levels so the mid-wall is a mesh level")
        lines = [self.mesh[:, :, 0], self.mesh[:, :, mid], self.mesh[:, :, -1]]
        tracks = np.concatenate(lines, axis=1) + self.jitter_mm[:, None, :]
        layer = np.repeat(np.array([0, 1, 2], dtype=np.int8), self.n_columns)
        segment = np.tile(self.column_segment.astype(np.int8), 3)
        return tracks, layer, segment

    def annulus_descent_mm(self) -> float:
        """Largest displacement of the two endocardial hinges over the clip."""
        hinges = self.mesh[:, [0, -1], 0]
        return float(np.max(np.hypot(*(hinges - hinges[:1]).transpose(2, 0, 1))))

    def _build_triangulation(self):
        from matplotlib.tri import Triangulation

        k, w = self.n_columns, self.n_levels
        idx = np.arange(k * w).reshape(k, w)
        a, b, c, d = idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]
        triangles = np.concatenate([np.stack([a, b, c], -1).reshape(-1, 3), np.stack([a, c, d], -1).reshape(-1, 3)])
        nodes = self.mesh[0].reshape(-1, 2)
        return Triangulation(nodes[:, 0], nodes[:, 1], triangles)

    def _jitter(self) -> np.ndarray:
        """Probe jitter ``[T, 2]`` (mm), zero at ED: two slow sinusoids per axis (0.5 and 0.8 Hz)."""
        t = np.arange(self.n_frames) / self.params.fps
        p = self.params.jitter_phase_rad
        amp = self.params.jitter_mm
        jx = 0.6 * np.sin(2 * np.pi * 0.5 * t + p[0]) + 0.4 * np.sin(2 * np.pi * 0.8 * t + p[1])
        jz = 0.6 * np.sin(2 * np.pi * 0.5 * t + p[2]) + 0.4 * np.sin(2 * np.pi * 0.8 * t + p[3])
        j = amp * np.stack([jx, jz], axis=-1)
        return j - j[:1]

    # -- binding points and moving them ----------------------------------------
    def bind(self, points_mm: np.ndarray) -> Binding:
        """Locate ED points in the wall mesh (barycentric) or mark them as outside."""
        pts = np.asarray(points_mm, dtype=float).reshape(-1, 2)
        tri = self._triangulation.get_trifinder()(pts[:, 0], pts[:, 1])
        inside = tri >= 0
        verts = self._triangulation.triangles[tri[inside]]
        nodes = self.mesh[0].reshape(-1, 2)
        p0, p1, p2 = nodes[verts[:, 0]], nodes[verts[:, 1]], nodes[verts[:, 2]]
        q = pts[inside]
        det = (p1[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p2[:, 0] - p0[:, 0]) * (p1[:, 1] - p0[:, 1])
        l1 = ((q[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p2[:, 0] - p0[:, 0]) * (q[:, 1] - p0[:, 1])) / det
        l2 = ((p1[:, 0] - p0[:, 0]) * (q[:, 1] - p0[:, 1]) - (q[:, 0] - p0[:, 0]) * (p1[:, 1] - p0[:, 1])) / det
        weights = np.stack([1 - l1 - l2, l1, l2], axis=-1)
        return Binding(pts, inside, verts, weights)

    def positions(self, binding: Binding, frame: int) -> np.ndarray:
        """Positions (mm) of bound points at a frame, probe jitter included."""
        out = np.empty_like(binding.points_mm)
        nodes = self.mesh[frame].reshape(-1, 2)
        out[binding.inside] = np.einsum("pk,pkd->pd", binding.weights, nodes[binding.vertices])
        outside = ~binding.inside
        out[outside] = binding.points_mm[outside] + self.displacement_outside(binding.points_mm[outside], frame)
        return out + self.jitter_mm[frame]

    # -- the field outside the myocardium --------------------------------------
    def _far_anchors(self, far_mm: float) -> np.ndarray:
        x0, x1, z0, z1 = self.extent_mm
        gx, gz = np.meshgrid(np.arange(x0, x1 + 1e-9, 15.0), np.arange(z0, z1 + 1e-9, 15.0))
        grid = np.stack([gx.ravel(), gz.ravel()], axis=-1)
        boundary = self._boundary_nodes(0)
        d = np.min(np.hypot(*(grid[:, None, :] - boundary[None, :, :]).transpose(2, 0, 1)), axis=1)
        return grid[d >= far_mm]

    def _boundary_nodes(self, frame: int) -> np.ndarray:
        """Endo and epi mesh nodes (every other column) at a frame, ``[M, 2]``."""
        m = self.mesh[frame]
        cols = np.arange(0, self.n_columns, 2)
        return np.concatenate([m[cols, 0], m[cols, -1]])

    def _field_grid(self, frame: int) -> np.ndarray:
        """Displacement on the 2 mm grid over ``extent_mm`` at a frame, ``[Gz, Gx, 2]``."""
        if frame not in self._field_cache:
            x0, x1, z0, z1 = self.extent_mm
            gx, gz = np.meshgrid(np.arange(x0, x1 + 1e-9, _GRID_MM), np.arange(z0, z1 + 1e-9, _GRID_MM))
            ctrl = np.concatenate([self._boundary_nodes(0), self._anchors])
            disp = np.concatenate(
                [self._boundary_nodes(frame) - self._boundary_nodes(0), np.zeros_like(self._anchors)]
            )
            if frame == 0 or not np.any(disp):
                field = np.zeros(gx.shape + (2,))
            else:
                rbf = RBFInterpolator(ctrl, disp, kernel="thin_plate_spline", smoothing=1e-3)
                field = rbf(np.stack([gx.ravel(), gz.ravel()], axis=-1)).reshape(gx.shape + (2,))
            self._field_cache[frame] = field
        return self._field_cache[frame]

    def displacement_outside(self, points_mm: np.ndarray, frame: int) -> np.ndarray:
        """Displacement (mm) of ED points outside the myocardium at a frame (bilinear on the grid)."""
        from scipy.ndimage import map_coordinates

        field = self._field_grid(frame)
        x0, _, z0, _ = self.extent_mm
        col = (points_mm[:, 0] - x0) / _GRID_MM
        row = (points_mm[:, 1] - z0) / _GRID_MM
        return np.stack(
            [map_coordinates(field[..., k], [row, col], order=1, mode="nearest") for k in range(2)], axis=-1
        )


def segment_lengths_mm(myocardium: Myocardium, points_per_segment: int = 8) -> np.ndarray:
    """Lengths (mm) of the six endocardial segments at ED, as the wall model's chords tile them."""
    wall = myocardium.sample_points(points_per_segment, layers=(LAYER_ENDO,))
    chords = chord_lengths_mm(wall.xy_px, myocardium.spacing_mm)
    return np.array([chords[wall.segment[:-1] == s].sum() for s in range(N_SEGMENTS)])


def sample_motion(
    myocardium_mm: Myocardium,
    rng: np.random.Generator,
    n_frames: int | None = None,
    pathology: str | None = None,
    points_per_segment: int = 8,
    max_tries: int = 100,
    extent_mm: tuple[float, float, float, float] | None = None,
) -> tuple[MotionParameters, LVMotion]:
    """Draw motion parameters (see :mod:`echostrain.motion.parameters`) and build the motion.

    ``extent_mm`` (x0, x1, z0, z1) is the region of the field outside the wall
    (default: :class:`LVMotion`'s, a 220 × 180 mm sector).

    The target GLS is redrawn until the mitral annulus descends 8–18 mm and
    every segment's peak strain is plausible (−35 … +15 %).
    """
    name = check_pathology(pathology) if pathology else str(rng.choice(PATHOLOGIES))
    hr, fps, n = sample_timing(rng, n_frames)
    rr_frames = 60.0 / hr * fps
    systole_s = 0.44 - 0.0016 * hr
    es_frame = int(np.clip(round(systole_s * fps), int(np.ceil(0.2 * rr_frames)), int(np.floor(0.5 * rr_frames))))
    scale, states = sample_segment_scales(name, rng)
    lengths = segment_lengths_mm(myocardium_mm, points_per_segment)
    jitter = float(rng.uniform(*JITTER_RANGE_MM))
    phases = tuple(float(p) for p in rng.uniform(0.0, 2 * np.pi, 4))
    lo, hi = DESCENT_RANGE_MM
    for _ in range(max_tries):
        gls = float(rng.uniform(*GLS_RANGES[name]))
        strains = segment_strains_for_gls(gls, scale, lengths)
        if strains.min() < -35.0 or strains.max() > 15.0:
            continue
        params = MotionParameters(
            pathology=name,
            gls_target_pct=gls,
            segment_strain_pct=tuple(float(v) for v in strains),
            segment_state=states,
            heart_rate_bpm=hr,
            fps=fps,
            n_frames=n,
            es_frame=es_frame,
            jitter_mm=jitter,
            jitter_phase_rad=phases,  # type: ignore[arg-type]
        )
        options = {} if extent_mm is None else {"extent_mm": extent_mm}
        motion = LVMotion(myocardium_mm, params, points_per_segment, **options)
        if lo <= motion.annulus_descent_mm() <= hi:
            return params, motion
    raise ParameterError(
        f"no {name} motion of this LV gives a mitral annulus descent within {lo:.0f}–{hi:.0f} mm "
        f"after {max_tries} draws; check the LV length and shape"
    )
