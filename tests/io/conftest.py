"""Fixtures and builders for the io tests: every file is made in tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest


def _one_line(exc: BaseException) -> str:
    """The exception text, asserting it is a single non-empty line."""
    text = str(exc)
    assert text and "\n" not in text, f"message is not one line: {text!r}"
    return text


@pytest.fixture
def one_line():
    """``one_line(exc)`` returns the message of ``exc`` after asserting it is one line."""
    return _one_line


def make_dicom(
    path: Path,
    pixels: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    delta_x_cm: float | None = 0.03,
    delta_y_cm: float | None = 0.025,
    frame_time_ms: float | None = 40.0,
    pixel_spacing: tuple[float, float] | None = None,
    extra: dict[str, Any] | None = None,
    with_pixels: bool = True,
    bits_stored: int | None = None,
) -> Path:
    """Write a multi-frame ultrasound DICOM from uint8/uint16 pixels [F, R, C] or [F, R, C, 3]."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, UltrasoundMultiFrameImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UltrasoundMultiFrameImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "US"
    ds.Manufacturer = "EchoTest"
    colour = pixels.ndim == 4
    ds.NumberOfFrames = pixels.shape[0]
    ds.Rows, ds.Columns = pixels.shape[1], pixels.shape[2]
    ds.SamplesPerPixel = 3 if colour else 1
    if colour:
        ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    bits_allocated = 8 * pixels.dtype.itemsize
    stored = bits_stored or bits_allocated
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = stored
    ds.HighBit = stored - 1
    ds.PixelRepresentation = 0
    if frame_time_ms is not None:
        ds.FrameTime = frame_time_ms
    if delta_x_cm is not None and delta_y_cm is not None:
        doppler = Dataset()  # a non-2D region listed first: must be skipped
        doppler.RegionSpatialFormat = 3
        doppler.PhysicalUnitsXDirection = 4
        doppler.PhysicalUnitsYDirection = 7
        doppler.PhysicalDeltaX = 0.01
        doppler.PhysicalDeltaY = 0.5
        bmode = Dataset()
        bmode.RegionSpatialFormat = 1
        bmode.PhysicalUnitsXDirection = 3
        bmode.PhysicalUnitsYDirection = 3
        bmode.PhysicalDeltaX = delta_x_cm
        bmode.PhysicalDeltaY = delta_y_cm
        ds.SequenceOfUltrasoundRegions = Sequence([doppler, bmode])
    if pixel_spacing is not None:
        ds.PixelSpacing = list(pixel_spacing)
    for key, value in (extra or {}).items():
        setattr(ds, key, value)
    if with_pixels:
        ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def grey_u8(rng: np.random.Generator) -> np.ndarray:
    """A smooth speckle-like grey clip, uint8 [6, 40, 50]."""
    from scipy import ndimage

    noise = rng.random((6, 40, 50))
    smooth = ndimage.gaussian_filter(noise, (0, 1.2, 1.2))
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    return np.rint(smooth * 255).astype(np.uint8)


@pytest.fixture
def dicom_builder():
    """``dicom_builder(path, pixels, **options)`` writes a test DICOM (see make_dicom)."""
    return make_dicom
