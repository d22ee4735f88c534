"""What a studio server is: :class:`StudioSettings`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from echostrain.core.errors import ParameterError

#: Largest upload accepted by default (MiB).
DEFAULT_MAX_UPLOAD_MB = 512.0


@dataclass(frozen=True)
class StudioSettings:
    """Where the studio works and how it listens.

    ``workspace``: the only folder the page may read or write (clips,
    contours, reports); ``clips``: paths inside it to list first;
    ``host``/``port``: the address it listens on (127.0.0.1 unless told
    otherwise); ``max_upload_mb``: the largest upload it accepts.
    """

    workspace: Path
    clips: tuple[Path, ...] = field(default_factory=tuple)
    host: str = "127.0.0.1"
    port: int = 8765
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB

    def __post_init__(self) -> None:
        root = Path(self.workspace).expanduser()
        if not root.is_dir():
            raise ParameterError(f"`workspace` {root} is not a folder; give an existing folder of clips")
        object.__setattr__(self, "workspace", root.resolve())
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ParameterError(f"`port` must be a whole number within 0…65535, got {self.port!r}")
        if not (isinstance(self.max_upload_mb, (int, float)) and math.isfinite(self.max_upload_mb)
                and self.max_upload_mb > 0):
            raise ParameterError(f"`max_upload_mb` must be a positive number of MiB, got {self.max_upload_mb!r}")
        if not str(self.host).strip():
            raise ParameterError("`host` is empty; give an address such as 127.0.0.1")
        clips = []
        for clip in self.clips:
            p = Path(clip).expanduser().resolve()
            if not p.is_file():
                raise ParameterError(f"clip {clip} does not exist or is not a file; check the path")
            if not p.is_relative_to(self.workspace):
                raise ParameterError(
                    f"clip {clip} lies outside the workspace {self.workspace}; give `workspace` a folder that holds it"
                )
            clips.append(p)
        object.__setattr__(self, "clips", tuple(clips))

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)
