"""Synthetic apical echo sequences whose every speckle moves with a known LV motion.

:func:`simulate_sequence` draws (from one seed) an apical scene, an LV motion
and the scatterers, moves the scatterers with the motion's dense field,
renders every frame with a simulation engine, and returns the frames with
the true tracks of myocardial points (endo, mid-wall, epi, with segment
labels) and of tissue points, the myocardium mask of every frame and the
true GLS and segmental strain computed from the true tracks by
:mod:`echostrain.strain`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from echostrain import __version__
from echostrain.anatomy.scene import ApicalScene, sample_scene
from echostrain.anatomy.polyline import myocardium_mask
from echostrain.core.errors import ParameterError
from echostrain.core.seeds import seed_streams
from echostrain.io.sequence import SequenceData
from echostrain.motion.lv_motion import LVMotion, sample_motion
from echostrain.sim.probe import MAX_SECTOR_DEG, PhasedArray, SectorScan, get_probe
from echostrain.sim.sequence_config import SequenceConfig
from echostrain.sim.coherence import AmplitudeRenewal
from echostrain.sim.scatterers import Scatterers, amplitude_from_echogenicity, fill_sector
from echostrain.sim.simulator import Simulator
from echostrain.strain.analysis import compute_strain

#: Extra sector (degrees) and depth (m) filled with scatterers, so tissue that
#: moves into the image never leaves a hole at its edges.
_FILL_MARGIN_DEG, _FILL_MARGIN_M = 6.0, 0.01


_STREAMS = ("scene", "motion", "scatterers", "tissue_points", "decorrelation")


def _tissue_points_mm(
    motion: LVMotion, scan: SectorScan, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Random ED points in the sector (10–95 % of the depth), outside the myocardium."""
    pts: list[np.ndarray] = []
    while sum(len(p) for p in pts) < n:
        r = np.sqrt(rng.uniform((0.1 * scan.depth_m) ** 2, (0.95 * scan.depth_m) ** 2, 4 * n)) * 1e3
        th = rng.uniform(-0.9, 0.9, 4 * n) * scan.half_angle_rad
        cand = np.stack([r * np.sin(th), r * np.cos(th)], axis=-1)
        pts.append(cand[~motion.bind(cand).inside])
    return np.concatenate(pts)[:n]


def _scene_and_motion(
    config: SequenceConfig, rngs: dict[str, np.random.Generator], scene: ApicalScene | None,
    motion: LVMotion | None,
) -> tuple[ApicalScene, LVMotion]:
    """The given or sampled scene, and the given or sampled motion on its myocardium."""
    scan = config.scan
    if scene is None:
        scene = sample_scene(config.view, rngs["scene"], depth_mm=scan.depth_m * 1e3, sector_deg=scan.sector_deg)
    elif scene.view != config.view:
        raise ParameterError(f"the scene is an {scene.view} view but the config asks for {config.view}")
    if motion is None:
        _, motion = sample_motion(
            scene.myocardium, rngs["motion"], config.n_frames, config.pathology, config.points_per_segment
        )
    elif motion.myocardium is not scene.myocardium:
        raise ParameterError("a given motion must be built on the given scene's myocardium")
    return scene, motion


@dataclass
class _Speckle:
    """ED scatterers: positions (mm), amplitudes, and the renewal that decorrelates them (or None)."""

    ed_mm: np.ndarray
    amplitude: np.ndarray
    renewal: AmplitudeRenewal | None
    count: int


def _speckle(
    config: SequenceConfig, probe: PhasedArray, scene: ApicalScene, fps: float,
    rngs: dict[str, np.random.Generator],
) -> _Speckle:
    """Scatterers filling the sector (and a margin), scaled by the scene's echogenicity."""
    scan = config.scan
    fill_scan = scan.with_(sector_deg=min(scan.sector_deg + _FILL_MARGIN_DEG, MAX_SECTOR_DEG), depth_m=scan.depth_m + _FILL_MARGIN_M)
    speckle = fill_sector(probe, fill_scan, config.per_cell, rngs["scatterers"])
    ed_mm = np.stack([speckle.x_m, speckle.z_m], axis=-1) * 1e3
    echo = np.clip(scene.echogenicity.sample(ed_mm[:, 0], ed_mm[:, 1]), 0.0, 1.0)
    scale = amplitude_from_echogenicity(echo, config.settings.dynamic_range_db)
    renewal = None
    if config.coherence is not None:
        renewal = AmplitudeRenewal(
            speckle.amplitude, scale, config.coherence, fps, rngs["decorrelation"],
            depth_mm=np.hypot(ed_mm[:, 0], ed_mm[:, 1]),
        )
    return _Speckle(ed_mm, speckle.amplitude * scale, renewal, len(speckle))


def _render(
    sim: Simulator, motion: LVMotion, speckle: _Speckle, tissue_ed_mm: np.ndarray,
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Frames uint8 [T, H, W], true tracks mm [T, wall + tissue, 2] and the engine's reference level."""
    conv = sim.converter
    binding, tissue_binding = motion.bind(speckle.ed_mm), motion.bind(tissue_ed_mm)
    wall_mm = motion.myocardial_tracks()[0]
    n_frames, n_wall = motion.params.n_frames, wall_mm.shape[1]
    frames = np.empty((n_frames, conv.height, conv.width), np.uint8)
    tracks_mm = np.empty((n_frames, n_wall + len(tissue_ed_mm), 2))
    reference = None
    for t in range(n_frames):
        pos = np.ascontiguousarray(motion.positions(binding, t).T) * 1e-3
        front = pos[1] >= 0.0  # near-field tissue pushed behind the probe face leaves the image
        amp = speckle.amplitude if speckle.renewal is None else speckle.renewal.next(first=t == 0)
        frames[t], reference = sim.frame(Scatterers(pos[0, front], pos[1, front], amp[front]), reference)
        tracks_mm[t, :n_wall] = wall_mm[t]
        tracks_mm[t, n_wall:] = motion.positions(tissue_binding, t)
        if progress is not None:
            progress(t + 1, n_frames)
    return frames, tracks_mm, reference


def simulate_sequence(
    config: SequenceConfig,
    seed: int,
    scene: ApicalScene | None = None,
    progress: Callable[[int, int], None] | None = None,
    motion: LVMotion | None = None,
) -> SequenceData:
    """Simulate one sequence; the same config and seed give identical output.

    ``scene`` replaces the procedural scene (e.g. a template from a real clip);
    ``motion`` (built on that scene's myocardium, e.g. motion tracked on a real
    clip) replaces the sampled cardiac motion.
    ``progress(done, total)`` is called after every frame.
    """
    rngs = seed_streams(seed, _STREAMS)
    probe: PhasedArray = get_probe(config.probe)
    scan = config.scan
    scene, motion = _scene_and_motion(config, rngs, scene, motion)
    params = motion.params
    speckle = _speckle(config, probe, scene, params.fps, rngs)
    sim = Simulator(config.engine, probe, scan, config.settings, device=config.device)
    conv = sim.converter
    _, layer, segment = motion.myocardial_tracks()
    tissue_ed = _tissue_points_mm(motion, scan, config.n_tissue_points, rngs["tissue_points"])
    frames, tracks_mm, reference = _render(sim, motion, speckle, tissue_ed, progress)

    tracks_px = conv.xz_m_to_px(tracks_mm[..., 0] * 1e-3, tracks_mm[..., 1] * 1e-3).astype(np.float32)
    k = motion.n_columns
    masks = np.stack([
        myocardium_mask(tracks_px[t, :k], tracks_px[t, 2 * k : 3 * k], (conv.height, conv.width))
        for t in range(len(frames))
    ])
    layer_all = np.concatenate([layer, np.full(len(tissue_ed), -1, np.int8)])
    segment_all = np.concatenate([segment, np.full(len(tissue_ed), -1, np.int8)])
    strain = compute_strain(
        tracks_px, conv.spacing_mm, layer_all, segment_all, view=config.view,
        ed_frame=0, es_frame=params.es_frame, fps=params.fps,
    )
    parameters = {
        "probe": asdict(probe),
        "scan": asdict(scan),
        "settings": asdict(config.settings),
        "scene": scene.params.to_dict() if hasattr(scene.params, "to_dict") else asdict(scene.params),
        "motion": params.to_dict(),
        "annulus_descent_mm": motion.annulus_descent_mm(),
        "per_cell": config.per_cell,
        "n_scatterers": speckle.count,
        "reference_level": reference,
        "n_tissue_points": len(tissue_ed),
        "coherence": None if config.coherence is None else config.coherence.to_dict(),
    }
    return SequenceData(
        frames=frames,
        tracks=tracks_px,
        track_layer=layer_all,
        track_segment=segment_all,
        myocardium_mask=masks,
        spacing_mm=conv.spacing_mm,
        fps=float(params.fps),
        view=config.view,
        ed_index=0,
        es_index=int(params.es_frame),
        seed=int(seed),
        engine=config.engine,
        gls_pct=strain.gls_curves_pct["endo"].astype(np.float32),
        segmental_pct=strain.segment_curves_pct.astype(np.float32),
        parameters=parameters,
        version=__version__,
    )
