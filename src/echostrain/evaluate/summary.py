"""Tables and figures of an evaluation, written to one folder.

Synthetic sequences (:func:`write_evaluation`): ``per_sequence.csv`` (one row
per sequence × method), ``summary.md`` (the headline table, then by view and
by pathology), ``summary.json``, ``bland_altman_gls.png``,
``scatter_gls.png``, ``error_vs_time.png``, ``segment_errors.png`` and
``report.html`` (self-contained).

Real cohorts: :mod:`echostrain.evaluate.real_report`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from echostrain.core.jsonsafe import json_ready
from echostrain.core.vocabulary import N_SEGMENTS
from echostrain.evaluate.metrics import agreement
from echostrain.evaluate.synthetic import SequenceEvaluation
from echostrain.io.atomic import atomic_path, write_text_atomic
from echostrain.report.html import Html

COLOURS = {"tasnet": "#d62728", "blockmatch": "#1f77b4", "opticalflow": "#2ca02c"}


def _colour(method: str, i: int) -> str:
    return COLOURS.get(method, colormaps["tab10"](i % 10))


def _methods(results: Sequence[SequenceEvaluation]) -> list[str]:
    seen: list[str] = []
    for r in results:
        if r.row["method"] not in seen:
            seen.append(r.row["method"])
    return seen


def method_summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Headline figures of one method over its rows."""
    def col(key: str) -> np.ndarray:
        return np.array([r.get(key, np.nan) for r in rows], dtype=float)

    gls = agreement(col("gls_est_pct"), col("gls_true_pct"))
    seg_est = np.concatenate([col(f"seg{i}_est_pct") for i in range(1, 7)])
    seg_true = np.concatenate([col(f"seg{i}_true_pct") for i in range(1, 7)])
    seg = agreement(seg_est, seg_true)
    inter = col("interobserver_gls_diff_pct")
    return {
        "n_sequences": len(rows),
        "mte_mm": float(np.nanmean(col("mte_mm"))),
        "mte_px256": float(np.nanmean(col("mte_px256"))),
        "delta_avg": float(np.nanmean(col("delta_avg"))),
        "survival": float(np.nanmean(col("survival"))),
        "drift_mm": float(np.nanmean(col("drift_mm"))),
        "gls_mae_pct": gls["mae"], "gls_bias_pct": gls["bias"], "gls_loa_low_pct": gls["loa_low"],
        "gls_loa_high_pct": gls["loa_high"], "gls_r": gls["r"],
        "segment_mae_pct": seg["mae"], "segment_bias_pct": seg["bias"], "segment_loa_low_pct": seg["loa_low"],
        "segment_loa_high_pct": seg["loa_high"], "segment_r": seg["r"],
        "interobserver_gls_pct": float(np.nanmean(inter)) if np.isfinite(inter).any() else float("nan"),
        "seconds_per_clip": float(np.nanmedian(col("seconds"))),
    }


HEADLINE = [
    ("MTE (mm)", "mte_mm", "{:.3f}"), ("MTE (px@256)", "mte_px256", "{:.2f}"), ("δ_avg", "delta_avg", "{:.3f}"),
    ("survival", "survival", "{:.3f}"), ("end drift (mm)", "drift_mm", "{:.2f}"),
    ("GLS MAE (%)", "gls_mae_pct", "{:.2f}"), ("GLS bias (%)", "gls_bias_pct", "{:+.2f}"),
    ("GLS LoA (%)", ("gls_loa_low_pct", "gls_loa_high_pct"), "{:+.2f} … {:+.2f}"), ("GLS r", "gls_r", "{:.3f}"),
    ("seg. MAE (%)", "segment_mae_pct", "{:.2f}"), ("seg. bias (%)", "segment_bias_pct", "{:+.2f}"),
    ("seg. LoA (%)", ("segment_loa_low_pct", "segment_loa_high_pct"), "{:+.2f} … {:+.2f}"),
    ("seg. r", "segment_r", "{:.3f}"), ("inter-observer GLS (%)", "interobserver_gls_pct", "{:.2f}"),
    ("s / clip", "seconds_per_clip", "{:.2f}"),
]
SHORT = [("n", "n_sequences", "{:d}"), ("MTE (mm)", "mte_mm", "{:.3f}"), ("δ_avg", "delta_avg", "{:.3f}"),
         ("GLS MAE (%)", "gls_mae_pct", "{:.2f}"), ("seg. MAE (%)", "segment_mae_pct", "{:.2f}"),
         ("inter-obs. GLS (%)", "interobserver_gls_pct", "{:.2f}")]


def _fmt(summary: dict[str, float], key: Any, fmt: str) -> str:
    vals = [summary[k] for k in key] if isinstance(key, tuple) else [summary[key]]
    if any(isinstance(v, float) and not math.isfinite(v) for v in vals):
        return "—"
    return fmt.format(*vals)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def summaries(results: Sequence[SequenceEvaluation]) -> dict[str, Any]:
    """Per method overall, by view and by pathology."""
    methods = _methods(results)
    rows = [r.row for r in results]
    out: dict[str, Any] = {"overall": {}, "by_view": {}, "by_pathology": {}}
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        out["overall"][m] = method_summary(mine)
        for key, group in (("by_view", "view"), ("by_pathology", "pathology")):
            for value in sorted({r[group] for r in mine}):
                out[key].setdefault(value, {})[m] = method_summary([r for r in mine if r[group] == value])
    return out


def markdown(summ: dict[str, Any], title: str) -> str:
    methods = list(summ["overall"])
    parts = [f"# {title}", ""]
    parts.append(_table(["method"] + [h for h, _, _ in HEADLINE],
                        [[m] + [_fmt(summ["overall"][m], k, f) for _, k, f in HEADLINE] for m in methods]))
    for key, name in (("by_view", "view"), ("by_pathology", "pathology")):
        parts += ["", f"## By {name}", ""]
        rows = []
        for value, per in summ[key].items():
            for m in methods:
                if m in per:
                    rows.append([value, m] + [_fmt(per[m], k, f) for _, k, f in SHORT])
        parts.append(_table([name, "method"] + [h for h, _, _ in SHORT], rows))
    parts += ["", "MTE: per track the median error over frames, then the mean over tracks. δ_avg: TAP-Vid "
              "share within 1–16 px at 256 × 256. GLS/segmental: tracked vs true end-systolic strain "
              "(ED = frame 0, ES = true ES); LoA = bias ± 1.96 SD. Inter-observer: mean |GLS difference| "
              "between two simulated observers (contour ±1 mm normal, ±2 mm along the wall, frame +0/+1).", ""]
    return "\n".join(parts)


def write_rows_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Rows (dicts) as CSV, columns in first-seen order, floats to 6 significant digits (atomic)."""
    columns: list[str] = []
    for r in rows:
        columns += [k for k in r if k not in columns]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns)
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
    return write_text_atomic(path, buf.getvalue())


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def plots(results: Sequence[SequenceEvaluation], out: Path) -> dict[str, Path]:
    methods = _methods(results)
    files: dict[str, Path] = {}
    fig = Figure(figsize=(4.2 * len(methods), 3.8), dpi=100)
    axes = fig.subplots(1, len(methods), squeeze=False)
    for i, m in enumerate(methods):
        rows = [r.row for r in results if r.row["method"] == m]
        est = np.array([r["gls_est_pct"] for r in rows])
        true = np.array([r["gls_true_pct"] for r in rows])
        ag = agreement(est, true)
        ax = axes[0, i]
        ax.scatter(0.5 * (est + true), est - true, s=14, color=_colour(m, i))
        for v, ls in ((ag["bias"], "-"), (ag["loa_low"], "--"), (ag["loa_high"], "--")):
            if math.isfinite(v):
                ax.axhline(v, color="grey", ls=ls, lw=1)
        ax.set_title(f"{m}: bias {ag['bias']:+.2f} %, LoA ±{1.96 * ag['sd']:.2f} %", fontsize=9)
        ax.set_xlabel("mean of tracked and true GLS (%)")
        ax.set_ylabel("tracked − true GLS (%)")
        ax.grid(alpha=0.3)
    files["bland_altman"] = _save(fig, out / "bland_altman_gls.png")

    fig = Figure(figsize=(4.8, 4.4), dpi=100)
    ax = fig.subplots()
    lo, hi = 0.0, -30.0
    for i, m in enumerate(methods):
        rows = [r.row for r in results if r.row["method"] == m]
        true = np.array([r["gls_true_pct"] for r in rows])
        est = np.array([r["gls_est_pct"] for r in rows])
        ax.scatter(true, est, s=14, color=_colour(m, i), label=m)
        lo, hi = min(lo, np.nanmin(true), np.nanmin(est)), max(hi, np.nanmax(true), np.nanmax(est))
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
    ax.set_xlabel("true GLS (%)")
    ax.set_ylabel("tracked GLS (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    files["scatter"] = _save(fig, out / "scatter_gls.png")

    fig = Figure(figsize=(6, 3.8), dpi=100)
    ax = fig.subplots()
    grid = np.linspace(0, 100, 51)
    for i, m in enumerate(methods):
        curves = [np.interp(grid, np.linspace(0, 100, r.error_by_frame_mm.size), r.error_by_frame_mm)
                  for r in results if r.row["method"] == m]
        ax.plot(grid, np.mean(curves, axis=0), color=_colour(m, i), lw=2, label=m)
    ax.set_xlabel("time in the cycle (% from ED to the next ED)")
    ax.set_ylabel("mean point error (mm)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    files["error_vs_time"] = _save(fig, out / "error_vs_time.png")

    fig = Figure(figsize=(6.5, 3.8), dpi=100)
    ax = fig.subplots()
    width = 0.8 / max(len(methods), 1)
    for i, m in enumerate(methods):
        errs = np.array([r.segment_error_pct for r in results if r.row["method"] == m])
        ax.bar(np.arange(N_SEGMENTS) + (i - (len(methods) - 1) / 2) * width, np.nanmean(np.abs(errs), axis=0), width,
               color=_colour(m, i), label=m)
    ax.set_xticks(range(N_SEGMENTS))
    ax.set_xticklabels(["basal 1", "mid 1", "apical 1", "apical 2", "mid 2", "basal 2"], fontsize=8)
    ax.set_ylabel("|tracked − true| ES strain (%)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    files["segments"] = _save(fig, out / "segment_errors.png")
    return files


def write_evaluation(results: Sequence[SequenceEvaluation], out_dir: str | Path,
                     title: str = "Tracking evaluation on synthetic sequences") -> dict[str, Any]:
    """Write every output file; returns the summaries."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = [r.row for r in results]
    write_rows_csv(out / "per_sequence.csv", rows)
    summ = summaries(results)
    md = markdown(summ, title)
    write_text_atomic(out / "summary.md", md)
    write_text_atomic(out / "summary.json", json.dumps(json_ready(summ), indent=2, allow_nan=False) + "\n")
    figs = plots(results, out)
    page = Html(title, f"{len({r['sequence'] for r in rows})} sequences, methods: {', '.join(summ['overall'])}")
    page.heading("Summary")
    methods = list(summ["overall"])
    page.table(["method"] + [h for h, _, _ in HEADLINE],
               [[m] + [_fmt(summ["overall"][m], k, f) for _, k, f in HEADLINE] for m in methods], element_id="summary")
    page.heading("Figures")
    for key, caption in (("bland_altman", "Bland–Altman of GLS"), ("scatter", "tracked vs true GLS"),
                         ("error_vs_time", "point error over the cycle"), ("segments", "segmental strain error")):
        page.image(figs[key], alt=caption, caption=caption, element_id=key, width_px=520)
    for key, name in (("by_view", "view"), ("by_pathology", "pathology")):
        page.heading(f"By {name}")
        page.table([name, "method"] + [h for h, _, _ in SHORT],
                   [[v, m] + [_fmt(per[m], k, f) for _, k, f in SHORT] for v, per in summ[key].items() for m in methods if m in per])
    page.write(out / "report.html")
    return summ
