"""Phased-array probes and the sector scan that images with them (SI units)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from echostrain.core.errors import ParameterError
from echostrain.core.vocabulary import MAX_SECTOR_DEG

if TYPE_CHECKING:
    import numpy as np

SPEED_OF_SOUND_M_S = 1540.0


@dataclass(frozen=True)
class PhasedArray:
    """A phased-array transducer (PyMUST's ``getparam`` names in brackets).

    Defaults are PyMUST's ``getparam('P4-2v')``.
    """

    name: str = "P4-2v"
    n_elements: int = 64  # Nelements
    center_frequency_hz: float = 2.72e6  # fc
    pitch_m: float = 0.3e-3  # pitch
    kerf_m: float = 0.05e-3  # kerf
    bandwidth_pct: float = 74.0  # bandwidth: −6 dB fractional bandwidth
    elevation_focus_m: float = 60e-3  # focus
    height_m: float = 14e-3  # height
    speed_of_sound_m_s: float = SPEED_OF_SOUND_M_S  # c

    def __post_init__(self) -> None:
        positive = {
            "n_elements": self.n_elements,
            "center_frequency_hz": self.center_frequency_hz,
            "pitch_m": self.pitch_m,
            "bandwidth_pct": self.bandwidth_pct,
            "elevation_focus_m": self.elevation_focus_m,
            "height_m": self.height_m,
            "speed_of_sound_m_s": self.speed_of_sound_m_s,
        }
        for key, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ParameterError(f"probe {self.name}: {key} must be positive, got {value}")
        if not 0 <= self.kerf_m < self.pitch_m:
            raise ParameterError(f"probe {self.name}: kerf must be in [0, pitch), got {self.kerf_m}")

    @property
    def wavelength_m(self) -> float:
        """Wavelength at the centre frequency (m)."""
        return self.speed_of_sound_m_s / self.center_frequency_hz

    @property
    def aperture_m(self) -> float:
        """Full aperture width (m)."""
        return self.n_elements * self.pitch_m

    def to_pymust(self):  # -> pymust.utils.Param
        """PyMUST parameter structure of this probe."""
        import pymust

        param = pymust.utils.Param()
        param.Nelements = int(self.n_elements)
        param.fc = float(self.center_frequency_hz)
        param.pitch = float(self.pitch_m)
        param.kerf = float(self.kerf_m)
        param.width = float(self.pitch_m - self.kerf_m)
        param.bandwidth = float(self.bandwidth_pct)
        param.radius = math.inf
        param.focus = float(self.elevation_focus_m)
        param.height = float(self.height_m)
        param.c = float(self.speed_of_sound_m_s)
        return param


#: Phased arrays known by name (values from PyMUST's ``getparam``).
_PYMUST_PHASED = ("P4-2v", "PA4-2/20", "P6-3")


def known_probes() -> tuple[str, ...]:
    """Names accepted by :func:`get_probe`."""
    return _PYMUST_PHASED


def get_probe(name: str = "P4-2v") -> PhasedArray:
    """A phased array by name (case-insensitive), from PyMUST's probe table."""
    match = [p for p in _PYMUST_PHASED if p.lower() == str(name).strip().lower()]
    if not match:
        raise ParameterError(f"unknown probe {name!r}; known phased arrays: {', '.join(_PYMUST_PHASED)}")
    import pymust

    p = pymust.getparam(match[0])
    return PhasedArray(
        name=match[0],
        n_elements=int(p.Nelements),
        center_frequency_hz=float(p.fc),
        pitch_m=float(p.pitch),
        kerf_m=float(p.kerf),
        bandwidth_pct=float(p.bandwidth),
        elevation_focus_m=float(p.focus) if math.isfinite(p.focus) else 1.0,
        height_m=float(p.height),
    )


#: Widest receive filter accepted (% of the centre frequency); leave the band unset for no filter.
MAX_RX_BANDWIDTH_PCT = 200.0

#: Receive apodizations: uniform, Tukey with α = 0.5, Hann.
RX_APODIZATIONS = ("none", "tukey", "hann")


@dataclass(frozen=True)
class SectorScan:
    """A sector image: its transmits, and beamforming on a polar grid.

    The beam-space grid has ``n_samples`` ranges from ``min_depth_m`` to
    ``depth_m`` and ``n_lines`` scan lines equally spaced in ``u = sin θ``
    (θ from the probe axis; the point-spread function of a phased array is
    shift-invariant in ``u``), covering ``sector_deg``. ``rx_apodization``
    weights the elements on receive (lower side lobes, wider main lobe);
    receive focusing is dynamic (delay-and-sum at every grid node).

    ``tx_focus_m`` None sends one diverging wave over the whole sector; a
    range (m) sends one transmit per scan line, steered along it and
    focused at that range, and each line is beamformed from its own
    transmit, as cardiac scanners image (two-way focusing: narrower beam
    near the focus, speckle that decorrelates more slowly under lateral
    motion).

    ``rx_bandwidth_pct`` narrows the receive band as a cardiac scanner's
    receive filter does (harmonic imaging, speckle-reducing filters): a
    Gaussian filter on the demodulated echoes whose −6 dB full width is that
    percentage of the probe's centre frequency. A narrower band gives a
    longer pulse and coarser speckle along the beam. None: the probe's own
    band, no filter.
    """

    sector_deg: float = 75.0
    depth_m: float = 0.150
    min_depth_m: float = 0.002
    n_lines: int = 256
    range_step_m: float = 0.1e-3
    rx_apodization: str = "hann"
    rx_bandwidth_pct: float | None = None
    tx_focus_m: float | None = None

    def __post_init__(self) -> None:
        # Rounded so that a value reached through mm or % (35.5e-3 = 0.035500000000000004) equals the direct one.
        for name in ("rx_bandwidth_pct", "tx_focus_m"):
            value = getattr(self, name)
            if value is not None:
                try:
                    object.__setattr__(self, name, round(float(value), 9))
                except (TypeError, ValueError):
                    raise ParameterError(f"`{name}` must be a number, got {value!r}") from None
        if not (math.isfinite(self.depth_m) and self.depth_m > 0):
            raise ParameterError(f"depth must be positive (m), got {self.depth_m}")
        if not 0 <= self.min_depth_m < self.depth_m:
            raise ParameterError(f"min depth must be in [0, depth), got {self.min_depth_m}")
        if not (math.isfinite(self.sector_deg) and 1.0 <= self.sector_deg <= MAX_SECTOR_DEG):
            raise ParameterError(
                f"sector angle must be within 1…{MAX_SECTOR_DEG:.0f} degrees (a phased array's widest), "
                f"got {self.sector_deg}"
            )
        if self.n_lines < 8:
            raise ParameterError(f"need at least 8 scan lines, got {self.n_lines}")
        if self.rx_apodization not in RX_APODIZATIONS:
            raise ParameterError(
                f"unknown receive apodization {self.rx_apodization!r}; use one of {', '.join(RX_APODIZATIONS)}"
            )
        if not (math.isfinite(self.range_step_m) and 0 < self.range_step_m < self.depth_m / 8):
            raise ParameterError(f"range step must be positive and much smaller than the depth, got {self.range_step_m}")
        if self.rx_bandwidth_pct is not None and not (
            math.isfinite(self.rx_bandwidth_pct) and 0 < self.rx_bandwidth_pct <= MAX_RX_BANDWIDTH_PCT
        ):
            raise ParameterError(
                f"receive bandwidth must be within 0…{MAX_RX_BANDWIDTH_PCT:.0f} % of the centre frequency, "
                f"got {self.rx_bandwidth_pct}; leave it unset for the probe's own band"
            )
        if self.tx_focus_m is not None and not (
            math.isfinite(self.tx_focus_m) and self.min_depth_m < self.tx_focus_m <= self.depth_m
        ):
            raise ParameterError(
                f"transmit focus {self.tx_focus_m * 1e3:g} mm is outside the image ({self.min_depth_m * 1e3:g}–"
                f"{self.depth_m * 1e3:g} mm); focus within the depth, or leave it unset for one diverging wave"
            )

    @property
    def half_angle_rad(self) -> float:
        return math.radians(self.sector_deg) / 2.0

    @property
    def n_samples(self) -> int:
        return int(math.floor((self.depth_m - self.min_depth_m) / self.range_step_m)) + 1

    def ranges_m(self):
        """Range of each beam-space row (m), ``[n_samples]``."""
        import numpy as np

        return self.min_depth_m + self.range_step_m * np.arange(self.n_samples)

    def u_lines(self):
        """``u = sin θ`` of each scan line, ``[n_lines]``."""
        import numpy as np

        u_max = math.sin(self.half_angle_rad)
        return np.linspace(-u_max, u_max, self.n_lines)

    @property
    def focused(self) -> bool:
        """True with one focused transmit per line, False with one diverging wave."""
        return self.tx_focus_m is not None

    def rx_weights(self, n_elements: int):
        """Receive apodization weight of each element, ``[n_elements]``."""
        import numpy as np

        if self.rx_apodization == "none":
            return np.ones(n_elements)
        alpha = 1.0 if self.rx_apodization == "hann" else 0.5
        from scipy.signal.windows import tukey

        # Sample the window at element centres, without zero weights at the ends.
        return tukey(n_elements + 2, alpha)[1:-1]

    def rx_band_hz(self, center_frequency_hz: float) -> float | None:
        """−6 dB full width of the receive filter (Hz) for a probe's centre frequency; None without a filter."""
        return None if self.rx_bandwidth_pct is None else self.rx_bandwidth_pct / 100.0 * center_frequency_hz

    def rx_filter(self, freq_hz: np.ndarray, center_frequency_hz: float) -> np.ndarray:
        """Amplitude response of the receive filter at baseband frequencies (Hz), ``freq_hz``'s shape.

        ``exp(−4 ln2 · f² / B²)`` with ``B = rx_bandwidth_pct / 100 · fc``:
        0.5 at ``f = ±B / 2``; all ones without a filter.
        """
        import numpy as np

        f = np.asarray(freq_hz, dtype=float)
        band_hz = self.rx_band_hz(center_frequency_hz)
        if band_hz is None:
            return np.ones_like(f)
        return np.exp(-4.0 * math.log(2.0) * (f / band_hz) ** 2)

    def with_(self, **changes: float) -> SectorScan:
        """A copy with some fields changed."""
        return replace(self, **changes)
