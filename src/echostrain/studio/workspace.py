"""The studio's folder: paths resolved inside it, clips listed, uploads and contours written safely.

Every path the page sends is relative to the workspace; one that resolves
outside it (``..``, an absolute path, a link out) is refused. Uploads go to
a temporary name, are read back with :func:`echostrain.io.read_video`, and
get their name only when they read; contours are checked against the clip
(:func:`echostrain.io.contours.read_myocardium_contours`) before they take
their name. So nothing half-written is ever left.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import CorruptInputError, GeometryError, ParameterError
from echostrain.io.contours import MIN_CONTOUR_POINTS
from echostrain.io.read import DICOM_SUFFIXES, HDF5_SUFFIXES, MOVIE_SUFFIXES

#: Clip files the workspace lists (folders of PNG frames are not listed).
CLIP_SUFFIXES = (*DICOM_SUFFIXES, *MOVIE_SUFFIXES, *HDF5_SUFFIXES, ".npy", ".npz")
#: Folder names the listing skips: reports written by the studio, hidden folders.
REPORT_SUFFIX = "_analysis"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class UploadTooLargeError(ParameterError):
    """An upload over the configured limit."""


class Workspace:
    """The one folder the studio reads and writes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def resolve(self, relative: str, *, must_exist: bool = True) -> Path:
        """``relative`` as a path inside the workspace; ParameterError if it leaves it or (``must_exist``) is missing."""
        text = str(relative or "").strip()
        if not text or "\x00" in text:
            raise ParameterError("no file named; choose a clip of the workspace")
        candidate = Path(text)
        if candidate.is_absolute():
            raise ParameterError(f"{text}: give a path relative to the workspace, not an absolute one")
        path = (self.root / candidate).resolve()
        if not path.is_relative_to(self.root):
            raise ParameterError(f"{text} lies outside the workspace; only files inside {self.root.name}/ can be used")
        if must_exist and not path.is_file():
            raise ParameterError(f"{text} is not a file of the workspace; pick one from the list or upload it")
        return path

    def relative(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (links followed) lies in the workspace."""
        return Path(path).resolve().is_relative_to(self.root)

    def clips(self, first: Iterable[Path] = ()) -> list[str]:
        """Clip files (relative paths) in the workspace and its subfolders, ``first`` ones first."""
        found: list[str] = [self.relative(p) for p in first]
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not d.endswith(REPORT_SUFFIX))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                if name.lower().endswith(CLIP_SUFFIXES) and not name.startswith(".") and self.inside(path):
                    rel = self.relative(path)
                    if rel not in found:
                        found.append(rel)
        return found

    # ------------------------------------------------------------------ uploads

    def upload_name(self, name: str) -> str:
        """The cleaned-up file name an upload is kept under; ParameterError if it is no clip type."""
        safe = _SAFE_NAME.sub("_", Path(str(name)).name).strip("._")
        if not safe or not safe.lower().endswith(CLIP_SUFFIXES):
            raise ParameterError(
                f"upload {name!r}: the file name must end in one of {', '.join(CLIP_SUFFIXES)}"
            )
        return safe

    def upload_folder(self) -> Path:
        """``uploads/`` of the workspace (made if missing; refused if it leads outside)."""
        folder = self.root / "uploads"
        folder.mkdir(exist_ok=True)
        if not self.inside(folder) or not folder.is_dir():
            raise ParameterError("the workspace's uploads/ leads outside the workspace; remove that link")
        return folder

    def save_upload(self, name: str, chunks: Iterable[bytes], max_bytes: int, *, check) -> Path:
        """Write an uploaded file as ``uploads/<name>`` once ``check(path)`` reads it; return its path.

        ``chunks`` are written to a temporary file; past ``max_bytes`` the upload is
        refused (UploadTooLargeError). ``check`` raises an EchoStrainError for a file
        that does not read; then nothing is kept. An existing name is never
        overwritten (``name_2``, ``name_3``… instead).
        """
        safe = self.upload_name(name)
        folder = self.upload_folder()
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", suffix=Path(safe).suffix, dir=folder)
        tmp = Path(tmp_name)
        try:
            size = 0
            with os.fdopen(fd, "wb") as fh:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLargeError(
                            f"upload {safe} is larger than the limit of {max_bytes / 2**20:.0f} MiB; "
                            "start the studio with a larger --max-upload-mb or copy the file into the workspace"
                        )
                    fh.write(chunk)
            if size == 0:
                raise CorruptInputError(f"upload {safe} is empty; choose the clip file again")
            check(tmp)
            return _link_free_name(tmp, folder / safe)
        finally:
            tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------------ contours

    def contour_path(self, clip: Path) -> Path:
        """Where the ED contour of ``clip`` is saved: ``<clip file name>_ed.json`` beside it."""
        return clip.with_name(f"{clip.name}_ed.json")

    def report_dir(self, clip: Path) -> Path:
        """Where the analysis of ``clip`` is written: ``<clip file name>_analysis/`` beside it."""
        return clip.with_name(f"{clip.name}{REPORT_SUFFIX}")

    def report_file(self, relative: str) -> Path:
        """A file of a report folder (``*_analysis/``); ParameterError for any other file."""
        path = self.resolve(relative)
        if not any(part.endswith(REPORT_SUFFIX) for part in path.relative_to(self.root).parts[:-1]):
            raise ParameterError(f"{relative} is not a file of an analysis report; only reports are served")
        return path

    def save_contour(self, clip: Path, contour: dict[str, Any], image_shape_hw: tuple[int, int], *, check) -> Path:
        """Write ``contour`` (endo, epi, view, frame) beside ``clip`` after ``check(path, shape)`` reads it back."""
        target = self.contour_path(clip)
        text = json.dumps({k: contour[k] for k in ("endo", "epi", "view", "frame")}, indent=1) + "\n"
        fd, tmp_name = tempfile.mkstemp(prefix=".contour-", suffix=".json", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            check(tmp, image_shape_hw)
            os.replace(tmp, target)
            return target
        finally:
            tmp.unlink(missing_ok=True)


def _link_free_name(source: Path, path: Path) -> Path:
    """Hard-link ``source`` as ``path``, or ``stem_2.ext``, ``stem_3.ext``… if taken; the name used."""
    candidate, i = path, 2
    while True:
        try:
            os.link(source, candidate)
            return candidate
        except FileExistsError:
            candidate, i = path.with_name(f"{path.stem}_{i}{path.suffix}"), i + 1


def contour_payload(body: Any, n_frames: int) -> dict[str, Any]:
    """The contour the page sends, checked for shape: endo and epi ``[[x, y], …]``, view, frame."""
    if not isinstance(body, dict):
        raise ParameterError("the contour must be an object with endo, epi, view and frame")
    out: dict[str, Any] = {}
    endo = body.get("endo")
    if isinstance(endo, list) and len(endo) < MIN_CONTOUR_POINTS:
        raise GeometryError(
            f"the endocardium has {len(endo) or 'no'} point{'s' if len(endo) != 1 else ''}; "
            f"it needs at least {MIN_CONTOUR_POINTS}: "
            "click it on the ED frame from one basal hinge through the apex to the other"
        )
    for name in ("endo", "epi"):
        pts = body.get(name)
        try:
            arr = np.asarray(pts, dtype=float)
        except (TypeError, ValueError):
            raise GeometryError(f"the {name} contour must be a list of [x, y] points") from None
        if arr.ndim != 2 or arr.shape[1:] != (2,):
            raise GeometryError(f"the {name} contour must be a list of [x, y] points")
        out[name] = arr.round(3).tolist()
    out["view"] = body.get("view")
    frame = body.get("frame")
    if isinstance(frame, bool) or not isinstance(frame, int) or not 0 <= frame < n_frames:
        raise ParameterError(f"the ED frame must be a frame of the clip (0…{n_frames - 1}), got {frame!r}")
    out["frame"] = frame
    return out
