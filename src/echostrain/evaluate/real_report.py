"""Tables and figures of a real-cohort evaluation, written to one folder.

``per_clip.csv`` (one row per clip × method, the columns of
:mod:`echostrain.evaluate.real`), ``per_beat.csv`` (one row per clip × method ×
beat, when beats were measured), ``summary.md``, ``summary.json``, one plot per
clip (``gls_CLIP.png``: each method's tracked GLS curve, the beats, and the drawn
contours' GLS marked at their ES frame) and ``report.html`` (self-contained).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from echostrain.core.jsonsafe import json_ready
from echostrain.evaluate.real import real_summary
from echostrain.evaluate.summary import COLOURS, _fmt, _save, _table, write_rows_csv
from echostrain.io.atomic import write_text_atomic
from echostrain.report.html import Html

REAL_HEADLINE = [
    ("clips", "n_clips", "{:d}"), ("GLS MAE (%)", "gls_mae_pct", "{:.2f}"), ("GLS bias (%)", "gls_bias_pct", "{:+.2f}"),
    ("GLS LoA (%)", ("gls_loa_low_pct", "gls_loa_high_pct"), "{:+.2f} … {:+.2f}"), ("GLS r", "gls_r", "{:.3f}"),
    ("seg. MAE (%)", "segment_mae_pct", "{:.2f}"), ("inter-observer GLS (%)", "interobserver_gls_pct", "{:.2f}"),
    ("cycle drift (mm)", "cycle_drift_mm", "{:.2f}"), ("fwd–bwd (mm)", "fb_consistency_mm", "{:.2f}"),
]
#: Headline columns of the contour reference and the per-beat figures (shown when measured).
CONTOUR_BEAT_HEADLINE = [
    ("|tracked − contour GLS| (%)", "contour_gls_error_pct", "{:.2f}"),
    ("tracked − contour GLS (%)", "contour_gls_bias_pct", "{:+.2f}"),
    ("ES distance (mm)", "es_distance_mm", "{:.2f}"),
    ("inter-observer contour GLS (%)", "interobserver_contour_gls_pct", "{:.2f}"),
    ("beat GLS SD (%)", "beat_gls_sd_pct", "{:.2f}"),
    ("beat drift (mm)", "beat_drift_mm", "{:.2f}"),
    ("beat fwd–bwd (mm)", "beat_fb_mm", "{:.2f}"),
]
REAL_CLIP_COLUMNS = ("clip", "view", "method", "gls_pct", "ref_gls_pct", "gls_observer2_pct", "contour_gls_pct",
                     "tracked_gls_at_es_pct", "es_distance_mm", "n_beats", "beat_gls_mean_pct", "beat_gls_sd_pct",
                     "beat_gls_range_pct", "cycle_drift_mm", "fb_consistency_mm")


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def beat_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per clip × method × beat: frames, GLS, segmental peak strain, drift and forward–backward error."""
    out = []
    for r in rows:
        for k, b in enumerate(r.get("_beats") or [], start=1):
            out.append({"clip": r["clip"], "method": r["method"], "beat": k, "ed_frame": b.ed, "es_frame": b.es,
                        "next_ed_frame": b.next_ed, "gls_pct": b.gls_pct,
                        **{f"seg{i + 1}_peak_pct": float(v) for i, v in enumerate(b.segment_peak_pct)},
                        "drift_mm": b.drift_mm, "fb_mm": b.fb_mm})
    return out


def plot_clip(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Tracked GLS curves of one clip's methods, beats shaded, the contour GLS marked at its ES frame."""
    fig = Figure(figsize=(7.0, 3.6), dpi=100)
    ax = fig.subplots()
    for i, r in enumerate(rows):
        curve = np.asarray(r["_gls_curve_pct"])
        ax.plot(np.arange(curve.size), curve, lw=1.6, color=COLOURS.get(r["method"], f"C{i}"), label=r["method"])
    for k, b in enumerate(rows[0].get("_beats") or []):
        ax.axvspan(b.ed, b.next_ed, color="0.5", alpha=0.08 if k % 2 else 0.16, lw=0)
    ref = rows[0].get("contour_gls_pct")
    if ref is not None and math.isfinite(ref):
        f = rows[0]["es_contour_frame"]
        ax.plot([f], [ref], marker="*", ms=13, color="black", ls="none", label=f"drawn contours ({ref:.1f} %)")
        ref2 = rows[0].get("contour_gls_observer2_pct")
        if ref2 is not None:
            ax.plot([f], [ref2], marker="*", ms=10, color="0.45", ls="none", label=f"observer 2 ({ref2:.1f} %)")
    ax.axhline(0.0, color="0.6", lw=0.8)
    ax.set_xlabel("frame")
    ax.set_ylabel("endocardial GLS from the first ED (%)")
    ax.set_title(f"{rows[0]['clip']} ({rows[0]['view']})")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def write_real_evaluation(rows: Sequence[dict[str, Any]], out_dir: str | Path) -> str:
    """Write the real-cohort outputs (rows of :func:`~echostrain.evaluate.real.evaluate_real`); returns the markdown."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_rows_csv(out / "per_clip.csv", [_public(r) for r in rows])
    beats = beat_rows(rows)
    if beats:
        write_rows_csv(out / "per_beat.csv", beats)
    summ = real_summary(list(rows))
    extra = [c for c in CONTOUR_BEAT_HEADLINE if any(math.isfinite(d.get(c[1], math.nan)) for d in summ.values())]
    headline = REAL_HEADLINE + extra
    header = ["method"] + [h for h, _, _ in headline]
    table_rows = [[m] + [_fmt(d, k, f) for _, k, f in headline] for m, d in summ.items()]
    md = "# Evaluation on real clips\n\n" + _table(header, table_rows) + "\n"
    write_text_atomic(out / "summary.md", md)
    write_text_atomic(out / "summary.json", json.dumps(json_ready(summ), indent=2, allow_nan=False) + "\n")
    page = Html("Evaluation on real clips", f"{len({r['clip'] for r in rows})} clips")
    page.table(header, table_rows, element_id="summary")
    page.heading("Per clip")
    keys = [k for k in REAL_CLIP_COLUMNS if any(k in r for r in rows)]
    page.table(keys, [[r.get(k, "") for k in keys] for r in rows])
    for clip in dict.fromkeys(r["clip"] for r in rows):
        mine = [r for r in rows if r["clip"] == clip]
        png = plot_clip(mine, out / f"gls_{clip}.png")
        page.image(png, alt=f"GLS curves of {clip}", caption=f"{clip}: tracked GLS, beats and contour reference",
                   width_px=560)
    if beats:
        page.heading("Per beat")
        bkeys = ["clip", "method", "beat", "ed_frame", "es_frame", "next_ed_frame", "gls_pct", "drift_mm", "fb_mm"]
        page.table(bkeys, [[b[k] for k in bkeys] for b in beats])
    page.write(out / "report.html")
    return md
