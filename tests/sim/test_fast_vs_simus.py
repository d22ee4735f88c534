"""The fast engine against the SIMUS reference, run once on a small scene.

The scan keeps the default transmit and apodization (so the shipped PSF
calibration applies) but only images 35–125 mm, which keeps the DAS matrix
small.
"""

import numpy as np
import pytest

from echostrain.sim import Scatterers, SectorScan, get_probe
from echostrain.sim.engines import FastEngine, SimusEngine
from echostrain.sim.metrics import autocorrelation_fwhm_mm, envelope_snr, point_target_widths_mm

POINTS_R_M = np.array([0.04, 0.08, 0.12])
POINTS_U = np.array([0.0, 0.2, -0.3])


@pytest.fixture(scope="module")
def engines():
    probe = get_probe("P4-2v")
    scan = SectorScan(min_depth_m=0.035, depth_m=0.125)
    return FastEngine(probe, scan), SimusEngine(probe, scan)


@pytest.fixture(scope="module")
def speckle_patch(engines):
    """~15 scatterers per resolution cell in 75–100 mm × |u| < 0.15."""
    rng = np.random.default_rng(11)
    n = 9000
    r = np.sqrt(rng.uniform(0.075**2, 0.1**2, n))
    u = rng.uniform(-0.15, 0.15, n)
    s = Scatterers(r * u, r * np.sqrt(1 - u**2), rng.standard_normal(n))
    fast, simus = engines
    return fast.iq(s), simus.iq(s)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_point_target_widths_match_simus_within_10_percent(engines, k):
    fast, simus = engines
    x, z = POINTS_R_M * POINTS_U, POINTS_R_M * np.sqrt(1 - POINTS_U**2)
    points = Scatterers(x, z, np.ones(3))
    widths = {}
    for engine in (fast, simus):
        env = np.abs(engine.iq(points))
        widths[engine.name] = point_target_widths_mm(env, engine.scan, x[k], z[k])
    (fa, fl), (sa, sl) = widths["fast"], widths["simus"]
    assert fa == pytest.approx(sa, rel=0.10)
    assert fl == pytest.approx(sl, rel=0.10)
    # Physics sanity: axial ≈ c/(2·BW)·1.4, lateral grows with range (constant angle).
    assert 0.4 < sa < 0.7
    assert sl == pytest.approx(0.062 * POINTS_R_M[k] * 1e3 / np.sqrt(1 - POINTS_U[k] ** 2), rel=0.2)


def test_speckle_autocorrelation_matches_simus_within_10_percent(engines, speckle_patch):
    fast, _ = engines
    scan = fast.scan
    r = scan.ranges_m()
    rows = slice(int(np.searchsorted(r, 0.078)), int(np.searchsorted(r, 0.097)))
    u = scan.u_lines()
    lines = slice(int(np.searchsorted(u, -0.12)), int(np.searchsorted(u, 0.12)))
    (fa, fl), (sa, sl) = (autocorrelation_fwhm_mm(np.abs(iq), scan, rows, lines) for iq in speckle_patch)
    assert fa == pytest.approx(sa, rel=0.10)
    assert fl == pytest.approx(sl, rel=0.10)
    for iq in speckle_patch:
        assert envelope_snr(np.abs(iq), rows, lines) == pytest.approx(1.91, abs=0.2)  # small region
    # Same scatterers, same physics: the two engines' I/Q agree sample by sample.
    a, b = (iq[rows, lines].ravel() for iq in speckle_patch)
    assert abs(np.vdot(a, b)) / np.linalg.norm(a) / np.linalg.norm(b) > 0.8
