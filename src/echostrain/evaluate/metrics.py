"""Tracking and agreement metrics with known answers (see tests/evaluate).

Tracking (``pred``/``true`` float [T, N, 2] (x, y) px, ``spacing_mm`` = (dy, dx)):

* end-point error per frame in mm;
* MTE, mean trajectory error: per track the median error over frames, then
  the mean over tracks (mm, and px at 256-scale);
* TAP-Vid position accuracy δ_avg: the share of points within 1, 2, 4, 8 and
  16 px at 256-scale (the frame rescaled to 256 × 256), over the frames after
  each point's query frame, averaged over the five thresholds;
* survival: per track the share of frames after its query frame before the
  first error above 50 px at 256-scale, averaged over tracks;
* drift: error at the last frame (mm) — at the end of a cycle, where a
  perfect tracker returns to its start.

Agreement (paired values ``est``, ``ref``): mean absolute error, bias
(mean of est − ref), 95 % limits of agreement (bias ± 1.96 SD), Pearson r.
"""

from __future__ import annotations

import numpy as np

#: TAP-Vid thresholds (px at 256 × 256).
DELTA_THRESHOLDS_PX = (1, 2, 4, 8, 16)
#: A track is lost once its error exceeds this (px at 256-scale).
SURVIVAL_PX = 50.0


def errors_mm(pred: np.ndarray, true: np.ndarray, spacing_mm: tuple[float, float]) -> np.ndarray:
    """End-point errors [T, N] in mm."""
    d = np.asarray(pred, float) - np.asarray(true, float)
    return np.hypot(d[..., 0] * spacing_mm[1], d[..., 1] * spacing_mm[0])


def errors_256(pred: np.ndarray, true: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """End-point errors [T, N] in px of the frame rescaled to 256 × 256."""
    d = np.asarray(pred, float) - np.asarray(true, float)
    h, w = shape_hw
    return np.hypot(d[..., 0] * 256.0 / w, d[..., 1] * 256.0 / h)


def mte(err: np.ndarray) -> float:
    """Mean over tracks of the median error over frames."""
    return float(np.mean(np.median(err, axis=0)))


def after_query(n_frames: int, query_frames: np.ndarray) -> np.ndarray:
    """bool [T, N]: frames strictly after each point's query frame."""
    return np.arange(n_frames)[:, None] > np.asarray(query_frames)[None, :]


def delta_avg(err_256: np.ndarray, query_frames: np.ndarray) -> tuple[float, dict[int, float]]:
    """δ_avg and the share within each threshold, over frames after the query frame."""
    mask = after_query(err_256.shape[0], query_frames)
    if not mask.any():
        return float("nan"), {}
    vals = err_256[mask]
    per = {int(th): float(np.mean(vals < th)) for th in DELTA_THRESHOLDS_PX}
    return float(np.mean(list(per.values()))), per


def survival(err_256: np.ndarray, query_frames: np.ndarray, limit_px: float = SURVIVAL_PX) -> float:
    """Mean share of post-query frames tracked before the first error above ``limit_px``."""
    n_t, n = err_256.shape
    shares = []
    for i in range(n):
        q = int(query_frames[i])
        frames = err_256[q + 1 :, i]
        if frames.size == 0:
            continue
        lost = np.flatnonzero(frames > limit_px)
        shares.append((lost[0] if lost.size else frames.size) / frames.size)
    return float(np.mean(shares)) if shares else float("nan")


def tracking_metrics(pred: np.ndarray, true: np.ndarray, spacing_mm: tuple[float, float],
                     shape_hw: tuple[int, int], query_frames: np.ndarray | None = None) -> dict[str, float]:
    """All tracking figures of one clip (see the module docstring)."""
    n_t, n = np.asarray(true).shape[:2]
    qf = np.zeros(n, int) if query_frames is None else np.asarray(query_frames, int)
    e_mm = errors_mm(pred, true, spacing_mm)
    e_256 = errors_256(pred, true, shape_hw)
    d_avg, per = delta_avg(e_256, qf)
    out = {
        "mte_mm": mte(e_mm),
        "mte_px256": mte(e_256),
        "epe_mm": float(e_mm.mean()),
        "delta_avg": d_avg,
        "survival": survival(e_256, qf),
        "drift_mm": float(e_mm[-1].mean()),
    }
    out.update({f"delta_{k}px": v for k, v in per.items()})
    return out


def agreement(est: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """MAE, bias, 95 % limits of agreement and Pearson r of paired values (NaN pairs dropped)."""
    a, b = np.asarray(est, float).ravel(), np.asarray(ref, float).ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if a.size == 0:
        nan = float("nan")
        return {"n": 0, "mae": nan, "bias": nan, "sd": nan, "loa_low": nan, "loa_high": nan, "r": nan}
    diff = a - b
    sd = float(np.std(diff, ddof=1)) if a.size > 1 else 0.0
    bias = float(diff.mean())
    r = float(np.corrcoef(a, b)[0, 1]) if a.size > 2 and np.std(a) > 0 and np.std(b) > 0 else float("nan")
    return {"n": int(a.size), "mae": float(np.abs(diff).mean()), "bias": bias, "sd": sd,
            "loa_low": bias - 1.96 * sd, "loa_high": bias + 1.96 * sd, "r": r}

