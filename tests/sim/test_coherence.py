import numpy as np
import pytest

from echostrain.core.errors import ParameterError
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


def test_beta_varies_with_depth_and_renewal_follows_it():
    model = CoherenceModel(beta=0.0, tau_ms=1e6, depth_mm=(25.0, 125.0), beta_by_depth=(0.3, 0.0))
    np.testing.assert_allclose(model.beta_at(np.array([0.0, 25.0, 75.0, 125.0, 200.0])), [0.3, 0.3, 0.15, 0.0, 0.0])
    rng = np.random.default_rng(0)
    base = rng.standard_normal(100_000)
    depth = np.where(np.arange(base.size) % 2 == 0, 25.0, 125.0)
    renewal = AmplitudeRenewal(base, np.ones_like(base), model, fps=50.0, rng=np.random.default_rng(1), depth_mm=depth)
    a0, a1 = renewal.next(first=True), renewal.next()
    shallow, deep = depth == 25.0, depth == 125.0
    assert np.corrcoef(a0[shallow], a1[shallow])[0, 1] == pytest.approx(0.7, abs=0.01)
    assert np.corrcoef(a0[deep], a1[deep])[0, 1] == pytest.approx(1.0, abs=0.001)


def test_coherence_json_round_trip_and_errors(tmp_path):
    from echostrain.core.errors import CorruptInputError, InputNotFoundError
    from echostrain.realism.coherence import save_coherence
    from echostrain.sim.coherence import default_coherence

    model = CoherenceModel(beta=0.05, tau_ms=300.0, depth_mm=(25.0, 75.0), beta_by_depth=(0.1, 0.02))
    path = save_coherence(tmp_path / "c.json", model, note="test")
    assert CoherenceModel.from_json(path) == model
    shipped = default_coherence()
    assert 0.0 <= shipped.beta < 1.0 and len(shipped.depth_mm) == len(shipped.beta_by_depth)
    with pytest.raises(ParameterError, match="same length"):
        CoherenceModel(0.0, 100.0, depth_mm=(1.0, 2.0), beta_by_depth=(0.1,))
    with pytest.raises(ParameterError, match="increasing"):
        CoherenceModel(0.0, 100.0, depth_mm=(2.0, 1.0), beta_by_depth=(0.1, 0.1))
    with pytest.raises(InputNotFoundError):
        CoherenceModel.from_json(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CorruptInputError):
        CoherenceModel.from_json(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"x": 1}')
    with pytest.raises(CorruptInputError, match="not a coherence model"):
        CoherenceModel.from_json(tmp_path / "other.json")
