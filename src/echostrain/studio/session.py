"""What the studio keeps between requests: opened clips, their frames as PNG, and the one analysis job.

An analysis runs :func:`echostrain.workflows.analyze.analyze` in a
background thread; a second one while it runs is refused
(:class:`BusyError`). Its result is read back from the report folder the
analysis wrote (the tracks file and ``summary.json``): the page shows what
the report holds, nothing computed twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from echostrain.core.errors import CorruptInputError, EchoStrainError, ParameterError
from echostrain.core.vocabulary import VIEWS, WALL_SMOOTHING_POINTS
from echostrain.io import read_video
from echostrain.io.atomic import write_text_atomic
from echostrain.io.contours import read_myocardium_contours
from echostrain.io.tracks import read_tracks
from echostrain.io.video import EchoVideo
from echostrain.workflows.clip_phases import suggest_phases
from echostrain.strain.phases import check_es_after_ed
from echostrain.studio.workspace import Workspace
from echostrain.track import METHODS

#: File of a report folder that ties it to the contour it was made from.
STAMP = "studio.json"
_CACHED_CLIPS = 4


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class BusyError(ParameterError):
    """An analysis is already running."""


def clip_view(video: EchoVideo) -> str | None:
    view = str(video.metadata.get("view", "")).strip().lower()
    return view if view in VIEWS else None


def clip_summary(rel: str, video: EchoVideo) -> dict[str, Any]:
    """What the page shows of an opened clip."""
    t, h, w = video.frames.shape
    phases = suggest_phases(video)
    warnings = []
    if video.spacing_mm is None:
        warnings.append("the file gives no pixel size: enter dy, dx in mm before the analysis, or strain has no scale")
    if video.fps is None:
        warnings.append("the file gives no frame rate: enter it (frames/s), or times are in frames")
    return {
        "path": rel, "frames": t, "height": h, "width": w,
        "spacing_mm": list(video.spacing_mm) if video.spacing_mm else None, "fps": video.fps,
        "view": clip_view(video), "ed_frame": phases["ed_frame"], "es_frame": phases["es_frame"],
        "phase_source": phases["source"], "warnings": warnings,
    }


def frame_png(video: EchoVideo, index: int) -> bytes:
    """Frame ``index`` as 8-bit grey PNG bytes."""
    from PIL import Image

    t = video.frames.shape[0]
    if not 0 <= index < t:
        raise ParameterError(f"frame {index} is not a frame of the clip (0…{t - 1})")
    img = Image.fromarray(np.round(np.clip(video.frames[index], 0, 1) * 255).astype(np.uint8), mode="L")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


@dataclass
class Job:
    """The state of the analysis the page polls."""

    clip: str = ""
    state: str = "idle"  # idle, running, done, error
    messages: list[str] = field(default_factory=list)
    error: str | None = None
    report: str | None = None
    started_s: float = 0.0
    seconds: float = 0.0


class Session:
    """Opened clips (a few kept in memory) and the analysis job of one studio server."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._clips: OrderedDict[Path, EchoVideo] = OrderedDict()
        self._lock = threading.Lock()
        self.job = Job()
        self._thread: threading.Thread | None = None

    def video(self, path: Path) -> EchoVideo:
        with self._lock:
            if path in self._clips:
                self._clips.move_to_end(path)
                return self._clips[path]
        video = read_video(path)
        with self._lock:
            self._clips[path] = video
            while len(self._clips) > _CACHED_CLIPS:
                self._clips.popitem(last=False)
        return video

    # ------------------------------------------------------------------ analysis

    def analysed(self, clip: Path) -> bool:
        """Whether ``clip`` has a report made from its current saved contour, with today's wall regularisation."""
        stamp = self.workspace.report_dir(clip) / STAMP
        contour = self.workspace.contour_path(clip)
        if not (stamp.is_file() and contour.is_file() and (self.workspace.report_dir(clip) / "summary.json").is_file()):
            return False
        try:
            made = json.loads(stamp.read_text())
            return (made.get("contour_sha256") == _sha256(contour)
                    and made.get("wall_smoothing_points") == WALL_SMOOTHING_POINTS)
        except (OSError, ValueError, AttributeError):
            return False

    def start_analysis(self, clip: Path, contour: Path, *, method: str, spacing_mm: tuple[float, float] | None,
                       fps: float | None, ed_frame: int, es_frame: int | None, view: str | None) -> None:
        """Run the analysis of ``clip`` in the background; BusyError while one runs."""
        if method not in METHODS:
            raise ParameterError(f"unknown tracking method {method!r}; use one of {', '.join(METHODS)}")
        frames = self.video(clip).frames
        read_myocardium_contours(contour, frames.shape[1:])
        if es_frame is not None:
            check_es_after_ed(es_frame, ed_frame, frames.shape[0], subject=f"the ES frame {es_frame}")
        with self._lock:
            if self.job.state == "running":
                raise BusyError(
                    f"an analysis of {self.job.clip} is running; wait for it to finish before starting another"
                )
            self.job = Job(clip=self.workspace.relative(clip), state="running", started_s=time.monotonic())
        job = self.job

        def run() -> None:
            from echostrain.workflows.analyze import analyze

            out = self.workspace.report_dir(clip)
            digest = _sha256(contour)
            try:
                (out / STAMP).unlink(missing_ok=True)
                analyze([clip], [contour], out, views=[view], method=method, query_frame=ed_frame,
                        spacing_mm=spacing_mm, fps=fps, es_frames=[es_frame], message=job.messages.append)
                write_text_atomic(out / STAMP, json.dumps({"contour_sha256": digest, "ed_frame": ed_frame,
                                                           "wall_smoothing_points": WALL_SMOOTHING_POINTS}) + "\n")
                job.report = self.workspace.relative(out / "report.html")
                job.state = "done"
            except EchoStrainError as exc:
                job.error, job.state = " ".join(str(exc).split()), "error"
            except Exception as exc:  # a bug: shown in the page rather than lost in a thread
                job.error, job.state = f"the analysis failed unexpectedly ({type(exc).__name__}: {exc})", "error"
            finally:
                job.seconds = time.monotonic() - job.started_s

        self._thread = threading.Thread(target=run, name="echostrain-studio-analysis", daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float | None = None) -> None:
        """Wait for the running analysis (tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def job_state(self) -> dict[str, Any]:
        j = self.job
        seconds = time.monotonic() - j.started_s if j.state == "running" else j.seconds
        return {"clip": j.clip, "state": j.state, "messages": list(j.messages), "error": j.error,
                "report": j.report, "seconds": round(seconds, 1)}

    def result(self, clip: Path) -> dict[str, Any]:
        """The analysis of ``clip`` as written in its report folder: GLS, segments, tracks per frame."""
        out = self.workspace.report_dir(clip)
        if not self.analysed(clip):
            raise ParameterError(
                f"{self.workspace.relative(clip)} has no analysis of its saved contour yet; run the analysis"
            )
        try:
            summary = json.loads((out / "summary.json").read_text())
            entry = summary["clips"][0]
            tracks = read_tracks(out / entry["tracks"])
            strain = entry["strain"]
        except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            raise CorruptInputError(
                f"the report in {self.workspace.relative(out)} is incomplete ({type(exc).__name__}); run the analysis again"
            ) from None
        rel = lambda name: self.workspace.relative(out / name)  # noqa: E731
        return {
            "view": entry["view"], "method": entry["method"], "gls_pct": summary["gls_pct"][entry["view"]],
            "ed_frame": strain.get("ed_frame"), "es_frame": strain.get("es_frame"),
            "segments": [{"name": s.get("name"), "end_systolic_pct": s.get("end_systolic_pct")}
                         for s in strain.get("segments", [])],
            "tracks": np.round(tracks.tracks, 2).tolist(), "layer": tracks.layer.tolist(),
            "report": rel("report.html"), "curves": rel(entry["curves"]), "bullseye": rel("bullseye.png"),
        }
