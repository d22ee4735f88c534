"""``echostrain simulate-frame``: one B-mode frame of the standard phantom, written as a PNG."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import DEFAULT_DEPTH_MM, DEFAULT_PROBE, DEFAULT_SECTOR_DEG
from echostrain.io.atomic import atomic_path
from echostrain.sim.phantom import make_phantom
from echostrain.sim.post import BModeSettings
from echostrain.sim.probe import SectorScan, get_probe
from echostrain.sim.simulator import Simulator


@dataclass(frozen=True)
class PhantomFrame:
    """A simulated frame: the 8-bit B-mode image, its scatterer count and the engine's time (s)."""

    image: np.ndarray
    n_scatterers: int
    seconds: float


def write_phantom_frame(
    out: str | os.PathLike[str],
    *,
    engine: str = "fast",
    n_scatterers: int = 150_000,
    probe: str = DEFAULT_PROBE,
    depth_mm: float = DEFAULT_DEPTH_MM,
    sector_deg: float = DEFAULT_SECTOR_DEG,
    n_lines: int = 256,
    pixel_mm: float = 0.25,
    dynamic_range_db: float = 60.0,
    gain_db: float = 0.0,
    seed: int = 0,
    device: str = "cpu",
) -> PhantomFrame:
    """Simulate the phantom (uniform speckle, three point targets, an anechoic cyst) and write a PNG of it."""
    if n_scatterers < 1:
        raise ParameterError(f"`n_scatterers` must be at least 1, got {n_scatterers}")
    the_probe = get_probe(probe)
    scan = SectorScan(sector_deg=sector_deg, depth_m=depth_mm * 1e-3, n_lines=n_lines)
    settings = BModeSettings(dynamic_range_db=dynamic_range_db, gain_db=gain_db, pixel_mm=pixel_mm)
    sim = Simulator(engine, the_probe, scan, settings, device=device)
    phantom = make_phantom(the_probe, scan, np.random.default_rng(seed), n_scatterers=n_scatterers)
    start = time.perf_counter()
    image, _ = sim.frame(phantom.scatterers)
    elapsed = time.perf_counter() - start
    with atomic_path(out) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")
    return PhantomFrame(image, len(phantom.scatterers), elapsed)
