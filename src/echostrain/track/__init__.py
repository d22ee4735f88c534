"""Point tracking: TAS-Net (ours), classical baselines, training and inference.

>>> from echostrain.track import load
>>> tracker = load("tasnet")                      # pretrained weights shipped with the package
>>> result = tracker.track(frames, queries)       # frames [T, H, W] in [0, 1]; queries [N, 3] (t, x, y)
>>> result.tracks_px.shape                        # (T, N, 2), (x, y) px

Methods: ``tasnet`` (:mod:`~echostrain.track.tasnet`), ``blockmatch``
(:mod:`~echostrain.track.blockmatch`) and ``opticalflow``
(:mod:`~echostrain.track.opticalflow`), all with the interface of
:class:`~echostrain.track.base.Tracker`.
"""

from __future__ import annotations

import os

from echostrain.core.checks import check_device
from echostrain.core.errors import ParameterError
from echostrain.track.base import MIN_TRACK_FRAMES, Tracker, TrackResult, check_track_input

#: Names accepted by :func:`load`.
METHODS = ("tasnet", "blockmatch", "opticalflow")


def load(name: str = "tasnet", weights: str | os.PathLike[str] | None = None, device: str = "cpu") -> Tracker:
    """A tracker by name; ``weights`` (TAS-Net only) replaces the shipped pretrained weights."""
    key = str(name).strip().lower()
    if key == "tasnet":
        from echostrain.track.tasnet import TASNetTracker

        return TASNetTracker(weights=weights, device=check_device(device))
    if weights is not None:
        raise ParameterError(f"`weights` applies to tasnet only, not to {key}")
    if key == "blockmatch":
        from echostrain.track.blockmatch import BlockMatchTracker

        return BlockMatchTracker()
    if key == "opticalflow":
        from echostrain.track.opticalflow import OpticalFlowTracker

        return OpticalFlowTracker()
    raise ParameterError(f"unknown tracking method {name!r}; use one of {', '.join(METHODS)}")


__all__ = ["METHODS", "MIN_TRACK_FRAMES", "TrackResult", "Tracker", "check_track_input", "load"]
