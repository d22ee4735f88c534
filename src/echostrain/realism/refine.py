"""Iterative refinement: real clips as templates, their tracked motion fed back into the simulator.

Round k (k = 1…iterations), with the tracker of round k − 1 (round 0: the
shipped TAS-Net or ``--weights``):

1. **Track** every real clip's wall (endo, mid-wall, epi; 49 points per layer)
   from its ED contour.
2. **Fit** a smooth, physiologically constrained motion to the tracks
   (:func:`fit_cycle_motion`). The cycle runs from ED (the contour's frame)
   to the next ED (the frame after ES where the wall is longest again). The
   tracks are smoothed in time (Savitzky–Golay) and along the wall, and the
   residual drift at the end of the cycle is spread linearly over the cycle
   so that the motion closes. A clip is rejected, with the reason, when:
   * it holds no full cycle;
   * the drift before closing exceeds ``max_closure_mm``;
   * its GLS lies outside −35…0 %;
   * the wall thickness drops below 1 mm;
   * a point moves more than 30 mm.
3. **Simulate** ``per_clip`` sequences per accepted clip in a 90° sector
   (real scanners image wider than the default 75°). Each uses the clip's
   frame as echogenicity template, the fitted wall motion (thin-plate motion
   around it), the shipped decorrelation and a new seed.
4. **Fine-tune** the tracker on the union of the base data and every round's
   sequences, starting from the previous round's weights. The tracking stage
   comes in through :class:`TrackerHooks` (given by the CLI), so this module
   does not import the stages above it.
5. **Measure** and append to ``DIR/rounds.csv``:
   * on the real clips, with the new tracker: the cycle drift and the
     forward–backward consistency (mm);
   * the decorrelation MAE of the new sequences against the shipped real
     profile;
   * the MTE of the new tracker on a fixed held-out synthetic test set.

Layout of ``DIR``:

* ``round_K/sequences/*.h5``
* ``round_K/model.safetensors`` and the training run in ``round_K/train/``
* ``round_K/fits.json`` (accepted and rejected clips)
* ``rounds.csv`` and ``rounds.png``
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import savgol_filter

from echostrain.anatomy.myocardium import Myocardium, load_myocardium
from echostrain.anatomy.template import template_scene
from echostrain.errors import ParameterError
from echostrain.io import read_video
from echostrain.io.video import EchoVideo
from echostrain.motion.lv_motion import LVMotion
from echostrain.motion.parameters import MotionParameters
from echostrain.anatomy.polyline import to_mm
from echostrain.strain import compute_strain
from echostrain.strain.phases import next_ed_frame

POINTS_PER_SEGMENT = 8
#: Sector of the simulations (degrees): real scanners image ~90°, wider than the default 75° scan.
REFINE_SECTOR_DEG = 90.0
ROUND_COLUMNS = ("round", "clips_used", "clips_rejected", "sequences", "real_drift_mm", "real_fb_mm",
                 "decorrelation_mae", "test_mte_mm", "seconds")


@dataclass(frozen=True)
class RefineSettings:
    iterations: int = 3
    per_clip: int = 2
    steps_per_round: int = 300
    batch_size: int = 2
    lr: float = 2e-4
    smooth_frames: int = 5
    max_closure_mm: float = 4.0
    seed: int = 0
    test_sequences: int = 6

    def __post_init__(self) -> None:
        for name in ("iterations", "per_clip", "steps_per_round", "batch_size", "test_sequences"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")


@dataclass
class FittedMotion:
    """A clip's wall motion over one cycle, in the template scene's mm (probe at the origin)."""

    endo_mm: np.ndarray  # [T, K, 2]
    epi_mm: np.ndarray  # [T, K, 2]
    es_frame: int
    fps: float
    closure_mm: float
    gls_pct: float
    segment_strain_pct: tuple[float, ...]


def fit_cycle_motion(tracks_px: np.ndarray, layer: np.ndarray, segment: np.ndarray,
                     px_to_scene_mm: Callable[[np.ndarray], np.ndarray],
                     spacing_mm: tuple[float, float], fps: float, view: str, smooth_frames: int = 5,
                     max_closure_mm: float = 4.0) -> FittedMotion | str:
    """Fit one closed, smooth cycle of wall motion to tracked wall points, or the reason for rejecting them."""
    st = compute_strain(tracks_px, spacing_mm, layer, segment, view=view, ed_frame=0, fps=fps)
    curve = st.gls_curves_pct["endo"]
    es = st.es_frame
    end = next_ed_frame(curve, es)
    if es < 2 or end - es < 2:
        return f"no full cycle (ES at frame {es}, next ED at frame {end} of {tracks_px.shape[0]})"
    cyc = tracks_px[: end + 1].astype(float)
    mm = px_to_scene_mm(cyc.reshape(-1, 2)).reshape(cyc.shape)
    win = min(smooth_frames if smooth_frames % 2 else smooth_frames + 1, (mm.shape[0] // 2) * 2 - 1)
    if win >= 3:
        mm = savgol_filter(mm, win, 2, axis=0)
    endo, epi = mm[:, layer == 0], mm[:, layer == 2]
    # along-wall smoothing (3-point) of the displacement, hinges kept
    for line in (endo, epi):
        disp = line - line[:1]
        disp[:, 1:-1] = (disp[:, :-2] + disp[:, 1:-1] + disp[:, 2:]) / 3.0
        line[:] = line[:1] + disp
    closure = float(np.mean(np.hypot(*(np.concatenate([endo, epi], 1)[-1] - np.concatenate([endo, epi], 1)[0]).T)))
    if closure > max_closure_mm:
        return f"drift over the cycle {closure:.1f} mm > {max_closure_mm:g} mm (tracking failed)"
    ramp = np.linspace(0.0, 1.0, mm.shape[0])[:, None, None]
    endo = endo - ramp * (endo[-1] - endo[0])
    epi = epi - ramp * (epi[-1] - epi[0])
    length = np.hypot(*np.diff(endo, axis=1).transpose(2, 0, 1)).sum(axis=1)  # endo line length (mm) per frame
    gls = float((length[es] - length[0]) / length[0] * 100.0)  # after closing the cycle
    if not -35.0 <= gls <= 0.0:
        return f"GLS {gls:.1f} % outside −35…0 % once the cycle is closed"
    thick = np.hypot(*(epi - endo).transpose(2, 0, 1))
    if thick.min() < 1.0:
        return f"wall thickness drops to {thick.min():.2f} mm"
    if np.max(np.hypot(*(endo - endo[:1]).transpose(2, 0, 1))) > 30.0:
        return "a wall point moves more than 30 mm"
    segs = tuple(float(v) for v in st.segment_es_pct)
    return FittedMotion(endo, epi, int(es), float(fps), closure, gls, segs)


def motion_for_scene(fit: FittedMotion, myocardium_mm: Myocardium) -> LVMotion:
    """An :class:`LVMotion` on the template scene whose wall follows the fitted tracks."""
    n = fit.endo_mm.shape[0]
    params = MotionParameters(
        pathology="tracked", gls_target_pct=fit.gls_pct, segment_strain_pct=fit.segment_strain_pct,
        segment_state=("tracked",) * 6, heart_rate_bpm=60.0 * fit.fps / max(n - 1, 1), fps=fit.fps,
        n_frames=n, es_frame=fit.es_frame, jitter_mm=0.0, jitter_phase_rad=(0.0, 0.0, 0.0, 0.0),
    )
    # the mesh starts on the scene's ED contour: shift the fitted tracks so their frame 0 matches it exactly
    wall = myocardium_mm.sample_points(POINTS_PER_SEGMENT, layers=(0, 2))
    endo0, epi0 = wall.xy_px[wall.layer == 0], wall.xy_px[wall.layer == 2]
    endo = fit.endo_mm - fit.endo_mm[:1] + endo0[None]
    epi = fit.epi_mm - fit.epi_mm[:1] + epi0[None]
    return LVMotion(myocardium_mm, params, POINTS_PER_SEGMENT, wall_tracks_mm=(endo, epi))


def _clip_geometry(video: EchoVideo, contour: Path, view: str | None) -> tuple[Any, Myocardium, Callable]:
    scene = template_scene(video, contour, view=view or "a4c", sector_deg=REFINE_SECTOR_DEG)
    dy, dx = scene.params.spacing_mm
    ax, ay = scene.params.apex_xy_px
    myo_px = load_myocardium(str(contour), view=scene.view, spacing_mm=(dy, dx), image_shape_hw=video.shape_hw)

    def to_mm(xy: np.ndarray) -> np.ndarray:
        return np.stack([(xy[:, 0] - ax) * dx, (xy[:, 1] - ay) * dy], axis=-1)

    return scene, myo_px, to_mm


@dataclass
class WallCycle:
    """A wall tracked from ED (frame 0): its strain, the end of its cycle and two tracking-quality figures."""

    tracks_px: np.ndarray  # float [T, N, 2]
    strain: Any  # StrainResult (ED = frame 0)
    next_ed: int
    drift_mm: float  # mean distance between ED and the next ED
    fb_mm: float  # mean distance to the start after tracking forward to the last frame and back
    seconds: float


def track_wall_cycle(tracker: Any, video: EchoVideo, wall: Any, view: str) -> WallCycle:
    """Track the wall points ``wall`` (WallPoints, px) of ``video`` from frame 0, forward and back."""
    q = np.concatenate([np.zeros((len(wall.xy_px), 1)), wall.xy_px], axis=1)
    res = tracker.track(video.frames, q)
    tracks = res.tracks_px.astype(np.float64)
    st = compute_strain(tracks, video.spacing_mm, wall.layer, wall.segment, view=view, ed_frame=0, fps=video.fps)
    end = next_ed_frame(st.gls_curves_pct[st.gls_layer], st.es_frame)
    last = video.n_frames - 1
    h, w = video.shape_hw
    back = tracker.track(video.frames, np.concatenate(
        [np.full((len(q), 1), float(last)), np.clip(tracks[last], 0, [w - 1, h - 1])], axis=1))

    def mean_mm(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.linalg.norm(to_mm(a - b, video.spacing_mm), axis=-1).mean())

    return WallCycle(tracks, st, end, mean_mm(tracks[end], tracks[0]), mean_mm(back.tracks_px[0], q[:, 1:]), res.seconds)


def _track_real(tracker: Any, items: list[dict]) -> tuple[list[WallCycle], float, float]:
    """Every real clip's wall tracked by ``tracker``, with the mean cycle drift and forward–backward consistency (mm)."""
    cycles = [track_wall_cycle(tracker, it["video"], it["wall"], it["view"]) for it in items]
    return cycles, float(np.mean([c.drift_mm for c in cycles])), float(np.mean([c.fb_mm for c in cycles]))


def _decorrelation_mae(files: list[Path]) -> float:
    from echostrain.realism.coherence import DEFAULT_PROFILE_PATH
    from echostrain.realism.decorrelation import DecorrelationProfile, combine_profiles, curve_mae, measure_decorrelation

    if not files:
        return math.nan
    real = DecorrelationProfile.from_json(DEFAULT_PROFILE_PATH)
    profs = []
    for f in files:
        clip = read_video(f)
        k = min(clip.n_frames - 1, max(1, math.ceil(real.max_lag_ms * clip.fps / 1000.0 - 1e-9)))
        profs.append(measure_decorrelation(clip, max_lag_frames=k, rng=np.random.default_rng(0), n_patches=150))
    return float(curve_mae(real, combine_profiles(profs)))


@dataclass(frozen=True)
class TrackerHooks:
    """What the loop needs from the tracking stage, given by the caller (realism does not import track).

    ``tracker(weights)`` returns an object with ``track(frames, queries)``;
    ``fine_tune(data_dirs, out_dir, init_weights, round)`` trains and returns
    the new weights file; ``test_mte(weights)`` is the MTE (mm) on the fixed
    held-out synthetic test set (NaN without one).
    """

    tracker: Callable[[Path], Any]
    fine_tune: Callable[[list[str], Path, Path, int], Path]
    test_mte: Callable[[Path], float]


def refine(
    clips: Sequence[str | os.PathLike[str]],
    contours: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    hooks: TrackerHooks,
    weights: str | os.PathLike[str],
    settings: RefineSettings = RefineSettings(),
    base_data: str | os.PathLike[str] | None = None,
    views: Sequence[str | None] | None = None,
    spacing_mm: tuple[float, float] | None = None,
    message: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the refinement loop (see the module docstring); returns the rows of rounds.csv.

    ``weights`` are the starting tracker's; ``hooks`` connect the tracking stage.
    """
    from echostrain.io.sequence import write_sequence
    from echostrain.sim.probe import SectorScan
    from echostrain.sim.sequence import SequenceConfig, simulate_sequence

    say = message or (lambda _m: None)
    clips = [Path(c) for c in clips]
    contours = [Path(c) for c in contours]
    if not clips:
        raise ParameterError("give at least one real clip (--real)")
    if len(contours) != len(clips):
        raise ParameterError(f"got {len(contours)} contour(s) for {len(clips)} clip(s); give one ED contour per clip, in order")
    views = list(views) if views else [None] * len(clips)
    if len(views) != len(clips):
        raise ParameterError(f"got {len(views)} --view value(s) for {len(clips)} clip(s)")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out} is a file; give a folder")
    if (out / "rounds.csv").exists():
        raise ParameterError(f"{out} already holds a refinement run (rounds.csv); choose another --out")
    items = []
    for clip, contour, view in zip(clips, contours, views):  # read and check everything first
        video = read_video(clip, spacing_mm=spacing_mm)
        scene, myo_px, to_mm = _clip_geometry(video, contour, view)
        spacing = scene.params.spacing_mm
        wall = myo_px.sample_points(POINTS_PER_SEGMENT)
        items.append({"clip": clip, "contour": contour, "video": video, "scene": scene, "wall": wall,
                      "to_mm": to_mm, "spacing": spacing, "view": scene.view})
    out.mkdir(parents=True, exist_ok=True)
    current = Path(weights)
    rows: list[dict[str, Any]] = []

    def record(row: dict[str, Any]) -> None:
        rows.append(row)
        with open(out / "rounds.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=ROUND_COLUMNS)
            w.writeheader()
            w.writerows([{k: r.get(k, "") for k in ROUND_COLUMNS} for r in rows])

    t0 = time.perf_counter()
    say("round 0: the starting tracker on the real clips and the test set")
    cycles, drift, fb = _track_real(hooks.tracker(current), items)
    record({"round": 0, "clips_used": "", "clips_rejected": "", "sequences": 0, "real_drift_mm": round(drift, 3),
            "real_fb_mm": round(fb, 3), "decorrelation_mae": "", "test_mte_mm": round(hooks.test_mte(current), 4),
            "seconds": round(time.perf_counter() - t0, 1)})
    data_dirs = [str(base_data)] if base_data is not None else []
    for k in range(1, settings.iterations + 1):
        t0 = time.perf_counter()
        rdir = out / f"round_{k}"
        seq_dir = rdir / "sequences"
        seq_dir.mkdir(parents=True, exist_ok=True)
        fits, new_files = {}, []
        for i, (it, cyc) in enumerate(zip(items, cycles)):  # the walls tracked by the current tracker
            fit = fit_cycle_motion(cyc.tracks_px, it["wall"].layer, it["wall"].segment, it["to_mm"],
                                   it["spacing"], it["video"].fps, it["view"], settings.smooth_frames,
                                   settings.max_closure_mm)
            name = it["clip"].stem
            if isinstance(fit, str):
                fits[name] = {"accepted": False, "reason": fit}
                say(f"round {k}: {name} rejected: {fit}")
                continue
            fits[name] = {"accepted": True, "closure_mm": fit.closure_mm, "gls_pct": fit.gls_pct,
                          "frames": int(fit.endo_mm.shape[0]), "es_frame": fit.es_frame}
            motion = motion_for_scene(fit, it["scene"].myocardium)
            for j in range(settings.per_clip):
                seed = int(np.random.SeedSequence([settings.seed, k, i, j]).generate_state(1)[0])
                cfg = SequenceConfig(view=it["view"], n_frames=fit.endo_mm.shape[0], pathology="normal",
                                     scan=SectorScan(sector_deg=REFINE_SECTOR_DEG))
                data = simulate_sequence(cfg, seed, scene=it["scene"], motion=motion)
                path = write_sequence(seq_dir / f"{name}_r{k}_{j}.h5", data)
                new_files.append(Path(path))
            say(f"round {k}: {name}: closure {fit.closure_mm:.2f} mm, GLS {fit.gls_pct:.1f} %, {settings.per_clip} sequences")
        (rdir / "fits.json").write_text(json.dumps(fits, indent=2) + "\n")
        if new_files:
            data_dirs.append(str(seq_dir))
        used = [n for n, f in fits.items() if f["accepted"]]
        rejected = [f"{n}: {f['reason']}" for n, f in fits.items() if not f["accepted"]]
        if data_dirs:
            current = Path(hooks.fine_tune(list(data_dirs), rdir, current, k))
            cycles, drift, fb = _track_real(hooks.tracker(current), items)
        record({"round": k, "clips_used": ";".join(used), "clips_rejected": " | ".join(rejected),
                "sequences": len(new_files), "real_drift_mm": round(drift, 3), "real_fb_mm": round(fb, 3),
                "decorrelation_mae": round(_decorrelation_mae(new_files), 4),
                "test_mte_mm": round(hooks.test_mte(current), 4), "seconds": round(time.perf_counter() - t0, 1)})
    _plot_rounds(rows, out / "rounds.png")
    (out / "settings.json").write_text(json.dumps({**asdict(settings), "clips": [str(c) for c in clips],
                                                   "contours": [str(c) for c in contours], "base_data": str(base_data),
                                                   "weights": str(weights)}, indent=2) + "\n")
    return rows


def _plot_rounds(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = [row["round"] for row in rows]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), dpi=100)
    try:
        axes[0].plot(r, [row["real_drift_mm"] for row in rows], "o-", label="cycle drift")
        axes[0].plot(r, [row["real_fb_mm"] for row in rows], "s-", label="forward–backward")
        axes[0].set_ylabel("mm (real clips)")
        axes[0].legend(fontsize=8)
        axes[1].plot(r, [row["test_mte_mm"] for row in rows], "o-", color="#d62728")
        axes[1].set_ylabel("test MTE (mm)")
        axes[2].plot(r[1:], [row["decorrelation_mae"] for row in rows[1:]], "o-", color="#2ca02c")
        axes[2].set_ylabel("decorrelation MAE")
        for ax in axes:
            ax.set_xlabel("round")
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
