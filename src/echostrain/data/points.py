"""Which points a training clip follows: the share in tissue, and two ways to draw the wall points.

* :func:`sample_points`: distinct true points (repeats only when a group has
  too few), those visible in the clip first;
* :func:`mesh_points`: random positions on the wall mesh, true points or
  interpolated between mesh neighbours, and random tissue points (training
  of TAS-Net).

Both give ``round(n × tissue_share)`` points of layer ``LAYER_NONE`` (tissue
outside the myocardium) and the rest on the wall; a sequence without points
of one group gives all points from the other (:func:`tissue_quota`).
"""

from __future__ import annotations

import numpy as np

from echostrain.core.vocabulary import LAYER_NONE


def tissue_quota(n: int, tissue_share: float, n_tissue: int, n_wall: int) -> int:
    """How many of ``n`` points come from tissue: ``round(n × tissue_share)`` (halves up).

    ``n_tissue`` / ``n_wall``: points of each group the sequence has; a group
    without points leaves its quota to the other.
    """
    if n_tissue == 0:
        return 0
    if n_wall == 0:
        return n
    return int(np.floor(n * tissue_share + 0.5))


def _draw_preferring(
    rng: np.random.Generator, pool: np.ndarray, preferred: np.ndarray, k: int
) -> np.ndarray:
    """``k`` of ``pool``: preferred ones first, the others to fill up; repeats only if needed.

    With ``k > len(pool)`` every point is taken once and the rest are drawn
    with replacement (from the preferred points if there are any).
    """
    first = pool[preferred[pool]]
    rest = pool[~preferred[pool]]
    if k <= len(first):
        return rng.choice(first, size=k, replace=False)
    if k <= len(pool):
        return np.concatenate([first, rng.choice(rest, size=k - len(first), replace=False)])
    extra = rng.choice(first if len(first) else pool, size=k - len(pool), replace=True)
    return np.concatenate([pool, extra])


def sample_points(
    rng: np.random.Generator,
    layer: np.ndarray,
    n: int,
    tissue_share: float,
    preferred: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of ``n`` distinct true points (see the module docstring), in random order.

    Each group (tissue, wall) is drawn without replacement; a group with
    fewer points than its quota gives every point once and repeats some.
    Within a group, points with ``preferred`` True are taken first.
    """
    layer = np.asarray(layer)
    pref = np.ones(layer.shape, dtype=bool) if preferred is None else np.asarray(preferred)
    tissue = np.flatnonzero(layer == LAYER_NONE)
    wall = np.flatnonzero(layer != LAYER_NONE)
    k_t = tissue_quota(n, tissue_share, len(tissue), len(wall))
    chosen = np.concatenate(
        [_draw_preferring(rng, tissue, pref, k_t), _draw_preferring(rng, wall, pref, n - k_t)]
    ).astype(np.int64)
    return rng.permutation(chosen)


def _wall_mesh_points(
    tracks: np.ndarray, layer: np.ndarray, n_columns: int, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random wall positions: (index of the mesh point each starts from [n], tracks [T, n, 2]).

    Half of them are bilinear mixes of a mesh point and its neighbours in the
    next column (same layer) and the next layer (same column).
    """
    wall = np.flatnonzero(layer != LAYER_NONE)
    k = n_columns
    layers = np.unique(layer[wall])
    grid = wall.reshape(len(layers), k)  # [layer, column] indices, endo → epi
    li = rng.integers(0, len(layers), n)
    ci = rng.integers(0, k, n)
    out = tracks[:, grid[li, ci]].copy()
    interp = rng.random(n) < 0.5
    if interp.any() and k > 1:
        c2 = np.minimum(ci + 1, k - 1)
        l2 = np.minimum(li + 1, len(layers) - 1)
        a, b = rng.random(n), rng.random(n)
        p00 = tracks[:, grid[li, ci]]
        p01 = tracks[:, grid[li, c2]]
        p10 = tracks[:, grid[l2, ci]]
        p11 = tracks[:, grid[l2, c2]]
        mix = ((1 - a) * (1 - b))[None, :, None] * p00 + (a * (1 - b))[None, :, None] * p01 \
            + ((1 - a) * b)[None, :, None] * p10 + (a * b)[None, :, None] * p11
        out[:, interp] = mix[:, interp]
    return grid[li, ci], out


def mesh_points(
    tracks: np.ndarray,
    layer: np.ndarray,
    n_columns: int,
    n: int,
    tissue_share: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on the wall mesh and in tissue: (source point of each [n], tracks [T, n, 2]).

    ``tracks`` [T, N, 2] and ``layer`` [N] are the sequence's true points, the
    wall ones ordered layer by layer (endo → epi), ``n_columns`` per layer.
    Wall points come first, then tissue points (drawn with replacement).
    """
    tissue = np.flatnonzero(layer == LAYER_NONE)
    n_tissue = tissue_quota(n, tissue_share, tissue.size, int((layer != LAYER_NONE).sum()))
    ids, pts = [], []
    if n - n_tissue:
        wall_ids, wall_tracks = _wall_mesh_points(tracks, layer, n_columns, n - n_tissue, rng)
        ids.append(wall_ids)
        pts.append(wall_tracks)
    if n_tissue:
        tissue_ids = rng.choice(tissue, n_tissue)
        ids.append(tissue_ids)
        pts.append(tracks[:, tissue_ids])
    return np.concatenate(ids).astype(np.int64), np.concatenate(pts, axis=1)
