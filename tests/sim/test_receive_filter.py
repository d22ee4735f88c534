"""The scan's receive filter (``SectorScan.rx_bandwidth_pct``): analytic impulse response, calibration, refusals."""

import math

import numpy as np
import pytest

from echostrain.core.errors import ParameterError
from echostrain.sim import SectorScan, get_probe, load_calibration
from echostrain.sim.calibration import PsfCalibration, calibrate_psf, check_calibratable, kernel_half_range_m, probe_key
from echostrain.sim.engines.fast_engine import FastEngine
from echostrain.sim.engines.simus_engine import receive_filtered
from echostrain.sim.scatterers import fill_sector, sector_cell_count

C_M_S = 1540.0


def _fwhm(x: np.ndarray, y: np.ndarray) -> float:
    """Full width at half maximum of a single-peaked profile, linear interpolation between samples."""
    y = np.abs(y) / np.abs(y).max()
    above = np.flatnonzero(y >= 0.5)
    lo, hi = above[0], above[-1]
    left = x[lo - 1] + (0.5 - y[lo - 1]) / (y[lo] - y[lo - 1]) * (x[lo] - x[lo - 1])
    right = x[hi] + (y[hi] - 0.5) / (y[hi] - y[hi + 1]) * (x[hi + 1] - x[hi])
    return float(right - left)


def test_filter_of_an_impulse_is_the_analytic_gaussian():
    # H(f) = exp(−4 ln2 f² / B²) ⇒ h(t) ∝ exp(−π² B² t² / (4 ln2)), amplitude FWHM 4 ln2 / (π B).
    fc, fs, pct = 2.72e6, 4 * 2.72e6, 12.0
    band_hz = pct / 100 * fc
    scan = SectorScan(rx_bandwidth_pct=pct)
    assert scan.rx_filter(np.array([0.0, band_hz / 2, -band_hz / 2]), fc) == pytest.approx([1.0, 0.5, 0.5])
    iq = np.zeros((2000, 2), complex)
    iq[1000, 0] = 1.0
    iq[5, 1] = 1.0  # near the record's start: the padding keeps its response from wrapping to the end
    out = receive_filtered(iq, fs, scan, fc)
    t = np.arange(2000) / fs
    assert _fwhm(t, out[:, 0]) == pytest.approx(4 * math.log(2) / (math.pi * band_hz), rel=0.01)
    assert np.abs(out[-200:, 1]).max() < 1e-6
    assert np.allclose(out[:, 0].imag, 0, atol=1e-9)  # zero phase: a real impulse stays real
    # The probe's own band: no filter, the signal passes unchanged.
    assert np.all(SectorScan().rx_filter(np.linspace(-1e6, 1e6, 5), fc) == 1.0)


def test_bad_receive_bands_are_refused():
    for value in (0.0, -5.0, float("nan"), float("inf"), 250.0):
        with pytest.raises(ParameterError, match="receive bandwidth"):
            SectorScan(rx_bandwidth_pct=value)


def test_a_filter_has_its_own_calibration_and_the_default_keeps_its_key():
    probe = get_probe("P4-2v")
    # The shipped calibration is still found: a scan without a filter hashes as before.
    assert load_calibration(probe, SectorScan(), compute=False).rx_bandwidth_pct is None
    assert probe_key(probe, SectorScan(rx_bandwidth_pct=12.0)) != probe_key(probe, SectorScan())
    assert probe_key(probe, SectorScan(rx_bandwidth_pct=12.0)) != probe_key(probe, SectorScan(rx_bandwidth_pct=13.0))
    assert kernel_half_range_m(probe, SectorScan()) == pytest.approx(2.4e-3)
    assert kernel_half_range_m(probe, SectorScan(rx_bandwidth_pct=10.0)) > 5e-3


@pytest.fixture(scope="module")
def narrow():
    """The PSF calibration of the default probe and scan behind a 10 % receive filter (not cached)."""
    return calibrate_psf(get_probe("P4-2v"), SectorScan(rx_bandwidth_pct=10.0))


def test_calibrated_kernel_lengthens_as_the_filter_predicts(narrow):
    """SIMUS through a 10 % filter: the on-axis kernel's axial FWHM is the filter's, in quadrature with the probe's."""
    probe = get_probe("P4-2v")
    plain = load_calibration(probe, SectorScan(), compute=False)
    assert narrow.rx_bandwidth_pct == 10.0

    def axial_fwhm_m(cal, depth_index):
        k = cal.kernels[depth_index]
        r = (np.arange(k.shape[0]) - k.shape[0] // 2) * cal.kernel_range_step_m
        return _fwhm(r, k[:, k.shape[1] // 2])

    band_hz = 0.10 * probe.center_frequency_hz
    filter_m = 4 * math.log(2) / (math.pi * band_hz) * C_M_S / 2  # time FWHM → range (two-way)
    for i in range(narrow.kernel_depths_m.size):
        own = axial_fwhm_m(plain, i)
        expected = math.hypot(filter_m, own)
        assert axial_fwhm_m(narrow, i) == pytest.approx(expected, rel=0.1)
        assert axial_fwhm_m(narrow, i) > 3 * own
    # The fast engine refuses a calibration made for another receive band.
    with pytest.raises(ParameterError, match="receive band"):
        FastEngine(probe, SectorScan(rx_bandwidth_pct=12.0), calibration=narrow)


def test_speckle_keeps_its_brightness_behind_the_filter(narrow):
    """``per_cell`` counts the longer cells: fewer scatterers, the same tissue level after the auto TGC (±1.5 dB)."""
    probe = get_probe("P4-2v")
    scans = {"plain": SectorScan(depth_m=0.11), "narrow": SectorScan(depth_m=0.11, rx_bandwidth_pct=10.0)}
    # The nominal cell lengthens as the measured kernel does (on-axis axial FWHM, mean over depths), within 15 %.
    ratio = sector_cell_count(probe, scans["plain"]) / sector_cell_count(probe, scans["narrow"])
    plain_cal = load_calibration(probe, SectorScan(), compute=False)

    def mean_axial_fwhm_m(cal):
        widths = []
        for k in cal.kernels:
            r = (np.arange(k.shape[0]) - k.shape[0] // 2) * cal.kernel_range_step_m
            widths.append(_fwhm(r, k[:, k.shape[1] // 2]))
        return np.mean(widths)

    assert ratio == pytest.approx(mean_axial_fwhm_m(narrow) / mean_axial_fwhm_m(plain_cal), rel=0.15)
    level_db = {}
    for name, scan in scans.items():
        engine = FastEngine(probe, scan, calibration=narrow if name == "narrow" else None)
        speckle = fill_sector(probe, scan, 10.0, np.random.default_rng(4))
        env = np.abs(engine.iq(speckle)) / engine.calibration.gain(scan.ranges_m(), np.zeros(scan.n_samples))[:, None]
        rows = (scan.ranges_m() > 0.06) & (scan.ranges_m() < 0.1)
        lines = np.abs(scan.u_lines()) < 0.3
        level_db[name] = 10 * np.log10(np.mean(env[rows][:, lines] ** 2))
    assert level_db["narrow"] == pytest.approx(level_db["plain"], abs=1.5)


def test_a_filtered_calibration_round_trips_and_too_narrow_bands_are_refused(narrow, tmp_path):
    again = PsfCalibration.load(narrow.save(tmp_path / "narrow.npz"))
    assert again.rx_bandwidth_pct == 10.0 and again.tx_focus_m is None
    np.testing.assert_array_equal(again.kernels, narrow.kernels)
    probe = get_probe("P4-2v")
    with pytest.raises(ParameterError, match="too narrow to calibrate .* use at least 6 %"):
        calibrate_psf(probe, SectorScan(rx_bandwidth_pct=5.0))
    with pytest.raises(ParameterError, match="with a transmit focus .* use at least 9 %"):
        check_calibratable(probe, SectorScan(rx_bandwidth_pct=8.0, tx_focus_m=0.07))
    check_calibratable(probe, SectorScan(rx_bandwidth_pct=9.0, tx_focus_m=0.07))  # the edge of the training range
    # A value reached through mm or % is the same scan (and key) as the one typed in SI units.
    assert SectorScan(tx_focus_m=35.5 * 1e-3) == SectorScan(tx_focus_m=0.0355)
    assert probe_key(probe, SectorScan(rx_bandwidth_pct=0.1 * 123)) == probe_key(probe, SectorScan(rx_bandwidth_pct=12.3))
