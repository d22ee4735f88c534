import numpy as np
import pytest

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.sim import (
    PhasedArray,
    Scatterers,
    SectorScan,
    amplitude_from_echogenicity,
    fill_sector,
    get_probe,
    known_probes,
    sector_cell_count,
)


def test_p4_2v_defaults_match_pymust():
    import pymust

    p = get_probe("p4-2V")
    ref = pymust.getparam("P4-2v")
    assert p == PhasedArray()  # the dataclass defaults are P4-2v
    assert (p.n_elements, p.center_frequency_hz, p.pitch_m, p.bandwidth_pct) == (
        ref.Nelements, ref.fc, ref.pitch, ref.bandwidth,
    )
    assert (p.elevation_focus_m, p.height_m, p.speed_of_sound_m_s) == (ref.focus, ref.height, 1540.0)
    assert p.wavelength_m == pytest.approx(1540 / 2.72e6)
    assert "P4-2v" in known_probes()


def test_bad_probe_and_scan_parameters():
    with pytest.raises(ParameterError, match="unknown probe 'L11-5v'"):
        get_probe("L11-5v")
    for kwargs, text in (
        ({"depth_m": 0.0}, "depth"),
        ({"depth_m": -0.1}, "depth"),
        ({"sector_deg": 0.0}, "sector"),
        ({"sector_deg": 121.0}, "within 1…120 degrees"),
        ({"n_lines": 2}, "scan lines"),
        ({"rx_apodization": "kaiser"}, "apodization"),
    ):
        with pytest.raises(ParameterError, match=text):
            SectorScan(**kwargs)
    with pytest.raises(ParameterError, match="center_frequency_hz"):
        PhasedArray(center_frequency_hz=0.0)


def test_scan_grid():
    scan = SectorScan(depth_m=0.1, min_depth_m=0.0, range_step_m=0.5e-3, n_lines=64, sector_deg=60.0)
    assert scan.n_samples == 201
    assert scan.ranges_m()[-1] == pytest.approx(0.1)
    u = scan.u_lines()
    assert u.size == 64 and u[0] == pytest.approx(-0.5) and u[-1] == pytest.approx(0.5)
    w = scan.rx_weights(64)
    assert w.shape == (64,) and w.min() > 0 and w.max() <= 1 and np.allclose(w, w[::-1])


def test_scatterers_reject_empty_nan_and_mismatched():
    with pytest.raises(InvalidDataError, match="no scatterers"):
        Scatterers(np.array([]), np.array([]), np.array([]))
    with pytest.raises(InvalidDataError, match="x is NaN/inf at index 1"):
        Scatterers(np.array([0.0, np.nan]), np.array([0.05, 0.06]), np.ones(2))
    with pytest.raises(InvalidDataError, match="differ in length"):
        Scatterers(np.zeros(2), np.ones(3) * 0.05, np.ones(2))
    with pytest.raises(InvalidDataError, match="in front of the probe"):
        Scatterers(np.zeros(1), -np.ones(1), np.ones(1))


def test_fill_sector_density_and_reproducibility():
    probe, scan = get_probe("P4-2v"), SectorScan()
    s1 = fill_sector(probe, scan, 5.0, np.random.default_rng(3))
    s2 = fill_sector(probe, scan, 5.0, np.random.default_rng(3))
    assert len(s1) == round(5.0 * sector_cell_count(probe, scan))
    np.testing.assert_array_equal(s1.x_m, s2.x_m)
    r, theta = s1.range_m, np.arctan2(s1.x_m, s1.z_m)
    assert r.min() >= scan.min_depth_m and r.max() <= scan.depth_m
    assert np.abs(theta).max() <= scan.half_angle_rad
    # Uniform per unit area: the outer half of the ranges holds 3/4 of the area.
    mid = 0.5 * (scan.min_depth_m + scan.depth_m)
    expected = (scan.depth_m**2 - mid**2) / (scan.depth_m**2 - scan.min_depth_m**2)
    assert np.mean(r > mid) == pytest.approx(expected, abs=0.01)
    assert np.var(s1.amplitude) == pytest.approx(1 / 5.0, rel=0.05)
    with pytest.raises(ParameterError):
        fill_sector(probe, scan, 0.0, np.random.default_rng(0))


def test_amplitude_from_echogenicity_inverts_log_compression():
    from echostrain.sim import log_compress

    v = np.array([0.0, 0.25, 0.5, 1.0])
    amp = amplitude_from_echogenicity(v, 60.0)
    np.testing.assert_allclose(20 * np.log10(amp), [-60.0, -45.0, -30.0, 0.0])
    np.testing.assert_allclose(log_compress(amp, 1.0, 60.0), v, atol=1e-12)
    with pytest.raises(InvalidDataError):
        amplitude_from_echogenicity(np.array([1.2]))


def test_fill_sector_scales_amplitudes_by_an_echogenicity_map():
    from echostrain.anatomy.echomap import EchogenicityMap

    image = np.zeros((151, 201), np.float32)
    image[:, 100:] = 1.0  # x ≥ 0 bright, x < 0 at −60 dB
    echo = EchogenicityMap(image, x0_mm=-100.0, z0_mm=0.0, pixel_mm=1.0)
    s = fill_sector(get_probe("P4-2v"), SectorScan(), 2.0, np.random.default_rng(0), echogenicity=echo)
    left, right = s.amplitude[s.x_m < -0.005], s.amplitude[s.x_m > 0.005]
    ratio_db = 20 * np.log10(np.sqrt(np.mean(left**2) / np.mean(right**2)))
    assert ratio_db == pytest.approx(-60.0, abs=0.5)
