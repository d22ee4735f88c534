"""read_video round trips and bad-input errors for every supported format."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from echostrain.core.errors import (
    CorruptInputError,
    InputNotFoundError,
    InvalidDataError,
    ParameterError,
    UnsupportedFormatError,
)
from echostrain.io import read_video, to_unit_float, write_mp4, write_png_frames

# ---------------------------------------------------------------- DICOM


def test_dicom_grey_round_trip(tmp_path, grey_u8, dicom_builder):
    path = dicom_builder(
        tmp_path / "clip.dcm", grey_u8, delta_x_cm=0.03, delta_y_cm=0.025, frame_time_ms=40.0
    )
    v = read_video(path)
    np.testing.assert_array_equal(np.rint(v.frames * 255).astype(np.uint8), grey_u8)
    assert v.frames.dtype == np.float32
    assert v.spacing_mm == pytest.approx((0.25, 0.3))  # (dy, dx) mm from cm deltas
    assert v.fps == pytest.approx(25.0)
    assert v.metadata["manufacturer"] == "EchoTest"
    assert v.metadata["number_of_frames"] == 6
    assert v.metadata["ultrasound_region_count"] == 2
    assert v.metadata["photometric_interpretation"] == "MONOCHROME2"


def test_dicom_detected_by_preamble_without_suffix(tmp_path, grey_u8, dicom_builder):
    path = dicom_builder(tmp_path / "IM0001", grey_u8)
    assert read_video(path).n_frames == 6


def test_dicom_rgb(tmp_path, rng, dicom_builder):
    rgb = rng.integers(0, 256, (3, 8, 10, 3), dtype=np.uint8)
    v = read_video(dicom_builder(tmp_path / "rgb.dcm", rgb, photometric="RGB"))
    np.testing.assert_allclose(v.frames, to_unit_float(rgb, "rgb"), atol=1e-6)


def test_dicom_ybr_full(tmp_path, rng, dicom_builder):
    from pydicom.pixels import convert_color_space

    rgb = rng.integers(0, 256, (3, 8, 10, 3), dtype=np.uint8)
    ybr = convert_color_space(rgb, "RGB", "YBR_FULL")
    v = read_video(dicom_builder(tmp_path / "ybr.dcm", ybr, photometric="YBR_FULL"))
    # grey must equal the Y (luma) channel, up to YBR↔RGB rounding
    np.testing.assert_allclose(v.frames * 255, ybr[..., 0].astype(np.float32), atol=1.0)


def test_dicom_monochrome1_is_inverted(tmp_path, grey_u8, dicom_builder):
    v = read_video(dicom_builder(tmp_path / "m1.dcm", grey_u8, photometric="MONOCHROME1"))
    np.testing.assert_allclose(v.frames, 1.0 - grey_u8 / 255.0, atol=1e-6)


def test_dicom_palette_colour(tmp_path, rng, dicom_builder):
    index = rng.integers(0, 256, (3, 6, 7), dtype=np.uint8)
    ramp = np.arange(256, dtype=np.float64) * 257  # 16-bit LUT entries
    extra = {}
    for colour, gain in (("Red", 1.0), ("Green", 0.5), ("Blue", 0.25)):
        extra[f"{colour}PaletteColorLookupTableDescriptor"] = [256, 0, 16]
        extra[f"{colour}PaletteColorLookupTableData"] = np.rint(ramp * gain).astype("<u2").tobytes()
    path = dicom_builder(tmp_path / "pal.dcm", index, photometric="PALETTE COLOR", extra=extra)
    expected = (0.299 * 1.0 + 0.587 * 0.5 + 0.114 * 0.25) * index / 255.0
    np.testing.assert_allclose(read_video(path).frames, expected, atol=1e-4)


def test_dicom_12_bit_scaled_by_bits_stored(tmp_path, rng, dicom_builder):
    pixels = rng.integers(0, 4096, (3, 8, 10), dtype=np.uint16)
    v = read_video(dicom_builder(tmp_path / "12bit.dcm", pixels, bits_stored=12))
    np.testing.assert_allclose(v.frames, pixels / 4095.0, atol=1e-6)


def test_dicom_fallbacks_pixel_spacing_and_cine_rate(tmp_path, grey_u8, dicom_builder):
    path = dicom_builder(
        tmp_path / "f.dcm",
        grey_u8,
        delta_x_cm=None,
        delta_y_cm=None,
        frame_time_ms=None,
        pixel_spacing=(0.4, 0.5),
        extra={"CineRate": 30},
    )
    v = read_video(path)
    assert v.spacing_mm == pytest.approx((0.4, 0.5))
    assert v.fps == pytest.approx(30.0)
    assert v.metadata["spacing_source"] == "PixelSpacing"


def test_options_override_file_values(tmp_path, grey_u8, dicom_builder):
    v = read_video(dicom_builder(tmp_path / "clip.dcm", grey_u8), spacing_mm=(0.1, 0.2), fps=50)
    assert v.spacing_mm == (0.1, 0.2)
    assert v.fps == 50.0
    assert v.metadata["spacing_mm_in_file"] == pytest.approx((0.25, 0.3))


def test_dicom_without_pixel_data(tmp_path, grey_u8, dicom_builder, one_line):
    path = dicom_builder(tmp_path / "nopix.dcm", grey_u8, with_pixels=False)
    with pytest.raises(CorruptInputError) as exc:
        read_video(path)
    msg = one_line(exc.value)
    assert "no pixel data" in msg and str(path) in msg


def test_not_a_dicom(tmp_path, one_line):
    path = tmp_path / "fake.dcm"
    path.write_bytes(b"this is not DICOM at all" * 10)
    with pytest.raises(CorruptInputError) as exc:
        read_video(path)
    assert str(path) in one_line(exc.value)


def test_single_frame_dicom(tmp_path, grey_u8, dicom_builder, one_line):
    path = dicom_builder(tmp_path / "one.dcm", grey_u8[:1])
    with pytest.raises(InvalidDataError) as exc:
        read_video(path)
    assert "has 1 frame; a clip needs at least 2 frames" in one_line(exc.value)


# ---------------------------------------------------------------- MP4


@pytest.mark.parametrize("suffix", [".mp4", ".mov"])
def test_mp4_lossless_round_trip(tmp_path, grey_u8, suffix):
    path = write_mp4(tmp_path / f"clip{suffix}", grey_u8, fps=25, spacing_mm=(0.25, 0.3), crf=0)
    v = read_video(path)
    np.testing.assert_array_equal(np.rint(v.frames * 255).astype(np.uint8), grey_u8)
    assert v.spacing_mm == (0.25, 0.3)
    assert v.fps == 25.0
    assert v.metadata["echostrain_comment"] is True


def test_mp4_lossy_round_trip_odd_size(tmp_path, grey_u8):
    frames = grey_u8[:, :39, :49] / 255.0  # odd H and W, float input
    path = write_mp4(tmp_path / "odd.mp4", frames, fps=29.97, crf=18)
    v = read_video(path)
    assert v.frames.shape == frames.shape  # cropped back to the original size
    err = np.abs(v.frames - frames) * 255
    assert err.mean() < 4.0 and err.max() < 40  # measured ≈2.4 mean, ≈18 max on speckle
    assert v.fps == pytest.approx(29.97)
    assert v.spacing_mm is None


def test_mp4_rgb_is_read_as_luma(tmp_path, rng):
    from scipy import ndimage

    rgb = ndimage.gaussian_filter(rng.integers(0, 256, (3, 16, 24, 3)).astype(float), (0, 2, 2, 0))
    rgb = rgb.astype(np.uint8)
    v = read_video(write_mp4(tmp_path / "rgb.mp4", rgb, fps=10, crf=0))
    np.testing.assert_allclose(v.frames, to_unit_float(rgb, "rgb"), atol=1.0 / 255)


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_truncated_mp4(tmp_path, rng, keep, one_line):
    frames = rng.integers(0, 256, (30, 40, 50), dtype=np.uint8)
    data = write_mp4(tmp_path / "full.mp4", frames, fps=25, crf=18).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(CorruptInputError) as exc:
        read_video(cut)
    msg = one_line(exc.value)
    assert str(cut) in msg and "truncated" in msg


def test_garbage_mp4(tmp_path, one_line):
    path = tmp_path / "junk.avi"
    path.write_bytes(b"\x00junk" * 100)
    with pytest.raises(CorruptInputError) as exc:
        read_video(path)
    one_line(exc.value)


def test_single_frame_mp4(tmp_path, grey_u8, one_line):
    path = write_mp4(tmp_path / "one.mp4", grey_u8[:1], fps=25, crf=0)
    with pytest.raises(InvalidDataError) as exc:
        read_video(path)
    assert "has 1 frame" in one_line(exc.value)


# ---------------------------------------------------------------- PNG folder


def test_png_folder_round_trip(tmp_path, grey_u8):
    folder = write_png_frames(tmp_path / "frames", grey_u8, fps=30, spacing_mm=(0.2, 0.3))
    assert sorted(p.name for p in folder.iterdir())[:2] == ["echostrain.json", "frame_0000.png"]
    v = read_video(folder)
    np.testing.assert_array_equal(np.rint(v.frames * 255).astype(np.uint8), grey_u8)
    assert v.fps == 30.0 and v.spacing_mm == (0.2, 0.3)


def test_png_folder_natural_order_rgb_and_no_sidecar(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    for i in (10, 2, 1):  # frame_2 must come before frame_10
        Image.fromarray(np.full((4, 5, 3), i, np.uint8)).save(folder / f"frame_{i}.png")
    v = read_video(folder)
    np.testing.assert_allclose(v.frames[:, 0, 0] * 255, [1, 2, 10], atol=1e-3)
    assert v.fps is None and v.spacing_mm is None


def test_png_folder_sizes_differ(tmp_path, one_line):
    folder = tmp_path / "f"
    folder.mkdir()
    Image.fromarray(np.zeros((4, 5), np.uint8)).save(folder / "a1.png")
    Image.fromarray(np.zeros((4, 6), np.uint8)).save(folder / "a2.png")
    with pytest.raises(InvalidDataError) as exc:
        read_video(folder)
    assert "same size" in one_line(exc.value)


def test_png_folder_empty(tmp_path, one_line):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputNotFoundError) as exc:
        read_video(tmp_path / "empty")
    assert "no PNG" in one_line(exc.value)


def test_png_folder_bad_sidecar(tmp_path, grey_u8, one_line):
    folder = write_png_frames(tmp_path / "f", grey_u8)
    (folder / "echostrain.json").write_text(json.dumps({"fps": -1}))
    with pytest.raises(InvalidDataError) as exc:
        read_video(folder)
    assert "echostrain.json" in one_line(exc.value)


# ---------------------------------------------------------------- NumPy


def test_npy_and_npz_round_trip(tmp_path, grey_u8):
    np.save(tmp_path / "c.npy", grey_u8)
    np.testing.assert_array_equal(np.rint(read_video(tmp_path / "c.npy").frames * 255), grey_u8)
    np.savez(
        tmp_path / "c.npz",
        frames=grey_u8 / 255.0,
        spacing_mm=np.array([0.2, 0.25]),
        fps=np.array(17.0),
    )
    v = read_video(tmp_path / "c.npz")
    np.testing.assert_allclose(v.frames, grey_u8 / 255.0, atol=1e-6)
    assert v.spacing_mm == (0.2, 0.25) and v.fps == 17.0


def test_npy_rgb(tmp_path, rng):
    rgb = rng.integers(0, 256, (2, 4, 5, 3), dtype=np.uint8)
    np.save(tmp_path / "rgb.npy", rgb)
    np.testing.assert_allclose(read_video(tmp_path / "rgb.npy").frames, to_unit_float(rgb, "x"))


@pytest.mark.parametrize(
    "array, text",
    [
        (np.zeros((4, 5), np.uint8), "is a 2-D array (H×W); expected frames as T×H×W"),
        (np.full((3, 4, 5), np.nan), "NaN"),
        (np.zeros((1, 4, 5), np.uint8), "has 1 frame; a clip needs at least 2 frames"),
        (np.full((3, 4, 5), 7.0), "[0, 1]"),
    ],
)
def test_npy_bad_arrays(tmp_path, array, text, one_line):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(InvalidDataError) as exc:
        read_video(tmp_path / "bad.npy")
    msg = one_line(exc.value)
    assert text in msg and "bad.npy" in msg


def test_npz_without_frames_lists_keys(tmp_path, one_line):
    np.savez(tmp_path / "x.npz", images=np.zeros((2, 3, 3)), fps=np.array(3.0))
    with pytest.raises(CorruptInputError) as exc:
        read_video(tmp_path / "x.npz")
    msg = one_line(exc.value)
    assert "'frames'" in msg and "images" in msg


def test_npy_object_array_refused(tmp_path, one_line):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(CorruptInputError) as exc:
        read_video(tmp_path / "o.npy")
    one_line(exc.value)


# ---------------------------------------------------------------- HDF5 sequence


def test_sequence_file_round_trip(tmp_path, grey_u8):
    import h5py

    path = tmp_path / "seq.h5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("frames", data=grey_u8)
        fh.create_dataset("tracks", data=np.zeros((6, 3, 2)))
        fh.attrs["spacing_mm"] = np.array([0.3, 0.35])
        fh.attrs["fps"] = 40.0
        fh.attrs["view"] = "a4c"
    v = read_video(path)
    np.testing.assert_array_equal(np.rint(v.frames * 255).astype(np.uint8), grey_u8)
    assert v.spacing_mm == (0.3, 0.35) and v.fps == 40.0
    assert v.metadata["view"] == "a4c" and "tracks" in v.metadata["members"]


def test_sequence_file_without_frames(tmp_path, one_line):
    import h5py

    path = tmp_path / "seq.hdf5"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("tracks", data=np.zeros((2, 3, 2)))
    with pytest.raises(CorruptInputError) as exc:
        read_video(path)
    assert "/frames" in one_line(exc.value)


def test_sequence_file_not_hdf5(tmp_path, one_line):
    path = tmp_path / "seq.h5"
    path.write_text("not hdf5")
    with pytest.raises(CorruptInputError) as exc:
        read_video(path)
    one_line(exc.value)


# ---------------------------------------------------------------- dispatch


def test_missing_path(tmp_path, one_line):
    with pytest.raises(InputNotFoundError) as exc:
        read_video(tmp_path / "nope.mp4")
    assert "nope.mp4" in one_line(exc.value)


def test_unknown_suffix(tmp_path, one_line):
    path = tmp_path / "clip.xyz"
    path.write_text("hello")
    with pytest.raises(UnsupportedFormatError) as exc:
        read_video(path)
    msg = one_line(exc.value)
    assert ".xyz" in msg and ".mp4" in msg and ".dcm" in msg


def test_bad_override(tmp_path, grey_u8, one_line):
    np.save(tmp_path / "c.npy", grey_u8)
    with pytest.raises(ParameterError) as exc:
        read_video(tmp_path / "c.npy", spacing_mm=(0.2, -1))
    one_line(exc.value)


def test_dicom_non_positive_spacing_and_frame_time_are_not_flipped(tmp_path, grey_u8, dicom_builder, one_line):
    """A negative PixelSpacing or FrameTime is not used (no sign guessing); the reason is kept."""
    path = dicom_builder(tmp_path / "neg.dcm", grey_u8, delta_x_cm=None, delta_y_cm=None,
                         frame_time_ms=-40.0, pixel_spacing=(-0.4, 0.5))
    v = read_video(path)
    assert v.spacing_mm is None and v.fps is None
    assert "PixelSpacing" in v.metadata["ignored_fields"] and "FrameTime" in v.metadata["ignored_fields"]
    with pytest.raises(ParameterError) as exc:
        v.require_spacing()
    text = one_line(exc.value)
    assert "PixelSpacing" in text and "not positive" in text and "spacing_mm" in text
    with pytest.raises(ParameterError, match="FrameTime"):
        v.frame_times_s()
    # the user's values take over
    v2 = read_video(path, spacing_mm=(0.4, 0.5), fps=25.0)
    assert v2.spacing_mm == (0.4, 0.5) and v2.fps == 25.0


def test_dicom_negative_frame_time_falls_back_to_cine_rate(tmp_path, grey_u8, dicom_builder):
    v = read_video(dicom_builder(tmp_path / "f.dcm", grey_u8, frame_time_ms=-40.0, extra={"CineRate": 30}))
    assert v.fps == pytest.approx(30.0)
    assert v.metadata["fps_source"] == "CineRate"


def test_dicom_region_delta_sign_is_a_direction(tmp_path, grey_u8, dicom_builder):
    """Ultrasound-region deltas may be signed (direction); their magnitude is the spacing."""
    v = read_video(dicom_builder(tmp_path / "r.dcm", grey_u8, delta_x_cm=-0.03, delta_y_cm=0.025))
    assert v.spacing_mm == pytest.approx((0.25, 0.3))
    assert "ignored_fields" not in v.metadata
