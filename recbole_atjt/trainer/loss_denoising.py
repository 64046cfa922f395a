"""Row weights without recognizers, for the same trainer (docs/algorithm.md, "Modes").

The loss-based denoising baselines T-CE and R-CE ("Denoising Implicit Feedback for
Recommendation", WSDM 2021) work on the per-row losses of
:mod:`recbole_atjt.trainer.per_sequence_loss`; the oracle reads the dataset's
ground truth instead. All return detached weights; the trainer applies them as it
applies ATJT's.
"""

from __future__ import annotations

import numpy as np
import torch


def tce_drop_rate(epoch: int, drop_rate: float, num_gradual: int) -> float:
    """Share of rows dropped in ``epoch``: linear from 0 to ``drop_rate`` over ``num_gradual``
    epochs, as the published schedule ``linspace(0, drop_rate, num_gradual)``."""
    if epoch >= num_gradual:
        return drop_rate
    return float(np.linspace(0, drop_rate, num_gradual)[epoch])


def tce_weights(rows: torch.Tensor, positive: torch.Tensor, rate: float) -> torch.Tensor:
    """Drop the ``floor(rate * N)`` highest-loss positive rows; the rest share the loss.

    Negatives sort as zero loss, so only positives are ever dropped (the published
    code); kept rows get weight ``N / n_kept`` so that the weighted mean is the
    mean over the kept rows.
    """
    n_drop = int(rate * rows.numel())
    keep = torch.ones_like(rows)
    if n_drop:
        key = (rows.detach() * positive).masked_fill(~positive, float("-inf"))
        keep[key.topk(n_drop).indices] = 0.0
        keep[~positive] = 1.0  # in case fewer positives than n_drop
    return keep / keep.mean()


def rce_weights(rows: torch.Tensor, beta: float, normalise: bool) -> torch.Tensor:
    """``exp(-beta * loss)``: ``pred**beta`` for a BCE positive, ``(1 - pred)**beta`` for a
    negative; for CE / BPR losses ``p_target**beta``, divided by its batch mean."""
    w = torch.exp(-beta * rows.detach())
    return w / w.mean() if normalise else w


def oracle_weights(injected: torch.Tensor) -> torch.Tensor:
    """One weight per sequence: 0 where its target is injected, 1 otherwise, divided by the
    batch mean so that the mean is 1. A batch of injected targets only stays all 0."""
    w = (~injected.bool()).float()
    return w / w.mean().clamp_min(torch.finfo(w.dtype).tiny)
