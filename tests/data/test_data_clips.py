"""The one clip pipeline (windows, mesh points, augmentation, query frames, batches), splits and discovery."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from echostrain.core.errors import InputNotFoundError, ParameterError
from echostrain.data import collect_sequences, list_sequences, split_files
from echostrain.data.clips import ClipSettings, ClipSource, collate_sequences, draw_clip, draw_window
from echostrain.data.points import mesh_points, tissue_quota

S, T_ALL, N_LAYERS, N_COLS, N_TISSUE = 40, 24, 3, 5, 4


def mesh_source(seed: int = 0) -> ClipSource:
    """A square sequence: a 3 × 5 wall mesh (endo → epi) moving right, 4 tissue points, a round sector."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:S, 0:S]
    sector = np.hypot(xx - 19.5, yy - 19.5) < 18
    frames = (rng.integers(1, 256, (T_ALL, S, S)) * sector).astype(np.uint8)
    t = np.arange(T_ALL, dtype=float)[:, None]
    layer_i, col_i = np.divmod(np.arange(N_LAYERS * N_COLS), N_COLS)
    wall = np.stack(np.broadcast_arrays(12.0 + 3 * col_i + 0.2 * t, 14.0 + 4 * layer_i + 0 * t), axis=-1)
    tissue = np.stack(np.broadcast_arrays(np.array([10.0, 20, 30, 38.5]) + 0 * t, 25.0 + 0 * t), axis=-1)
    return ClipSource(
        frames=torch.from_numpy(frames),
        tracks=np.concatenate([wall, tissue], axis=1).astype(np.float32),
        layer=np.concatenate([layer_i, np.full(N_TISSUE, -1)]).astype(np.int8),
        segment=np.concatenate([col_i, np.full(N_TISSUE, -1)]).astype(np.int8),
        sector=sector,
        spacing_mm=(0.4, 0.4),
    )


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_list_and_collect_sequences_skip_temporaries(tmp_path):
    for name in ("b.h5", "a.h5", ".x.tmp-123.h5", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    other = tmp_path / "other"
    other.mkdir()
    (other / "c.h5").write_bytes(b"x")
    assert list_sequences(tmp_path) == [tmp_path / "a.h5", tmp_path / "b.h5"]
    assert collect_sequences([tmp_path, other / "c.h5"]) == [tmp_path / "a.h5", tmp_path / "b.h5", other / "c.h5"]
    assert collect_sequences([other]) == [other / "c.h5"]
    with pytest.raises(ParameterError, match="`paths` .*missing does not exist"):
        collect_sequences([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".y.tmp-9.h5").write_bytes(b"x")
    with pytest.raises(ParameterError, match="`paths` .*empty holds no sequence files"):
        collect_sequences([tmp_path / "empty"])


def test_split_files(tmp_path):
    for name in ("s0.h5", "s1.h5", "s2.h5"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "manifest.csv").write_text("id,file,split\n2,s2.h5,train\n0,s0.h5,val\n1,s1.h5,train\n")
    assert split_files(tmp_path, "train") == [tmp_path / "s2.h5", tmp_path / "s1.h5"]  # manifest order
    assert split_files(tmp_path, None) == [tmp_path / f"s{i}.h5" for i in range(3)]
    with pytest.raises(ParameterError, match="`split` 'test' has no rows"):
        split_files(tmp_path, "test")
    with pytest.raises(ParameterError, match="`manifest` is None"):
        split_files(tmp_path, "train", manifest=None)
    with pytest.raises(ParameterError, match="which does not exist"):
        split_files(tmp_path, "train", manifest="other.csv")
    with pytest.raises(InputNotFoundError):
        split_files(tmp_path / "missing", None)


def test_tissue_quota_and_settings():
    assert [tissue_quota(n, 0.2, 4, 10) for n in (1, 2, 3, 8, 10, 48)] == [0, 0, 1, 2, 2, 10]
    assert tissue_quota(10, 0.25, 4, 10) == 3  # halves round up
    assert tissue_quota(10, 0.5, 0, 10) == 0 and tissue_quota(10, 0.5, 4, 0) == 10
    with pytest.raises(ParameterError, match="`points`"):
        ClipSettings(points="grid")


def test_windows_strides_and_directions():
    seen = set()
    for seed in range(60):
        t = draw_window(T_ALL, ClipSettings(clip_frames=6), np.random.default_rng(seed))
        step = np.diff(t)
        assert len(t) == 6 and len(set(step)) == 1 and 0 <= t.min() and t.max() < T_ALL
        seen.add(int(step[0]))
        plain = draw_window(T_ALL, ClipSettings(clip_frames=6, augment=False), np.random.default_rng(seed))
        assert np.array_equal(np.diff(plain), np.ones(5))
    assert seen == {-2, -1, 1, 2}
    # no stride 2 when the sequence is shorter than two clips; the whole sequence when clip_frames is None
    assert set(np.abs(np.diff(draw_window(11, ClipSettings(clip_frames=6), np.random.default_rng(1))))) == {1}
    assert len(draw_window(9, ClipSettings(clip_frames=None, augment=False), np.random.default_rng(0))) == 9


def test_mesh_points_lie_on_the_wall_mesh():
    src = mesh_source()
    ids, tracks = mesh_points(src.tracks, src.layer, src.n_columns, 20, 0.2, np.random.default_rng(3))
    assert src.n_columns == N_COLS and tracks.shape == (T_ALL, 20, 2) and ids.shape == (20,)
    assert (src.layer[ids[:16]] >= 0).all() and (src.layer[ids[16:]] == -1).all()
    wall = src.tracks[:, src.layer >= 0]
    lo, hi = wall.min(axis=1), wall.max(axis=1)  # mixes of mesh neighbours stay inside the mesh's box
    assert ((tracks[:, :16] >= lo[:, None] - 1e-4) & (tracks[:, :16] <= hi[:, None] + 1e-4)).all()
    exact = [np.array_equal(tracks[:, k], src.tracks[:, ids[k]]) for k in range(16)]
    assert 0 < sum(exact) < 16  # true points and interpolated ones
    assert all(np.array_equal(tracks[:, 16 + k], src.tracks[:, ids[16 + k]]) for k in range(4))


def test_augmented_mesh_clips_are_consistent_and_deterministic():
    src = mesh_source()
    settings = ClipSettings(clip_frames=6, n_points=10)
    for seed in range(8):
        s = draw_clip(src, settings, np.random.default_rng(seed))
        assert_same(s, draw_clip(src, settings, np.random.default_rng(seed)))
        assert s["frames"].shape == (6, 1, S, S) and s["frames"].dtype == torch.float32
        assert 0.0 <= float(s["frames"].min()) and float(s["frames"].max()) <= 1.0
        assert s["tracks"].shape == (6, 10, 2) and s["visible"].shape == (6, 10)
        assert int((s["layer"] == -1).sum()) == 2
        t = s["queries"][:, 0].long()
        n = torch.arange(10)
        assert torch.equal(s["queries"][:, 1:], s["tracks"][t, n])
        ever = s["visible"].any(dim=0)
        assert s["visible"][t, n][ever].all()
        assert s["spacing_mm"].tolist() == pytest.approx([0.4, 0.4])
    other = draw_clip(src, settings, np.random.default_rng(99))
    assert not torch.equal(other["tracks"], draw_clip(src, settings, np.random.default_rng(0))["tracks"])


def test_collate_trim_reanchors_cut_queries():
    src = mesh_source()
    long = draw_clip(src, ClipSettings(clip_frames=5, n_points=6, augment=False), np.random.default_rng(0))
    short = draw_clip(src, ClipSettings(clip_frames=3, n_points=6, augment=False), np.random.default_rng(1))
    long["queries"][0] = torch.cat([torch.tensor([4.0]), long["tracks"][4, 0]])
    with pytest.raises(ParameterError, match="batch_size=1"):
        collate_sequences([long, short])
    batch = collate_sequences([long, short], trim=True)
    assert batch["frames"].shape == (2, 3, 1, S, S) and batch["visible"].shape == (2, 3, 6)
    assert batch["queries"][0, 0].tolist() == [2.0, *long["tracks"][2, 0].tolist()]
    assert torch.equal(batch["queries"][1], short["queries"])
    assert torch.equal(batch["tracks"][0], long["tracks"][:3])


def test_imaging_augmentation_changes_only_the_image():
    source = mesh_source()
    plain = draw_clip(source, ClipSettings(clip_frames=8, n_points=10), np.random.default_rng(3))
    imaged = draw_clip(source, ClipSettings(clip_frames=8, n_points=10, imaging=True), np.random.default_rng(3))
    assert torch.equal(plain["tracks"], imaged["tracks"])
    assert not torch.equal(plain["frames"], imaged["frames"])
