"""Contour files: CSV/JSON variants, myocardium contours, validation errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from echostrain.core.errors import (
    CorruptInputError,
    GeometryError,
    InputNotFoundError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io import read_contour, read_myocardium_contours, write_contour_csv

XY = np.array([[10.5, 20.0], [30.0, 40.25], [50.0, 22.0], [12.0, 60.0]])


@pytest.mark.parametrize(
    "name, text",
    [
        ("h.csv", "X,Y,label\n" + "\n".join(f"{x},{y},a" for x, y in XY)),
        ("yx.csv", "y,x\n" + "\n".join(f"{y},{x}" for x, y in XY)),
        ("noheader.csv", "\n".join(f"{x}, {y}" for x, y in XY) + "\n\n"),
        ("pairs.json", json.dumps(XY.tolist())),
        ("xy.json", json.dumps({"x": XY[:, 0].tolist(), "y": XY[:, 1].tolist()})),
        ("points.json", json.dumps({"points": XY.tolist()})),
    ],
)
def test_read_contour_formats(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    out = read_contour(path, image_shape_hw=(100, 100))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, XY)


def test_write_contour_csv_round_trip(tmp_path):
    xy = XY + 1e-9
    path = write_contour_csv(tmp_path / "c.csv", xy)
    np.testing.assert_array_equal(read_contour(path), xy)


@pytest.mark.parametrize(
    "text, error, fragment",
    [
        ("x,y\n1,2\n3,4\n", GeometryError, "has 2 points; a contour needs at least 3"),
        ("x,y\n1,2\n3,nan\n5,6\n", GeometryError, "point 1"),
        ("x,y\n1,2\n3,abc\n5,6\n", CorruptInputError, "non-numeric"),
        ("a,b\n1,2\n", CorruptInputError, "'x' and 'y'"),
    ],
)
def test_read_contour_errors(tmp_path, text, error, fragment, one_line):
    path = tmp_path / "c.csv"
    path.write_text(text)
    with pytest.raises(error) as exc:
        read_contour(path)
    msg = one_line(exc.value)
    assert fragment in msg and str(path) in msg


def test_read_contour_outside_image(tmp_path, one_line):
    path = tmp_path / "c.json"
    path.write_text(json.dumps([[1, 1], [5, 5], [64, 3], [2, 2]]))
    with pytest.raises(GeometryError) as exc:
        read_contour(path, image_shape_hw=(48, 64))
    msg = one_line(exc.value)
    assert "point 2" in msg and "64×48" in msg


def test_read_contour_missing_bad_json_unknown_suffix(tmp_path, one_line):
    with pytest.raises(InputNotFoundError) as exc:
        read_contour(tmp_path / "none.csv")
    one_line(exc.value)
    (tmp_path / "b.json").write_text("[[1, 2], [3")
    with pytest.raises(CorruptInputError) as exc:
        read_contour(tmp_path / "b.json")
    one_line(exc.value)
    (tmp_path / "c.xml").write_text("<a/>")
    with pytest.raises(UnsupportedFormatError) as exc:
        read_contour(tmp_path / "c.xml")
    one_line(exc.value)


def test_myocardium_json(tmp_path):
    path = tmp_path / "myo.json"
    path.write_text(
        json.dumps({"endo": XY.tolist(), "epi": (XY + 5).tolist(), "view": "A4C", "frame": 3})
    )
    out = read_myocardium_contours(path)
    np.testing.assert_array_equal(out["endo"], XY)
    np.testing.assert_array_equal(out["epi"], XY + 5)
    assert out["view"] == "a4c" and out["frame"] == 3


def test_myocardium_csv(tmp_path):
    rows = (
        ["layer,x,y"] + [f"endo,{x},{y}" for x, y in XY] + [f"EPI,{x + 5},{y + 5}" for x, y in XY]
    )
    path = tmp_path / "myo.csv"
    path.write_text("\n".join(rows))
    out = read_myocardium_contours(path)
    np.testing.assert_array_equal(out["epi"], XY + 5)
    assert out["view"] is None and out["frame"] is None


@pytest.mark.parametrize(
    "content, error",
    [
        ({"endo": XY.tolist()}, GeometryError),
        ({"endo": XY.tolist(), "epi": XY[:2].tolist()}, GeometryError),
        ({"endo": XY.tolist(), "epi": XY.tolist(), "view": "plax"}, ParameterError),
        ({"endo": XY.tolist(), "epi": XY.tolist(), "frame": -1}, ParameterError),
        ({"endo": "abc", "epi": XY.tolist()}, CorruptInputError),
    ],
)
def test_myocardium_errors(tmp_path, content, error, one_line):
    path = tmp_path / "myo.json"
    path.write_text(json.dumps(content))
    with pytest.raises(error) as exc:
        read_myocardium_contours(path)
    assert str(path) in one_line(exc.value)
