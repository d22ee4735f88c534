"""Synthetic sequences: images move with the truth, stored strain, determinism, bad input."""

import numpy as np
import pytest

from echostrain.core.errors import EchoStrainError, ParameterError
from echostrain.sim.coherence import CoherenceModel, default_coherence
from echostrain.sim.sequence import SequenceConfig, simulate_sequence
from echostrain.strain import compute_strain


@pytest.fixture(scope="module")
def sequence():
    # the default config: speckle decorrelation from the shipped coherence model
    return simulate_sequence(SequenceConfig(view="a4c", n_frames=24, pathology="normal"), seed=3)


def _ncc_match(a: np.ndarray, b: np.ndarray, xy: np.ndarray, half: int = 10, search: int = 20) -> np.ndarray:
    """Displacement (px) of the patch of `a` around xy in `b`: NCC over ±search px + parabolic sub-pixel."""
    from numpy.lib.stride_tricks import sliding_window_view

    x, y = int(round(xy[0])), int(round(xy[1]))
    tpl = a[y - half : y + half + 1, x - half : x + half + 1].astype(float)
    tpl = (tpl - tpl.mean()) / (tpl.std() + 1e-9)
    region = b[y - half - search : y + half + search + 1, x - half - search : x + half + search + 1].astype(float)
    wins = sliding_window_view(region, tpl.shape)  # [2S+1, 2S+1, 2h+1, 2h+1]
    mean = wins.mean(axis=(2, 3), keepdims=True)
    std = wins.std(axis=(2, 3), keepdims=True) + 1e-9
    scores = ((wins - mean) / std * tpl).mean(axis=(2, 3))
    iy, ix = np.unravel_index(np.argmax(scores), scores.shape)
    iy, ix = np.clip(iy, 1, 2 * search - 1), np.clip(ix, 1, 2 * search - 1)

    def vertex(m, c, p):
        den = m - 2 * c + p
        return 0.0 if den >= 0 else 0.5 * (m - p) / den

    sub_y = vertex(scores[iy - 1, ix], scores[iy, ix], scores[iy + 1, ix])
    sub_x = vertex(scores[iy, ix - 1], scores[iy, ix], scores[iy, ix + 1])
    return np.array([ix - search + sub_x, iy - search + sub_y])


def _block_matching_median_error_mm(d) -> float:
    spacing = d.spacing_mm[0]
    mid = np.flatnonzero(d.track_layer == 1)
    errors, motions = [], []
    for t in range(0, d.es_index):  # systole: the largest motion
        for n in mid[::2]:
            true = d.tracks[t + 1, n] - d.tracks[t, n]
            found = _ncc_match(d.frames[t], d.frames[t + 1], d.tracks[t, n].astype(float))
            errors.append(np.hypot(*(found - true)) * spacing)
            motions.append(np.hypot(*true) * spacing)
    assert np.median(motions) > 0.15  # the wall really moves between frames
    return float(np.median(errors))


def test_block_matching_recovers_the_true_myocardial_motion(sequence):
    assert sequence.parameters["coherence"] == default_coherence().to_dict()  # decorrelation on
    assert _block_matching_median_error_mm(sequence) <= 0.3


def test_block_matching_without_and_with_strong_decorrelation(sequence):
    # frozen speckle (c = 1) also passes; β = 0.1 per frame with τ = 0.5 s, far more renewal than
    # the fitted default, visibly degrades matching: the renewal really reaches the images
    def error(coherence):
        config = SequenceConfig(view="a4c", n_frames=24, pathology="normal", coherence=coherence)
        return _block_matching_median_error_mm(simulate_sequence(config, seed=3))

    frozen, strong = error(None), error(CoherenceModel(beta=0.1, tau_ms=500.0))
    assert frozen <= 0.3
    assert strong > frozen + 0.1


def test_stored_strain_is_the_strain_of_the_stored_tracks(sequence):
    d = sequence
    r = compute_strain(d.tracks, d.spacing_mm, d.track_layer, d.track_segment, view=d.view, ed_frame=d.ed_index, es_frame=d.es_index)
    np.testing.assert_allclose(d.gls_pct, r.gls_curves_pct["endo"], atol=1e-4)
    np.testing.assert_allclose(d.segmental_pct, r.segment_curves_pct, atol=1e-4)
    target = d.parameters["motion"]["gls_target_pct"]
    assert abs(d.gls_pct[d.es_index] - target) <= 0.5
    assert -25.0 <= target <= -8.0
    descent = d.parameters["annulus_descent_mm"]
    assert 8.0 <= descent <= 18.0
    # Every tracked myocardial point is inside its frame's myocardium mask (or on its edge).
    t = d.es_index
    wall = np.flatnonzero(d.track_layer == 1)
    xy = np.round(d.tracks[t, wall]).astype(int)
    assert d.myocardium_mask[t, xy[:, 1], xy[:, 0]].mean() > 0.95


def test_same_seed_same_bytes_and_different_seeds_differ(tmp_path):
    from echostrain.io.sequence import write_sequence

    config = SequenceConfig(view="a2c", n_frames=18, per_cell=2.0)
    a = simulate_sequence(config, seed=5)
    b = simulate_sequence(config, seed=5)
    c = simulate_sequence(config, seed=6)
    assert a.frames.tobytes() == b.frames.tobytes() and a.tracks.tobytes() == b.tracks.tobytes()
    assert a.frames.tobytes() != c.frames.tobytes() and a.tracks.tobytes() != c.tracks.tobytes()
    pa, pb = write_sequence(tmp_path / "a.h5", a), write_sequence(tmp_path / "b.h5", b)
    assert pa.read_bytes() == pb.read_bytes()


def test_views_and_pathologies(tmp_path):
    d = simulate_sequence(SequenceConfig(view="a3c", n_frames=18, per_cell=1.0, pathology="regional"), seed=1)
    states = d.parameters["motion"]["segment_state"]
    assert d.view == "a3c" and any(s != "normal" for s in states)
    es = d.segmental_pct[:, d.es_index]
    normal = [e for e, s in zip(es, states) if s == "normal"]
    abnormal = [e for e, s in zip(es, states) if s != "normal"]
    assert max(abnormal) > max(normal)  # dysfunctional segments shorten less (or lengthen)


def test_bad_input():
    with pytest.raises(ParameterError, match="unknown view"):
        SequenceConfig(view="plax")
    with pytest.raises(ParameterError, match="at least 2 frames"):
        SequenceConfig(n_frames=1)
    with pytest.raises(ParameterError, match="full cardiac cycle"):
        SequenceConfig(n_frames=8, per_cell=1.0)  # refused before any work
    with pytest.raises(ParameterError, match="pathology"):
        SequenceConfig(pathology="infarct")
    with pytest.raises(EchoStrainError, match="seed"):
        simulate_sequence(SequenceConfig(n_frames=18, per_cell=1.0), seed=-1)


def test_seed_whose_near_field_tissue_crosses_the_probe_face():
    """Regression: generation seed 3221950662447838672 (a3c) pushed scatterers to z < 0."""
    d = simulate_sequence(SequenceConfig(view="a3c", n_frames=18, per_cell=4.0, pathology="normal"), seed=3221950662447838672)
    assert d.frames.shape[0] == 18
