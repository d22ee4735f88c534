"""Sampling of LV motion parameters: GLS, regional dysfunction, heart rate, frame rate.

Ranges (all drawn uniformly from the seed's generator):

| parameter | range |
|---|---|
| pathology | normal, regional, global (by the caller's share or uniformly) |
| target GLS (endocardial, %) | normal −25…−16, regional −18…−10, global −12…−8 |
| normal segments' scale | 1 ± 0.08 (Gaussian), apical segments +0.1 |
| regional: affected segments | 1–3 contiguous segments, each hypokinetic (scale 0.3–0.6), akinetic (−0.05…0.05) or dyskinetic (−0.4…−0.1) |
| heart rate (bpm) | 50–110 |
| frame rate (frames/s) | 30–80, capped so that the clip holds ≥ 1 cycle |
| systole (s) | 0.44 − 0.0016·HR, ES put on the nearest frame |
| probe jitter (mm) | 0–0.3 |
| mitral annulus descent (mm) | 8–18 (GLS is redrawn until the geometry gives a descent in range) |
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from echostrain.core.errors import ParameterError

PATHOLOGIES = ("normal", "regional", "global")
SEGMENT_STATES = ("normal", "hypokinetic", "akinetic", "dyskinetic")

GLS_RANGES = {"normal": (-25.0, -16.0), "regional": (-18.0, -10.0), "global": (-12.0, -8.0)}
_STATE_SCALES = {"hypokinetic": (0.3, 0.6), "akinetic": (-0.05, 0.05), "dyskinetic": (-0.4, -0.1)}
HEART_RATE_RANGE_BPM = (50.0, 110.0)
FPS_RANGE = (30.0, 80.0)
DESCENT_RANGE_MM = (8.0, 18.0)
JITTER_RANGE_MM = (0.0, 0.3)


@dataclass(frozen=True)
class MotionParameters:
    """Everything that defines one cycle of LV motion (strain in %, times in s)."""

    pathology: str
    gls_target_pct: float
    segment_strain_pct: tuple[float, ...]
    segment_state: tuple[str, ...]
    heart_rate_bpm: float
    fps: float
    n_frames: int
    es_frame: int
    jitter_mm: float
    jitter_phase_rad: tuple[float, float, float, float]

    @property
    def rr_s(self) -> float:
        return 60.0 / self.heart_rate_bpm

    @property
    def es_fraction(self) -> float:
        """End-systole as a fraction of the RR interval (on a frame)."""
        return self.es_frame / (self.rr_s * self.fps)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_pathology(name: str) -> str:
    key = str(name).strip().lower()
    if key not in PATHOLOGIES:
        raise ParameterError(f"unknown pathology {name!r}; use one of {', '.join(PATHOLOGIES)}")
    return key


def frames_for_one_cycle(heart_rate_bpm: float, fps: float) -> int:
    """Frames from one ED to the next ED inclusive."""
    return int(np.ceil(fps * 60.0 / heart_rate_bpm)) + 1


def sample_timing(rng: np.random.Generator, n_frames: int | None) -> tuple[float, float, int]:
    """Heart rate (bpm), frame rate and frame count holding at least one full cycle."""
    if n_frames is not None and n_frames < 2:
        raise ParameterError(f"a sequence needs at least 2 frames, got {n_frames}")
    hr = float(rng.uniform(*HEART_RATE_RANGE_BPM))
    fps_max = FPS_RANGE[1]
    if n_frames is not None:
        fps_max = min(fps_max, (n_frames - 1) * hr / 60.0)
        if fps_max < FPS_RANGE[0]:
            hr = HEART_RATE_RANGE_BPM[1]
            fps_max = min(FPS_RANGE[1], (n_frames - 1) * hr / 60.0)
        if fps_max < FPS_RANGE[0]:
            need = frames_for_one_cycle(HEART_RATE_RANGE_BPM[1], FPS_RANGE[0])
            raise ParameterError(
                f"{n_frames} frames cannot hold a full cardiac cycle at ≥ {FPS_RANGE[0]:.0f} frames/s; "
                f"use at least {need} frames"
            )
    fps = float(rng.uniform(FPS_RANGE[0], fps_max))
    n = n_frames if n_frames is not None else frames_for_one_cycle(hr, fps)
    return hr, fps, int(n)


def sample_segment_scales(pathology: str, rng: np.random.Generator) -> tuple[np.ndarray, tuple[str, ...]]:
    """Relative peak strain of segments 0…5 and their states."""
    scale = 1.0 + rng.normal(0.0, 0.08, 6)
    scale[2:4] += 0.1  # apical segments shorten a little more
    states = ["normal"] * 6
    if pathology == "regional":
        n = int(rng.integers(1, 4))
        start = int(rng.integers(0, 6 - n + 1))
        for s in range(start, start + n):
            state = str(rng.choice(("hypokinetic", "akinetic", "dyskinetic"), p=(0.5, 0.35, 0.15)))
            states[s] = state
            scale[s] = rng.uniform(*_STATE_SCALES[state])
    return scale, tuple(states)


def segment_strains_for_gls(gls_pct: float, scale: np.ndarray, segment_length_mm: np.ndarray) -> np.ndarray:
    """Peak segmental strains ``k·scale`` whose length-weighted mean is ``gls_pct``."""
    weighted = float(np.sum(segment_length_mm * scale))
    if abs(weighted) < 1e-9:
        raise ParameterError("the segment scales cancel out; no GLS can be reached")
    return gls_pct * float(np.sum(segment_length_mm)) / weighted * scale
