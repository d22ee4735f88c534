"""The LV myocardium of an apical view as endocardial and epicardial polylines.

Both polylines run from one mitral-annulus hinge through the apex to the
other hinge, first wall first (see :mod:`echostrain.anatomy.segments`). Each
wall, hinge to apex, is split into three segments of equal arc length (basal,
mid, apical), which gives the six segments of the view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from echostrain.anatomy.polyline import (
    check_polyline,
    check_spacing_mm,
    cumulative_arc_mm,
    first_self_crossing,
    resample_at_fractions,
    to_mm,
)
from echostrain.anatomy.segments import (
    LAYER_ENDO,
    LAYER_EPI,
    LAYER_MID,
    N_SEGMENTS,
    check_view,
)
from echostrain.core.errors import GeometryError, ParameterError

_DENSE = 2001  # points used to locate the apex on a polyline


#: Smallest mean distance (mm) between the endocardium and the epicardium: a wall, not one line drawn twice.
MIN_WALL_MM = 1.0


def _mean_distance_mm(endo: np.ndarray, epi: np.ndarray, spacing_mm: tuple[float, float]) -> float:
    """Mean distance (mm) from the epicardium's points to the nearest endocardial point."""
    a, b = to_mm(endo, spacing_mm), to_mm(epi, spacing_mm)
    return float(np.sqrt(((b[:, None, :] - a[None, :, :]) ** 2).sum(-1)).min(axis=1).mean())


@dataclass(frozen=True)
class WallPoints:
    """Labelled points of the myocardium, in the order of the tracks file.

    ``xy_px`` is ``[N, 2]`` (x, y) pixels; ``layer`` and ``segment`` are
    int8 ``[N]`` codes. Within each layer the points run along the wall from
    the first hinge to the second, and every segment's first point lies on
    the segment's start boundary (so segments tile the line).
    """

    xy_px: np.ndarray
    layer: np.ndarray
    segment: np.ndarray

    def __len__(self) -> int:
        return int(self.xy_px.shape[0])

    def select(self, layer: int) -> np.ndarray:
        """Indices of the points of one layer, in wall order."""
        return np.flatnonzero(self.layer == layer)


def apex_fraction(xy_px: np.ndarray, spacing_mm: tuple[float, float] = (1.0, 1.0)) -> float:
    """Arc-length fraction (0…1) of the apex: the point farthest from the hinges' midpoint."""
    dense = resample_at_fractions(xy_px, np.linspace(0.0, 1.0, _DENSE), spacing_mm)
    mm = to_mm(dense, spacing_mm)
    base_mid = 0.5 * (mm[0] + mm[-1])
    i = int(np.argmax(np.hypot(*(mm - base_mid).T)))
    return i / (_DENSE - 1)


def segment_boundaries(xy_px: np.ndarray, spacing_mm: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """Arc-length fractions of the 7 boundaries of segments 0…5 (hinge, …, apex, …, hinge)."""
    a = apex_fraction(xy_px, spacing_mm)
    first = np.linspace(0.0, a, 4)
    second = np.linspace(a, 1.0, 4)
    return np.concatenate([first, second[1:]])


def segment_aligned_points(
    xy_px: np.ndarray, points_per_segment: int, spacing_mm: tuple[float, float] = (1.0, 1.0)
) -> tuple[np.ndarray, np.ndarray]:
    """Resample a wall line to ``6·m + 1`` points with every segment boundary on a point.

    Returns ``(xy_px [6m+1, 2], segment [6m+1])``; the last point (second
    hinge) belongs to segment 5.
    """
    m = int(points_per_segment)
    if m < 1:
        raise ParameterError(f"points_per_segment must be at least 1, got {points_per_segment}")
    b = segment_boundaries(xy_px, spacing_mm)
    steps = np.arange(m) / m
    fractions = np.concatenate([b[s] + steps * (b[s + 1] - b[s]) for s in range(N_SEGMENTS)] + [[1.0]])
    segment = np.concatenate([np.full(m, s, dtype=np.int8) for s in range(N_SEGMENTS)] + [[5]])
    return resample_at_fractions(xy_px, fractions, spacing_mm), segment.astype(np.int8)


@dataclass(frozen=True)
class Myocardium:
    """Endocardial and epicardial polylines of one apical view, in pixels.

    ``endo_xy_px`` and ``epi_xy_px`` are ``[K, 2]`` (x, y) with K ≥ 3, both
    ordered from the first-wall hinge through the apex to the second-wall
    hinge. ``spacing_mm = (dy, dx)`` is used to measure arc length.
    """

    endo_xy_px: np.ndarray
    epi_xy_px: np.ndarray
    view: str = "a4c"
    spacing_mm: tuple[float, float] = (1.0, 1.0)
    image_shape_hw: tuple[int, int] | None = field(default=None)

    def __post_init__(self) -> None:
        endo = check_polyline(self.endo_xy_px, "endocardial contour")
        epi = check_polyline(self.epi_xy_px, "epicardial contour")
        object.__setattr__(self, "endo_xy_px", endo)
        object.__setattr__(self, "epi_xy_px", epi)
        object.__setattr__(self, "view", check_view(self.view))
        object.__setattr__(self, "spacing_mm", check_spacing_mm(self.spacing_mm))
        # Same direction: the epicardium starts at the endocardium's first hinge.
        d_same = np.hypot(*(to_mm(endo[0] - epi[0], self.spacing_mm)))
        d_flip = np.hypot(*(to_mm(endo[0] - epi[-1], self.spacing_mm)))
        if d_flip < d_same:
            raise GeometryError(
                "endocardial and epicardial contours run in opposite directions; "
                "order both from the first-wall hinge through the apex to the second-wall hinge"
            )
        for name, line in (("endocardial", endo), ("epicardial", epi)):
            crossing = first_self_crossing(line)
            if crossing is not None:
                raise GeometryError(
                    f"the {name} contour crosses itself (segments {crossing[0]} and {crossing[1]}); "
                    "redraw it as one line from hinge to hinge"
                )
        if _mean_distance_mm(endo, epi, self.spacing_mm) < MIN_WALL_MM:
            raise GeometryError(
                f"the epicardium lies on the endocardium (less than {MIN_WALL_MM} mm apart on average); "
                "draw the epicardium outside the endocardium, at the wall's outer border"
            )
        for name, line in (("endocardial", endo), ("epicardial", epi)):
            a = apex_fraction(line, self.spacing_mm)
            if not 0.05 < a < 0.95:
                raise GeometryError(
                    f"the {name} contour's apex (farthest point from the hinges) is at its end; "
                    "give the contour from one mitral hinge through the apex to the other"
                )
        if self.image_shape_hw is not None:
            h, w = (int(v) for v in self.image_shape_hw)
            for name, line in (("endocardial", endo), ("epicardial", epi)):
                out = (line[:, 0] < 0) | (line[:, 0] > w - 1) | (line[:, 1] < 0) | (line[:, 1] > h - 1)
                if np.any(out):
                    i = int(np.flatnonzero(out)[0])
                    raise GeometryError(
                        f"{name} contour point {i} (x={line[i, 0]:.1f}, y={line[i, 1]:.1f}) is outside "
                        f"the {w}×{h} image; draw the contour on this clip's frames"
                    )

    def length_mm(self, layer: int = LAYER_ENDO) -> float:
        """Arc length in mm of the endocardial, mid-wall or epicardial line."""
        line = self.midwall_xy_px() if layer == LAYER_MID else self._line(layer)
        return float(cumulative_arc_mm(line, self.spacing_mm)[-1])

    def _line(self, layer: int) -> np.ndarray:
        if layer == LAYER_ENDO:
            return self.endo_xy_px
        if layer == LAYER_EPI:
            return self.epi_xy_px
        raise ParameterError(f"layer must be 0 (endo), 1 (mid) or 2 (epi), got {layer}")

    def midwall_xy_px(self, points_per_segment: int = 20) -> np.ndarray:
        """Mid-wall line: mean of segment-aligned endo and epi points, ``[6m+1, 2]``."""
        endo, _ = segment_aligned_points(self.endo_xy_px, points_per_segment, self.spacing_mm)
        epi, _ = segment_aligned_points(self.epi_xy_px, points_per_segment, self.spacing_mm)
        return 0.5 * (endo + epi)

    def sample_points(
        self, points_per_segment: int = 6, layers: tuple[int, ...] = (LAYER_ENDO, LAYER_MID, LAYER_EPI)
    ) -> WallPoints:
        """Labelled wall points: ``6m + 1`` per layer, boundaries on points.

        The k-th points of the endo, mid and epi lines correspond (same
        segment and relative position), so endo–epi pairs measure wall
        thickness.
        """
        endo, seg = segment_aligned_points(self.endo_xy_px, points_per_segment, self.spacing_mm)
        epi, _ = segment_aligned_points(self.epi_xy_px, points_per_segment, self.spacing_mm)
        lines = {LAYER_ENDO: endo, LAYER_MID: 0.5 * (endo + epi), LAYER_EPI: epi}
        xy, layer, segment = [], [], []
        for code in layers:
            if code not in lines:
                raise ParameterError(f"layer must be 0 (endo), 1 (mid) or 2 (epi), got {code}")
            xy.append(lines[code])
            layer.append(np.full(len(seg), code, dtype=np.int8))
            segment.append(seg)
        return WallPoints(np.concatenate(xy), np.concatenate(layer), np.concatenate(segment))


def load_myocardium(
    path: str,
    view: str | None = None,
    spacing_mm: tuple[float, float] = (1.0, 1.0),
    image_shape_hw: tuple[int, int] | None = None,
) -> Myocardium:
    """Read a myocardium contour file (JSON or CSV, see ``docs/formats.md``).

    ``view`` overrides the file's view (default ``a4c`` when neither gives
    one); ``image_shape_hw`` rejects points outside the clip's frames.
    """
    from echostrain.io.contours import read_myocardium_contours

    return myocardium_of(read_myocardium_contours(path, image_shape_hw=image_shape_hw), view=view,
                         spacing_mm=spacing_mm, image_shape_hw=image_shape_hw)


def myocardium_of(
    contours: dict,
    view: str | None = None,
    spacing_mm: tuple[float, float] = (1.0, 1.0),
    image_shape_hw: tuple[int, int] | None = None,
) -> Myocardium:
    """The :class:`Myocardium` of contours as ``read_myocardium_contours`` gives them (``view`` overrides theirs)."""
    return Myocardium(
        contours["endo"],
        contours["epi"],
        view=view or contours.get("view") or "a4c",
        spacing_mm=spacing_mm,
        image_shape_hw=image_shape_hw,
    )
