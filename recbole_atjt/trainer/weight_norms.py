"""How a mode turns its recognizers' raw outputs into training weights.

A mode's ``normalisation`` is one of the two functions below (``weights, config ->
weights``); :data:`WEIGHT_NORMS` holds the values of the ``weight_norm`` key that
:func:`as_configured` applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

TINY_MEAN = 1e-12  # a batch whose weights all underflow to 0 is not divided by 0


def _unchanged(w: torch.Tensor) -> torch.Tensor:
    return w


def _by_detached_mean(w: torch.Tensor) -> torch.Tensor:
    return w / w.detach().mean().clamp_min(TINY_MEAN)


def _by_own_mean(w: torch.Tensor) -> torch.Tensor:
    """Divided by the batch mean *with* gradient: L_R is then unchanged when all weights
    scale by one factor, so the recommender loss cannot shrink them all together."""
    return w / w.mean().clamp_min(TINY_MEAN)


# The weight_norm key's values, in the order its error message lists them.
WEIGHT_NORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "none": _unchanged,
    "batch_mean": _by_detached_mean,
    "self": _by_own_mean,
}


def as_configured(w: torch.Tensor, config: Mapping[str, Any]) -> torch.Tensor:
    """The weights as the ``weight_norm`` key says."""
    return WEIGHT_NORMS[config["weight_norm"]](w)


def mean_clipped(w: torch.Tensor, config: Mapping[str, Any]) -> torch.Tensor:
    """Detached, divided by the batch mean, clipped to [``weight_min``, ``weight_max``]."""
    w = w.detach()
    return (w / w.mean().clamp_min(TINY_MEAN)).clamp(config["weight_min"], config["weight_max"])
