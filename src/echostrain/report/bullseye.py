"""The AHA 18-segment bull's-eye of end-systolic longitudinal strain.

Rings from outside in: basal, mid, apical; in each ring six 60° sectors in
the conventional orientation (anterior at the top, septum on the left,
lateral wall on the right, inferior at the bottom). Colour: strain from −25 %
(deep red, strong shortening) through 0 (white) to +25 % (blue); segments
without a value are grey. Each sector shows its value in %.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Wedge

from echostrain.anatomy.segments import AHA18_NAMES
from echostrain.io.atomic import atomic_path
from echostrain.report.figure_paths import png_path

#: Centre angle (degrees, counter-clockwise from 3 o'clock) of the six walls in every ring.
WALL_ANGLES_DEG = {"anterior": 90.0, "anteroseptal": 150.0, "inferoseptal": 210.0,
                   "inferior": 270.0, "inferolateral": 330.0, "anterolateral": 30.0}
RINGS = {"basal": (0.667, 1.0), "mid": (0.333, 0.667), "apical": (0.0, 0.333)}
STRAIN_LIMIT_PCT = 25.0


def bullseye_geometry(segment: int) -> tuple[float, float, float, float]:
    """(inner radius, outer radius, start angle, end angle) of AHA segment 1–18."""
    level, wall = AHA18_NAMES[segment].split(" ", 1)
    r0, r1 = RINGS[level]
    centre = WALL_ANGLES_DEG[wall]
    return r0, r1, centre - 30.0, centre + 30.0


def plot_bullseye(values_pct: dict[int, float], path: str | os.PathLike[str], title: str | None = None) -> Path:
    """Draw the bull's-eye of ``values_pct`` (AHA number → strain %) to a PNG."""
    path = png_path(path)
    cmap = colormaps["RdBu"]
    norm = Normalize(-STRAIN_LIMIT_PCT, STRAIN_LIMIT_PCT)
    fig = Figure(figsize=(4.6, 4.9), dpi=110)
    ax = fig.subplots()
    for seg in range(1, 19):
        r0, r1, a0, a1 = bullseye_geometry(seg)
        v = values_pct.get(seg)
        has = v is not None and math.isfinite(v)
        colour = cmap(norm(v)) if has else (0.82, 0.82, 0.82, 1.0)
        ax.add_patch(Wedge((0, 0), r1, a0, a1, width=r1 - r0, facecolor=colour, edgecolor="black", lw=1.2))
        mid_r = 0.5 * (r0 + r1) if r0 > 0 else 0.2
        ang = math.radians(0.5 * (a0 + a1))
        text = f"{v:.0f}" if has else "—"
        ax.text(mid_r * math.cos(ang), mid_r * math.sin(ang), text, ha="center", va="center", fontsize=9,
                color="white" if has and abs(v) > 15 else "black")
    ax.set_xlim(-1.08, 1.08)
    ax.set_ylim(-1.08, 1.08)
    ax.set_aspect("equal")
    ax.axis("off")
    for label, (x, y) in {"ANT": (0, 1.04), "SEPT": (-1.06, 0), "LAT": (1.06, 0), "INF": (0, -1.06)}.items():
        ax.text(x, y, label, ha="center", va="center", fontsize=7, color="0.3")
    sm = ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02,
                 label="end-systolic longitudinal strain (%)")
    ax.set_title(title or "Longitudinal strain, AHA 18 segments", fontsize=10)
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    return out


def segment_colour(value_pct: float) -> tuple[int, int, int]:
    """The RGB (0–255) the bull's-eye uses for a strain value (for checks)."""
    r, g, b, _ = colormaps["RdBu"](Normalize(-STRAIN_LIMIT_PCT, STRAIN_LIMIT_PCT)(value_pct))
    return int(round(r * 255)), int(round(g * 255)), int(round(b * 255))


__all__ = ["bullseye_geometry", "plot_bullseye", "segment_colour"]
