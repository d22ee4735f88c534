"""TAS-Net: shapes and units, weights round trip, overfitting, training resume, DDP, bad input."""

from __future__ import annotations

import json
import math

import csv
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from echostrain.core.errors import (
    CorruptInputError,
    EchoStrainError,
    GeometryError,
    InvalidDataError,
    OutputPathError,
    ParameterError,
)
from echostrain.track import load
from echostrain.track.model import TASNet, TASNetConfig
from echostrain.track.tasnet import TASNetTracker, _windows
from echostrain.track.weights import PRETRAINED, load_model, save_weights

SMALL = TASNetConfig(input_size=64, iterations=2)


def clip(t=6, h=80, w=96, seed=0):
    return np.random.default_rng(seed).random((t, h, w)).astype(np.float32)


def test_model_shapes_and_query_frames_are_kept():
    torch.manual_seed(0)
    model = TASNet(SMALL).eval()
    frames = torch.rand(2, 5, 1, 64, 64)
    q = torch.tensor([[[0, 10.0, 20.0], [3, 30.0, 40.0], [4, 5.5, 60.0]]] * 2)
    with torch.no_grad():
        rounds, vis = model(frames, q)
    assert len(rounds) == SMALL.iterations
    assert rounds[-1].shape == (2, 3, 5, 2) and vis.shape == (2, 3, 5)
    # each point sits exactly at its query position in its query frame
    for n, (t, x, y) in enumerate(q[0].tolist()):
        assert rounds[-1][0, n, int(t)].tolist() == pytest.approx([x, y])


def test_tracker_output_in_input_pixels_and_long_clips(tmp_path):
    torch.manual_seed(0)
    path = save_weights(tmp_path / "w.safetensors", TASNet(SMALL))
    tracker = TASNetTracker(weights=path)
    frames = clip(t=7)
    q = np.array([[0, 10.0, 20.0], [6, 50.0, 60.0], [2, 95.0, 79.0]])
    res = tracker.track(frames, q)
    assert res.tracks_px.shape == (7, 3, 2) and res.tracks_px.dtype == np.float32
    assert res.visible.shape == (7, 3) and res.confidence.shape == (7, 3)
    np.testing.assert_allclose(res.tracks_px[q[:, 0].astype(int), np.arange(3)], q[:, 1:], atol=1e-3)
    assert 0.0 <= res.confidence.min() and res.confidence.max() <= 1.0
    # a clip longer than one window is tracked in overlapping windows
    assert _windows(300) == [(0, 128), (96, 224), (172, 300)]
    long = tracker.track(clip(t=140, h=40, w=40), np.array([[0, 10.0, 10.0], [139, 20.0, 30.0]]))
    assert long.tracks_px.shape == (140, 2, 2) and np.isfinite(long.tracks_px).all()
    np.testing.assert_allclose(long.tracks_px[139, 1], [20.0, 30.0], atol=1e-3)


def test_weights_round_trip_safetensors_only(tmp_path):
    torch.manual_seed(1)
    model = TASNet(SMALL).eval()
    path = save_weights(tmp_path / "w.safetensors", model, {"step": "7"})
    again = load_model(path)
    frames, q = torch.rand(1, 4, 1, 64, 64), torch.tensor([[[0, 20.0, 20.0]]])
    with torch.no_grad():
        a, b = model(frames, q)[0][-1], again(frames, q)[0][-1]
    assert torch.equal(a, b) and again.config == SMALL
    # another architecture declared with these tensors, a pickle, a missing file: clear errors
    other = TASNet(TASNetConfig(input_size=64, hidden_dim=32))
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in other.state_dict().items()}, str(tmp_path / "other.safetensors"),
              metadata={"echostrain.tasnet_config": '{"input_size": 64}'})
    with pytest.raises(CorruptInputError, match="does not fit"):
        load_model(tmp_path / "other.safetensors")
    torch.save(model.state_dict(), tmp_path / "pickle.pt")
    with pytest.raises(CorruptInputError, match="safetensors"):
        load_model(tmp_path / "pickle.pt")
    with pytest.raises(EchoStrainError, match="does not exist"):
        load_model(tmp_path / "nope.safetensors")


def test_shipped_weights_load_and_track():
    assert PRETRAINED.is_file(), "the pretrained weights must ship with the package"
    assert PRETRAINED.stat().st_size <= 10 * 1024 * 1024
    tracker = load("tasnet")
    res = tracker.track(clip(t=5, h=120, w=120), np.array([[0, 60.0, 60.0], [0, 30.0, 90.0]]))
    assert res.tracks_px.shape == (5, 2, 2) and np.isfinite(res.tracks_px).all()


def test_bad_input_gives_clear_errors(tmp_path):
    torch.manual_seed(0)
    tracker = TASNetTracker(weights=save_weights(tmp_path / "w.safetensors", TASNet(SMALL)))
    frames = clip()
    with pytest.raises(GeometryError, match="outside"):
        tracker.track(frames, np.array([[0, 200.0, 10.0]]))
    with pytest.raises(ParameterError, match="no query points"):
        tracker.track(frames, np.zeros((0, 3)))
    with pytest.raises(InvalidDataError, match="at least 3"):
        tracker.track(frames[:2], np.array([[0, 10.0, 10.0]]))
    with pytest.raises(ParameterError, match="query frames"):
        tracker.track(frames, np.array([[9, 10.0, 10.0]]))
    nan = frames.copy()
    nan[1, 2, 3] = np.nan
    with pytest.raises(InvalidDataError, match="NaN"):
        tracker.track(nan, np.array([[0, 10.0, 10.0]]))
    with pytest.raises(ParameterError, match="unknown tracking method"):
        load("raft")
    with pytest.raises(ParameterError, match="`weights` applies to tasnet only"):
        load("blockmatch", weights=tmp_path / "w.safetensors")


def test_roi_margin_sets_the_crop_the_model_sees(tmp_path, monkeypatch):
    import echostrain.track.tasnet as tasnet_module

    torch.manual_seed(0)
    weights = save_weights(tmp_path / "w.safetensors", TASNet(SMALL))
    seen = []
    real_crop = tasnet_module.crop_frames
    monkeypatch.setattr(tasnet_module, "crop_frames", lambda frames, roi: seen.append(roi.side) or real_crop(frames, roi))
    queries = np.array([[0, 20.0, 20.0], [0, 40.0, 40.0]])
    for margin in (0.15, 1.0):
        TASNetTracker(weights=weights, roi_margin=margin).track(clip(), queries)
    # box side 20 px, pad 16 px each side: 20 · (1 + 2m) + 32
    assert seen == [math.ceil(20 * 1.3 + 32), math.ceil(20 * 3.0 + 32)]
    for bad in (-0.1, float("nan"), 6.0):
        with pytest.raises(ParameterError, match="roi_margin"):
            TASNetTracker(weights=weights, roi_margin=bad)


def test_overfits_one_tiny_sequence(tiny_data):
    from echostrain.data.clips import ClipSettings, collate_sequences, draw_clip
    from echostrain.track.samples import load_split
    from echostrain.track.train import huber_track_loss

    torch.manual_seed(0)
    seqs = load_split(tiny_data, "train", 64, limit=1)
    settings = ClipSettings(clip_frames=8, n_points=8, augment=False)
    batch = collate_sequences([draw_clip(seqs[0], settings, np.random.default_rng(0))], trim=True)
    model = TASNet(SMALL)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(150):
        rounds, vis = model(batch["frames"], batch["queries"])
        loss = huber_track_loss(rounds, batch["tracks"], batch["visible"], vis)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert min(losses[-10:]) < losses[0] / 10


def _log_steps(run):
    with open(run / "log.csv") as fh:
        return [int(r["step"]) for r in csv.DictReader(fh)]


def _log_losses(run):
    with open(run / "log.csv") as fh:
        return [r["loss"] for r in csv.DictReader(fh)]


def test_checkpoint_resume_continues_the_step_count(tiny_data, tmp_path):
    from echostrain.track.train import TrainConfig, train
    from echostrain.track.weights import read_metadata

    run = tmp_path / "run"
    cfg = TrainConfig(data=str(tiny_data), out=str(run), steps=4, batch_size=1, clip_frames=6, n_points=8,
                      checkpoint_every=1, validate_every=2, model=SMALL.to_dict())
    first = train(cfg, stop_after=2)
    assert first["steps"] == 2 and read_metadata(run / "checkpoint.safetensors")["step"] == "2"
    with pytest.raises(OutputPathError, match="`resume`"):
        train(cfg)
    changed = TrainConfig(**{**cfg.__dict__, "lr": 1e-3})
    with pytest.raises(ParameterError, match="other settings"):
        train(changed, resume=True)
    second = train(cfg, resume=True)
    assert second["steps"] == 4 and _log_steps(run) == [1, 2, 3, 4]
    assert read_metadata(run / "checkpoint.safetensors")["step"] == "4"
    assert (run / "best.safetensors").is_file()  # validated at steps 2 and 4 on the val split
    again = train(TrainConfig(**{**cfg.__dict__, "out": str(tmp_path / "again")}), stop_after=2)
    assert again["loss"] == pytest.approx(first["loss"], abs=0)  # same seed, same samples, same losses
    assert _log_losses(tmp_path / "again") == _log_losses(run)[:2]


def test_a_run_saved_before_a_setting_existed_resumes_with_its_default():
    from echostrain.track.checkpoint import _changed_settings
    from echostrain.track.train import TrainConfig

    cfg = TrainConfig(data="d", out="o")
    old_run = {k: v for k, v in json.loads(json.dumps(cfg.identity())).items() if k != "coarse_speckle"}
    assert _changed_settings(old_run, cfg) == []
    assert _changed_settings(old_run, TrainConfig(data="d", out="o", coarse_speckle=True)) == ["coarse_speckle"]
    older_model = {**old_run, "model": {k: v for k, v in old_run["model"].items() if k != "neighbour_levels"}}
    assert _changed_settings(older_model, cfg) == []  # an architecture field added since counts as its default
    assert _changed_settings(older_model, TrainConfig(data="d", out="o", model={**cfg.model, "blocks": 3})) == ["model"]


def test_train_config_defaults_and_checks(tmp_path):
    from echostrain.track.train import TrainConfig, train

    cfg = TrainConfig(data="d", out="o")
    assert cfg.steps == 4000  # the shipped weights were trained 4000 steps
    assert "out" not in cfg.identity() and "steps" in cfg.identity()
    for bad, text in (({"steps": 0}, "`steps` must be at least 1"), ({"clip_frames": 3}, "`clip_frames`"),
                      ({"lr": 0.0}, "`lr` must be positive")):
        with pytest.raises(ParameterError, match=text):
            TrainConfig(data="d", out="o", **bad)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OutputPathError, match="is a file"):
        train(TrainConfig(data=str(tmp_path), out=str(a_file)))


def test_ddp_two_gloo_processes(tiny_data, tmp_path):
    run = tmp_path / "ddp"
    env = {**os.environ, "ECHOSTRAIN_DDP_BACKEND": "gloo", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517",
           "-m", "echostrain", "train", "--data", str(tiny_data), "--out", str(run), "--steps", "2",
           "--batch-size", "1", "--clip-frames", "6", "--n-points", "8", "--checkpoint-every", "1",
           "--validate-every", "100"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _log_steps(run) == [1, 2] and (run / "checkpoint.safetensors").is_file()


def test_rounds_start_where_asked():
    """``start`` replaces the query positions as the first estimate; the default is the query position."""
    torch.manual_seed(0)
    model = TASNet(TASNetConfig(input_size=64)).eval()
    torch.nn.init.normal_(model.head.weight, std=0.1)  # a head that moves points (it starts at zero)
    frames = torch.rand(1, 5, 1, 64, 64)
    queries = torch.tensor([[[0.0, 20.0, 30.0], [0.0, 40.0, 25.0]]])
    with torch.no_grad():
        default, _ = model(frames, queries, iterations=1)
        same, _ = model(frames, queries, iterations=1, start=queries[:, :, None, 1:].expand(1, 2, 5, 2))
        moved, _ = model(frames, queries, iterations=1, start=queries[:, :, None, 1:].expand(1, 2, 5, 2) + 6.0)
    assert torch.equal(default[0], same[0])
    assert not torch.allclose(default[0][:, :, 1:], moved[0][:, :, 1:])
    assert torch.equal(moved[0][:, :, 0], queries[:, :, 1:])  # the query frame stays at the query


def test_neighbour_correlation_widens_weights_without_changing_them(tmp_path):
    """Frame-to-frame correlation added to trained weights starts at zero: the same tracks until trained."""
    from echostrain.track.weights import with_neighbour_levels

    torch.manual_seed(0)
    base = TASNet(SMALL).eval()
    torch.nn.init.normal_(base.head.weight, std=0.1)  # a head that moves points
    wide = with_neighbour_levels(base, 2).eval()
    assert wide.config.neighbour_levels == 2 and wide.neighbour_token.in_features == 2 * 2 * 49
    frames = torch.rand(1, 6, 1, 64, 64)
    queries = torch.tensor([[[0.0, 20.0, 30.0], [2.0, 40.0, 25.0]]])
    with torch.no_grad():
        a, b = base(frames, queries)[0][-1], wide(frames, queries)[0][-1]
        torch.testing.assert_close(a, b)
        torch.nn.init.normal_(wide.neighbour_token.weight, std=0.1)
        assert not torch.allclose(wide(frames, queries)[0][-1], a)  # the new input reaches the output
    save_weights(tmp_path / "w.safetensors", wide)
    back = load_model(tmp_path / "w.safetensors")
    assert back.config.neighbour_levels == 2
    with torch.no_grad():
        torch.testing.assert_close(back(frames, queries)[0][-1], wide(frames, queries)[0][-1])
    with pytest.raises(ParameterError, match="already read 2"):
        with_neighbour_levels(wide, 1)
    with pytest.raises(ParameterError, match="`neighbour_levels` must be within 0…3"):
        TASNetConfig(neighbour_levels=4)


def test_neighbour_correlation_reads_where_a_track_came_from():
    """On a frame that is its predecessor shifted by 4 px, the window's peak lies 4 px (1 level-0 px) over."""
    torch.manual_seed(0)
    model = TASNet(TASNetConfig(input_size=64, neighbour_levels=1)).eval()
    img = torch.rand(1, 1, 64, 64)
    frames = torch.stack([img, torch.roll(img, shifts=4, dims=-1)], dim=1)  # [1, 2, 1, 64, 64]: moves +4 px in x
    xy = torch.tensor([[[[30.0, 30.0], [30.0, 30.0]]]])  # one track, both frames at the same place
    with torch.no_grad():
        levels = model.pyramid((frames - 0.5) / 0.25)
        corr = model.neighbour_correlations(levels, xy)  # [1, 1, 2, 2·49]
    prev_of_second = corr[0, 0, 1, :49]
    best = model.window[prev_of_second.argmax()]
    assert best.tolist() == [1.0, 0.0]  # the content of frame 0 is found one level-0 px to the right
    assert torch.all(corr[0, 0, 0, :49] == 0) and torch.all(corr[0, 0, 1, 49:] == 0)  # no frame before / after


def test_train_config_neighbour_levels(tiny_data, tmp_path):
    from echostrain.track.train import TrainConfig, train
    from echostrain.track.weights import read_metadata

    with pytest.raises(ParameterError, match="`neighbour_levels` must be within 0…3"):
        TrainConfig(data="d", out="o", neighbour_levels=5)
    init = tmp_path / "init.safetensors"
    save_weights(init, TASNet(SMALL))
    run = tmp_path / "run"
    cfg = TrainConfig(data=str(tiny_data), out=str(run), steps=1, batch_size=1, clip_frames=6, n_points=8,
                      validate_every=100, init_weights=str(init), neighbour_levels=2)
    train(cfg)
    assert json.loads(read_metadata(run / "checkpoint.safetensors")["echostrain.tasnet_config"])["neighbour_levels"] == 2
