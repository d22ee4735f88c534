import numpy as np
import pytest

from echostrain.sim import (
    BModeSettings,
    Scatterers,
    ScanConverter,
    SectorScan,
    Simulator,
    fill_sector,
    get_probe,
    make_phantom,
)
from echostrain.sim.engines import FastEngine
from echostrain.sim.metrics import cyst_contrast_db, envelope_snr
from echostrain.sim.post import log_compress


@pytest.fixture(scope="module")
def fast():
    return FastEngine(get_probe("P4-2v"), SectorScan())


def test_scan_conversion_of_an_analytic_beam_image():
    scan = SectorScan(depth_m=0.1, n_lines=128, range_step_m=0.2e-3)
    conv = ScanConverter(scan, pixel_mm=0.5)
    beam = np.repeat(scan.ranges_m()[:, None], scan.n_lines, axis=1) * 1e3  # value = range in mm
    img = conv(beam)
    assert img.shape == (conv.height, conv.width) == (201, 244)  # 2·100 mm·sin 37.5° = 243.5 mm wide
    rows, cols = np.nonzero(conv.mask)
    x_m, z_m = conv.px_to_xz_m(np.stack([cols, rows], axis=1).astype(float))
    np.testing.assert_allclose(img[rows, cols], np.hypot(x_m, z_m) * 1e3, atol=1e-3)
    assert not conv.mask[0, 0] and conv.mask[150, conv.width // 2]
    np.testing.assert_allclose(conv.xz_m_to_px(*conv.px_to_xz_m(np.array([[12.5, 40.25]]))), [[12.5, 40.25]])


def test_log_compression_levels():
    env = np.array([1.0, 0.1, 1e-3, 1e-6, 10.0])
    np.testing.assert_allclose(log_compress(env, 1.0, 60.0), [1.0, 40 / 60, 0.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(log_compress(np.array([0.1]), 1.0, 60.0, gain_db=20.0), [1.0])


def test_fast_engine_is_deterministic_and_linear(fast):
    rng = np.random.default_rng(0)
    s = Scatterers(rng.uniform(-0.03, 0.03, 500), rng.uniform(0.05, 0.1, 500), rng.standard_normal(500))
    a, b = fast.iq(s), fast.iq(s)
    assert a.tobytes() == b.tobytes()
    doubled = fast.iq(Scatterers(s.x_m, s.z_m, 2 * s.amplitude))
    np.testing.assert_allclose(doubled, 2 * a, rtol=1e-4, atol=1e-5 * np.abs(a).max())


def test_sub_sample_motion_moves_the_echo_smoothly(fast):
    """A point scatterer moved by 0.02 mm steps: the envelope peak follows within 0.01 mm."""
    scan = fast.scan
    ranges = scan.ranges_m()
    shifts = np.arange(0, 0.2e-3, 0.02e-3)
    found = []
    for d in shifts:
        env = np.abs(fast.iq(Scatterers(np.array([0.0]), np.array([0.08 + d]), np.array([1.0]))))[:, scan.n_lines // 2]
        i = int(np.argmax(env))
        y0, y1, y2 = np.log(env[i - 1 : i + 2])
        found.append(ranges[i] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) * scan.range_step_m)
    np.testing.assert_allclose(np.array(found) - found[0], shifts, atol=0.01e-3)


def test_scatterers_outside_the_grid_add_nothing(fast):
    far = Scatterers(np.array([0.0, 0.15]), np.array([0.5, 0.01]), np.array([1.0, 1.0]))
    assert np.abs(fast.iq(far)).max() == 0.0


def test_fully_developed_speckle_snr_and_cyst_contrast(fast):
    probe, scan = fast.probe, fast.scan
    speckle = fill_sector(probe, scan, 20.0, np.random.default_rng(7))
    env = np.abs(fast.iq(speckle))
    rows = slice(int(0.06 / scan.range_step_m), int(0.13 / scan.range_step_m))
    assert envelope_snr(env, rows, slice(40, 216)) == pytest.approx(1.91, abs=0.1)
    sparse = fill_sector(probe, scan, 0.3, np.random.default_rng(7))  # far from fully developed
    assert envelope_snr(np.abs(fast.iq(sparse)), rows, slice(40, 216)) < 1.6
    phantom = make_phantom(probe, scan, np.random.default_rng(7), per_cell=20)
    env = np.abs(fast.iq(phantom.scatterers))
    assert cyst_contrast_db(env, scan, phantom.cyst_center_xz_m, phantom.cyst_radius_m) < -20.0


def test_simulator_frame_is_reproducible_uint8(fast):
    sim = Simulator("fast", fast.probe, fast.scan, BModeSettings(pixel_mm=0.5))
    phantom = make_phantom(fast.probe, fast.scan, np.random.default_rng(1), n_scatterers=20000)
    img, ref = sim.frame(phantom.scatterers)
    img2, _ = sim.frame(make_phantom(fast.probe, fast.scan, np.random.default_rng(1), n_scatterers=20000).scatterers)
    assert img.dtype == np.uint8 and img.shape == (sim.converter.height, sim.converter.width)
    assert img.tobytes() == img2.tobytes() and ref == 1.0
    inside = img[sim.converter.mask]
    assert 60 < np.median(inside) < 200  # speckle of echogenicity 0.6 shows mid-grey
    assert img[~sim.converter.mask].max() == 0
