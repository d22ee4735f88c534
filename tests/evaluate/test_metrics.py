"""Metrics on hand-made cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from echostrain.evaluate.metrics import agreement, delta_avg, errors_256, survival, tracking_metrics


def test_track_off_by_exactly_two_pixels():
    t, n = 10, 4
    true = np.random.default_rng(0).uniform(20, 200, (t, n, 2))
    pred = true + np.array([2.0, 0.0])  # 2 px to the right everywhere
    m = tracking_metrics(pred, true, spacing_mm=(0.3, 0.5), shape_hw=(256, 256))
    assert m["mte_mm"] == pytest.approx(1.0)  # 2 px × 0.5 mm (dx)
    assert m["mte_px256"] == pytest.approx(2.0) and m["drift_mm"] == pytest.approx(1.0)
    # within 4, 8, 16 px but not within 1 or 2 (strictly less than): δ_avg = 3/5
    assert m["delta_avg"] == pytest.approx(0.6) and m["delta_1px"] == 0.0 and m["delta_4px"] == 1.0
    assert m["survival"] == 1.0


def test_256_scaling_and_query_frames():
    true = np.zeros((5, 1, 2))
    pred = true + np.array([4.0, 0.0])
    # a 512-wide frame: 4 px are 2 px at 256-scale
    assert errors_256(pred, true, (256, 512))[0, 0] == pytest.approx(2.0)
    e = np.array([[0.0], [0.5], [3.0], [60.0], [1.0]])
    # frames after the query frame (1): 3.0, 60, 1.0 → within 1 px: 0/3, 2: 1/3, 4: 2/3, 8: 2/3, 16: 2/3
    d, per = delta_avg(e, np.array([1]))
    assert per[1] == 0 and per[2] == pytest.approx(1 / 3) and per[4] == pytest.approx(2 / 3)
    assert d == pytest.approx((0 + 1 / 3 + 2 / 3 * 3) / 5)
    # lost at the second of three post-query frames (error 60 > 50): survived 1/3
    assert survival(e, np.array([1])) == pytest.approx(1 / 3)


def test_strain_off_by_exactly_one_percent():
    true = np.array([-20.0, -18.0, -15.0, -22.0])
    ag = agreement(true + 1.0, true)
    assert ag["mae"] == pytest.approx(1.0) and ag["bias"] == pytest.approx(1.0)
    assert ag["sd"] == pytest.approx(0.0) and ag["loa_low"] == pytest.approx(1.0) and ag["loa_high"] == pytest.approx(1.0)
    assert ag["r"] == pytest.approx(1.0)
    mixed = agreement(true + np.array([1.0, -1.0, 1.0, -1.0]), true)
    assert mixed["mae"] == pytest.approx(1.0) and mixed["bias"] == pytest.approx(0.0)
    assert mixed["loa_high"] == pytest.approx(1.96 * np.std([1, -1, 1, -1], ddof=1))
    assert agreement([np.nan], [1.0])["n"] == 0
