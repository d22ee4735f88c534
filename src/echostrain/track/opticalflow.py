"""Dense optical flow baseline: OpenCV DIS (or Farnebäck) flow integrated along each trajectory.

For consecutive frames the dense flow is computed (forward t → t+1 for
frames after a point's query frame, backward t → t−1 before it) and each
point moves by the flow bilinearly sampled at its current position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from echostrain.core.checks import inside_image
from echostrain.core.errors import ParameterError
from echostrain.track.base import TrackResult, Tracker, chain_from_query

FLOW_METHODS = ("dis", "farneback")


@dataclass(frozen=True)
class OpticalFlowSettings:
    """``method``: dis or farneback; ``preset``: DIS preset (ultrafast, fast, medium)."""

    method: str = "dis"
    preset: str = "medium"

    def __post_init__(self) -> None:
        if self.method not in FLOW_METHODS:
            raise ParameterError(f"unknown optical flow {self.method!r}; use one of {', '.join(FLOW_METHODS)}")
        if self.preset not in ("ultrafast", "fast", "medium"):
            raise ParameterError(f"unknown DIS preset {self.preset!r}; use ultrafast, fast or medium")


class OpticalFlowTracker(Tracker):
    """Points carried by OpenCV dense optical flow."""

    name = "opticalflow"

    def __init__(self, settings: OpticalFlowSettings | None = None) -> None:
        import cv2  # noqa: F401  (fail early if OpenCV is missing)

        self.settings = settings or OpticalFlowSettings()

    def _flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        import cv2

        if self.settings.method == "dis":
            preset = {
                "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
                "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
                "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
            }[self.settings.preset]
            return cv2.DISOpticalFlow_create(preset).calc(a, b, None)
        return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 4, 21, 5, 7, 1.5, 0)

    def _track(self, frames: np.ndarray, queries: np.ndarray) -> TrackResult:
        grey = np.round(frames * 255.0).astype(np.uint8)
        cache: dict[tuple[int, int], np.ndarray] = {}

        def step(t0: int, t1: int, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            if (t0, t1) not in cache:
                cache[(t0, t1)] = self._flow(grey[t0], grey[t1])
            flow = cache[(t0, t1)]
            coords = [xy[:, 1], xy[:, 0]]
            dx = ndimage.map_coordinates(flow[..., 0], coords, order=1, mode="nearest")
            dy = ndimage.map_coordinates(flow[..., 1], coords, order=1, mode="nearest")
            return xy + np.stack([dx, dy], axis=1), np.ones(len(xy))

        tracks, score = chain_from_query(frames.shape[0], queries, step)
        visible = inside_image(tracks, frames.shape[1:])
        return TrackResult(tracks.astype(np.float32), visible, score.astype(np.float32), self.name)
