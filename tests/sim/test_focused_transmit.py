"""Focused line-by-line transmit (``SectorScan.tx_focus_m``): SIMUS per line, the fast engine's calibration, refusals."""

import numpy as np
import pytest

from echostrain.core.errors import ParameterError
from echostrain.data.generation_settings import GenerationSettings
from echostrain.sim import Scatterers, SectorScan, get_probe, load_calibration
from echostrain.sim.calibration import FOCUSED_KERNEL_DEPTHS_M, calibrate_psf, probe_key
from echostrain.sim.engines import FastEngine, SimusEngine
from echostrain.sim.metrics import half_max_width, point_target_widths_mm

FOCUS_M = 0.07


@pytest.fixture(scope="module")
def focused():
    """The calibration of the default probe and sector, focused at 70 mm (not cached), and a short scan using it."""
    probe = get_probe("P4-2v")
    cal = calibrate_psf(probe, SectorScan(tx_focus_m=FOCUS_M))
    return probe, cal, SectorScan(min_depth_m=0.06, depth_m=0.13, tx_focus_m=FOCUS_M)


def test_impossible_foci_are_refused():
    for focus in (0.2, 0.151, 0.001, 0.0, -0.05, float("nan")):
        with pytest.raises(ParameterError, match="transmit focus .* is outside the image"):
            SectorScan(tx_focus_m=focus)
    with pytest.raises(ParameterError, match="transmit focus"):
        GenerationSettings(tx_focus_mm=200.0)  # refused before any sequence
    with pytest.raises(ParameterError, match="`tx_focus_mm` must be a number"):
        GenerationSettings(tx_focus_mm="deep")
    with pytest.raises(ParameterError, match="too narrow to calibrate"):
        GenerationSettings(tx_focus_mm=70.0, rx_bandwidth_range_pct=(8.0, 16.0))
    assert SectorScan(tx_focus_m=0.15).focused and not SectorScan().focused


def test_focusing_on_transmit_narrows_the_beam_about_the_focus(focused):
    probe, cal, _ = focused
    plain = load_calibration(probe, SectorScan(), compute=False)
    assert cal.tx_focus_m == FOCUS_M and probe_key(probe, SectorScan(tx_focus_m=FOCUS_M)) != plain.probe_key
    assert cal.kernel_depths_m.size == len([d for d in FOCUSED_KERNEL_DEPTHS_M if d < 0.147])

    def lateral_mm(c, depth_m):
        i = int(np.argmin(np.abs(c.kernel_depths_m - depth_m)))
        k = np.abs(c.kernels[i])
        return half_max_width(k[k.shape[0] // 2], c.kernel_u_step) * c.kernel_depths_m[i] * 1e3

    # Two-way focusing: at 75-85 mm the main lobe is much narrower than the diverging wave's receive-only one.
    assert lateral_mm(cal, 0.075) < 0.7 * lateral_mm(plain, 0.08)
    # A focused transmit puts more pressure on the axis than a wave spread over the whole sector.
    assert cal.gain(np.array([0.07]), np.array([0.0]))[0] > 3 * plain.gain(np.array([0.07]), np.array([0.0]))[0]


def test_fast_engine_matches_simus_line_by_line(focused):
    """Point targets at 80 and 120 mm: the fast engine's widths within 10 % of SIMUS's, each line its own transmit."""
    probe, cal, scan = focused
    fast, simus = FastEngine(probe, scan, calibration=cal), SimusEngine(probe, scan)
    r, u = np.array([0.08, 0.12]), np.array([0.15, -0.25])
    x, z = r * u, r * np.sqrt(1 - u**2)
    points = Scatterers(x, z, np.ones(2))
    lines = np.flatnonzero(np.min(np.abs(scan.u_lines()[:, None] - u[None, :]), axis=1) < 0.04)
    ref = np.abs(simus.iq(points, lines=lines))
    assert np.all(ref[:, np.setdiff1d(np.arange(scan.n_lines), lines)] == 0)  # only the asked lines are imaged
    env = np.abs(fast.iq(points))
    for k in range(2):
        (fa, fl), (sa, sl) = (point_target_widths_mm(e, scan, x[k], z[k]) for e in (env, ref))
        assert fa == pytest.approx(sa, rel=0.10)
        assert fl == pytest.approx(sl, rel=0.10)
    with pytest.raises(ParameterError, match="focused scans"):
        SimusEngine(probe, SectorScan(min_depth_m=0.06, depth_m=0.13)).iq(points, lines=lines)
    with pytest.raises(ParameterError, match="scan lines 0…255"):
        simus.iq(points, lines=[300])
    # Every transmit spans the same time, so that SIMUS scales every line alike.
    spans = [simus.tx_delays(line).max() for line in (0, 128, 255)]
    assert np.ptp(spans) < 1e-12
