"""Whole-scene motion augmentation: pixels and tracks move by one rigid map per frame."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter, map_coordinates

from echostrain.core.errors import ParameterError
from echostrain.data.clips import ClipSettings, ClipSource, draw_clip, point_visibility
from echostrain.data.scene_motion import SceneMotion, scene_maps, scene_motion_augment

ALWAYS = SceneMotion(probability=1.0)


def _clip(n_frames: int = 12, h: int = 96, w: int = 120) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    texture = gaussian_filter(np.random.default_rng(0).random((h, w)), 2.0)
    texture = (texture - texture.min()) / np.ptp(texture)
    frames = torch.as_tensor(np.repeat(texture[None], n_frames, 0), dtype=torch.float32)
    tracks = np.tile(np.array([[40.0, 30.0], [70.0, 60.0], [60.0, 45.0], [50.0, 55.0]])[None], (n_frames, 1, 1))
    return frames, tracks, texture


def test_moved_pixels_show_the_tissue_of_the_moved_tracks() -> None:
    frames, tracks, texture = _clip()
    out, moved, _ = scene_motion_augment(frames, tracks, np.ones(texture.shape, bool), 0.3,
                                         np.random.default_rng(3), motion=ALWAYS)
    assert np.abs(moved - tracks).max() > 3.0  # the scene did move by several px
    for t in range(frames.shape[0]):
        seen = map_coordinates(out[t].numpy(), [moved[t, :, 1], moved[t, :, 0]], order=1)
        truth = map_coordinates(texture, [tracks[t, :, 1], tracks[t, :, 0]], order=1)
        np.testing.assert_allclose(seen, truth, atol=0.02)


def test_the_map_is_rigid_and_within_its_ranges() -> None:
    mm_per_px = 0.25
    motion = SceneMotion(probability=1.0, beat_shift_mm=2.0, breath_shift_mm=1.0, rotation_deg=3.0)
    maps = scene_maps(200, np.array([50.0, 40.0]), mm_per_px, np.random.default_rng(7), motion)
    rot = maps[:, :, :2]
    np.testing.assert_allclose(np.einsum("lji,ljk->lik", rot, rot), np.broadcast_to(np.eye(2), rot.shape), atol=1e-12)
    angle_deg = np.degrees(np.arctan2(rot[:, 1, 0], rot[:, 0, 0]))
    assert np.abs(angle_deg).max() <= 3.0 + 1e-9
    centre_shift_mm = np.abs(maps[:, :, :2] @ np.array([50.0, 40.0]) + maps[:, :, 2] - [50.0, 40.0]) * mm_per_px
    assert centre_shift_mm.max() <= 2.0 + 1.0 + 1e-9


def test_content_stays_in_the_fixed_sector_and_blank_inflow_is_not_visible() -> None:
    frames, tracks, texture = _clip()
    sector = np.zeros(texture.shape, bool)
    sector[:, 20:100] = True
    # a point resting outside the sector, which the move may carry in
    tracks = np.concatenate([tracks, np.tile([[10.0, 48.0]], (tracks.shape[0], 1, 1))], axis=1)
    out, moved, kept = scene_motion_augment(frames, tracks, sector, 0.3, np.random.default_rng(1), motion=ALWAYS)
    assert float(out[:, ~sector].abs().max()) == 0.0
    assert kept.sum() < sector.sum() and not kept[~sector].any()  # the blank strip the move brought in
    visible = point_visibility(moved, kept)
    assert not visible[:, -1].any()  # the point from outside never counts as visible
    assert visible[:, :-1].all()  # the tissue points inside do


def test_probability_zero_leaves_the_clip_and_same_seed_gives_same_clip() -> None:
    frames, tracks, texture = _clip()
    sector = np.ones(texture.shape, bool)
    out, moved, kept = scene_motion_augment(frames, tracks, sector, 0.3, np.random.default_rng(0),
                                            motion=SceneMotion(probability=0.0))
    assert out is frames and moved is tracks and kept is sector
    a = scene_motion_augment(frames, tracks, sector, 0.3, np.random.default_rng(5), motion=ALWAYS)
    b = scene_motion_augment(frames, tracks, sector, 0.3, np.random.default_rng(5), motion=ALWAYS)
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])


def test_draw_clip_applies_it_only_when_asked() -> None:
    frames, tracks, texture = _clip(n_frames=10)
    source = ClipSource(frames=(frames * 255).to(torch.uint8), tracks=tracks.astype(np.float32),
                        layer=np.array([0, 1, 2, -1], np.int8), segment=np.array([1, 2, 3, 0], np.int8),
                        sector=np.ones(texture.shape, bool), spacing_mm=(0.3, 0.3))
    plain = ClipSettings(clip_frames=8, n_points=4, points="tracks")
    moving = ClipSettings(clip_frames=8, n_points=4, points="tracks", scene_motion=True)
    a = draw_clip(source, plain, np.random.default_rng(11))
    b = draw_clip(source, plain, np.random.default_rng(11))
    assert torch.equal(a["tracks"], b["tracks"])
    # some seed moves the scene: the tracks then differ from frame to frame
    spread = [float(draw_clip(source, moving, np.random.default_rng(s))["tracks"].std(dim=0).max()) for s in range(6)]
    assert max(spread) > 1.0
    assert float(a["tracks"].std(dim=0).max()) < 1e-4


@pytest.mark.parametrize("kwargs", [{"probability": 1.5}, {"beat_shift_mm": -1.0}, {"rotation_deg": float("nan")},
                                    {"period_frames": (1.0, 5.0)}, {"period_frames": (30.0, 20.0)}])
def test_impossible_ranges_are_refused(kwargs: dict) -> None:
    with pytest.raises(ParameterError, match="scene motion"):
        SceneMotion(**kwargs)
