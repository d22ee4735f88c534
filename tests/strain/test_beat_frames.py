"""Beats (ED → ES → next ED) of multi-beat strain curves, on analytic curves."""

import numpy as np
import pytest

from echostrain.core.errors import InvalidDataError, ParameterError
from echostrain.motion import cardiac_time_course
from echostrain.strain.phases import beat_frames


def test_three_periodic_beats_of_the_cardiac_time_course():
    course = cardiac_time_course(151, 50.0, 60.0)  # 3 beats of 50 frames
    beats = beat_frames(-18.0 * course)
    es = int(np.argmax(course[:50]))
    assert beats == [(0, es, 50), (50, es + 50, 100), (100, es + 100, 150)]


def test_a_notch_is_joined_with_its_beat_and_a_clip_ending_in_systole_keeps_the_earlier_beats():
    t = np.arange(61)
    curve = -10 * np.sin(np.pi * (t % 20) / 20) ** 2
    notched = curve.copy()
    notched[28:31] += 8
    assert beat_frames(notched, min_beat_frames=12) == [(0, 10, 20), (20, 32, 40), (40, 50, 60)]
    assert beat_frames(curve[:55]) == [(0, 10, 20), (20, 30, 40)]
    assert beat_frames(curve[:12]) == []  # stops in the first systole
    assert beat_frames(curve, first_ed=20) == [(20, 30, 40), (40, 50, 60)]


def test_a_flat_curve_has_no_beats_and_bad_input_is_refused():
    assert beat_frames(np.zeros(30) + 0.2 * np.sin(np.arange(30))) == []
    with pytest.raises(InvalidDataError):
        beat_frames(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(ParameterError, match="first ED"):
        beat_frames(np.zeros(10), first_ed=10)
    with pytest.raises(ParameterError, match="min_beat_frames"):
        beat_frames(np.zeros(10), min_beat_frames=1)
