"""A test phantom: uniform speckle with point targets and an anechoic cyst."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from echostrain.sim.probe import PhasedArray, SectorScan
from echostrain.sim.scatterers import Scatterers, amplitude_from_echogenicity, fill_sector, sector_cell_count


@dataclass(frozen=True)
class Phantom:
    """Scatterers of the phantom and where its targets are (m)."""

    scatterers: Scatterers
    point_targets_xz_m: np.ndarray  # [P, 2]
    cyst_center_xz_m: tuple[float, float]
    cyst_radius_m: float


def make_phantom(
    probe: PhasedArray,
    scan: SectorScan,
    rng: np.random.Generator,
    per_cell: float = 10.0,
    n_scatterers: int | None = None,
    point_depths_m: tuple[float, ...] = (0.04, 0.08, 0.12),
    cyst_center_xz_m: tuple[float, float] = (-0.018, 0.07),
    cyst_radius_m: float = 0.008,
    tissue_echogenicity: float = 0.6,
    dynamic_range_db: float = 60.0,
) -> Phantom:
    """Speckle of echogenicity ``tissue_echogenicity`` (``per_cell`` per resolution
    cell, or exactly ``n_scatterers``), unit point targets at the given depths (on a
    line tilted 10° to the right), and an anechoic (scatterer-free) cyst.
    """
    if n_scatterers is not None:
        per_cell = n_scatterers / sector_cell_count(probe, scan)
    speckle = fill_sector(probe, scan, per_cell, rng)
    tissue = float(amplitude_from_echogenicity(np.array(tissue_echogenicity), dynamic_range_db))
    speckle = Scatterers(speckle.x_m, speckle.z_m, speckle.amplitude * tissue)
    cx, cz = cyst_center_xz_m
    outside = np.hypot(speckle.x_m - cx, speckle.z_m - cz) > cyst_radius_m
    speckle = Scatterers(speckle.x_m[outside], speckle.z_m[outside], speckle.amplitude[outside])
    depths = np.asarray([d for d in point_depths_m if scan.min_depth_m < d < scan.depth_m])
    angle = np.deg2rad(10.0)
    px, pz = depths * np.sin(angle), depths * np.cos(angle)
    points = Scatterers(px, pz, np.ones(depths.size)) if depths.size else None
    parts = [speckle] + ([points] if points is not None else [])
    return Phantom(Scatterers.concatenate(parts), np.stack([px, pz], axis=1), (cx, cz), cyst_radius_m)
