"""``echostrain simulate``: one sequence simulated (optionally on a real clip's frame), or a real frame warped, written to a file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from echostrain.anatomy.template import template_scene
from echostrain.core.errors import ParameterError
from echostrain.io import read_video
from echostrain.io.sequence import SequenceData, write_sequence
from echostrain.sim.sequence import SequenceConfig, simulate_sequence
from echostrain.sim.warp import WarpConfig, warp_clip


def simulate_to_file(
    out: str | os.PathLike[str],
    config: SequenceConfig,
    seed: int,
    *,
    template: str | os.PathLike[str] | None = None,
    contour: str | os.PathLike[str] | None = None,
    template_spacing_mm: tuple[float, float] | None = None,
    template_frame: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> SequenceData:
    """Simulate a sequence and write it to ``out`` (.h5); returns it.

    With ``template`` (a real clip) and ``contour`` (its ED myocardium), frame
    ``template_frame`` of the clip is the echogenicity map of the scene.
    """
    scene = None
    if template is not None or contour is not None:
        if template is None or contour is None:
            raise ParameterError("a template needs both `template` (a clip) and `contour` (its ED myocardium)")
        clip = read_video(template, spacing_mm=template_spacing_mm)
        scene = template_scene(clip, Path(contour), view=config.view, frame=template_frame,
                               depth_mm=config.scan.depth_m * 1e3, sector_deg=config.scan.sector_deg)
    data = simulate_sequence(config, seed, scene=scene, progress=progress)
    write_sequence(out, data)
    return data


def warp_to_file(
    out: str | os.PathLike[str],
    clip_path: str | os.PathLike[str],
    contour: str | os.PathLike[str],
    config: WarpConfig,
    seed: int,
    *,
    spacing_mm: tuple[float, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SequenceData:
    """Warp frame ``config.frame`` of a real clip by a known LV motion (:func:`warp_clip`) and write it to ``out``."""
    clip = read_video(clip_path, spacing_mm=spacing_mm)
    data = warp_clip(clip, contour, config, seed, progress=progress)
    write_sequence(out, data)
    return data
