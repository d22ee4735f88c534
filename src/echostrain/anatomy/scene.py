"""Procedural apical echo scenes (A4C, A2C, A3C) in physical millimetres.

A scene is an LV myocardium (endocardial and epicardial polylines) and an
echogenicity map of the whole sector: LV, the other chambers of the view,
valves, pericardium and surrounding tissue, at the grey level each should
show after log compression. Everything is in mm with the probe at the
origin, ``x`` lateral (right positive) and ``z`` depth (down positive); the
sector is the fan of half-angle ``sector_deg / 2`` about the z axis, cut at
``depth_mm``.

The heart is laid out in the standard apical display: apex at the top (near
the probe), LV long axis roughly vertical, base (mitral plane) deeper. The
LV is described in its own frame: the endocardial apex is the origin, ``a``
runs along the long axis from the apex to the base (the mitral plane is at
``a = lv_length_mm``) and ``l`` runs across it, to the image's right when the
tilt is 0. A positive ``tilt_deg`` swings the base to the right about the
apex.

Painting order (later layers cover earlier ones, every mask blurred with a
Gaussian of 0.7 mm): surrounding tissue, walls of the other chambers and
vessels, blood of every chamber, LV myocardium, pericardium, valves
(leaflets, aortic cusps, annulus spots), near-field haze.

Use :func:`sample_scene` for a random scene, or :func:`sample_parameters`
and :func:`build_scene` to control or inspect the parameters. All
randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np
from matplotlib.path import Path
from scipy.ndimage import distance_transform_edt, gaussian_filter

from echostrain.anatomy.echomap import EchogenicityMap, sector_grid, sector_margin_mm
from echostrain.anatomy.myocardium import Myocardium
from echostrain.anatomy.segments import check_view
from echostrain.core.errors import ParameterError

#: Points of the endocardial and epicardial polylines (6 segments × 20 + 1).
N_CONTOUR_POINTS = 121
#: Smallest distance (mm) of every myocardium point from the sector's outline.
SECTOR_MARGIN_MM = 5.0
#: The mitral hinges lie at least this far (mm) above the sector's depth, so some atrium shows.
MIN_ATRIUM_DEPTH_MM = 20.0

#: Range of every numeric parameter, drawn uniformly by :func:`sample_parameters`.
#: ``apex_wall_mm`` is drawn as ``APEX_WALL_RATIO × wall_mm``.
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "lv_length_mm": (70.0, 100.0),
    "wall_mm": (7.0, 14.0),
    "sphericity": (0.40, 0.60),
    "asymmetry": (-0.08, 0.08),
    "apex_depth_mm": (15.0, 40.0),
    "tilt_deg": (-12.0, 12.0),
    "lateral_offset_mm": (-10.0, 10.0),
    "myocardium_echo": (0.50, 0.70),
    "blood_echo": (0.05, 0.20),
    "pericardium_echo": (0.85, 1.00),
    "tissue_echo": (0.30, 0.45),
    "valve_echo": (0.60, 0.80),
    "pericardium_mm": (2.0, 3.5),
    "texture_strength": (0.08, 0.18),
    "texture_scale_mm": (1.0, 3.0),
    "near_field_clutter": (0.0, 1.0),
    "clutter_depth_mm": (10.0, 25.0),
    "la_width_mm": (32.0, 46.0),
    "la_length_mm": (38.0, 55.0),
    "rv_width_mm": (26.0, 38.0),
    "rv_length_ratio": (0.65, 0.80),
    "rv_wall_mm": (3.0, 5.0),
    "ra_width_mm": (30.0, 42.0),
    "ra_length_mm": (36.0, 50.0),
    "tv_offset_mm": (4.0, 10.0),
    "lvot_mm": (17.0, 23.0),
    "aorta_angle_deg": (35.0, 60.0),
}
APEX_WALL_RATIO: tuple[float, float] = (0.70, 0.90)

_PHI_BASE = math.radians(115.0)  # the mitral plane cuts the LV ellipse a little below its equator
_PHI_FULL_WALL = math.radians(65.0)  # the wall reaches wall_mm this far from the apex
_A3C_BASE_FLARE = 0.12
_ATRIAL_WALL_MM = 2.5
_AORTIC_WALL_MM = 2.5
_IAS_HALF_MM = 2.0
_SMOOTH_MM = 0.7


@dataclass(frozen=True)
class SceneParameters:
    """Anatomy and grey levels of one apical scene (lengths in mm, angles in degrees).

    Ranges drawn by :func:`sample_parameters` (uniformly; see the note on
    placement below). ``build_scene`` accepts values outside them as long as
    they make physical sense and the LV fits in the sector.

    ==================== ============== ==============================================================
    field                range          meaning
    ==================== ============== ==============================================================
    view                 a2c/a3c/a4c    apical view
    lv_length_mm         70 – 100       endocardial apex to the middle of the mitral plane
    wall_mm              7 – 14         wall thickness of both walls from mid-level to the base
    apex_wall_mm         0.7–0.9×wall   wall thickness at the apex (blends to wall_mm by mid-level)
    sphericity           0.40 – 0.60    endocardial LV width / length; base width ≈ 0.906·sphericity·length
    asymmetry            −0.08 – 0.08   second wall's half-width ×(1 + asymmetry), first's ×(1 − asymmetry)
    apex_depth_mm        15 – 40        depth of the endocardial apex
    tilt_deg             −12 – 12       long-axis tilt; positive turns the base to the right
    lateral_offset_mm    −10 – 10       x of the endocardial apex (0 = on the sector's axis)
    myocardium_echo      0.50 – 0.70    LV (and RV) myocardium grey level
    blood_echo           0.05 – 0.20    blood in every chamber and vessel
    pericardium_echo     0.85 – 1.00    pericardium band and annulus spots
    tissue_echo          0.30 – 0.45    surrounding tissue
    valve_echo           0.60 – 0.80    leaflets, aortic walls (brighter: +0.1)
    pericardium_mm       2.0 – 3.5      thickness of the pericardium band outside the epicardium
    texture_strength     0.08 – 0.18    relative std of the multiplicative tissue texture
    texture_scale_mm     1.0 – 3.0      correlation length (Gaussian σ) of the texture
    near_field_clutter   0 – 1          strength of the hazy near-field band (0 = none)
    clutter_depth_mm     10 – 25        depth where the near-field haze fades out
    la_width_mm          32 – 46        LA maximal width (never narrower than its mitral orifice)
    la_length_mm         38 – 55        LA length below the mitral plane
    rv_width_mm          26 – 38        A4C: RV basal width (tricuspid annulus)
    rv_length_ratio      0.65 – 0.80    A4C: RV length (apex to tricuspid plane) / lv_length_mm
    rv_wall_mm           3 – 5          A4C: RV free-wall thickness
    ra_width_mm          30 – 42        A4C: RA maximal width
    ra_length_mm         36 – 50        A4C: RA length below the tricuspid plane
    tv_offset_mm         4 – 10         A4C: tricuspid plane this much more apical than the mitral
    lvot_mm              17 – 23        A3C: LVOT / aortic annulus diameter
    aorta_angle_deg      35 – 60        A3C: aortic root axis turned from the LV axis to the right
    ==================== ============== ==============================================================

    Every view gets every field (a view ignores the sizes of structures it
    does not show), so the draws of one seed line up across views.
    """

    view: str
    lv_length_mm: float
    wall_mm: float
    apex_wall_mm: float
    sphericity: float
    asymmetry: float
    apex_depth_mm: float
    tilt_deg: float
    lateral_offset_mm: float
    myocardium_echo: float
    blood_echo: float
    pericardium_echo: float
    tissue_echo: float
    valve_echo: float
    pericardium_mm: float
    texture_strength: float
    texture_scale_mm: float
    near_field_clutter: float
    clutter_depth_mm: float
    la_width_mm: float
    la_length_mm: float
    rv_width_mm: float
    rv_length_ratio: float
    rv_wall_mm: float
    ra_width_mm: float
    ra_length_mm: float
    tv_offset_mm: float
    lvot_mm: float
    aorta_angle_deg: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "view", check_view(self.view))
        for f in fields(self):
            if f.name == "view":
                continue
            value = getattr(self, f.name)
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ParameterError(f"scene parameter {f.name} must be a number, got {value!r}") from None
            if not math.isfinite(value):
                raise ParameterError(f"scene parameter {f.name} must be finite, got {value}")
            object.__setattr__(self, f.name, value)
        positive = (
            "lv_length_mm wall_mm apex_wall_mm sphericity pericardium_mm texture_scale_mm clutter_depth_mm "
            "la_width_mm la_length_mm rv_width_mm rv_length_ratio rv_wall_mm ra_width_mm ra_length_mm lvot_mm"
        ).split()
        for name in positive:
            if getattr(self, name) <= 0:
                raise ParameterError(f"scene parameter {name} must be positive, got {getattr(self, name)}")
        for name in ("myocardium_echo", "blood_echo", "pericardium_echo", "tissue_echo", "valve_echo",
                     "near_field_clutter", "texture_strength"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ParameterError(f"scene parameter {name} must lie in [0, 1], got {getattr(self, name)}")
        if self.sphericity >= 1.2:
            raise ParameterError(f"sphericity (LV width / length) must be below 1.2, got {self.sphericity}")
        if abs(self.asymmetry) >= 0.5:
            raise ParameterError(f"asymmetry must lie within ±0.5, got {self.asymmetry}")
        if abs(self.tilt_deg) >= 45.0:
            raise ParameterError(f"tilt_deg must lie within ±45°, got {self.tilt_deg}")
        if not 0.0 <= self.aorta_angle_deg < 80.0:
            raise ParameterError(f"aorta_angle_deg must lie within 0…80°, got {self.aorta_angle_deg}")
        if self.rv_length_ratio >= 1.0:
            raise ParameterError(f"rv_length_ratio must be below 1, got {self.rv_length_ratio}")
        if self.apex_wall_mm > self.wall_mm:
            raise ParameterError(
                f"apex_wall_mm ({self.apex_wall_mm}) must not exceed wall_mm ({self.wall_mm})"
            )

    def to_dict(self) -> dict[str, str | float]:
        """The parameters as a plain dict (``view`` a string, every other value a float)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, eq=False)
class ApicalScene:
    """One apical scene: parameters, LV myocardium and echogenicity map, all in mm.

    ``myocardium`` holds the endocardial and epicardial polylines in mm as
    (x, z) "pixels" of 1 mm (``spacing_mm = (1, 1)``), from the first-wall
    hinge (left) through the apex to the second-wall hinge (right).
    ``landmarks`` names points ``(x_mm, z_mm)`` of the anatomy: ``apex``,
    ``mv_hinge_first``, ``mv_hinge_second``, ``base_centre``, ``la_centre`` for
    every view; ``tv_hinge_septal``, ``tv_hinge_lateral``, ``rv_centre``,
    ``ra_centre`` (A4C); ``laa_centre`` (A2C);
    ``aortic_mitral_continuity``, ``aortic_annulus_centre``, ``aortic_root``
    (A3C; ``mv_hinge_second`` is then the septal aortic hinge).
    ``params`` is a :class:`SceneParameters` for procedural scenes; other
    scene sources (templates from real clips) store their own parameters.
    Scenes compare by identity.
    """

    view: str
    params: SceneParameters
    myocardium: Myocardium
    echogenicity: EchogenicityMap
    depth_mm: float = 150.0
    sector_deg: float = 75.0
    landmarks: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "view", check_view(self.view))
        if not isinstance(self.myocardium, Myocardium):
            raise ParameterError(f"myocardium must be a Myocardium, got {type(self.myocardium).__name__}")
        if not isinstance(self.echogenicity, EchogenicityMap):
            raise ParameterError(f"echogenicity must be an EchogenicityMap, got {type(self.echogenicity).__name__}")
        if self.myocardium.view != self.view:
            raise ParameterError(f"the myocardium is an {self.myocardium.view} view but the scene an {self.view} view")


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Frame:
    """The LV frame: endocardial apex at the origin, ``a`` along the axis, ``l`` across."""

    apex: np.ndarray  # (x, z) mm
    u: np.ndarray  # unit vector apex → base
    v: np.ndarray  # unit vector across, to the right

    @staticmethod
    def of(p: SceneParameters) -> _Frame:
        t = math.radians(p.tilt_deg)
        u = np.array([math.sin(t), math.cos(t)])
        v = np.array([math.cos(t), -math.sin(t)])
        apex = np.array([p.lateral_offset_mm, p.apex_depth_mm])
        return _Frame(apex, u, v)

    def to_world(self, la: np.ndarray) -> np.ndarray:
        la = np.asarray(la, dtype=float)
        return self.apex + la[..., :1] * self.v + la[..., 1:2] * self.u

    def to_local(self, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dx, dz = x - self.apex[0], z - self.apex[1]
        return dx * self.v[0] + dz * self.v[1], dx * self.u[0] + dz * self.u[1]


def _smoothstep(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _lv_local(p: SceneParameters, n_points: int = N_CONTOUR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Endocardial and epicardial polylines ``[n, 2]`` as (l, a) in the LV frame."""
    length = p.lv_length_mm
    b = length / (1.0 - math.cos(_PHI_BASE))
    a = 0.5 * p.sphericity * length
    # A3C: the base widens on the anteroseptal side, where the LVOT joins the cavity.
    flare = _A3C_BASE_FLARE if p.view == "a3c" else 0.0

    def curve(phi: np.ndarray) -> np.ndarray:
        half = a * (1.0 + p.asymmetry * np.sin(phi))
        if flare:
            half = half * (1.0 + flare * _smoothstep((phi - math.radians(75.0)) / math.radians(40.0)))
        return np.stack([half * np.sin(phi), b * (1.0 - np.cos(phi))], axis=-1)

    dense_phi = np.linspace(-_PHI_BASE, _PHI_BASE, 4001)
    dense = curve(dense_phi)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(dense, axis=0).T))])
    phi = np.interp(np.linspace(0.0, arc[-1], n_points), arc, dense_phi)  # equal arc-length steps
    endo = curve(phi)
    # Outward unit normal from the tangent (the line runs left → apex → right).
    eps = 1e-6
    tangent = (curve(phi + eps) - curve(phi - eps)) / (2.0 * eps)
    norm = np.hypot(tangent[:, 0], tangent[:, 1])
    normal = np.stack([tangent[:, 1] / norm, -tangent[:, 0] / norm], axis=-1)
    thickness = p.apex_wall_mm + (p.wall_mm - p.apex_wall_mm) * _smoothstep(np.abs(phi) / _PHI_FULL_WALL)
    epi = endo + normal * thickness[:, None]
    return endo, epi


def lv_contours_mm(params: SceneParameters, n_points: int = N_CONTOUR_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Endocardial and epicardial polylines ``[n, 2]`` of (x, z) mm, first hinge → apex → second hinge.

    The endocardium is a truncated ellipse (cut at 115° from the apex, so
    the base is a little narrower than the LV's widest part); the
    epicardium lies along the outward normals at the local wall thickness
    (``apex_wall_mm`` at the apex, ``wall_mm`` from mid-level down), so the
    k-th points of the two lines face each other.
    """
    if n_points < 3:
        raise ParameterError(f"n_points must be at least 3, got {n_points}")
    frame = _Frame.of(params)
    endo, epi = _lv_local(params, n_points)
    return frame.to_world(endo), frame.to_world(epi)


def lv_fit_margin_mm(params: SceneParameters, depth_mm: float = 150.0, sector_deg: float = 75.0) -> float:
    """How far (mm) the LV myocardium stays inside the sector (its worst point); negative if outside.

    The mitral hinges must also lie ``MIN_ATRIUM_DEPTH_MM`` above the sector's
    depth; a hinge deeper than that lowers the margin accordingly.
    """
    endo, epi = lv_contours_mm(params)
    pts = np.concatenate([endo, epi])
    margin = float(sector_margin_mm(pts[:, 0], pts[:, 1], depth_mm, sector_deg).min())
    hinge_room = depth_mm - MIN_ATRIUM_DEPTH_MM - max(endo[0, 1], endo[-1, 1])
    return min(margin, SECTOR_MARGIN_MM + hinge_room)


# --------------------------------------------------------------------------- sampling


def _as_generator(rng: np.random.Generator | int) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ParameterError(f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")


_PLACEMENT = ("apex_depth_mm", "tilt_deg", "lateral_offset_mm")


def sample_parameters(
    view: str,
    rng: np.random.Generator | int,
    depth_mm: float = 150.0,
    sector_deg: float = 75.0,
    max_tries: int = 200,
) -> SceneParameters:
    """Random scene parameters of a view, each uniform in its range (``PARAMETER_RANGES``).

    The LV must fit in the sector (``SECTOR_MARGIN_MM`` from its outline,
    mitral hinges ``MIN_ATRIUM_DEPTH_MM`` above its depth), as a sonographer
    would place the probe: the placement (``apex_depth_mm``, ``tilt_deg``,
    ``lateral_offset_mm``) is drawn again until it does, and after
    ``max_tries`` failures the whole set is drawn again. So the placement is
    uniform only among placements that fit (deep apices are a little more
    frequent than shallow ones, wide LVs somewhat rarer).
    """
    v = check_view(view)
    gen = _as_generator(rng)
    for _ in range(max_tries):
        values: dict[str, float] = {}
        for name, (lo, hi) in PARAMETER_RANGES.items():
            values[name] = float(gen.uniform(lo, hi))
            if name == "wall_mm":
                values["apex_wall_mm"] = values["wall_mm"] * float(gen.uniform(*APEX_WALL_RATIO))
        for _ in range(max_tries):
            params = SceneParameters(view=v, **values)
            if lv_fit_margin_mm(params, depth_mm, sector_deg) >= SECTOR_MARGIN_MM:
                return params
            for name in _PLACEMENT:
                values[name] = float(gen.uniform(*PARAMETER_RANGES[name]))
    raise ParameterError(
        f"no LV of the sampled sizes fits a {depth_mm} mm, {sector_deg}° sector with a {SECTOR_MARGIN_MM} mm "
        "margin; use a deeper or wider sector"
    )


# --------------------------------------------------------------------------- painting helpers


class _Canvas:
    """The echogenicity image being painted, with the LV-frame coordinates of every pixel."""

    def __init__(self, frame: _Frame, depth_mm: float, sector_deg: float, pixel_mm: float) -> None:
        self.x0, self.z0, h, w = sector_grid(depth_mm, sector_deg, pixel_mm)
        self.pixel = float(pixel_mm)
        self.shape = (h, w)
        xs = self.x0 + np.arange(w) * self.pixel
        zs = self.z0 + np.arange(h) * self.pixel
        self.x, self.z = np.meshgrid(xs, zs)
        self.frame = frame
        self.l, self.a = frame.to_local(self.x, self.z)
        self.sigma_px = _SMOOTH_MM / self.pixel
        self.image = np.zeros((h, w), dtype=np.float64)

    def polygon(self, poly_local: np.ndarray) -> np.ndarray:
        """Boolean mask of the pixels inside a closed polygon given in the LV frame."""
        path = Path(self.frame.to_world(poly_local))
        x_lo, z_lo = path.vertices.min(axis=0)
        x_hi, z_hi = path.vertices.max(axis=0)
        mask = np.zeros(self.shape, dtype=bool)
        j0 = max(int(math.floor((x_lo - self.x0) / self.pixel)), 0)
        j1 = min(int(math.ceil((x_hi - self.x0) / self.pixel)) + 1, self.shape[1])
        i0 = max(int(math.floor((z_lo - self.z0) / self.pixel)), 0)
        i1 = min(int(math.ceil((z_hi - self.z0) / self.pixel)) + 1, self.shape[0])
        if j1 <= j0 or i1 <= i0:
            return mask
        pts = np.stack([self.x[i0:i1, j0:j1].ravel(), self.z[i0:i1, j0:j1].ravel()], axis=-1)
        mask[i0:i1, j0:j1] = path.contains_points(pts).reshape(i1 - i0, j1 - j0)
        return mask

    def band(self, mask: np.ndarray, width_mm: float) -> np.ndarray:
        """Pixels outside ``mask`` within ``width_mm`` of it."""
        if not mask.any():
            return mask
        dist = distance_transform_edt(~mask) * self.pixel
        return (dist > 0) & (dist <= width_mm)

    def alpha(self, mask: np.ndarray) -> np.ndarray:
        return gaussian_filter(mask.astype(np.float64), self.sigma_px)

    def paint(self, alpha: np.ndarray, value: float | np.ndarray) -> None:
        self.image += alpha * (value - self.image)

    def distance_to(self, polyline_local: np.ndarray, reach_mm: float) -> np.ndarray:
        """Distance (mm) of every pixel to a polyline given in the LV frame (inf beyond ``reach_mm``)."""
        pts = self.frame.to_world(polyline_local)
        dist = np.full(self.shape, np.inf)
        x_lo, z_lo = pts.min(axis=0) - reach_mm
        x_hi, z_hi = pts.max(axis=0) + reach_mm
        j0 = max(int(math.floor((x_lo - self.x0) / self.pixel)), 0)
        j1 = min(int(math.ceil((x_hi - self.x0) / self.pixel)) + 1, self.shape[1])
        i0 = max(int(math.floor((z_lo - self.z0) / self.pixel)), 0)
        i1 = min(int(math.ceil((z_hi - self.z0) / self.pixel)) + 1, self.shape[0])
        if j1 <= j0 or i1 <= i0:
            return dist
        px = self.x[i0:i1, j0:j1][..., None]
        pz = self.z[i0:i1, j0:j1][..., None]
        ax, az = pts[:-1, 0], pts[:-1, 1]
        ex, ez = pts[1:, 0] - ax, pts[1:, 1] - az
        t = np.clip(((px - ax) * ex + (pz - az) * ez) / np.maximum(ex * ex + ez * ez, 1e-12), 0.0, 1.0)
        dist[i0:i1, j0:j1] = np.hypot(px - ax - t * ex, pz - az - t * ez).min(axis=-1)
        return dist

    def line_alpha(self, polyline_local: np.ndarray, width_mm: float) -> np.ndarray:
        """Soft coverage of a thick polyline (LV frame): 1 on its centre line, a ~0.7 mm soft edge."""
        d = self.distance_to(polyline_local, width_mm + 3.0)
        return 1.0 / (1.0 + np.exp(np.minimum((d - 0.5 * width_mm) / (0.5 * _SMOOTH_MM), 50.0)))

    def spot_alpha(self, centre_local: np.ndarray, sigma_mm: float) -> np.ndarray:
        cx, cz = self.frame.to_world(np.asarray(centre_local, dtype=float))
        return np.exp(-((self.x - cx) ** 2 + (self.z - cz) ** 2) / (2.0 * sigma_mm**2))


def _noise(gen: np.random.Generator, shape: tuple[int, int], sigma_px: float | tuple[float, float]) -> np.ndarray:
    """Gaussian-filtered white noise with zero mean and unit standard deviation."""
    n = gaussian_filter(gen.standard_normal(shape), sigma_px, mode="reflect")
    n -= n.mean()
    return n / max(float(n.std()), 1e-12)


def _bulb(
    canvas: _Canvas,
    top_left: np.ndarray,
    top_right: np.ndarray,
    max_width_mm: float,
    length_mm: float,
    turn_deg: float = 0.0,
    overlap_mm: float = 3.0,
) -> np.ndarray:
    """Mask of a chamber hanging below the line ``top_left → top_right`` (LV frame).

    Its width grows from the line's length to ``max_width_mm`` and it
    closes in an elliptic bottom ``length_mm`` below the line; the axis is
    perpendicular to the line (pointing away from the apex), turned by
    ``turn_deg`` (positive: towards +l). It reaches ``overlap_mm`` above the line.
    """
    p0, p1 = np.asarray(top_left, dtype=float), np.asarray(top_right, dtype=float)
    centre = 0.5 * (p0 + p1)
    across = p1 - p0
    w0 = float(np.hypot(*across))
    across = across / w0
    axis = np.array([-across[1], across[0]])
    if axis[1] < 0:
        axis = -axis
    t = math.radians(turn_deg)
    rot = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    axis = rot @ axis  # turns towards +l for positive t when the axis points to +a
    side = np.array([axis[1], -axis[0]])
    dl, da = canvas.l - centre[0], canvas.a - centre[1]
    s = dl * axis[0] + da * axis[1]
    q = dl * side[0] + da * side[1]
    w1 = max(max_width_mm, w0 + 2.0)
    s_c = 0.55 * length_mm
    grow = _smoothstep(np.clip(s, 0.0, None) / (0.45 * length_mm))
    half = 0.5 * w0 + 0.5 * (w1 - w0) * grow
    bottom = np.clip((s - s_c) / (length_mm - s_c), 0.0, 1.0)
    half = np.where(s > s_c, 0.5 * w1 * np.sqrt(np.clip(1.0 - bottom**2, 0.0, 1.0)), half)
    return (s >= -overlap_mm) & (s <= length_mm) & (np.abs(q) <= half)


def _tapered_tube(path: np.ndarray, radius_mm: float, tip_ratio: float, n: int = 40) -> np.ndarray:
    """Closed outline (LV frame) of a tube along ``path`` whose radius shrinks to ``tip_ratio`` at the end."""
    path = np.asarray(path, dtype=float)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    s = np.linspace(0.0, arc[-1], n)
    centre = np.stack([np.interp(s, arc, path[:, 0]), np.interp(s, arc, path[:, 1])], axis=-1)
    centre = gaussian_filter(centre, (2.0, 0.0), mode="nearest")  # round the corners
    tangent = np.gradient(centre, axis=0)
    tangent /= np.hypot(tangent[:, :1], tangent[:, 1:2])
    normal = np.stack([-tangent[:, 1], tangent[:, 0]], axis=-1)
    radius = radius_mm * (1.0 - (1.0 - tip_ratio) * s / s[-1])
    cap_angle = np.linspace(0.0, np.pi, 9)[1:-1]
    cap = centre[-1] + radius[-1] * (
        np.cos(cap_angle)[:, None] * normal[-1] + np.sin(cap_angle)[:, None] * tangent[-1]
    )
    return np.concatenate([centre + radius[:, None] * normal, cap, (centre - radius[:, None] * normal)[::-1]])


def _curve(p0: np.ndarray, direction_deg: float, length_mm: float, bend_deg: float, n: int = 9) -> np.ndarray:
    """A gently bent line (LV frame) from ``p0``; direction 0° = towards the apex (−a), positive towards +l."""
    heading = np.radians(direction_deg + np.linspace(0.0, bend_deg, n - 1))
    step = length_mm / (n - 1)
    steps = np.stack([np.sin(heading), -np.cos(heading)], axis=-1) * step
    return np.concatenate([np.asarray(p0, dtype=float)[None], p0 + np.cumsum(steps, axis=0)])


# --------------------------------------------------------------------------- the scene


def build_scene(
    params: SceneParameters,
    rng: np.random.Generator | int,
    depth_mm: float = 150.0,
    sector_deg: float = 75.0,
    pixel_mm: float = 0.5,
) -> ApicalScene:
    """Build the LV myocardium and the echogenicity map of a scene.

    The map covers the sector's bounding box (see
    :func:`echostrain.anatomy.echomap.sector_grid`) with square pixels of
    ``pixel_mm``; it is not masked to the fan. ``rng`` draws the textures
    only. Raises :class:`ParameterError` when the LV does not fit inside the
    sector with a ``SECTOR_MARGIN_MM`` margin.
    """
    if not isinstance(params, SceneParameters):
        raise ParameterError(f"params must be SceneParameters, got {type(params).__name__}")
    gen = _as_generator(rng)
    margin = lv_fit_margin_mm(params, depth_mm, sector_deg)
    if margin < SECTOR_MARGIN_MM:
        raise ParameterError(
            f"the LV comes within {margin:.1f} mm of the {depth_mm} mm, {sector_deg}° sector's outline "
            f"(at least {SECTOR_MARGIN_MM} mm needed, mitral hinges {MIN_ATRIUM_DEPTH_MM} mm above the depth); "
            "move the apex deeper, reduce tilt, offset or LV size, or use a larger sector"
        )
    p = params
    frame = _Frame.of(p)
    endo, epi = _lv_local(p)
    canvas = _Canvas(frame, depth_mm, sector_deg, pixel_mm)
    shape = canvas.shape
    px = canvas.pixel
    length = p.lv_length_mm

    # Textures (fixed draw order → reproducible).
    tex_fine = _noise(gen, shape, p.texture_scale_mm / px)
    tex_coarse = _noise(gen, shape, 8.0 / px)
    tex_tissue = _noise(gen, shape, 1.5 * p.texture_scale_mm / px)
    tex_blood = _noise(gen, shape, 2.0 / px)
    tex_streak = _noise(gen, shape, (1.5 / px, 10.0 / px))
    gain = 1.0 + 0.06 * tex_coarse

    h1, h2 = endo[0], endo[-1]  # first (left) and second (right) hinge
    base_centre = 0.5 * (h1 + h2)
    landmarks_local: dict[str, np.ndarray] = {
        "apex": endo[np.argmin(endo[:, 1])],
        "mv_hinge_first": h1,
        "mv_hinge_second": h2,
        "base_centre": base_centre,
    }

    # LV regions.
    lv_cavity = canvas.polygon(endo)
    lv_myo = canvas.polygon(np.concatenate([endo, epi[::-1]]))

    cavities: list[np.ndarray] = [lv_cavity]
    walls: list[tuple[np.ndarray, np.ndarray | float]] = []  # painted in order, before the blood
    heart = lv_cavity | lv_myo
    leaflets: list[np.ndarray] = []
    cusps: list[np.ndarray] = []
    spots: list[np.ndarray] = [h1, h2]
    atrial_value = 0.95 * p.myocardium_echo * (1.0 + p.texture_strength * tex_fine) * gain
    bright_wall_value = min(p.valve_echo + 0.1, 1.0) * (1.0 + 0.5 * p.texture_strength * tex_fine)
    base_width = float(h2[0] - h1[0])

    if p.view == "a4c":
        # Septum: the first wall. Its RV-side surface is the epicardium's first half.
        k_apex = int(np.argmin(endo[:, 1]))
        sept_a, sept_l = epi[: k_apex + 1, 1][::-1], epi[: k_apex + 1, 0][::-1]

        def l_septum(a: np.ndarray) -> np.ndarray:
            return np.interp(a, sept_a, sept_l)

        a_tv = length - p.tv_offset_mm
        a_rv0 = max(a_tv - p.rv_length_ratio * length, 0.12 * length)
        rv_len = a_tv - a_rv0
        tau = np.clip((canvas.a - a_rv0) / rv_len, 0.0, 1.0)
        rv_half = p.rv_width_mm * (1.0 - (1.0 - tau) ** 1.8)
        l_s = l_septum(canvas.a)
        rv_cavity = (canvas.a >= a_rv0) & (canvas.a <= a_tv) & (canvas.l <= l_s) & (canvas.l >= l_s - rv_half)
        rv_cavity &= ~lv_myo
        rv_wall = canvas.band(rv_cavity, p.rv_wall_mm) & ~lv_cavity & (canvas.a <= a_tv + 1.0)
        heart |= rv_cavity | rv_wall
        tv_septal = np.array([float(l_septum(np.array(a_tv))), a_tv])
        tv_lateral = tv_septal - np.array([p.rv_width_mm, 0.0])
        l_ias = 0.5 * (h1[0] + float(l_septum(np.array(length))))
        la = _bulb(canvas, np.array([l_ias + _IAS_HALF_MM, length]), h2, p.la_width_mm, p.la_length_mm)
        la &= canvas.l >= l_ias + _IAS_HALF_MM
        ra = _bulb(canvas, tv_lateral, tv_septal, p.ra_width_mm, p.ra_length_mm, turn_deg=-5.0)
        ra &= canvas.l <= l_ias - _IAS_HALF_MM
        walls += [(canvas.band(la, _ATRIAL_WALL_MM), atrial_value), (canvas.band(ra, _ATRIAL_WALL_MM), atrial_value)]
        walls.append((rv_wall, p.myocardium_echo * (1.0 + p.texture_strength * tex_fine) * gain))
        cavities += [rv_cavity, la, ra]
        # Mitral: anterior leaflet on the septal side; tricuspid: septal and anterior leaflets.
        leaflets += [
            _curve(h1, 25.0, 0.50 * base_width, 15.0),
            _curve(h2, -35.0, 0.30 * base_width, -10.0),
            _curve(tv_septal, -30.0, 0.35 * p.rv_width_mm, -10.0),
            _curve(tv_lateral, 30.0, 0.45 * p.rv_width_mm, 10.0),
        ]
        spots += [tv_septal, tv_lateral]
        tau_c = 0.6
        rv_c_a = a_rv0 + tau_c * rv_len
        rv_c_l = float(l_septum(np.array(rv_c_a))) - 0.5 * p.rv_width_mm * (1.0 - (1.0 - tau_c) ** 1.8)
        landmarks_local.update(
            tv_hinge_septal=tv_septal,
            tv_hinge_lateral=tv_lateral,
            rv_centre=np.array([rv_c_l, rv_c_a]),
            ra_centre=np.array([0.5 * (tv_lateral[0] + l_ias), a_tv + 0.5 * p.ra_length_mm]),
            la_centre=np.array([0.5 * (l_ias + h2[0]), length + 0.5 * p.la_length_mm]),
        )
    elif p.view == "a2c":
        la = _bulb(canvas, h1, h2, p.la_width_mm, p.la_length_mm)
        # Left atrial appendage: a finger from the LA's anterior corner up beside the basal anterior wall.
        e2 = epi[-1]
        laa_path = np.array(
            [
                [h2[0] - 4.0, length + 8.0],
                [e2[0] + 4.0, e2[1] + 2.0],
                [e2[0] + 7.0, e2[1] - 8.0],
                [e2[0] + 9.0, e2[1] - 16.0],
            ]
        )
        laa = canvas.polygon(_tapered_tube(laa_path, 0.12 * p.la_width_mm, 0.45))
        walls.append((canvas.band(la | laa, _ATRIAL_WALL_MM), atrial_value))
        cavities += [la, laa]
        leaflets += [_curve(h1, 30.0, 0.35 * base_width, 10.0), _curve(h2, -25.0, 0.45 * base_width, -15.0)]
        landmarks_local.update(
            la_centre=np.array([base_centre[0], length + 0.5 * p.la_length_mm]),
            laa_centre=laa_path[2],
        )
    else:  # a3c
        t = math.radians(p.aorta_angle_deg)
        ao_axis = np.array([math.sin(t), math.cos(t)])  # (l, a): deeper and to the right
        ao_side = np.array([math.cos(t), -math.sin(t)])  # towards the septal (anterior) side
        beta = 0.5 * t  # the aortic annulus slopes down from the septal hinge to the mitral side
        amc = h2 + p.lvot_mm * np.array([-math.cos(beta), math.sin(beta)])  # aortic–mitral continuity
        ao_o = 0.5 * (h2 + amc)  # annulus centre
        r0 = 0.5 * abs(float((h2 - amc) @ ao_side))
        dl, da = canvas.l - ao_o[0], canvas.a - ao_o[1]
        s = dl * ao_axis[0] + da * ao_axis[1]
        q = dl * ao_side[0] + da * ao_side[1]
        d = p.lvot_mm
        radius = r0 * (
            1.0
            + 0.25 * np.exp(-(((s - 0.6 * d) / (0.4 * d)) ** 2))
            + 0.10 * _smoothstep((s - 0.6 * d) / (0.8 * d))
        )
        aorta = (s >= -4.0) & (s <= 200.0) & (np.abs(q) <= radius)
        ao_wall = canvas.band(aorta, _AORTIC_WALL_MM) & (s >= -1.0)
        # The cavity reaches down to the annulus: close the LV through the aortic–mitral continuity.
        lv_cavity = canvas.polygon(np.concatenate([endo, amc[None]]))
        la = _bulb(canvas, h1, amc, p.la_width_mm, p.la_length_mm, turn_deg=-10.0)
        la &= ~canvas.band(aorta, _AORTIC_WALL_MM + 1.0) & ~aorta
        walls += [(canvas.band(la, _ATRIAL_WALL_MM), atrial_value), (ao_wall, bright_wall_value)]
        cavities[0] = lv_cavity
        cavities += [la, aorta]
        coapt = ao_o + 0.35 * d * ao_axis
        cusps += [
            np.stack([h2, 0.5 * (h2 + coapt) - 1.5 * ao_axis, coapt]),
            np.stack([amc, 0.5 * (amc + coapt) - 1.5 * ao_axis, coapt]),
        ]
        mitral_width = float(np.hypot(*(amc - h1)))
        leaflets += [_curve(h1, 30.0, 0.40 * mitral_width, 10.0), _curve(amc, -10.0, 0.75 * mitral_width, -10.0)]
        spots += [amc]
        landmarks_local.update(
            la_centre=0.5 * (h1 + amc) + np.array([-0.1, 0.5]) * p.la_length_mm,
            aortic_mitral_continuity=amc,
            aortic_annulus_centre=ao_o,
            aortic_root=ao_o + 0.9 * d * ao_axis,
        )

    # 1. Surrounding tissue.
    canvas.image[:] = p.tissue_echo * (1.0 + 0.8 * p.texture_strength * tex_tissue) * gain
    # 2. Walls of the other chambers and vessels.
    for mask, value in walls:
        canvas.paint(canvas.alpha(mask), value)
    # 3. Blood.
    blood = np.logical_or.reduce(cavities)
    canvas.paint(canvas.alpha(blood), p.blood_echo * (1.0 + 0.15 * tex_blood))
    # 4. LV myocardium.
    canvas.paint(canvas.alpha(lv_myo), p.myocardium_echo * (1.0 + p.texture_strength * tex_fine) * gain)
    # 5. Pericardium: a bright band around the ventricles, fading out at the atrioventricular groove.
    peri = canvas.band(heart, p.pericardium_mm) & ~blood
    fade = 1.0 - _smoothstep((canvas.a - (length - 12.0)) / 12.0)
    canvas.paint(canvas.alpha(peri) * fade, p.pericardium_echo * (1.0 + 0.3 * p.texture_strength * tex_tissue))
    # 6. Valves: leaflets, aortic cusps, annulus spots.
    for line in leaflets:
        canvas.paint(canvas.line_alpha(line, 1.6), p.valve_echo)
    for line in cusps:
        canvas.paint(canvas.line_alpha(line, 1.0), 0.8 * p.valve_echo)
    for centre in spots:
        canvas.paint(0.9 * canvas.spot_alpha(centre, 1.8), p.pericardium_echo)
    # 7. Near-field haze: brighter, streaky band near the probe.
    if p.near_field_clutter > 0:
        depth_profile = 1.0 - _smoothstep((canvas.z - (p.clutter_depth_mm - 6.0)) / 12.0)
        haze = 0.55 * p.near_field_clutter * depth_profile * np.clip(0.7 + 0.35 * tex_streak, 0.0, 1.4)
        canvas.image += (1.0 - canvas.image) * np.clip(haze, 0.0, 0.95)

    image = np.clip(canvas.image, 0.0, 1.0).astype(np.float32)
    echo = EchogenicityMap(image, canvas.x0, canvas.z0, canvas.pixel)
    endo_xz, epi_xz = frame.to_world(endo), frame.to_world(epi)
    myocardium = Myocardium(endo_xz, epi_xz, view=p.view, spacing_mm=(1.0, 1.0))
    landmarks = {
        name: (float(pt[0]), float(pt[1])) for name, pt in ((k, frame.to_world(v)) for k, v in landmarks_local.items())
    }
    return ApicalScene(
        view=p.view,
        params=p,
        myocardium=myocardium,
        echogenicity=echo,
        depth_mm=float(depth_mm),
        sector_deg=float(sector_deg),
        landmarks=landmarks,
    )


def sample_scene(
    view: str,
    rng: np.random.Generator | int,
    depth_mm: float = 150.0,
    sector_deg: float = 75.0,
) -> ApicalScene:
    """A random scene of a view: :func:`sample_parameters` then :func:`build_scene` (same generator)."""
    gen = _as_generator(rng)
    params = sample_parameters(view, gen, depth_mm, sector_deg)
    return build_scene(params, gen, depth_mm, sector_deg)
