"""Read the frames of an echostrain HDF5 sequence file.

Layout read here: dataset ``/frames`` (T, H, W) uint8 (uint16 and floats in
[0, 1] are accepted too) and root attributes ``spacing_mm`` (dy, dx) and
``fps``. Other datasets (tracks, truth...) are left to the stages that use them.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from echostrain.errors import CorruptInputError, InvalidDataError
from echostrain.io._util import check_fps, check_spacing, one_line, require_file, to_python
from echostrain.io.arrays import frames_from_array
from echostrain.io.video import EchoVideo


def read_sequence_video(path: str | os.PathLike[str]) -> EchoVideo:
    """Read ``/frames``, ``spacing_mm`` and ``fps`` of a sequence file as an :class:`EchoVideo`.

    ``metadata`` holds every root attribute (plain Python values) and the
    names of the root members under ``"members"``.
    """
    import h5py

    p = require_file(path, "sequence file")
    source = str(p)
    try:
        fh = h5py.File(p, "r")
    except OSError as exc:
        raise CorruptInputError(
            f"{p} is not a readable HDF5 file ({one_line(exc)}); the file may be truncated"
        ) from exc
    try:
        with fh:
            if "frames" not in fh:
                raise CorruptInputError(
                    f"{p} has no /frames dataset (members: {', '.join(fh.keys()) or 'none'}); "
                    "it is not an echostrain sequence file"
                )
            if not isinstance(fh["frames"], h5py.Dataset):
                raise CorruptInputError(
                    f"{p}: /frames is a group, not a dataset; "
                    "it is not an echostrain sequence file"
                )
            arr = fh["frames"][()]
            attrs = {str(k): to_python(v) for k, v in fh.attrs.items()}
            members = list(fh.keys())
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise CorruptInputError(
            f"{p} could not be read ({one_line(exc)}); the file may be damaged"
        ) from exc

    frames = frames_from_array(arr, f"{source}:/frames")
    spacing = attrs.get("spacing_mm")
    if spacing is not None:
        spacing = check_spacing(np.ravel(spacing), source, error=InvalidDataError)
    fps = attrs.get("fps")
    if fps is not None:
        fps_arr = np.ravel(fps)
        if fps_arr.size != 1:
            raise InvalidDataError(f"{source}: attribute 'fps' must be a single number")
        fps = check_fps(fps_arr[0], source, error=InvalidDataError)
    metadata: dict[str, Any] = {**attrs, "format": "sequence", "members": members}
    return EchoVideo(frames=frames, spacing_mm=spacing, fps=fps, source=source, metadata=metadata)
