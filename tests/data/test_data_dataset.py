"""SequenceDataset (the clip pipeline without augmentation) and collate_sequences on tiny sequence files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from echostrain.data import SequenceDataset, collate_sequences
from echostrain.data.clips import point_visibility
from echostrain.data.points import sample_points
from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.io.sequence import SequenceData, write_sequence

T, H, W, N = 10, 48, 64, 12
LAYERS = np.array([0, 0, 0, 1, 1, 1, 2, 2, -1, -1, -1, -1], np.int8)  # 8 myocardial, 4 tissue
SEGMENTS = np.array([0, 1, 2, 3, 4, 5, 0, 5, -1, -1, -1, -1], np.int8)
APEX_X = 32.0
KEYS = {"frames", "tracks", "visible", "queries", "layer", "segment", "spacing_mm", "index"}


def fan_mask() -> np.ndarray:
    """The sector: ±30° around the vertical from the apex (32, 0), radius < 46 px."""
    yy, xx = np.mgrid[0:H, 0:W].astype(float)
    angle = np.degrees(np.arctan2(xx - APEX_X, yy))
    return (np.hypot(xx - APEX_X, yy) < 46) & (np.abs(angle) < 30)


def make_tracks(shift: float, n_frames: int = T) -> np.ndarray:
    """[T, N, 2] tracks: 8 myocardial points in the fan and 4 tissue points.

    Tissue: point 8 stays in the fan; point 9 leaves the image through the top
    at frame 6; point 10 is left of the image; point 11 is in the image but
    outside the fan.
    """
    t = np.arange(n_frames, dtype=float)[:, None]
    k = np.arange(8)
    x0 = 26.0 + (k % 4) * 4 + shift
    y0 = 15.0 + (k // 4) * 8
    myo_x = x0[None] + 1.5 * np.sin(2 * np.pi * t / n_frames + k[None])
    myo_y = y0[None] + 0.5 * t
    tracks = np.zeros((n_frames, N, 2))
    tracks[:, :8, 0], tracks[:, :8, 1] = myo_x, myo_y
    tracks[:, 8] = np.stack([APEX_X + 0.3 * t[:, 0], 38.0 - 0.2 * t[:, 0]], axis=-1)
    tracks[:, 9] = np.stack([np.full(n_frames, APEX_X), 10.0 - 2.0 * t[:, 0]], axis=-1)
    tracks[:, 10] = np.stack([np.full(n_frames, -3.0), 20.0 + 0.1 * t[:, 0]], axis=-1)
    tracks[:, 11] = np.stack([3.0 + 0.1 * t[:, 0], np.full(n_frames, 40.0)], axis=-1)
    return tracks.astype(np.float32)


def make_sequence(seed: int, n_frames: int = T) -> SequenceData:
    rng = np.random.default_rng(seed)
    frames = (rng.integers(1, 256, (n_frames, H, W)) * fan_mask()).astype(np.uint8)
    tracks = make_tracks(shift=seed % 3 - 1.0, n_frames=n_frames)
    gls = np.linspace(0, -15, n_frames).astype(np.float32)
    return SequenceData(
        frames=frames,
        tracks=tracks,
        track_layer=LAYERS,
        track_segment=SEGMENTS,
        myocardium_mask=np.zeros((n_frames, H, W), bool),
        spacing_mm=(0.3, 0.25),
        fps=30.0,
        view="a4c",
        ed_index=0,
        es_index=n_frames // 2,
        seed=seed,
        engine="test",
        gls_pct=gls,
        segmental_pct=np.stack([gls] * 6),
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sims")
    names = ["seq_0000.h5", "seq_0001.h5", "seq_0002.h5"]
    for i, name in enumerate(names):
        write_sequence(folder / name, make_sequence(i))
    (folder / "manifest.csv").write_text(
        "id,file,split\n0,seq_0000.h5,train\n1,seq_0001.h5,val\n2,seq_0002.h5,train\n",
        encoding="utf-8",
    )
    return folder


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text
    return text


def original_index(sample_tracks: torch.Tensor, full_tracks: np.ndarray, start: int) -> list[int]:
    """Which original point each sampled point is (tracks are unique per point)."""
    clip = full_tracks[start : start + sample_tracks.shape[0]]
    out = []
    for n in range(sample_tracks.shape[1]):
        match = [j for j in range(N) if np.array_equal(clip[:, j], sample_tracks[:, n].numpy())]
        assert len(match) == 1
        out.append(match[0])
    return out


def window_start(sample: dict, seq: SequenceData) -> int:
    frames = (sample["frames"][:, 0].numpy() * 255).round().astype(np.uint8)
    starts = [
        s
        for s in range(seq.n_frames - len(frames) + 1)
        if np.array_equal(seq.frames[s : s + len(frames)], frames)
    ]
    assert len(starts) == 1
    return starts[0]


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], torch.Tensor):
            assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), key
        else:
            assert a[key] == b[key], key


def test_lengths_per_split(root):
    assert len(SequenceDataset(root)) == 3
    assert len(SequenceDataset(root, split="train")) == 2
    assert len(SequenceDataset(root, split="val")) == 1
    train = SequenceDataset(root, split="train")
    assert [p.name for p in train.files] == ["seq_0000.h5", "seq_0002.h5"]


def test_sample_shapes_dtypes_and_values(root):
    ds = SequenceDataset(root, clip_frames=6, n_queries=10, seed=3)
    seq = make_sequence(1)
    s = ds[1]
    assert set(s) == KEYS
    L, n = 6, 10
    assert s["frames"].shape == (L, 1, H, W) and s["frames"].dtype == torch.float32
    assert s["tracks"].shape == (L, n, 2) and s["tracks"].dtype == torch.float32
    assert s["visible"].shape == (L, n) and s["visible"].dtype == torch.bool
    assert s["queries"].shape == (n, 3) and s["queries"].dtype == torch.float32
    assert s["layer"].shape == (n,) and s["layer"].dtype == torch.int8
    assert s["segment"].shape == (n,) and s["segment"].dtype == torch.int8
    assert s["spacing_mm"].dtype == torch.float32
    assert s["spacing_mm"].tolist() == pytest.approx([0.3, 0.25])
    assert s["index"] == 1 and isinstance(s["index"], int)
    assert 0.0 <= float(s["frames"].min()) and float(s["frames"].max()) <= 1.0
    start = window_start(s, seq)
    idx = original_index(s["tracks"], seq.tracks, start)
    assert len(set(idx)) == n  # without replacement
    assert s["layer"].tolist() == LAYERS[idx].tolist()
    assert s["segment"].tolist() == SEGMENTS[idx].tolist()
    # whole sequence without clip_frames, and when the sequence is shorter than the clip
    assert SequenceDataset(root)[0]["frames"].shape[0] == T
    assert SequenceDataset(root, clip_frames=25)[0]["tracks"].shape[0] == T


@pytest.mark.parametrize("query_frame", ["first", "random"])
def test_queries_are_tracks_at_query_frame(root, query_frame):
    ds = SequenceDataset(root, clip_frames=7, n_queries=12, tissue_share=4 / 12,
                         query_frame=query_frame, seed=1)
    seen_t = set()
    for epoch in range(4):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            s = ds[i]
            t = s["queries"][:, 0]
            assert torch.equal(t, t.round())
            t = t.long()
            seen_t.update(t.tolist())
            n = torch.arange(12)
            assert torch.equal(s["queries"][:, 1:], s["tracks"][t, n])
            # a visible frame wherever the point is visible at all
            ever = s["visible"].any(dim=0)
            assert s["visible"][t, n][ever].all()
            if query_frame == "first":
                # the first frame, or the first on which the point is visible
                first_visible = torch.where(ever, s["visible"].to(torch.int8).argmax(dim=0), 0)
                assert torch.equal(t, first_visible)
                assert (t[s["visible"][0]] == 0).all()
    if query_frame == "random":
        assert len(seen_t) > 3


def test_determinism_and_epochs(root):
    a = SequenceDataset(root, clip_frames=5, n_queries=8, query_frame="random", seed=7)
    b = SequenceDataset(root, clip_frames=5, n_queries=8, query_frame="random", seed=7,
                        cache_size=0)
    for i in range(3):
        assert_same(a[i], b[i])
        assert_same(a[i], a[i])  # cached read gives the same
    seq = make_sequence(2)
    first = a[2]
    starts = {window_start(first, seq)}
    for epoch in range(1, 6):
        a.set_epoch(epoch)
        s = a[2]
        assert not torch.equal(s["queries"], first["queries"])
        starts.add(window_start(s, seq))
    assert len(starts) > 1
    a.set_epoch(0)
    assert_same(a[2], first)
    other_seed = SequenceDataset(root, clip_frames=5, n_queries=8, query_frame="random", seed=8)
    assert not torch.equal(other_seed[2]["queries"], first["queries"])


@pytest.mark.parametrize(
    ("share", "n_queries", "n_tissue"),
    [(0.3, 10, 3), (0.2, 10, 2), (0.0, 10, 0), (0.5, 8, 4), (1.0, 10, 10), (0.5, 20, 10)],
)
def test_tissue_share(root, share, n_queries, n_tissue):
    ds = SequenceDataset(root, n_queries=n_queries, tissue_share=share, clip_frames=5)
    for epoch in range(3):
        ds.set_epoch(epoch)
        for i in range(len(ds)):
            layer = ds[i]["layer"]
            # more queries than the 4 tissue points: every one of them, plus repeats
            assert int((layer == -1).sum()) == n_tissue
            assert int((layer >= 0).sum()) == n_queries - n_tissue
            if n_tissue > 4:
                idx = original_index(ds[i]["tracks"], make_sequence(i).tracks,
                                     window_start(ds[i], make_sequence(i)))
                assert {j for j in idx if j >= 8} == {8, 9, 10, 11}


def test_more_queries_than_points_repeat_every_point(root):
    s = SequenceDataset(root, n_queries=30)[0]
    idx = original_index(s["tracks"], make_sequence(0).tracks, 0)
    assert set(idx) == set(range(N))
    assert int((s["layer"] == -1).sum()) == 6  # round(30 * 0.2)


def test_visibility(root):
    ds = SequenceDataset(root, n_queries=N, tissue_share=4 / 12)
    seq = make_sequence(0)
    s = ds[0]
    idx = original_index(s["tracks"], seq.tracks, 0)
    visible = s["visible"].numpy()
    # independent reference: inside the image (0 ≤ x ≤ W − 1, 0 ≤ y ≤ H − 1), nearest pixel in the fan
    xy = seq.tracks
    ix, iy = np.round(xy[..., 0]).astype(int), np.round(xy[..., 1]).astype(int)
    inside = (xy[..., 0] >= 0) & (xy[..., 0] <= W - 1) & (xy[..., 1] >= 0) & (xy[..., 1] <= H - 1)
    ref = inside & fan_mask()[np.clip(iy, 0, H - 1), np.clip(ix, 0, W - 1)]
    np.testing.assert_array_equal(visible, ref[:, idx])
    by_point = {j: visible[:, n] for n, j in enumerate(idx)}
    assert all(by_point[j].all() for j in range(9))  # myocardium and point 8: in the fan
    assert by_point[9][:6].all() and not by_point[9][6:].any()  # leaves through the top
    assert not by_point[10].any()  # left of the image
    assert not by_point[11].any()  # in the image, outside the fan
    assert fan_mask()[40, 3] == 0 and 0 <= 3 < W


def test_point_visibility_edges():
    # the image is 0 ≤ x ≤ W − 1, 0 ≤ y ≤ H − 1 (core.checks.inside_image); the sector at the nearest pixel
    sector = np.ones((4, 5), bool)
    sector[1, 2] = False
    xy = np.array([[0, 0], [-0.01, 0], [4, 3], [4.01, 0], [2.2, 0.8], [1.6, 0.4], [0, 3.01], [np.nan, 1]])
    assert point_visibility(xy, sector).tolist() == [True, False, True, False, False, True, False, False]
    assert point_visibility(xy.reshape(2, 4, 2), sector).shape == (2, 4)


def test_query_points_prefer_visible(root):
    # on the first frame points 10 and 11 are invisible; with 2 tissue queries
    # of 4 tissue points the visible ones (8, 9) are taken
    ds = SequenceDataset(root, n_queries=10, tissue_share=0.2)
    for epoch in range(3):
        ds.set_epoch(epoch)
        s = ds[0]
        assert s["visible"][0].all()
        assert int((s["layer"] == -1).sum()) == 2


def test_sample_points_helper():
    rng = np.random.default_rng(0)
    layer = np.array([0, 1, 2, -1], np.int8)
    idx = sample_points(rng, layer, 4, 0.25)
    assert sorted(idx.tolist()) == [0, 1, 2, 3]
    idx = sample_points(rng, layer, 3, 0.5)  # 2 tissue queries from 1 tissue point
    assert sorted(idx.tolist()) in ([0, 3, 3], [1, 3, 3], [2, 3, 3])
    pref = np.array([True, False, True, True])
    for _ in range(5):
        assert sorted(sample_points(rng, layer, 3, 1 / 3, preferred=pref).tolist()) == [0, 2, 3]
    no_tissue = sample_points(rng, np.zeros(5, np.int8), 4, 0.5)
    assert len(set(no_tissue.tolist())) == 4
    only_tissue = sample_points(rng, np.full(3, -1, np.int8), 5, 0.0)
    assert sorted(set(only_tissue.tolist())) == [0, 1, 2] and len(only_tissue) == 5


def test_cache_is_lru_and_keeps_no_mask(root):
    ds = SequenceDataset(root, cache_size=2)
    for i in (0, 1, 0, 2):
        ds[i]
    assert list(ds._cache) == [0, 2]
    assert not hasattr(ds._cache[0], "myocardium_mask")
    assert SequenceDataset(root, cache_size=0)._cache == {}


def _loader_samples(ds, num_workers, persistent=False, epochs=(0,)):
    loader = DataLoader(ds, batch_size=2, shuffle=False, num_workers=num_workers,
                        collate_fn=collate_sequences, persistent_workers=persistent)
    out = []
    for epoch in epochs:
        ds.set_epoch(epoch)
        out.append(list(loader))
    return out


def test_dataloader_workers_match_single_process(root):
    kwargs = dict(clip_frames=6, n_queries=8, query_frame="random", seed=5)
    single = _loader_samples(SequenceDataset(root, **kwargs), 0, epochs=(0, 1))
    multi = _loader_samples(SequenceDataset(root, **kwargs), 2, persistent=True, epochs=(0, 1))
    for e in range(2):
        assert len(single[e]) == len(multi[e]) == 2
        for a, b in zip(single[e], multi[e]):
            assert_same(a, b)
    assert not torch.equal(single[0][0]["queries"], single[1][0]["queries"])
    batch = single[0][0]
    assert batch["frames"].shape == (2, 6, 1, H, W)
    assert batch["index"].tolist() == [0, 1] and batch["index"].dtype == torch.int64


def test_collate_refuses_different_shapes(tmp_path, root):
    write_sequence(tmp_path / "a.h5", make_sequence(0))
    write_sequence(tmp_path / "b.h5", make_sequence(1, n_frames=6))
    ds = SequenceDataset(tmp_path, n_queries=4)
    with pytest.raises(ParameterError) as exc:
        collate_sequences([ds[0], ds[1]])
    assert "batch_size=1" in one_line(exc.value) and "clip_frames" in str(exc.value)
    assert collate_sequences([ds[1]])["frames"].shape == (1, 6, 1, H, W)
    assert collate_sequences([d for d in SequenceDataset(tmp_path, clip_frames=5)])[
        "tracks"
    ].shape == (2, 5, 64, 2)
    with pytest.raises(ParameterError):
        collate_sequences([])


def test_errors(tmp_path, root):
    with pytest.raises(InputNotFoundError) as exc:
        SequenceDataset(tmp_path / "missing")
    assert "missing" in one_line(exc.value)
    with pytest.raises(InputNotFoundError):
        SequenceDataset(root / "seq_0000.h5", split="train")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputNotFoundError) as exc:
        SequenceDataset(tmp_path / "empty")
    assert "echostrain generate" in one_line(exc.value)
    for bad in ({"n_queries": 0}, {"clip_frames": 1}, {"tissue_share": 1.5},
                {"tissue_share": -0.1}, {"tissue_share": "x"}, {"query_frame": "middle"},
                {"seed": -1}, {"cache_size": -1}, {"n_queries": 2.5}):
        with pytest.raises(ParameterError):
            SequenceDataset(root, **bad)
    with pytest.raises(ParameterError) as exc:
        SequenceDataset(root, split="test")  # no rows of that split
    assert "train, val" in one_line(exc.value)
    with pytest.raises(ParameterError):
        SequenceDataset(root, split="train", manifest=None)
    with pytest.raises(ParameterError):
        SequenceDataset(root, split="train").set_epoch(-1)
    # a split without a manifest
    write_sequence(tmp_path / "empty" / "a.h5", make_sequence(0))
    with pytest.raises(ParameterError) as exc:
        SequenceDataset(tmp_path / "empty", split="train")
    assert "manifest" in one_line(exc.value)
    assert len(SequenceDataset(tmp_path / "empty")) == 1
    # a manifest naming a missing file, and one without the split column
    (tmp_path / "empty" / "manifest.csv").write_text("id,file,split\n0,b.h5,train\n")
    with pytest.raises(InputNotFoundError) as exc:
        SequenceDataset(tmp_path / "empty", split="train")
    assert "b.h5" in one_line(exc.value)
    (tmp_path / "empty" / "manifest.csv").write_text("id,file\n0,a.h5\n")
    with pytest.raises(CorruptInputError):
        SequenceDataset(tmp_path / "empty", split="train")
    ds = SequenceDataset(root)
    with pytest.raises(IndexError):
        ds[3]
