import numpy as np
import pytest

from echostrain.errors import ParameterError
from echostrain.sim.coherence import AmplitudeRenewal, CoherenceModel


def test_amplitude_renewal_has_the_model_correlation():
    model = CoherenceModel(beta=0.2, tau_ms=200.0)
    base = np.random.default_rng(0).standard_normal(200_000)
    renewal = AmplitudeRenewal(base, np.ones_like(base), model, fps=50.0, rng=np.random.default_rng(1))
    frames = [renewal.next(first=True)] + [renewal.next() for _ in range(4)]
    for k in range(1, 5):
        measured = np.corrcoef(frames[0], frames[k])[0, 1]
        assert measured == pytest.approx(model.amplitude_correlation(np.array([k * 20.0]))[0], abs=0.01)
    assert np.std(frames[-1]) == pytest.approx(np.std(base), rel=0.01)  # brightness kept


def test_coherence_model_validation():
    with pytest.raises(ParameterError):
        CoherenceModel(beta=1.0, tau_ms=100.0)
    with pytest.raises(ParameterError):
        CoherenceModel(beta=0.1, tau_ms=0.0)
    assert CoherenceModel(0.0, 1e9).amplitude_correlation(np.array([0.0, 40.0]))[1] == pytest.approx(1.0)
