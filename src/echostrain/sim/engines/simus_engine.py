"""The reference engine: PyMUST's SIMUS, I/Q demodulation and delay-and-sum beamforming.

By default one diverging (circular) wave covering the sector is
transmitted; the RF of every element is simulated by ``pymust.simus``,
demodulated by ``pymust.rf2iq`` and beamformed on the scan's polar grid with
the sparse delay-and-sum matrix of ``pymust.dasmtx``. The matrix depends
only on the probe and the scan: it is built once and reused for every frame.

With a transmit focus (``SectorScan.tx_focus_m``) every scan line has its
own transmit, steered along the line and focused at that range; the line is
beamformed from that transmit alone (one small DAS matrix per line, built
on first use). A frame then costs ``n_lines`` SIMUS calls.
"""

from __future__ import annotations

import math
import time

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse

from echostrain.core.errors import ParameterError
from echostrain.sim.grid import polar_grid_xz_m
from echostrain.sim.probe import PhasedArray, SectorScan
from echostrain.sim.scatterers import Scatterers

#: Scatterers per ``simus`` call: SIMUS's cost grows faster than linearly with
#: the scatterers of one call, so large scenes are fed in chunks.
DEFAULT_CHUNK = 4000
#: Range of the silent anchor scatterers (see ``SimusEngine.__init__``); fixed
#: so that scans of different depths share one amplitude scale (≤ 0.198 m).
ANCHOR_RANGE_M = 0.2


def receive_filtered(iq: np.ndarray, fs_hz: float, scan: SectorScan, center_frequency_hz: float) -> np.ndarray:
    """Demodulated signals ``[n_time, ...]`` through the scan's receive filter (zero-phase, along time).

    Zero-padded by twelve widths of the filter's impulse response, so that
    nothing wraps around from the end of the record to its start.
    """
    from scipy import fft as sfft

    n = iq.shape[0]
    band_hz = scan.rx_band_hz(center_frequency_hz)
    if band_hz is None:
        return iq
    n_fft = sfft.next_fast_len(n + int(math.ceil(12.0 * fs_hz / band_hz)))
    h = scan.rx_filter(sfft.fftfreq(n_fft, 1.0 / fs_hz), center_frequency_hz)
    spectrum = sfft.fft(iq, n=n_fft, axis=0) * h.reshape((-1,) + (1,) * (iq.ndim - 1))
    return sfft.ifft(spectrum, axis=0)[:n]


class SimusEngine:
    """Beam-space I/Q of scatterers through PyMUST (the physics reference)."""

    name = "simus"

    def __init__(self, probe: PhasedArray, scan: SectorScan, chunk: int = DEFAULT_CHUNK) -> None:
        import pymust

        self.probe, self.scan, self.chunk = probe, scan, int(chunk)
        self._param = probe.to_pymust()
        self._param.fs = 4.0 * probe.center_frequency_hz
        self._focused_span_s = 0.0
        if scan.focused:
            # Every transmit ends at the same time (the longest law, steered to |u| = 0.99): SIMUS scales its RF with
            # a frequency step set by the longest delay, so equal spans keep the lines' amplitudes comparable.
            self._focused_span_s = float(self._raw_focused_delays(np.array([-0.99, 0.99])).max())
            self._tx_delays = self.focused_tx_delays(scan.u_lines())
        else:
            self._tx_delays = np.asarray(pymust.txdelay(self._param, 0.0, 2.0 * scan.half_angle_rad)).reshape(1, -1)
        self._param.TXdelay = self._tx_delays[:1]
        self._line_das: dict[int, object] = {}
        pulse_s = 4.0 / (probe.center_frequency_hz * probe.bandwidth_pct / 100.0)
        band_hz = scan.rx_band_hz(probe.center_frequency_hz)
        if band_hz is not None:  # the filter's response lasts ±1.39 / B (to 10⁻³ of its peak)
            pulse_s += 1.39 / band_hz
        duration = 2.0 * scan.depth_m / probe.speed_of_sound_m_s + float(self._tx_delays.max()) + pulse_s
        self.n_time = int(math.ceil(duration * self._param.fs))
        self._rx_weights = scan.rx_weights(probe.n_elements)
        self._das = None
        self.das_build_s: float | None = None
        # SIMUS scales its RF with the frequency step, which it derives from the
        # farthest scatterer of each call. Two silent anchors (amplitude 0) at
        # the far corners of the sector make that step, and so the amplitude,
        # the same for every call and every chunk.
        r_anchor = max(ANCHOR_RANGE_M, scan.depth_m * 1.01)
        a = scan.half_angle_rad
        self._anchor_x = np.array([-r_anchor * math.sin(a), r_anchor * math.sin(a)])
        self._anchor_z = np.array([r_anchor * math.cos(a), r_anchor * math.cos(a)])

    @property
    def param(self):
        return self._param

    def grid_xz_m(self) -> tuple[np.ndarray, np.ndarray]:
        """Cartesian positions (x, z) in m of the beam-space grid, each ``[n_samples, n_lines]``."""
        return polar_grid_xz_m(self.scan.ranges_m(), self.scan.u_lines())

    def _raw_focused_delays(self, u: np.ndarray) -> np.ndarray:
        import copy

        import pymust

        theta = np.arcsin(np.atleast_1d(np.asarray(u, dtype=float)))
        focus = self.scan.tx_focus_m
        # txdelay writes param.TXdelay: give it a copy, so the engine's own parameters stay as they are.
        delays = pymust.txdelay(focus * np.sin(theta), focus * np.cos(theta), copy.copy(self._param))
        return np.asarray(delays).reshape(theta.size, -1)

    def focused_tx_delays(self, u: np.ndarray) -> np.ndarray:
        """Element delays (s) of transmits steered along ``u = sin θ`` and focused at the scan's focus, ``[len(u), n_el]``.

        Each law is shifted to end at the same time as the longest one
        (steered to |u| = 0.99), so every transmit has the same span.
        """
        if not self.scan.focused:
            raise ParameterError("this scan sends one diverging wave; give the scan a transmit focus (tx_focus_m)")
        delays = self._raw_focused_delays(u)
        return delays + (self._focused_span_s - delays.max(axis=1, keepdims=True))

    def tx_delays(self, transmit: int = 0) -> np.ndarray:
        """Element delays (s) of one of the scan's transmits (one per line when focused), ``[1, n_elements]``."""
        return self._tx_delays[transmit : transmit + 1]

    def das_points(self, x: np.ndarray, z: np.ndarray, *, transmit: int = 0,
                   tx_delays: np.ndarray | None = None) -> scipy.sparse.csr_matrix:
        """Sparse DAS matrix of arbitrary points (m, flattened) for one transmit (or explicit ``tx_delays``)."""
        import copy

        import pymust

        param = copy.copy(self._param)
        param.TXdelay = self.tx_delays(transmit) if tx_delays is None else np.reshape(tx_delays, (1, -1))
        dummy = np.zeros((self.n_time, self.probe.n_elements), dtype=np.complex128)
        return pymust.dasmtx(dummy, np.reshape(x, (-1, 1)), np.reshape(z, (-1, 1)), param.TXdelay, param).tocsr()

    def das_matrix(self):
        """The sparse DAS matrix of this probe and scan (built on first use; diverging transmit only)."""
        if self.scan.focused:
            raise ParameterError("a focused scan has one DAS matrix per line; use das_line(line)")
        if self._das is None:
            x, z = self.grid_xz_m()
            start = time.perf_counter()
            # Points in column-major order, as iq() reshapes the beamformed vector.
            self._das = self.das_points(x.ravel(order="F"), z.ravel(order="F"))
            self.das_build_s = time.perf_counter() - start
        return self._das

    def das_line(self, line: int) -> scipy.sparse.csr_matrix:
        """Sparse DAS matrix of one scan line from its own transmit (focused scans; built on first use)."""
        if line not in self._line_das:
            x, z = self.grid_xz_m()
            self._line_das[line] = self.das_points(x[:, line], z[:, line], transmit=line)
        return self._line_das[line]

    def rf(self, scatterers: Scatterers, *, transmit: int = 0, tx_delays: np.ndarray | None = None) -> np.ndarray:
        """Element RF signals ``[n_time, n_elements]`` of one transmit (or explicit ``tx_delays``), summed over chunks."""
        import pymust

        delays = self.tx_delays(transmit) if tx_delays is None else np.reshape(tx_delays, (1, -1))
        out = np.zeros((self.n_time, self.probe.n_elements))
        for start in range(0, len(scatterers), self.chunk):
            sl = slice(start, start + self.chunk)
            rf, _ = pymust.simus(
                np.concatenate([scatterers.x_m[sl], self._anchor_x]),
                np.concatenate([scatterers.z_m[sl], self._anchor_z]),
                np.concatenate([scatterers.amplitude[sl], [0.0, 0.0]]),
                delays,
                self._param,
            )
            n = min(rf.shape[0], self.n_time)
            out[:n] += rf[:n]
        return out

    def element_iq(self, rf: np.ndarray) -> np.ndarray:
        """Demodulated element signals, through the receive filter, weighted by the receive apodization."""
        import pymust

        iq = receive_filtered(pymust.rf2iq(rf, self._param), self._param.fs, self.scan, self.probe.center_frequency_hz)
        return iq * self._rx_weights[None, :]

    def iq(self, scatterers: Scatterers, *, lines: np.ndarray | None = None) -> np.ndarray:
        """Beamformed I/Q on the scan grid, complex ``[n_samples, n_lines]``.

        ``lines`` (focused scans only) computes those scan lines and leaves
        the others zero: a focused frame costs one SIMUS call per line.
        """
        shape = (self.scan.n_samples, self.scan.n_lines)
        if not self.scan.focused:
            if lines is not None:
                raise ParameterError("`lines` applies to focused scans; a diverging wave images every line at once")
            iq_elements = self.element_iq(self.rf(scatterers))
            return (self.das_matrix() @ iq_elements.reshape(-1, order="F")).reshape(shape, order="F")
        todo = np.arange(self.scan.n_lines) if lines is None else np.asarray(lines, dtype=int).reshape(-1)
        if todo.size and (todo.min() < 0 or todo.max() >= self.scan.n_lines):
            raise ParameterError(f"`lines` must be scan lines 0…{self.scan.n_lines - 1}, got {todo.min()}…{todo.max()}")
        out = np.zeros(shape, dtype=np.complex128)
        for line in todo:
            iq_elements = self.element_iq(self.rf(scatterers, transmit=int(line)))
            out[:, line] = self.das_line(int(line)) @ iq_elements.reshape(-1, order="F")
        return out

