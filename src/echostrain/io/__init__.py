"""Input and output: clips, contours, tracks and simulated sequence files.

Clips: DICOM, MP4/AVI/..., PNG folders, NumPy, HDF5 sequence files.

Frames are grey float32 [T, H, W] in [0, 1]; points are (x, y) px;
``spacing_mm`` is (dy, dx). Every writer is atomic (see :func:`atomic_path`).

Names load their modules on first use.
"""

from __future__ import annotations

from echostrain.core.lazy import lazy_exports

#: Public name → its module in this package.
_EXPORTS = {
    "frames_from_array": "arrays",
    "read_npy": "arrays",
    "read_npz": "arrays",
    "atomic_path": "atomic",
    "write_bytes_atomic": "atomic",
    "write_npz": "atomic",
    "write_text_atomic": "atomic",
    "check_contour": "contours",
    "read_contour": "contours",
    "read_myocardium_contours": "contours",
    "write_contour_csv": "contours",
    "is_dicom_file": "dicom",
    "read_dicom": "dicom",
    "read_movie": "movie",
    "LAYER_COLORS": "overlay",
    "overlay_points": "overlay",
    "read_png_folder": "pngdir",
    "SUPPORTED_FORMATS": "read",
    "read_video": "read",
    "sector_mask": "sector",
    "SequenceData": "sequence",
    "read_sequence": "sequence",
    "read_sequence_video": "sequence",
    "write_sequence": "sequence",
    "TrackSet": "tracks",
    "read_tracks": "tracks",
    "write_tracks": "tracks",
    "LUMA_BT601": "video",
    "EchoVideo": "video",
    "to_unit_float": "video",
    "frames_to_uint8": "write",
    "write_mp4": "write",
    "write_png_frames": "write",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
