"""End-diastole and end-systole from a length (or strain) curve."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from echostrain.core.errors import InvalidDataError, ParameterError


def check_es_after_ed(es_frame: int, ed_frame: int, n_frames: int, *, subject: str | None = None) -> None:
    """ParameterError unless ``ed_frame < es_frame < n_frames`` (systole runs ED → ES).

    ``subject`` starts the message (default ``"ES frame <es_frame>"``).
    """
    if not ed_frame < es_frame < n_frames:
        raise ParameterError(
            f"{subject or f'ES frame {es_frame}'} must come after the ED frame {ed_frame} (systole runs ED → ES) "
            f"and lie within the clip's frames 0…{n_frames - 1}; give an ES frame later than ED"
        )


def shortest_after(curve: np.ndarray, ed_frame: int, stop: int) -> int:
    """ES: the frame of the lowest value of ``curve`` after ``ed_frame`` and before ``stop`` (at least ED + 1).

    ES never falls on ED itself, even on a curve that only rises (a tracker
    that reads lengthening): systole runs ED → ES.
    """
    return ed_frame + 1 + int(np.argmin(np.asarray(curve)[ed_frame + 1 : max(stop, ed_frame + 2)]))


def detect_ed_es(
    length_mm: np.ndarray, ed_frame: int | None = None, es_frame: int | None = None
) -> tuple[int, int]:
    """Frames of end-diastole (longest) and end-systole (shortest) of one cycle.

    ED is the longest frame of the first stretch of frames within 10 % of the
    length range of the maximum (so a clip ending at the next ED keeps its
    first one); ES is the shortest frame, on the curve smoothed over 3
    frames, from ED to the next such stretch (or the clip's end), or, when ED
    is the last frame, the shortest frame before it. Frames that are given
    are kept (ES after ED when both are given); with only ES given, ED is the
    longest frame before it.
    """
    length = np.asarray(length_mm, dtype=float)
    n = length.shape[0]
    if length.ndim != 1 or n < 2 or not np.all(np.isfinite(length)):
        raise InvalidDataError("the length curve must be a finite 1-D array of at least 2 frames")
    for name, f in (("ED", ed_frame), ("ES", es_frame)):
        if f is not None and not 0 <= f < n:
            raise ParameterError(f"{name} frame {f} is outside the clip (0…{n - 1})")
    if ed_frame is not None and es_frame is not None:
        check_es_after_ed(es_frame, ed_frame, n)
        return int(ed_frame), int(es_frame)
    smooth = uniform_filter1d(length, size=3, mode="nearest") if n >= 5 else length
    if es_frame is not None:
        return (int(np.argmax(length[: es_frame + 1])) if es_frame > 0 else int(np.argmax(length))), int(es_frame)
    near_max = length >= length.max() - 0.10 * (length.max() - length.min())
    if ed_frame is None:
        first = int(np.argmax(near_max))
        run_end = first + (int(np.argmin(near_max[first:])) if not near_max[first:].all() else n - first)
        ed = first + int(np.argmax(length[first:run_end]))
    else:
        ed = int(ed_frame)
    if ed == n - 1:
        return ed, int(np.argmin(smooth[:ed]))
    after = near_max[ed + 1 :] & ~near_max[ed : n - 1]  # starts of later near-max stretches
    stop = ed + 1 + int(np.argmax(after)) if after.any() else n
    return ed, shortest_after(smooth, ed, stop)


def next_ed_frame(gls_curve_pct: np.ndarray, es_frame: int) -> int:
    """End of the cycle: the frame after ES where the line is longest again (the last frame if none follows)."""
    curve = np.asarray(gls_curve_pct, dtype=float)
    after = np.arange(es_frame + 1, curve.size)
    return int(after[np.argmax(curve[after])]) if after.size else curve.size - 1


def beat_frames(
    gls_curve_pct: np.ndarray, *, first_ed: int = 0, min_beat_frames: int = 4
) -> list[tuple[int, int, int]]:
    """Full beats of a multi-beat strain (or length) curve: ``(ED, ES, next ED)`` frames.

    Systoles are the stretches where the curve (smoothed over 3 frames) lies
    below half-way between its minimum and maximum after ``first_ed``; ES is
    the lowest frame of each, the ED between two systoles the highest frame
    between their ES frames, and the first ED ``first_ed`` (the frame the wall
    was given on). A beat shorter than ``min_beat_frames`` is joined with the
    next systole (a notch in the curve is not a beat). A beat is full when the
    curve rises back above half-way after its ES, so a clip that stops in
    systole keeps only the beats before. Returns ``[]`` when the curve does not
    contract (range below 1 unit) or no beat is full.

    Examples
    --------
    >>> t = np.arange(61)
    >>> curve = -10 * np.sin(np.pi * (t % 20) / 20) ** 2
    >>> beat_frames(curve)
    [(0, 10, 20), (20, 30, 40), (40, 50, 60)]
    """
    curve = np.asarray(gls_curve_pct, dtype=float)
    n = curve.size
    if curve.ndim != 1 or n < 3 or not np.all(np.isfinite(curve)):
        raise InvalidDataError("the strain curve must be a finite 1-D array of at least 3 frames")
    if not 0 <= first_ed < n:
        raise ParameterError(f"first ED frame {first_ed} is outside the curve (0…{n - 1})")
    if int(min_beat_frames) < 2:
        raise ParameterError(f"`min_beat_frames` must be at least 2, got {min_beat_frames}")
    smooth = uniform_filter1d(curve, size=3, mode="nearest") if n >= 5 else curve
    lo, hi = float(smooth[first_ed:].min()), float(smooth[first_ed:].max())
    if hi - lo < 1.0:
        return []
    half = 0.5 * (lo + hi)
    low = smooth < half
    low[: first_ed + 1] = False
    starts = np.flatnonzero(low & ~np.r_[False, low[:-1]])
    ends = np.flatnonzero(low & ~np.r_[low[1:], False])  # last frame of each systolic stretch
    systoles = [(int(s) + int(np.argmin(smooth[s:e + 1])), int(e)) for s, e in zip(starts, ends)]
    beats: list[tuple[int, int, int]] = []
    ed, k = int(first_ed), 0
    while k < len(systoles):
        es_k, end_k = systoles[k]
        if es_k <= ed:  # lowest at the ED that closed the last beat: no contraction after it in this stretch
            k += 1
            continue
        if end_k >= n - 1:  # the clip stops before the curve relaxes
            break
        stop = systoles[k + 1][0] if k + 1 < len(systoles) else n - 1
        nxt = int(es_k + np.argmax(curve[es_k:stop + 1]))
        if curve[nxt] < half:
            break
        if nxt - ed < min_beat_frames and k + 1 < len(systoles):
            # a notch, not a beat: one systole from here to the next one's end, ES the lower of the two
            later = systoles[k + 1]
            systoles[k + 1] = (es_k if smooth[es_k] <= smooth[later[0]] else later[0], later[1])
            k += 1
            continue
        if nxt - ed < min_beat_frames:
            break
        beats.append((ed, es_k, nxt))
        ed, k = nxt, k + 1
    return beats
