"""One call from scatterers to a B-mode frame: engine, then post-processing."""

from __future__ import annotations

import numpy as np

from echostrain.core.checks import check_device
from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import ENGINES
from echostrain.sim.calibration import load_calibration
from echostrain.sim.post import BModeSettings, ScanConverter, depth_gain, envelope, log_compress, to_uint8
from echostrain.sim.probe import PhasedArray, SectorScan, get_probe
from echostrain.sim.scatterers import Scatterers


def make_engine(name: str, probe: PhasedArray, scan: SectorScan, device: str = "cpu"):
    """The engine called ``name`` (``fast`` or ``simus``) for a probe and scan."""
    device = check_device(device)
    key = str(name).strip().lower()
    if key == "fast":
        from echostrain.sim.engines.fast_engine import FastEngine

        return FastEngine(probe, scan, device=device)
    if key == "simus":
        if str(device) != "cpu":
            raise ParameterError("the simus engine runs on the CPU only; use `engine` fast for a GPU")
        from echostrain.sim.engines.simus_engine import SimusEngine

        return SimusEngine(probe, scan)
    raise ParameterError(f"unknown engine {name!r}; use one of {', '.join(ENGINES)}")


class Simulator:
    """Scatterers → beam-space I/Q (engine) → B-mode uint8 image (post-processing)."""

    def __init__(
        self,
        engine: str = "fast",
        probe: PhasedArray | str = "P4-2v",
        scan: SectorScan | None = None,
        settings: BModeSettings | None = None,
        device: str = "cpu",
    ) -> None:
        self.probe = get_probe(probe) if isinstance(probe, str) else probe
        self.scan = scan or SectorScan()
        self.settings = settings or BModeSettings()
        self.engine = make_engine(engine, self.probe, self.scan, device)
        self.converter = ScanConverter(self.scan, self.settings.pixel_mm)
        on_axis = None
        if self.settings.auto_tgc:
            cal = load_calibration(self.probe, self.scan)
            on_axis = cal.gain(self.scan.ranges_m(), np.zeros(self.scan.n_samples))
        self._row_gain = depth_gain(self.scan, self.settings.tgc_db_per_cm, on_axis)

    @property
    def spacing_mm(self) -> tuple[float, float]:
        return self.converter.spacing_mm

    def iq(self, scatterers: Scatterers) -> np.ndarray:
        """Beamformed I/Q ``[n_samples, n_lines]``."""
        return self.engine.iq(scatterers)

    def compensated_envelope(self, iq: np.ndarray) -> np.ndarray:
        """Envelope after TGC, in beam space."""
        return envelope(iq) * self._row_gain[:, None]

    def reference_level(self, env: np.ndarray) -> float:
        """Envelope level shown at 0 dB: the setting, else 1 with auto TGC, else the frame's 99th percentile."""
        if self.settings.reference is not None:
            return float(self.settings.reference)
        if self.settings.auto_tgc:
            return 1.0
        return float(np.percentile(env, 99.0)) or 1.0

    def bmode(self, iq: np.ndarray, reference: float | None = None) -> tuple[np.ndarray, float]:
        """uint8 B-mode image ``[H, W]`` of an I/Q frame and the reference level used.

        Pass the returned reference to later frames of a sequence so their
        brightness does not flicker.
        """
        env = self.compensated_envelope(iq)
        ref = self.reference_level(env) if reference is None else float(reference)
        grey = log_compress(env, ref, self.settings.dynamic_range_db, self.settings.gain_db)
        return to_uint8(self.converter(grey)), ref

    def frame(self, scatterers: Scatterers, reference: float | None = None) -> tuple[np.ndarray, float]:
        """uint8 B-mode image of scatterers and the reference level used."""
        return self.bmode(self.iq(scatterers), reference)
