"""Fitting the simulator's coherence to a profile: analytic cases (no simulation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.realism import coherence as coh
from echostrain.realism.profile import DecorrelationProfile, combine_profiles
from echostrain.sim.coherence import CoherenceModel

LAGS = np.array([20.0, 40.0, 60.0, 80.0])
EDGES = np.array([0.0, 50.0, 100.0])
# a made-up calibration: image correlation g(r) = r² (monotone)
CAL = (np.linspace(0.0, 1.0, 101), np.linspace(0.0, 1.0, 101) ** 2)


def profile(by_depth: np.ndarray) -> DecorrelationProfile:
    return DecorrelationProfile(
        lags_ms=LAGS, mean=by_depth.mean(axis=0), spread=np.full(LAGS.size, 0.05),
        depth_bins_mm=EDGES, by_depth=by_depth, n_patches=100, clip_ids=["x"],
    )


def test_fit_recovers_the_renewal_per_depth():
    motion = np.array([[0.95, 0.92, 0.9, 0.88], [0.9, 0.85, 0.82, 0.8]])  # the simulator without renewal
    betas, tau = np.array([0.2, 0.05]), 400.0
    r = (1 - betas[:, None]) * np.exp(-LAGS[None, :] / tau)
    real = motion * r**2
    model, info = coh.fit_profile(profile(real), profile(motion), CAL)
    assert model.depth_mm == (25.0, 75.0)
    np.testing.assert_allclose(model.beta_by_depth, betas, atol=0.011)
    assert 300.0 < model.tau_ms < 550.0
    assert max(info["depth_fit_errors"]) < 0.01


def test_clips_at_different_frame_rates_are_fitted_at_their_own_lags():
    # a fast clip (18 ms per frame) and a slow one (40 ms); the simulator without renewal
    # measured densely to 160 ms. One β (a drop at the first lag, flat after) explains both.
    sim_lags = np.arange(10.0, 161.0, 10.0)
    sim_curve = 1.0 - 0.001 * sim_lags

    def clip(lags, values):
        values = np.asarray(values)
        return DecorrelationProfile(
            lags_ms=lags, mean=values, spread=np.full(lags.size, 0.05), depth_bins_mm=EDGES,
            by_depth=np.stack([values, values]), n_patches=100, clip_ids=["c"],
        )

    beta = 0.1
    fast_lags, slow_lags = 18.2 * np.arange(1, 5), 40.0 * np.arange(1, 5)
    fast = clip(fast_lags, (1 - 0.001 * fast_lags) * (1 - beta) ** 2)
    slow = clip(slow_lags, (1 - 0.001 * slow_lags) * (1 - beta) ** 2)
    motion = clip(sim_lags, sim_curve)
    model, info = coh.fit_profile([fast, slow], motion, CAL)
    assert abs(model.beta - beta) < 0.011 and model.tau_ms > 5000.0
    np.testing.assert_allclose(model.beta_by_depth, [beta, beta], atol=0.011)
    assert info["uniform_fit_error"] < 0.005
    # combining the clips first interpolates the slow clip from 1 at lag 0, which softens
    # the drop at the fast clip's lags: β comes out low, outside the tolerance met above (0.085)
    combined = coh.fit_profile(combine_profiles([fast, slow]), motion, CAL)[0]
    assert combined.beta < beta - 0.011
    # a single profile is still accepted, and an empty list is refused
    assert abs(coh.fit_profile(fast, motion, CAL)[0].beta - beta) < 0.011
    with pytest.raises(ParameterError, match="at least one"):
        coh.fit_profile([], motion, CAL)


def test_no_renewal_where_the_simulation_already_decorrelates_enough():
    motion = np.array([[0.8, 0.75, 0.7, 0.68], [0.8, 0.75, 0.7, 0.68]])
    model, _ = coh.fit_profile(profile(motion + 0.05), profile(motion), CAL)
    assert model.beta_by_depth == (0.0, 0.0)


def test_load_coherence_names_and_files(tmp_path, monkeypatch):
    from echostrain.sim.coherence import default_coherence

    assert coh.load_coherence("none") is None
    assert coh.load_coherence("default") == default_coherence()
    model = CoherenceModel(beta=0.1, tau_ms=250.0)
    assert coh.load_coherence(coh.save_coherence(tmp_path / "m.json", model)) == model
    # a measured profile is fitted first (the fit itself is checked above)
    profile(np.ones((2, 4)) * 0.9).to_json(tmp_path / "p.json")
    seen = []
    monkeypatch.setattr(coh, "fit_to_profile_file", lambda path, progress=None: (seen.append(path) or (model, {})))
    assert coh.load_coherence(tmp_path / "p.json") == model and len(seen) == 1
    with pytest.raises(InputNotFoundError, match="default, none"):
        coh.load_coherence(tmp_path / "nope.json")
    (tmp_path / "other.json").write_text(json.dumps({"format": "something"}))
    with pytest.raises(CorruptInputError, match="neither"):
        coh.load_coherence(tmp_path / "other.json")
