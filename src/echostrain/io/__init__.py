"""Input and output: clips, contours, tracks and simulated sequence files.

Clips: DICOM, MP4/AVI/..., PNG folders, NumPy, HDF5 sequence files.

Frames are grey float32 [T, H, W] in [0, 1]; points are (x, y) px;
``spacing_mm`` is (dy, dx). Every writer is atomic (see :func:`atomic_path`).
"""

from __future__ import annotations

from echostrain.io.arrays import frames_from_array, read_npy, read_npz
from echostrain.io.atomic import atomic_path, write_bytes_atomic, write_npz, write_text_atomic
from echostrain.io.contours import (
    check_contour,
    read_contour,
    read_myocardium_contours,
    write_contour_csv,
)
from echostrain.io.dicom import is_dicom_file, read_dicom
from echostrain.io.movie import read_movie
from echostrain.io.overlay import LAYER_COLORS, overlay_points
from echostrain.io.pngdir import read_png_folder
from echostrain.io.read import SUPPORTED_FORMATS, read_video
from echostrain.io.sector import sector_mask
from echostrain.io.sequence import (
    SequenceData,
    read_sequence,
    read_sequence_video,
    write_sequence,
)
from echostrain.io.tracks import TrackSet, read_tracks, write_tracks
from echostrain.io.video import LUMA_BT601, EchoVideo, to_unit_float
from echostrain.io.write import frames_to_uint8, write_mp4, write_png_frames

__all__ = [
    "LAYER_COLORS",
    "LUMA_BT601",
    "SUPPORTED_FORMATS",
    "EchoVideo",
    "SequenceData",
    "TrackSet",
    "atomic_path",
    "check_contour",
    "frames_from_array",
    "frames_to_uint8",
    "is_dicom_file",
    "overlay_points",
    "read_contour",
    "read_dicom",
    "read_movie",
    "read_myocardium_contours",
    "read_npy",
    "read_npz",
    "read_png_folder",
    "read_sequence",
    "read_sequence_video",
    "read_tracks",
    "read_video",
    "sector_mask",
    "to_unit_float",
    "write_bytes_atomic",
    "write_contour_csv",
    "write_mp4",
    "write_npz",
    "write_png_frames",
    "write_sequence",
    "write_text_atomic",
    "write_tracks",
]
