"""TAS-Net weights as safetensors (no pickle): tensors plus the architecture in the metadata."""

from __future__ import annotations

import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any


from echostrain.core.errors import CorruptInputError, InputNotFoundError, ParameterError
from echostrain.track.model import TASNet, TASNetConfig

#: Metadata key holding the architecture (JSON of :class:`TASNetConfig`).
CONFIG_KEY = "echostrain.tasnet_config"
#: The weights shipped with the package.
PRETRAINED = Path(__file__).resolve().parent / "weights" / "tasnet.safetensors"


def save_weights(path: str | os.PathLike[str], model: TASNet, extra: dict[str, Any] | None = None) -> Path:
    """Write the model's weights and configuration (atomic)."""
    from safetensors.torch import save_file

    from echostrain.io.atomic import atomic_path

    meta = {CONFIG_KEY: json.dumps(model.config.to_dict(), sort_keys=True)}
    for key, value in (extra or {}).items():
        meta[str(key)] = value if isinstance(value, str) else json.dumps(value)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    out = Path(path)
    with atomic_path(out) as tmp:
        save_file(state, str(tmp), metadata=meta)
    return out


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    from safetensors import safe_open

    p = Path(path)
    if not p.is_file():
        raise InputNotFoundError(f"weights file {p} does not exist; check the path")
    try:
        with safe_open(str(p), framework="pt") as fh:
            return dict(fh.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise CorruptInputError(f"{p} is not a safetensors weights file ({exc.__class__.__name__}); re-download or re-train it") from exc


def with_neighbour_levels(model: TASNet, levels: int) -> TASNet:
    """``model`` with ``levels`` levels of frame-to-frame correlation (``TASNetConfig.neighbour_levels``).

    Every weight it has is kept; a new frame-to-frame input starts at zero, so
    the widened model tracks exactly as ``model`` does until it is trained.
    """
    from dataclasses import replace

    if model.config.neighbour_levels == levels:
        return model
    if model.config.neighbour_levels:
        raise ParameterError(f"these weights already read {model.config.neighbour_levels} frame-to-frame "
                             f"correlation level(s); train them with that number, not {levels}")
    wide = TASNet(replace(model.config, neighbour_levels=levels))
    result = wide.load_state_dict(model.state_dict(), strict=False)
    assert not result.unexpected_keys and all(k.startswith("neighbour_token.") for k in result.missing_keys)
    return wide.to(next(model.parameters()).device).train(model.training)


def load_model(path: str | os.PathLike[str], device: str = "cpu") -> TASNet:
    """A TASNet with the weights of ``path`` (safetensors only), in eval mode."""
    from safetensors.torch import load_file

    p = Path(path)
    meta = read_metadata(p)
    if CONFIG_KEY not in meta:
        raise CorruptInputError(
            f"{p} holds no TAS-Net configuration ({CONFIG_KEY} metadata); it is not TAS-Net weights"
        )
    try:
        raw = json.loads(meta[CONFIG_KEY])
        known = {f.name for f in fields(TASNetConfig)}
        config = TASNetConfig(**{k: v for k, v in raw.items() if k in known})
    except (TypeError, ValueError, ParameterError) as exc:
        raise CorruptInputError(f"{p}: unreadable TAS-Net configuration ({exc})") from exc
    model = TASNet(config)
    state = load_file(str(p), device="cpu")
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or wrong:
        detail = "; ".join(
            part for part in (
                f"missing {', '.join(missing[:3])}" if missing else "",
                f"unexpected {', '.join(unexpected[:3])}" if unexpected else "",
                f"wrong shape {', '.join(wrong[:3])}" if wrong else "",
            ) if part
        )
        raise CorruptInputError(f"{p} does not fit the TAS-Net architecture it declares ({detail}); use weights trained by echostrain")
    model.load_state_dict(state)
    return model.to(device).eval()

