import subprocess
import sys

import numpy as np
from PIL import Image


def run(*args):
    return subprocess.run([sys.executable, "-m", "echostrain", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_simulate_frame_fast_writes_a_sector_png(tmp_path):
    out = tmp_path / "frame.png"
    proc = run("simulate-frame", "--engine", "fast", "--scatterers", "30000", "--pixel-mm", "0.5", "--out", out)
    assert proc.returncode == 0, proc.stderr
    img = np.asarray(Image.open(out))
    assert img.dtype == np.uint8 and img.shape == (301, 366)
    assert img[0, 0] == 0 and img[200, 183] > 0  # black outside the fan, speckle inside


def test_simulate_frame_bad_input(tmp_path):
    out = tmp_path / "f.png"
    cases = [
        (("--probe", "X9-1"), "unknown probe"),
        (("--depth-mm", "0"), "depth must be positive"),
        (("--depth-mm", "-20"), "depth must be positive"),
        (("--scatterers", "0"), "--scatterers"),
        (("--engine", "magic"), "unknown engine"),
    ]
    for extra, text in cases:
        proc = run("simulate-frame", "--out", out, *extra)
        assert proc.returncode == 2, (extra, proc.stderr)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and text in lines[0] and "Traceback" not in proc.stderr
        assert not out.exists()
