"""The fast engine: scatterers splatted on the beam-space grid, convolved with the measured PSF.

Each scatterer's weight ``a · A(r, u) · e^{jφ0}`` is spread bilinearly on
the four nearest nodes of the (range × u) grid, each node's share carrying
the exact axial phase ``e^{jκ (r_node − r_k)}`` so the speckle interference
is that of the true positions. The grid is then convolved with the
calibrated complex kernel (FFT). Kernels measured at several depths are
blended linearly in range: each band of rows between two calibration
depths is convolved with both neighbours. Runs with PyTorch on the CPU or
a CUDA device.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import fft as sfft

from echostrain.core.errors import ParameterError
from echostrain.sim.calibration import PsfCalibration, bilinear, load_calibration, probe_key
from echostrain.sim.probe import PhasedArray, SectorScan
from echostrain.sim.scatterers import Scatterers


class FastEngine:
    """Beam-space I/Q of scatterers by PSF convolution (calibrated against SIMUS)."""

    name = "fast"

    def __init__(
        self,
        probe: PhasedArray,
        scan: SectorScan,
        calibration: PsfCalibration | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        self.probe, self.scan = probe, scan
        self.calibration = calibration or load_calibration(probe, scan)
        cal = self.calibration
        if cal.probe_key != probe_key(probe, scan):  # the key hashes everything the PSF depends on
            raise ParameterError(
                f"the calibration is for probe {cal.probe_name}, a {cal.sector_deg}° sector with {cal.rx_apodization} apodization, "
                f"receive band {cal.rx_bandwidth_pct} % and transmit focus {cal.tx_focus_m} m; the scan is "
                f"{probe.name}, {scan.sector_deg}° with {scan.rx_apodization}, {scan.rx_bandwidth_pct} % and "
                f"{scan.tx_focus_m} m; "
                "calibrate for this scan"
            )
        self.device = torch.device(device)
        cal = self.calibration
        self.dr = scan.range_step_m
        u = scan.u_lines()
        self.du = float(u[1] - u[0])
        self.r0, self.u0 = float(scan.ranges_m()[0]), float(u[0])
        kr_half = int(math.floor(cal.kernels.shape[1] // 2 * cal.kernel_range_step_m / self.dr))
        ku_half = int(math.floor(cal.kernels.shape[2] // 2 * cal.kernel_u_step / self.du))
        self.kr, self.ku = kr_half, ku_half
        self.n_r, self.n_u = scan.n_samples, scan.n_lines
        # Extended grid: output rows/lines plus a kernel half-width on each side.
        self.ext_r, self.ext_u = self.n_r + 2 * kr_half, self.n_u + 2 * ku_half
        ext_ranges = self.r0 + (np.arange(self.ext_r) - kr_half) * self.dr
        ext_u = self.u0 + (np.arange(self.ext_u) - ku_half) * self.du
        rr, uu = np.meshgrid(ext_ranges, ext_u, indexing="ij")
        self._gain_ext = torch.as_tensor(cal.gain(rr, uu).astype(np.float32), device=self.device)
        self.bands = self._bands()
        self._kernel_ffts = [self._kernel_fft(d, rows) for d, rows in self.bands]

    def _resampled_kernel(self, index: int) -> np.ndarray:
        """Kernel ``index`` on this grid's steps, modulated by the axial phase slope, ``[2kr+1, 2ku+1]``."""
        cal = self.calibration
        k = cal.kernels[index]
        src_r = (np.arange(k.shape[0]) - k.shape[0] // 2) * cal.kernel_range_step_m
        src_u = (np.arange(k.shape[1]) - k.shape[1] // 2) * cal.kernel_u_step
        dst_r = np.arange(-self.kr, self.kr + 1) * self.dr
        dst_u = np.arange(-self.ku, self.ku + 1) * self.du
        rr, uu = np.meshgrid(dst_r, dst_u, indexing="ij")
        base = bilinear(src_r, src_u, k.real, rr, uu) + 1j * bilinear(src_r, src_u, k.imag, rr, uu)
        return base * np.exp(1j * cal.phase_slope_rad_m * rr)

    def _bands(self) -> list[tuple[int, tuple[int, int]]]:
        """(kernel index, (first, last+1) output row) of each band; one band per kernel."""
        depths = self.calibration.kernel_depths_m
        rows = np.clip(np.round((depths - self.r0) / self.dr).astype(int), 0, self.n_r - 1)
        bands = []
        for i in range(depths.size):
            lo = 0 if i == 0 else rows[i - 1]
            hi = self.n_r if i == depths.size - 1 else rows[i + 1] + 1
            if hi > lo:
                bands.append((i, (int(lo), int(hi))))
        return bands

    def _band_weight(self, index: int, rows: np.ndarray) -> np.ndarray:
        """Linear blending weight of kernel ``index`` at output rows."""
        depths = self.calibration.kernel_depths_m
        r = self.r0 + rows * self.dr
        return np.interp(r, depths, np.eye(depths.size)[index])

    def _kernel_fft(self, index: int, rows: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, int, int]:
        lo, hi = rows
        n_ext_r = (hi - lo) + 2 * self.kr
        # 5-smooth sizes (2^a·3^b·5^c): scipy's real=True rule, also fast for torch's complex FFT
        fr, fu = sfft.next_fast_len(n_ext_r, real=True), sfft.next_fast_len(self.ext_u, real=True)
        kernel = np.zeros((fr, fu), dtype=np.complex64)
        k = self._resampled_kernel(index)
        kernel[: k.shape[0], : k.shape[1]] = k
        weight = torch.as_tensor(self._band_weight(index, np.arange(lo, hi)), dtype=torch.float32, device=self.device)
        return torch.fft.fft2(torch.as_tensor(kernel, device=self.device)), weight, fr, fu

    def splat(self, scatterers: Scatterers) -> torch.Tensor:
        """Complex grid ``[ext_r, ext_u]`` of phase-exact bilinear scatterer weights.

        The amplitude map ``A(r, u)`` varies over millimetres, so it is applied
        per grid node after splatting rather than per scatterer. On the CPU
        the accumulation order is fixed, so results are bit-reproducible; on a
        GPU atomic additions may change the last bits.
        """
        cal = self.calibration
        f32 = dict(dtype=torch.float32, device=self.device)
        x = torch.as_tensor(scatterers.x_m, **f32)
        z = torch.as_tensor(scatterers.z_m, **f32)
        amp = torch.as_tensor(scatterers.amplitude, **f32)
        r = torch.hypot(x, z)
        u = x / r.clamp_min(1e-12)
        fr = (r - self.r0) / self.dr + self.kr
        fu = (u - self.u0) / self.du + self.ku
        keep = (fr >= 0) & (fr < self.ext_r - 1) & (fu >= 0) & (fu < self.ext_u - 1)
        fr, fu, amp = fr[keep], fu[keep], amp[keep]
        i0, j0 = fr.floor(), fu.floor()
        tr, tu = fr - i0, fu - j0
        # Axial phase of each node relative to the scatterer: κ·(r_node − r_k), plus φ0.
        kappa_dr = cal.phase_slope_rad_m * self.dr
        lo = torch.polar(amp, cal.phase0_rad - kappa_dr * tr)
        hi = lo * complex(math.cos(kappa_dr), math.sin(kappa_dr))
        base = i0.long() * self.ext_u + j0.long()
        grid = torch.zeros(self.ext_r * self.ext_u, dtype=torch.complex64, device=self.device)
        grid.index_add_(0, base, lo * ((1 - tr) * (1 - tu)))
        grid.index_add_(0, base + 1, lo * ((1 - tr) * tu))
        grid.index_add_(0, base + self.ext_u, hi * (tr * (1 - tu)))
        grid.index_add_(0, base + self.ext_u + 1, hi * (tr * tu))
        return grid.reshape(self.ext_r, self.ext_u) * self._gain_ext

    def iq_tensor(self, scatterers: Scatterers) -> torch.Tensor:
        """Beamformed I/Q as a complex64 tensor ``[n_samples, n_lines]`` on the engine's device."""
        grid = self.splat(scatterers)
        out = torch.zeros((self.n_r, self.n_u), dtype=torch.complex64, device=self.device)
        for (_, (lo, hi)), (kfft, weight, fr, fu) in zip(self.bands, self._kernel_ffts):
            block = grid[lo : hi + 2 * self.kr]
            conv = torch.fft.ifft2(torch.fft.fft2(block, s=(fr, fu)) * kfft)
            valid = conv[2 * self.kr : 2 * self.kr + (hi - lo), 2 * self.ku : 2 * self.ku + self.n_u]
            out[lo:hi] += valid * weight[:, None]
        return out

    def iq(self, scatterers: Scatterers) -> np.ndarray:
        """Beamformed I/Q on the scan grid, complex64 ``[n_samples, n_lines]`` (numpy)."""
        return self.iq_tensor(scatterers).cpu().numpy()
