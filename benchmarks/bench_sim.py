"""Seconds per frame of the `fast` and `simus` engines on the same phantom, same image grid.

P4-2v, the default 75° / 150 mm scan (256 lines, 0.1 mm range step), 20 k and
100 k scatterers; each time is the median of --repeats frames from scatterers
to the uint8 B-mode image (the simus engine's DAS matrix is built once,
before timing, and its build time is printed separately). Also prints the
speckle and PSF statistics of both engines on the 100 k scene, and with
--figure writes the side-by-side PNG of docs/.

Last line: ``speedup_100k=<ratio> fast_s=<s> simus_s=<s>``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from echostrain.sim import SectorScan, Simulator, get_probe, make_phantom
from echostrain.sim.metrics import autocorrelation_fwhm_mm, cyst_contrast_db, envelope_snr, point_target_widths_mm


def seconds_per_frame(sim: Simulator, scatterers, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sim.frame(scatterers)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--figure", type=Path, default=None, help="write the side-by-side phantom PNG here")
    args = parser.parse_args()

    probe, scan = get_probe("P4-2v"), SectorScan()
    sims = {name: Simulator(name, probe, scan) for name in ("fast", "simus")}
    start = time.perf_counter()
    sims["simus"].engine.das_matrix()
    print(f"simus DAS matrix: built once in {time.perf_counter() - start:.1f} s for a {scan.n_samples}×{scan.n_lines} grid")
    sims["fast"].frame(make_phantom(probe, scan, np.random.default_rng(0), n_scatterers=1000).scatterers)  # warm-up

    results: dict[int, dict[str, float]] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        phantom = make_phantom(probe, scan, np.random.default_rng(n), n_scatterers=n)
        results[n] = {name: seconds_per_frame(sim, phantom.scatterers, args.repeats) for name, sim in sims.items()}
        ratio = results[n]["simus"] / results[n]["fast"]
        print(f"{n:>7} scatterers: fast {results[n]['fast']:.4f} s/frame, simus {results[n]['simus']:.2f} s/frame, speedup {ratio:.0f}×")

        images = []
        for name, sim in sims.items():
            iq = sim.iq(phantom.scatterers)
            env = np.abs(iq)
            rows = (scan.ranges_m() > 0.085) & (scan.ranges_m() < 0.115)
            rows = slice(int(np.argmax(rows)), int(len(rows) - np.argmax(rows[::-1])))
            lines = slice(scan.n_lines // 2 - 60, scan.n_lines // 2 + 10)
            snr = envelope_snr(env, rows, lines)
            ax, lat = autocorrelation_fwhm_mm(env, scan, rows, lines)
            cyst = cyst_contrast_db(env, scan, phantom.cyst_center_xz_m, phantom.cyst_radius_m)
            widths = [point_target_widths_mm(env, scan, *p) for p in phantom.point_targets_xz_m]
            wtxt = ", ".join(f"{p[1] * 1e3:.0f} mm: {a:.2f}×{b:.2f}" for p, (a, b) in zip(phantom.point_targets_xz_m, widths))
            print(
                f"    {name:5s}: envelope SNR {snr:.2f}, speckle ACF FWHM {ax:.2f} mm axial × {lat:.2f} mm lateral, "
                f"cyst {cyst:.1f} dB, point −6 dB widths (axial×lateral mm) {wtxt}"
            )
            images.append(sim.bmode(iq)[0])
        if args.figure is not None and n == max(results):
            from PIL import Image, ImageDraw

            gap = np.zeros((images[0].shape[0], 12), np.uint8)
            canvas = Image.fromarray(np.concatenate([images[0], gap, images[1]], axis=1))
            draw = ImageDraw.Draw(canvas)
            draw.text((10, 10), f"fast engine, {n // 1000} k scatterers", fill=255)
            draw.text((images[0].shape[1] + 22, 10), "simus engine (PyMUST), same scatterers", fill=255)
            canvas.save(args.figure)
            print(f"wrote {args.figure}")

    big = max(results)
    fast_s, simus_s = results[big]["fast"], results[big]["simus"]
    print(f"speedup_100k={simus_s / fast_s:.0f} fast_s={fast_s:.4f} simus_s={simus_s:.2f}")


if __name__ == "__main__":
    main()
