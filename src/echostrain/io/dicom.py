"""Read a (multi-frame) DICOM echo clip with pydicom."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import CorruptInputError, EchoStrainError
from echostrain.core.limits import check_allocation
from echostrain.io._util import one_line, require_file, to_python
from echostrain.io.video import EchoVideo, to_unit_float

#: DICOM code for "cm" in PhysicalUnitsX/YDirection of an ultrasound region.
_UNITS_CM = 3
#: DICOM code for a 2-D (B-mode) region in RegionSpatialFormat.
_SPATIAL_2D = 1


def is_dicom_file(path: str | os.PathLike[str]) -> bool:
    """True if the file carries the DICOM preamble ("DICM" at byte 128)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(132)
    except OSError:
        return False
    return len(head) == 132 and head[128:132] == b"DICM"


def read_dicom(path: str | os.PathLike[str]) -> EchoVideo:
    """Read a DICOM cine loop as grey frames in [0, 1].

    Spacing (dy, dx) in mm comes from the first 2-D ultrasound region in cm
    (PhysicalDeltaY/X × 10), else PixelSpacing, else ImagerPixelSpacing; fps
    from FrameTime (ms), FrameTimeVector, CineRate or RecommendedDisplayFrameRate.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    p = require_file(path, "DICOM file")
    try:
        ds = pydicom.dcmread(p)
    except InvalidDicomError as exc:
        raise CorruptInputError(
            f"{p} is not a DICOM file (no DICOM file header); "
            "give a DICOM (.dcm) export of the clip"
        ) from exc
    except Exception as exc:  # pydicom raises many types on damaged files
        raise CorruptInputError(
            f"{p} could not be read as DICOM ({type(exc).__name__}: {one_line(exc)}); "
            "the file may be truncated, re-export it"
        ) from exc
    try:  # pydicom parses elements when they are first used: damage can show up here too
        return _dicom_video(ds, p)
    except EchoStrainError:
        raise
    except Exception as exc:
        raise CorruptInputError(
            f"{p} has a damaged DICOM element ({type(exc).__name__}: {one_line(exc)}); re-export the clip"
        ) from exc


def _dicom_video(ds: Any, p: Path) -> EchoVideo:
    """The clip of a parsed DICOM dataset."""
    if not any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData")):
        raise CorruptInputError(
            f"{p} has no pixel data (PixelData element missing); "
            "export the cine loop as a multi-frame image"
        )

    frames = _frames(ds, str(p))
    ignored: list[str] = []
    spacing, spacing_source = _spacing(ds, ignored)
    fps, fps_source = _fps(ds, ignored)
    regions = ds.get("SequenceOfUltrasoundRegions")
    metadata: dict[str, Any] = {
        "format": "dicom",
        "manufacturer": _text(ds.get("Manufacturer")),
        "model": _text(ds.get("ManufacturerModelName")),
        "modality": _text(ds.get("Modality")),
        "photometric_interpretation": _text(ds.get("PhotometricInterpretation")),
        "number_of_frames": int(frames.shape[0]),
        "rows": int(ds.get("Rows", frames.shape[1])),
        "columns": int(ds.get("Columns", frames.shape[2])),
        "bits_stored": _int(ds.get("BitsStored")),
        "transfer_syntax": _text(
            getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        ),
        "sop_class_uid": _text(ds.get("SOPClassUID")),
        "ultrasound_region_count": len(regions) if regions is not None else 0,
        "spacing_source": spacing_source,
        "fps_source": fps_source,
    }
    if ignored:
        metadata["ignored_fields"] = "; ".join(ignored)
    return EchoVideo(frames=frames, spacing_mm=spacing, fps=fps, source=str(p), metadata=metadata)


def _frames(ds: Any, source: str) -> np.ndarray:
    """Decoded pixel data as float32 [T, H, W] grey in [0, 1]."""
    syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
    try:
        declared = [int(ds.get(k, 1) or 1) for k in ("NumberOfFrames", "Rows", "Columns", "SamplesPerPixel")]
        bytes_per_sample = max(int(ds.get("BitsAllocated", 8) or 8) // 8, 1)
    except (TypeError, ValueError):
        declared = None  # a damaged size field: pixel_array below reports it
    if declared is not None:
        check_allocation(declared, bytes_per_sample + 4, f"{source} (DICOM header)")
    try:
        arr = ds.pixel_array  # pydicom 3 converts YBR_* to RGB by default
    except Exception as exc:  # decoder missing, truncated data, bad header...
        raise CorruptInputError(
            f"{source}: pixel data could not be decoded (transfer syntax "
            f"{_text(getattr(syntax, 'name', syntax))}: {type(exc).__name__}: {one_line(exc)}); "
            "re-export the clip uncompressed or install a decoder plugin (e.g. pylibjpeg)"
        ) from exc

    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).upper()
    spp = int(ds.get("SamplesPerPixel", 1) or 1)
    nframes = int(ds.get("NumberOfFrames", 1) or 1)
    bits = int(ds.get("BitsStored", ds.get("BitsAllocated", 8)) or 8)

    if photometric == "PALETTE COLOR":
        try:
            from pydicom.pixels import apply_color_lut

            arr = apply_color_lut(arr, ds)
        except Exception as exc:
            raise CorruptInputError(
                f"{source}: palette colour lookup failed ({one_line(exc)}); "
                "re-export the clip as MONOCHROME2 or RGB"
            ) from exc
        spp = 3
        bits = 8 if arr.dtype == np.uint8 else 16

    colour = spp > 1
    expected = 2 + (1 if nframes > 1 else 0) + (1 if colour else 0)
    if arr.ndim != expected or (colour and arr.shape[-1] != spp):
        raise CorruptInputError(
            f"{source}: decoded pixel array has shape {arr.shape}, which does not match "
            f"NumberOfFrames={nframes}, SamplesPerPixel={spp}; the header may be damaged"
        )
    if nframes <= 1:
        arr = arr[np.newaxis]

    if np.issubdtype(arr.dtype, np.signedinteger):
        # shift signed samples to 0..2**bits-1
        arr = arr.astype(np.int64) + (1 << (bits - 1))
    max_value = float((1 << bits) - 1) if np.issubdtype(arr.dtype, np.integer) else None
    grey = to_unit_float(arr, source, max_value=max_value, rgb=colour)
    if photometric == "MONOCHROME1":
        grey = 1.0 - grey
    return np.ascontiguousarray(grey, dtype=np.float32)


def _spacing(ds: Any, ignored: list[str]) -> tuple[tuple[float, float] | None, str | None]:
    """Pixel spacing (dy, dx) in mm and where it came from.

    A PixelSpacing or ImagerPixelSpacing that is not positive is not used (its
    sign is not guessed); it is named in ``ignored``. Ultrasound-region deltas
    carry a direction in their sign, so their magnitude is used.
    """
    regions = ds.get("SequenceOfUltrasoundRegions")
    if regions:
        best: tuple[float, tuple[float, float]] | None = None
        for region in regions:
            if _int(region.get("RegionSpatialFormat")) != _SPATIAL_2D:
                continue
            if _int(region.get("PhysicalUnitsXDirection")) != _UNITS_CM:
                continue
            if _int(region.get("PhysicalUnitsYDirection")) != _UNITS_CM:
                continue
            dx = _magnitude(region.get("PhysicalDeltaX"))
            dy = _magnitude(region.get("PhysicalDeltaY"))
            if dx is None or dy is None:
                continue
            area = _region_area(region)
            if best is None or area > best[0]:
                best = (area, (dy * 10.0, dx * 10.0))
        if best is not None:
            return best[1], "SequenceOfUltrasoundRegions"
    for key in ("PixelSpacing", "ImagerPixelSpacing"):
        value = ds.get(key)
        if value is not None:
            try:
                dy, dx = (_positive(v) for v in value)
            except (TypeError, ValueError):
                continue
            if dy is not None and dx is not None:
                return (dy, dx), key
            ignored.append(f"{key} {_shown(value)} is not positive")
    return None, None


def _region_area(region: Any) -> float:
    """Area in px of an ultrasound region (0 when its bounds are missing)."""
    try:
        x0, x1 = int(region.RegionLocationMinX0), int(region.RegionLocationMaxX1)
        y0, y1 = int(region.RegionLocationMinY0), int(region.RegionLocationMaxY1)
    except (AttributeError, TypeError, ValueError):
        return 0.0
    return float(max(0, x1 - x0 + 1) * max(0, y1 - y0 + 1))


def _fps(ds: Any, ignored: list[str]) -> tuple[float | None, str | None]:
    """Frame rate in frames/s and the header field it came from.

    Fields that are present but not positive are skipped and named in ``ignored``.
    """
    frame_time = _positive(ds.get("FrameTime"))
    if frame_time is not None:
        return 1000.0 / frame_time, "FrameTime"
    if ds.get("FrameTime") is not None:
        ignored.append(f"FrameTime {_shown(ds.get('FrameTime'))} is not positive")
    vector = ds.get("FrameTimeVector")
    if vector is not None:
        try:
            steps = [float(v) for v in vector]
        except (TypeError, ValueError):
            steps = []
        steps = [s for s in steps if math.isfinite(s) and s > 0]
        if steps:
            return 1000.0 / (sum(steps) / len(steps)), "FrameTimeVector"
        ignored.append("FrameTimeVector has no positive step")
    for key in ("CineRate", "RecommendedDisplayFrameRate"):
        rate = _positive(ds.get(key))
        if rate is not None:
            return rate, key
        if ds.get(key) is not None:
            ignored.append(f"{key} {_shown(ds.get(key))} is not positive")
    return None, None


def _positive(value: Any) -> float | None:
    """``float(value)`` if it is finite and above zero, else None."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def _magnitude(value: Any) -> float | None:
    """``abs(float(value))`` if it is finite and non-zero, else None (for signed deltas)."""
    v = _positive(value)
    if v is not None:
        return v
    try:
        return _positive(-float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _shown(value: Any) -> str:
    """A header value as short text for a message."""
    text = str(to_python(value))
    return text if len(text) <= 40 else text[:37] + "..."


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(to_python(value))
