import numpy as np
import pytest

from echostrain.core.errors import CorruptInputError
from echostrain.sim import PsfCalibration, SectorScan, get_probe, load_calibration


def test_shipped_calibration_matches_the_default_probe_and_scan():
    cal = load_calibration(get_probe("P4-2v"), SectorScan(), compute=False)
    assert cal.probe_name == "P4-2v" and cal.sector_deg == 75.0 and cal.rx_apodization == "hann"
    centre = cal.kernels[:, cal.kernels.shape[1] // 2, cal.kernels.shape[2] // 2]
    np.testing.assert_allclose(centre, 1.0, atol=1e-6)
    # The echo's mean frequency is near the centre frequency: κ ≈ 4π f / c.
    assert cal.phase_slope_rad_m == pytest.approx(4 * np.pi * 2.72e6 / 1540, rel=0.1)
    on_axis = cal.gain(np.linspace(0.03, 0.15, 20), np.zeros(20))
    assert np.all(np.diff(on_axis) < 0)  # echoes weaken with depth


def test_calibrating_a_new_scan_caches_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ECHOSTRAIN_CACHE", str(tmp_path))
    probe, scan = get_probe("P4-2v"), SectorScan(sector_deg=50.0, rx_apodization="tukey")
    with pytest.raises(CorruptInputError, match="no PSF calibration"):
        load_calibration(probe, scan, compute=False)
    cal = load_calibration(probe, scan)
    files = list((tmp_path / "psf").glob("*.npz"))
    assert len(files) == 1
    again = PsfCalibration.load(files[0])
    np.testing.assert_array_equal(again.kernels, cal.kernels)
    assert again.sector_deg == 50.0 and again.rx_apodization == "tukey"
    # A narrower transmit sector weakens echoes outside it (u = 0.5 is outside 50°, inside 75°).
    wide = load_calibration(probe, SectorScan(), compute=False)
    points = (np.array([0.08, 0.08]), np.array([0.0, 0.5]))
    ratio_50 = np.divide(*cal.gain(*points)[::-1])
    ratio_75 = np.divide(*wide.gain(*points)[::-1])
    assert ratio_50 < ratio_75 - 0.2
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(CorruptInputError, match="cannot be read"):
        PsfCalibration.load(tmp_path / "bad.npz")
