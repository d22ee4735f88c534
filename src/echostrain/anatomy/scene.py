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
LV and its frame are in :mod:`echostrain.anatomy.lv_geometry`, the
parameters in :mod:`echostrain.anatomy.scene_parameters`, the structures of
each view in :mod:`echostrain.anatomy.chambers` and the painting tools in
:mod:`echostrain.anatomy.canvas`; this module puts them together.

Painting order (later layers cover earlier ones, every mask blurred with a
Gaussian of 0.7 mm): surrounding tissue, walls of the other chambers and
vessels, blood of every chamber, LV myocardium, pericardium, valves
(leaflets, aortic cusps, annulus spots), near-field haze.

Use :func:`sample_scene` for a random scene, or :func:`sample_parameters`
and :func:`build_scene` to control or inspect the parameters. All
randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from echostrain.anatomy.canvas import Canvas, SceneTextures
from echostrain.anatomy.chambers import Chambers, view_chambers
from echostrain.anatomy.echomap import EchogenicityMap
from echostrain.anatomy.lv_geometry import LVFrame, lv_contours_mm, lv_fit_margin_mm, lv_walls_local, smoothstep
from echostrain.anatomy.myocardium import Myocardium
from echostrain.anatomy.scene_parameters import (
    APEX_WALL_RATIO,
    MIN_ATRIUM_DEPTH_MM,
    N_CONTOUR_POINTS,
    PARAMETER_RANGES,
    SECTOR_MARGIN_MM,
    SceneParameters,
)
from echostrain.core.checks import check_view
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import DEFAULT_DEPTH_MM, DEFAULT_SECTOR_DEG

__all__ = [
    "APEX_WALL_RATIO",
    "MIN_ATRIUM_DEPTH_MM",
    "N_CONTOUR_POINTS",
    "PARAMETER_RANGES",
    "SECTOR_MARGIN_MM",
    "ApicalScene",
    "SceneParameters",
    "build_scene",
    "lv_contours_mm",
    "lv_fit_margin_mm",
    "sample_parameters",
    "sample_scene",
]


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
    depth_mm: float = DEFAULT_DEPTH_MM
    sector_deg: float = DEFAULT_SECTOR_DEG
    landmarks: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "view", check_view(self.view))
        if not isinstance(self.myocardium, Myocardium):
            raise ParameterError(f"myocardium must be a Myocardium, got {type(self.myocardium).__name__}")
        if not isinstance(self.echogenicity, EchogenicityMap):
            raise ParameterError(f"echogenicity must be an EchogenicityMap, got {type(self.echogenicity).__name__}")
        if self.myocardium.view != self.view:
            raise ParameterError(f"the myocardium is an {self.myocardium.view} view but the scene an {self.view} view")


# --------------------------------------------------------------------------- sampling


def _as_generator(rng: np.random.Generator | int) -> np.random.Generator:
    """``rng`` itself, or a new generator seeded with it (an integer)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ParameterError(f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}")


_PLACEMENT = ("apex_depth_mm", "tilt_deg", "lateral_offset_mm")


def sample_parameters(
    view: str,
    rng: np.random.Generator | int,
    depth_mm: float = DEFAULT_DEPTH_MM,
    sector_deg: float = DEFAULT_SECTOR_DEG,
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


# --------------------------------------------------------------------------- the scene


def build_scene(
    params: SceneParameters,
    rng: np.random.Generator | int,
    depth_mm: float = DEFAULT_DEPTH_MM,
    sector_deg: float = DEFAULT_SECTOR_DEG,
    pixel_mm: float = 0.5,
) -> ApicalScene:
    """Build the LV myocardium and the echogenicity map of a scene.

    The map covers the sector's bounding box (see
    :func:`echostrain.anatomy.echomap.sector_grid`) with square pixels of
    ``pixel_mm``; it is not masked to the fan. The steps: place the LV
    (:mod:`~echostrain.anatomy.lv_geometry`), draw the textures, lay out the
    view's structures (:mod:`~echostrain.anatomy.chambers`), paint them in
    order, and express the myocardium and landmarks in (x, z) mm.

    Parameters
    ----------
    params : SceneParameters
        Anatomy and grey levels of the scene.
    rng : numpy.random.Generator or int
        Generator (or seed) of the textures; nothing else is random.
    depth_mm, sector_deg : float
        Imaging depth (mm) and full sector angle (degrees).
    pixel_mm : float
        Pixel size of the echogenicity map (mm).

    Returns
    -------
    ApicalScene
        The scene, with ``params`` as given.

    Raises
    ------
    ParameterError
        If the LV does not fit inside the sector with a ``SECTOR_MARGIN_MM`` margin.
    """
    if not isinstance(params, SceneParameters):
        raise ParameterError(f"params must be SceneParameters, got {type(params).__name__}")
    gen = _as_generator(rng)
    _check_lv_fits(params, depth_mm, sector_deg)
    frame = LVFrame.of(params)
    endo, epi = lv_walls_local(params)  # LV frame (l, a)
    canvas = Canvas(frame, depth_mm, sector_deg, pixel_mm)
    textures = SceneTextures.draw(gen, canvas, params.texture_scale_mm)  # fixed draw order → reproducible
    chambers = view_chambers(params, canvas, endo, epi, textures)  # the LV and the view's other structures
    _paint(canvas, params, chambers, textures)
    echo = EchogenicityMap(np.clip(canvas.image, 0.0, 1.0).astype(np.float32), canvas.x0, canvas.z0, canvas.pixel)
    myocardium = Myocardium(frame.to_world(endo), frame.to_world(epi), view=params.view, spacing_mm=(1.0, 1.0))
    landmarks = {name: _xz_tuple(frame.to_world(pt)) for name, pt in chambers.landmarks.items()}
    return ApicalScene(
        view=params.view,
        params=params,
        myocardium=myocardium,
        echogenicity=echo,
        depth_mm=float(depth_mm),
        sector_deg=float(sector_deg),
        landmarks=landmarks,
    )


def _check_lv_fits(params: SceneParameters, depth_mm: float, sector_deg: float) -> None:
    """Raise :class:`ParameterError` unless the LV stays ``SECTOR_MARGIN_MM`` inside the sector."""
    margin = lv_fit_margin_mm(params, depth_mm, sector_deg)
    if margin < SECTOR_MARGIN_MM:
        raise ParameterError(
            f"the LV comes within {margin:.1f} mm of the {depth_mm} mm, {sector_deg}° sector's outline "
            f"(at least {SECTOR_MARGIN_MM} mm needed, mitral hinges {MIN_ATRIUM_DEPTH_MM} mm above the depth); "
            "move the apex deeper, reduce tilt, offset or LV size, or use a larger sector"
        )


def _xz_tuple(pt: np.ndarray) -> tuple[float, float]:
    """A point ``(x, z)`` as a tuple of Python floats."""
    return float(pt[0]), float(pt[1])


def _paint(canvas: Canvas, p: SceneParameters, ch: Chambers, tex: SceneTextures) -> None:
    """Paint the layers of a scene onto ``canvas.image``, in order (see the module docstring)."""
    # 1. Surrounding tissue.
    canvas.image[:] = np.minimum(p.tissue_echo * (1.0 + 0.8 * p.texture_strength * tex.tissue) * tex.tissue_gain(p), 1.0)
    # 2. Walls of the other chambers and vessels.
    for mask, value in ch.walls:
        canvas.paint(canvas.alpha(mask), value)
    # 3. Blood.
    blood = np.logical_or.reduce(ch.cavities)
    canvas.paint(canvas.alpha(blood), p.blood_echo * (1.0 + 0.15 * tex.blood))
    # 4. LV myocardium.
    canvas.paint(canvas.alpha(ch.lv_myo), tex.myocardium(p))
    # 5. Pericardium: a bright band around the ventricles, fading out at the atrioventricular groove.
    peri = canvas.band(ch.heart, p.pericardium_mm) & ~blood
    fade = 1.0 - smoothstep((canvas.a - (p.lv_length_mm - 12.0)) / 12.0)
    peri_echo = p.pericardium_echo * (1.0 + 0.3 * p.texture_strength * tex.tissue) * tex.tissue_gain(p)
    canvas.paint(canvas.alpha(peri) * fade, np.minimum(peri_echo, 1.0))
    # 6. Valves: leaflets, aortic cusps, annulus spots.
    for line in ch.leaflets:
        canvas.paint(canvas.line_alpha(line, 1.6), p.valve_echo)
    for line in ch.cusps:
        canvas.paint(canvas.line_alpha(line, 1.0), 0.8 * p.valve_echo)
    for centre in ch.spots:
        canvas.paint(0.9 * canvas.spot_alpha(centre, 1.8), p.pericardium_echo)
    # 7. Near-field haze: brighter, streaky band near the probe.
    if p.near_field_clutter > 0:
        depth_profile = 1.0 - smoothstep((canvas.z - (p.clutter_depth_mm - 6.0)) / 12.0)
        haze = 0.55 * p.near_field_clutter * depth_profile * np.clip(0.7 + 0.35 * tex.streak, 0.0, 1.4)
        canvas.image += (1.0 - canvas.image) * np.clip(haze, 0.0, 0.95)


def sample_scene(
    view: str,
    rng: np.random.Generator | int,
    depth_mm: float = DEFAULT_DEPTH_MM,
    sector_deg: float = DEFAULT_SECTOR_DEG,
) -> ApicalScene:
    """A random scene of a view: :func:`sample_parameters` then :func:`build_scene` (same generator).

    Parameters
    ----------
    view : str
        ``a2c``, ``a3c`` or ``a4c``.
    rng : numpy.random.Generator or int
        Generator (or seed) of the parameters, then of the textures.
    depth_mm, sector_deg : float
        Imaging depth (mm) and full sector angle (degrees).

    Returns
    -------
    ApicalScene
        The scene, its LV inside the sector with a ``SECTOR_MARGIN_MM`` margin.
    """
    gen = _as_generator(rng)
    params = sample_parameters(view, gen, depth_mm, sector_deg)
    return build_scene(params, gen, depth_mm, sector_deg)
