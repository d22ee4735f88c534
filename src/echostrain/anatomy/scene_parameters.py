"""Parameters of a procedural apical scene: the dataclass, the ranges drawn and the fit limits.

Lengths are in mm and angles in degrees; :func:`echostrain.anatomy.scene.sample_parameters`
draws every field uniformly from ``PARAMETER_RANGES``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from echostrain.core.checks import check_view
from echostrain.core.errors import ParameterError

#: Points of the endocardial and epicardial polylines (6 segments × 20 + 1).
N_CONTOUR_POINTS = 121
#: Smallest distance (mm) of every myocardium point from the sector's outline.
SECTOR_MARGIN_MM = 5.0
#: The mitral hinges lie at least this far (mm) above the sector's depth, so some atrium shows.
MIN_ATRIUM_DEPTH_MM = 20.0

#: Range of every numeric parameter, drawn uniformly by
#: :func:`~echostrain.anatomy.scene.sample_parameters`.
#: ``apex_wall_mm`` is drawn as ``APEX_WALL_RATIO × wall_mm``.
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "lv_length_mm": (70.0, 100.0),
    "wall_mm": (7.0, 14.0),
    "sphericity": (0.40, 0.60),
    "asymmetry": (-0.08, 0.08),
    "apex_depth_mm": (15.0, 40.0),
    "tilt_deg": (-12.0, 12.0),
    "lateral_offset_mm": (-10.0, 10.0),
    "myocardium_echo": (0.35, 0.70),
    "blood_echo": (0.05, 0.20),
    "pericardium_echo": (0.70, 1.00),
    "tissue_echo": (0.25, 0.60),
    "valve_echo": (0.60, 0.80),
    "pericardium_mm": (2.0, 3.5),
    "texture_strength": (0.08, 0.35),
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
    "patchiness": (0.0, 0.35),
}
APEX_WALL_RATIO: tuple[float, float] = (0.70, 0.90)


@dataclass(frozen=True)
class SceneParameters:
    """Anatomy and grey levels of one apical scene (lengths in mm, angles in degrees).

    Ranges drawn by :func:`~echostrain.anatomy.scene.sample_parameters`
    (uniformly; see the note on placement there). ``build_scene`` accepts
    values outside them as long as they make physical sense and the LV fits
    in the sector.

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
    myocardium_echo      0.35 – 0.70    LV (and RV) myocardium grey level
    blood_echo           0.05 – 0.20    blood in every chamber and vessel
    pericardium_echo     0.70 – 1.00    pericardium band and annulus spots
    tissue_echo          0.25 – 0.60    surrounding tissue (as bright as the myocardium or brighter in some)
    valve_echo           0.60 – 0.80    leaflets, aortic walls (brighter: +0.1)
    pericardium_mm       2.0 – 3.5      thickness of the pericardium band outside the epicardium
    texture_strength     0.08 – 0.35    relative std of the multiplicative tissue texture
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
    patchiness           0 – 0.35       relative std of a blotchy 4 mm field on all tissue (0 = none)
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
    patchiness: float = 0.0

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
                     "near_field_clutter", "texture_strength", "patchiness"):
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
