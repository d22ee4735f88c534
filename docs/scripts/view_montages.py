"""Write docs/sequence_<view>.png: ED and ES frames of a simulated sequence with the true points.

Usage: python docs/scripts/view_montages.py [--seed 1]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from echostrain.io import overlay_points
from echostrain.sim.sequence import SequenceConfig, simulate_sequence

DOCS = Path(__file__).resolve().parents[1]


def montage(view: str, seed: int) -> Path:
    data = simulate_sequence(SequenceConfig(view=view, pathology="normal"), seed=seed)
    myo = data.track_layer >= 0
    panels = []
    for name, t in (("ED", data.ed_index), ("ES", data.es_index)):
        rgb = overlay_points(data.frames[t : t + 1], data.tracks[t : t + 1, myo], labels=data.track_layer[myo], radius_px=2)[0]
        img = Image.fromarray(np.concatenate([np.repeat(data.frames[t][..., None], 3, -1), rgb], axis=1))
        ImageDraw.Draw(img).text((8, 8), f"{view.upper()} {name} (frame {t}): B-mode | true endo (red), mid (yellow), epi (cyan) points", fill=(255, 255, 0))
        panels.append(np.asarray(img))
    out = DOCS / f"sequence_{view}.png"
    m = data.parameters["motion"]
    Image.fromarray(np.concatenate(panels, axis=0)).save(out)
    print(f"{out}: seed {seed}, {data.frames.shape[0]} frames, GLS {data.gls_pct[data.es_index]:.1f} % (target {m['gls_target_pct']:.1f})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for view in ("a4c", "a2c", "a3c"):
        montage(view, args.seed)


if __name__ == "__main__":
    main()
