"""The project's shared vocabulary: views, layer and segment codes, clip suffixes, default scan.

Every stage reads these names from here instead of restating them (see
``docs/formats.md`` and ``docs/architecture.md``):

* layer: ``0`` endocardium, ``1`` mid-wall, ``2`` epicardium, ``-1`` not myocardium;
* segment: ``0``–``5`` from the basal segment of the first wall through the
  apex to the basal segment of the second wall, ``-1`` none;
* view: lower-case ``a2c``, ``a3c``, ``a4c``.

The mapping of view segments to the AHA 18-segment model stays in
:mod:`echostrain.anatomy.segments`, its one table.
"""

from __future__ import annotations

#: Apical views, as lower-case strings.
VIEWS: tuple[str, ...] = ("a2c", "a3c", "a4c")

#: Layer codes (int8 in every array and file).
LAYER_ENDO = 0
LAYER_MID = 1
LAYER_EPI = 2
LAYER_NONE = -1
#: Layer code → short name.
LAYER_NAMES: dict[int, str] = {LAYER_ENDO: "endo", LAYER_MID: "mid", LAYER_EPI: "epi"}
#: Every allowed layer code, "none" first.
LAYER_CODES: tuple[int, ...] = (LAYER_NONE, LAYER_ENDO, LAYER_MID, LAYER_EPI)

#: Segments per apical view.
N_SEGMENTS = 6
#: Segment code of a point outside every segment.
SEGMENT_NONE = -1
#: Every allowed segment code, "none" first.
SEGMENT_CODES: tuple[int, ...] = (SEGMENT_NONE, *range(N_SEGMENTS))
#: Wall points per segment and layer when a contour is sampled for tracking (6·m + 1 per layer).
POINTS_PER_SEGMENT = 8
#: Window (points) in which tracked walls are regularised along the wall (echostrain.track.wall); 0: none.
WALL_SMOOTHING_POINTS = 5

#: File suffixes of each clip format :func:`echostrain.io.read_video` takes (lower case).
DICOM_SUFFIXES: tuple[str, ...] = (".dcm", ".dicom")
MOVIE_SUFFIXES: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".m4v")
NUMPY_SUFFIXES: tuple[str, ...] = (".npy", ".npz")
HDF5_SUFFIXES: tuple[str, ...] = (".h5", ".hdf5")
#: Image files of a folder of frames.
FRAME_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg")
#: Every single-file clip suffix (a folder of frames is a clip too).
CLIP_SUFFIXES: tuple[str, ...] = DICOM_SUFFIXES + MOVIE_SUFFIXES + NUMPY_SUFFIXES + HDF5_SUFFIXES
#: Suffixes :func:`echostrain.io.write_mp4` writes; anything else is a folder of PNG frames.
MP4_SUFFIXES: tuple[str, ...] = (".mp4", ".m4v", ".mov")

#: Simulation engines: the calibrated fast engine and the PyMUST (SIMUS) reference.
ENGINES: tuple[str, ...] = ("fast", "simus")

#: The default phased-array probe (see :func:`echostrain.sim.get_probe`).
DEFAULT_PROBE = "P4-2v"
#: The default imaging depth of the sector (mm).
DEFAULT_DEPTH_MM = 150.0
#: Widest sector a phased array images (degrees): scans and echogenicity maps are refused beyond it.
MAX_SECTOR_DEG = 120.0
#: The default opening angle of the sector (degrees).
DEFAULT_SECTOR_DEG = 75.0
