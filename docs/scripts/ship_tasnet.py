"""Copy a training run's best weights into the package, with provenance in the safetensors metadata.

Usage: python docs/scripts/ship_tasnet.py runs/NAME [--which best|checkpoint]
Writes src/echostrain/track/weights/tasnet.safetensors; the model card
(MODEL_CARD.md next to it) is written by hand from the run's figures.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from echostrain import __version__
from echostrain.track.weights import PRETRAINED, load_model, read_metadata, save_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--which", choices=("best", "checkpoint"), default="best")
    args = parser.parse_args()
    src = args.run / f"{args.which}.safetensors"
    model = load_model(src)
    meta = read_metadata(src)
    config = json.loads((args.run / "config.json").read_text())
    with open(args.run / "log.csv") as fh:
        log = list(csv.DictReader(fh))
    val = [r for r in log if r.get("val_mte_mm")]
    extra = {
        "echostrain_version": __version__,
        "trained_from": str(args.run),
        "weights": args.which,
        "step": meta.get("step", ""),
        "val_mte_mm": meta.get("val_mte_mm", meta.get("best_val_mte_mm", "")),
        "training_steps": config["steps"],
        "training_seconds": log[-1]["seconds"] if log else "",
        "validation_curve": [[int(r["step"]), float(r["val_mte_mm"])] for r in val],
        "train_config": config,
    }
    PRETRAINED.parent.mkdir(parents=True, exist_ok=True)
    save_weights(PRETRAINED, model, extra)
    print(f"{src} → {PRETRAINED} ({PRETRAINED.stat().st_size / 1e6:.2f} MB), step {extra['step']}, val MTE {extra['val_mte_mm']} mm")


if __name__ == "__main__":
    main()
