"""First guesses of ED and ES: from the file when it says, else from the cavity's dark area."""

from __future__ import annotations

import numpy as np

from echostrain.io.video import EchoVideo
from echostrain.workflows.clip_phases import suggest_phases


def beating_disc(n_frames: int, ed: int, fps: float = 50.0) -> EchoVideo:
    """Bright tissue with a dark 'cavity' whose radius is largest at frame ``ed`` and smallest 0.3 s later."""
    yy, xx = np.mgrid[0:120, 0:100]
    rng = np.random.default_rng(0)
    t = np.arange(n_frames)
    radius = 25 + 8 * np.cos(2 * np.pi * (t - ed) / (0.6 * fps))
    frames = []
    for r in radius:
        img = 0.6 + 0.1 * rng.random((120, 100))
        img[np.hypot(xx - 50, yy - 60) < r] = 0.05
        frames.append(img)
    return EchoVideo(frames=np.asarray(frames, dtype=np.float32), spacing_mm=(0.3, 0.3), fps=fps)


def test_ed_and_es_from_the_cavity_area():
    video = beating_disc(40, ed=6)
    guess = suggest_phases(video)
    assert guess["source"] == "image"
    assert abs(guess["ed_frame"] - 6) <= 1
    assert abs(guess["es_frame"] - (6 + 15)) <= 1  # half of the 30-frame period later


def test_file_phases_win():
    video = beating_disc(40, ed=6)
    video.metadata.update({"ed_index": 0, "es_index": "12"})
    assert suggest_phases(video) == {"ed_frame": 0, "es_frame": 12, "source": "file"}
    video.metadata.update({"ed_index": 3, "es_index": 99})  # an ES outside the clip is not used
    assert suggest_phases(video) == {"ed_frame": 3, "es_frame": None, "source": "file"}


def test_es_inside_a_drawn_box_and_within_one_systole():
    from echostrain.workflows.clip_phases import box_region, suggest_es

    video = beating_disc(60, ed=3)
    region = box_region(np.array([[20.0, 30.0], [80.0, 30.0], [50.0, 95.0]]), video.frames.shape[1:])
    assert region.sum() == 61 * 66
    assert abs(suggest_es(video, 3, region=region) - 18) <= 1
    # the search stops 0.6 s (30 frames at 50 frames/s) after ED; at 10 frames/s only 6 frames are searched
    assert suggest_es(video, 3, region=region, fps=10.0) == 9
    assert suggest_es(video, 59, region=region) is None
