"""Ultrasound simulation: probe and scan, scatterers, engines (simus, fast), post-processing.

Names load their modules on first use.
"""

from __future__ import annotations

from echostrain.core.lazy import lazy_exports

#: Public name → its module in this package.
_EXPORTS = {
    "PsfCalibration": "calibration",
    "calibrate_psf": "calibration",
    "load_calibration": "calibration",
    "Phantom": "phantom",
    "make_phantom": "phantom",
    "BModeSettings": "post",
    "ScanConverter": "post",
    "log_compress": "post",
    "PhasedArray": "probe",
    "SectorScan": "probe",
    "get_probe": "probe",
    "known_probes": "probe",
    "Scatterers": "scatterers",
    "amplitude_from_echogenicity": "scatterers",
    "fill_sector": "scatterers",
    "resolution_cell": "scatterers",
    "resolution_cell_area_m2": "scatterers",
    "sector_cell_count": "scatterers",
    "ENGINES": "simulator",
    "Simulator": "simulator",
    "make_engine": "simulator",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
