"""Ultrasound simulation: probe and scan, scatterers, engines (simus, fast), post-processing."""

from echostrain.sim.calibration import PsfCalibration, calibrate_psf, load_calibration
from echostrain.sim.phantom import Phantom, make_phantom
from echostrain.sim.post import BModeSettings, ScanConverter, log_compress
from echostrain.sim.probe import PhasedArray, SectorScan, get_probe, known_probes
from echostrain.sim.scatterers import (
    Scatterers,
    amplitude_from_echogenicity,
    fill_sector,
    resolution_cell,
    resolution_cell_area_m2,
    sector_cell_count,
)
from echostrain.sim.simulator import ENGINES, Simulator, make_engine

__all__ = [
    "ENGINES",
    "BModeSettings",
    "Phantom",
    "PhasedArray",
    "PsfCalibration",
    "ScanConverter",
    "Scatterers",
    "SectorScan",
    "Simulator",
    "amplitude_from_echogenicity",
    "calibrate_psf",
    "fill_sector",
    "get_probe",
    "known_probes",
    "load_calibration",
    "log_compress",
    "make_engine",
    "make_phantom",
    "resolution_cell",
    "resolution_cell_area_m2",
    "sector_cell_count",
]
