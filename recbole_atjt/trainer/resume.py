"""Everything besides parameters that a resumed run needs to continue exactly.

RecBole's checkpoints hold the model, the optimizer and the early-stopping
counters. A run that continues bit-for-bit also needs the random streams: the
global torch / NumPy / Python RNGs (dropout, negative sampling), the training
loader's shuffling generator, and our per-group loaders and auxiliary streams.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch


def capture(train_data, grouped=None) -> dict[str, Any]:
    state = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
        "train_loader": train_data.generator.get_state(),
        "groups": grouped.state() if grouped is not None else None,
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore(state: dict[str, Any], train_data, grouped=None) -> None:
    torch.set_rng_state(state["torch"].cpu())
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    train_data.generator.set_state(state["train_loader"])
    if grouped is not None and state.get("groups") is not None:
        grouped.restore(state["groups"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
