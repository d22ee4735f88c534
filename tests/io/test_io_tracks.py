"""TrackSet validation and the tracks NPZ round trip."""

from __future__ import annotations

import numpy as np
import pytest

from echostrain.core.errors import CorruptInputError, InvalidDataError, ParameterError
from echostrain.io import TrackSet, read_tracks, write_tracks


def make_trackset(**overrides) -> TrackSet:
    rng = np.random.default_rng(0)
    values = {
        "tracks": rng.uniform(0, 100, (5, 4, 2)),
        "spacing_mm": (0.3, 0.25),
        "layer": np.array([0, 1, 2, -1]),
        "segment": np.array([0, 3, 5, -1]),
        "view": "a4c",
        "fps": 30.0,
    } | overrides
    return TrackSet(**values)


def test_round_trip(tmp_path):
    ts = make_trackset()
    path = write_tracks(tmp_path / "t.npz", ts)
    back = read_tracks(path)
    np.testing.assert_array_equal(back.tracks, ts.tracks)
    assert back.spacing_mm == (0.3, 0.25) and back.view == "a4c" and back.fps == 30.0
    assert back.layer.dtype == np.int8 and back.segment.dtype == np.int8
    np.testing.assert_array_equal(back.layer, [0, 1, 2, -1])
    assert back.n_frames == 5 and back.n_points == 4
    assert write_tracks(tmp_path / "u.npz", ts).read_bytes() == path.read_bytes()


def test_round_trip_without_optional_fields(tmp_path):
    back = read_tracks(write_tracks(tmp_path / "t.npz", make_trackset(view=None, fps=None)))
    assert back.view is None and back.fps is None


def test_nan_in_tracks(one_line):
    tracks = np.zeros((3, 4, 2))
    tracks[2, 1, 0] = np.nan
    with pytest.raises(InvalidDataError) as exc:
        make_trackset(tracks=tracks)
    assert "NaN at frame 2, point 1" in one_line(exc.value)


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"tracks": np.zeros((1, 4, 2))}, InvalidDataError),
        ({"tracks": np.zeros((3, 4, 3))}, InvalidDataError),
        (
            {"tracks": np.zeros((3, 0, 2)), "layer": np.zeros(0), "segment": np.zeros(0)},
            InvalidDataError,
        ),
        ({"layer": np.array([0, 1, 2, 3])}, InvalidDataError),
        ({"segment": np.array([0, 1, 2])}, InvalidDataError),
        ({"segment": np.array([0, 1, 2, 6])}, InvalidDataError),
        ({"view": "plax"}, ParameterError),
        ({"spacing_mm": (0.0, 0.2)}, ParameterError),
        ({"fps": -1.0}, ParameterError),
    ],
)
def test_invalid_tracksets(overrides, error, one_line):
    with pytest.raises(error) as exc:
        make_trackset(**overrides)
    one_line(exc.value)


def test_missing_keys(tmp_path, one_line):
    np.savez(tmp_path / "t.npz", tracks=np.zeros((2, 1, 2)), layer=np.zeros(1))
    with pytest.raises(CorruptInputError) as exc:
        read_tracks(tmp_path / "t.npz")
    msg = one_line(exc.value)
    assert "tracks, spacing_mm, layer, segment" in msg and "t.npz" in msg


def test_not_an_npz(tmp_path, one_line):
    (tmp_path / "t.npz").write_bytes(b"garbage")
    with pytest.raises(CorruptInputError) as exc:
        read_tracks(tmp_path / "t.npz")
    one_line(exc.value)
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(CorruptInputError) as exc:
        read_tracks(tmp_path / "a.npy")
    one_line(exc.value)


def test_nan_in_file_names_the_file(tmp_path, one_line):
    tracks = np.zeros((3, 1, 2))
    tracks[0, 0, 1] = np.nan
    np.savez(tmp_path / "t.npz", tracks=tracks, spacing_mm=[0.2, 0.2], layer=[0], segment=[0])
    with pytest.raises(InvalidDataError) as exc:
        read_tracks(tmp_path / "t.npz")
    assert "t.npz" in one_line(exc.value)
