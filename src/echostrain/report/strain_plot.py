"""Strain-curve figure: GLS and the six segmental curves of one clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from echostrain.anatomy.segments import segment_names
from echostrain.core.vocabulary import N_SEGMENTS
from echostrain.io.atomic import atomic_path
from echostrain.report.figure_paths import png_path
from echostrain.strain.analysis import StrainResult

_SEGMENT_COLOURS = ("#d62728", "#ff7f0e", "#bcbd22", "#2ca02c", "#17becf", "#1f77b4")


def plot_strain_curves(result: StrainResult, path: str | Path, title: str | None = None) -> Path:
    """Write a PNG of the segmental and global longitudinal strain curves; returns the path.

    The x axis is time in ms when the frame rate is known, else frames; ED
    and ES are marked.
    """
    path = png_path(path)
    t = np.arange(result.n_frames, dtype=float)
    xlabel = "frame"
    if result.fps:
        t = t / result.fps * 1000.0
        xlabel = "time (ms)"
    names = segment_names(result.view) if result.view else [f"segment {s}" for s in range(N_SEGMENTS)]
    fig = Figure(figsize=(8, 4.5), dpi=120)
    ax = fig.subplots()
    for s, curve in enumerate(result.segment_curves_pct):
        if np.all(np.isnan(curve)):
            continue
        ax.plot(t, curve, color=_SEGMENT_COLOURS[s], lw=1.3, label=f"{names[s]} ({curve[result.es_frame]:.1f} %)")
    gls = result.gls_curves_pct[result.gls_layer]
    ax.plot(t, gls, color="black", lw=2.6, label=f"GLS {result.gls_layer} ({result.gls_pct:.1f} %)")
    for frame, name in ((result.ed_frame, "ED"), (result.es_frame, "ES")):
        ax.axvline(t[frame], color="grey", ls="--", lw=0.8)
        ax.annotate(name, (t[frame], 1.0), xycoords=("data", "axes fraction"), ha="center", va="bottom")
    ax.axhline(0.0, color="grey", lw=0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("longitudinal strain (%)")
    ax.set_title(title or f"Longitudinal strain{' — ' + result.view.upper() if result.view else ''}", pad=14)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    return out
