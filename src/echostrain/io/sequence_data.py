"""The in-memory sequence: :class:`SequenceData`, checked against the sequence file's table.

Every field is checked by :func:`echostrain.io.sequence_checks.check_field`
against its entry in :mod:`echostrain.io.sequence_schema`, in
:data:`~echostrain.io.sequence_schema.CHECK_ORDER`. Files are written and read
by :mod:`echostrain.io.sequence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from echostrain import __version__
from echostrain.io.sequence_checks import check_field, check_pairing
from echostrain.io.sequence_schema import ATTRIBUTES, CHECK_ORDER, DATASETS, FIELDS


@dataclass(eq=False)
class SequenceData:
    """One simulated sequence with its ground truth.

    Arrays are converted to the dtypes below on construction; everything is
    validated against :mod:`echostrain.io.sequence_schema` (InvalidDataError
    for arrays, ParameterError for the scalars and ``parameters``). Equality
    (``==``) compares every field exactly.

    Attributes
    ----------
    frames : numpy.ndarray
        uint8 [T, H, W] B-mode frames (scan-converted), T ≥ 2.
    tracks : numpy.ndarray
        float32 [T, N, 2] true positions (x, y) in px of N ≥ 1 tissue points; finite.
    track_layer : numpy.ndarray
        int8 [N]: 0 endo, 1 mid-wall, 2 epi, −1 tissue outside the myocardium.
    track_segment : numpy.ndarray
        int8 [N]: 0–5 (basal first wall → apex → basal second wall), −1
        outside; points with layer −1 have segment −1.
    myocardium_mask : numpy.ndarray
        bool [T, H, W], True on myocardium pixels.
    spacing_mm : tuple of float
        Pixel size (dy, dx) in mm.
    fps : float
        Frame rate in frames/s.
    view : str
        ``"a2c"``, ``"a3c"`` or ``"a4c"``.
    ed_index : int
        End-diastolic frame (0-based): the reference frame of the true strain.
    es_index : int
        End-systolic frame (0-based): where the true GLS is read.
    seed : int
        The integer seed the sequence was simulated from (0 ≤ seed < 2**64).
    engine : str
        Name of the ultrasound engine that made the frames.
    gls_pct : numpy.ndarray
        float32 [T] true global longitudinal strain curve in % (0 at ``ed_index``).
    segmental_pct : numpy.ndarray
        float32 [6, T] true segmental longitudinal strain curves in %.
    parameters : dict
        Probe, scan, scene and motion parameters (JSON values, nested allowed).
        Normalised on construction to what JSON gives back: keys sorted,
        tuples and numpy values turned into lists and numbers.
    version : str
        echostrain version that wrote the sequence.
    """

    frames: np.ndarray
    tracks: np.ndarray
    track_layer: np.ndarray
    track_segment: np.ndarray
    myocardium_mask: np.ndarray
    spacing_mm: tuple[float, float]
    fps: float
    view: str
    ed_index: int
    es_index: int
    seed: int
    engine: str
    gls_pct: np.ndarray
    segmental_pct: np.ndarray
    parameters: dict[str, Any] = field(default_factory=dict)
    version: str = __version__

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field and normalise it in place (run on construction and on write).

        Fields are checked in :data:`~echostrain.io.sequence_schema.CHECK_ORDER`;
        each is replaced by its normalised value as soon as it passes.

        Raises
        ------
        InvalidDataError
            An array has the wrong dtype, shape or values.
        ParameterError
            A scalar or ``parameters`` is invalid.
        """
        dims: dict[str, int] = {}
        checked: dict[str, Any] = {}
        for name in CHECK_ORDER:
            spec = FIELDS[name]
            checked[name] = check_field(spec, getattr(self, name), dims)
            setattr(self, name, checked[name])
            check_pairing(spec, checked)

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.frames.shape[0])

    @property
    def n_points(self) -> int:
        """Number of tracked points N."""
        return int(self.tracks.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """Frame size (H, W) in px."""
        return (int(self.frames.shape[1]), int(self.frames.shape[2]))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SequenceData):
            return NotImplemented
        for spec in DATASETS:
            a, b = getattr(self, spec.field), getattr(other, spec.field)
            if a.dtype != b.dtype or not np.array_equal(a, b):
                return False
        scalars = (spec.field for spec in ATTRIBUTES if spec.field)
        return all(getattr(self, name) == getattr(other, name) for name in scalars)

    __hash__ = None  # type: ignore[assignment]  # mutable


__all__ = ["SequenceData"]
