"""Shared checks: device names."""

from __future__ import annotations

import pytest


def test_device_names_and_availability():
    import subprocess
    import sys

    import torch

    from echostrain.core.checks import check_device
    from echostrain.core.errors import ParameterError

    assert check_device("CPU") == "cpu"
    with pytest.raises(ParameterError, match="not a device name"):
        check_device("foo")
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="sees no CUDA device; use cpu"):
            check_device("cuda")
        for args in (["track", "x.npy", "--points", "p.csv", "--out", "t.npz", "--device", "cuda"],
                     ["track", "x.npy", "--points", "p.csv", "--out", "t.npz", "--device", "foo"]):
            done = subprocess.run([sys.executable, "-m", "echostrain", *args], capture_output=True, text=True,
                                  timeout=120)
            lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            assert done.returncode == 2 and len(lines) == 1 and "--device" in lines[0], done.stderr
