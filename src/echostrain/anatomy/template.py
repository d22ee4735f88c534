"""Template scenes: a real clip's frame as echogenicity and its ED contour as the myocardium.

The frame is placed so that the apex of its fan (the top of the sector mask)
is the probe; its pixel size comes from the clip (or the caller), else from
the fan's height taken as the simulated depth. The grey levels, lightly
smoothed (σ = 0.5 mm, so the template's own speckle is not copied), are the
echogenicity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter, map_coordinates

from echostrain.anatomy.echomap import EchogenicityMap
from echostrain.anatomy.myocardium import Myocardium
from echostrain.anatomy.scene import ApicalScene
from echostrain.anatomy.segments import check_view
from echostrain.core.errors import GeometryError, ParameterError
from echostrain.core.vocabulary import DEFAULT_DEPTH_MM, DEFAULT_SECTOR_DEG
from echostrain.io.contours import read_myocardium_contours
from echostrain.io.sector import fan_apex_px, sector_mask
from echostrain.io.video import EchoVideo


@dataclass(frozen=True)
class TemplateParameters:
    """Where a template scene comes from and how it was placed."""

    source: str
    frame: int
    spacing_mm: tuple[float, float]
    spacing_estimated: bool
    apex_xy_px: tuple[float, float]
    contour: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def template_scene(
    clip: EchoVideo,
    contour: str | Path,
    view: str = "a4c",
    frame: int = 0,
    depth_mm: float = DEFAULT_DEPTH_MM,
    sector_deg: float = DEFAULT_SECTOR_DEG,
    smoothing_mm: float = 0.5,
) -> ApicalScene:
    """An :class:`ApicalScene` from frame ``frame`` of a real clip and its myocardium contour."""
    view = check_view(view)
    if not 0 <= frame < clip.n_frames:
        raise ParameterError(f"template frame {frame} is outside the clip (0…{clip.n_frames - 1})")
    image = clip.frames[frame]
    h, w = image.shape
    contours = read_myocardium_contours(contour, image_shape_hw=(h, w))
    mask = sector_mask(clip.frames)
    apex_x, apex_y = fan_apex_px(mask)
    estimated = clip.spacing_mm is None
    if estimated:
        rows = np.flatnonzero(mask.any(axis=1))
        pixel = depth_mm / max(rows[-1] - apex_y, 1.0)
        dy = dx = pixel
    else:
        dy, dx = clip.spacing_mm
    pixel = min(dy, dx)
    # Resample to square pixels of size `pixel`, the fan apex at the origin.
    out_h, out_w = int(round(h * dy / pixel)), int(round(w * dx / pixel))
    rr, cc = np.meshgrid(np.arange(out_h) * pixel / dy, np.arange(out_w) * pixel / dx, indexing="ij")
    square = map_coordinates(image.astype(np.float64), [rr, cc], order=1, mode="nearest")
    square = np.clip(gaussian_filter(square, smoothing_mm / pixel), 0.0, 1.0).astype(np.float32)
    echo = EchogenicityMap(square, x0_mm=-apex_x * dx, z0_mm=-apex_y * dy, pixel_mm=pixel)

    def to_mm(xy: np.ndarray) -> np.ndarray:
        return np.stack([(xy[:, 0] - apex_x) * dx, (xy[:, 1] - apex_y) * dy], axis=-1)

    endo, epi = to_mm(contours["endo"]), to_mm(contours["epi"])
    myocardium = Myocardium(endo, epi, view=view, spacing_mm=(1.0, 1.0))
    half = np.deg2rad(sector_deg) / 2.0
    for name, line in (("endocardial", endo), ("epicardial", epi)):
        r = np.hypot(line[:, 0], line[:, 1])
        theta = np.arctan2(line[:, 0], line[:, 1])
        bad = (r > depth_mm) | (np.abs(theta) > half) | (line[:, 1] <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise GeometryError(
                f"{name} contour point {i} lies outside the simulated {sector_deg:.0f}° × {depth_mm:.0f} mm sector "
                "once the template is placed; check the contour, the template's pixel size or the imaging depth (`depth_mm`)"
            )
    params = TemplateParameters(
        source=clip.source,
        frame=int(frame),
        spacing_mm=(float(dy), float(dx)),
        spacing_estimated=estimated,
        apex_xy_px=(apex_x, apex_y),
        contour=str(contour),
    )
    return ApicalScene(view=view, params=params, myocardium=myocardium, echogenicity=echo)
