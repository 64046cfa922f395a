"""Row weights without recognizers, for the same trainer (docs/algorithm.md, "Modes").

The loss-based denoising baselines T-CE and R-CE ("Denoising Implicit Feedback for
Recommendation", WSDM 2021) work on the per-row losses of
:mod:`recbole_atjt.trainer.per_sequence_loss`; the oracle reads the dataset's
ground truth instead. All return detached weights; the trainer applies them as it
applies ATJT's. Each such mode carries one :class:`RowWeighting` class, which the trainer builds
once per run and calls once per batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from recbole_atjt.trainer.per_sequence_loss import rows_per_sequence


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


# ---- the modes' row weightings: one object per run, called once per batch ------------------

BCE_LOSSES = (torch.nn.BCEWithLogitsLoss, torch.nn.BCELoss)


class RowWeighting:
    """Row weights without recognizers for one run: built with the trainer, told about the
    training data at each epoch's start, then called once per batch."""

    needs_ground_truth = False  # whether it reads the dataset's .noise file

    def __init__(self, config: Any, model: torch.nn.Module, loss_attribute: str, device) -> None:
        self.config = config
        self.model = model
        self.loss_attribute = loss_attribute
        self.device = device

    def prepare(self, train_data) -> None:
        """Before an epoch over ``train_data``."""

    def __call__(self, interaction, rows: torch.Tensor, epoch: int) -> torch.Tensor:
        """One detached weight per loss row of the batch."""
        raise NotImplementedError


class TruncatedLoss(RowWeighting):
    """T-CE: the highest-loss positive rows dropped, at a share rising over the epochs."""

    def __call__(self, interaction, rows: torch.Tensor, epoch: int) -> torch.Tensor:
        label = self.config["LABEL_FIELD"]
        positive = (
            interaction[label] > 0.5
            if label in interaction.interaction
            else torch.ones_like(rows, dtype=torch.bool)
        )
        rate = tce_drop_rate(epoch, self.config["drop_rate"], self.config["num_gradual"])
        return tce_weights(rows, positive, rate)


class ReweightedLoss(RowWeighting):
    """R-CE: ``exp(-beta * loss)``; divided by its batch mean unless the loss is a BCE."""

    def __call__(self, interaction, rows: torch.Tensor, epoch: int) -> torch.Tensor:
        bce = isinstance(getattr(self.model, self.loss_attribute), BCE_LOSSES)
        return rce_weights(rows, self.config["beta"], normalise=not bce)


class GroundTruthWeights(RowWeighting):
    """The oracle: weight 0 for a sequence whose target the ``.noise`` file marks injected.

    The file is checked when the run's trainer is built, before any training; its injected
    pairs are read at the first epoch, keyed as :func:`is_noisy` looks them up.
    """

    needs_ground_truth = True

    def __init__(self, config: Any, model: torch.nn.Module, loss_attribute: str, device) -> None:
        # imported here: the ground-truth reader looks modes up, and modes name this class
        from recbole_atjt.data.ground_truth import required_ground_truth

        super().__init__(config, model, loss_attribute, device)
        self.ground_truth_file = required_ground_truth(config, "denoise", config["denoise"])
        self.user_field = config["USER_ID_FIELD"]
        self.target_field = config["ITEM_ID_FIELD"]
        # the injected pairs as keys, the item count they are keyed by, loss rows per sequence
        self.injected: tuple[torch.Tensor, int, int] | None = None

    def prepare(self, train_data) -> None:
        from recbole_atjt.data.ground_truth import load_ground_truth, noisy_pair_keys

        if self.injected is not None:
            return
        dataset = train_data._dataset
        truth = load_ground_truth(self.ground_truth_file, dataset.uid_field, dataset.iid_field)
        keys = noisy_pair_keys(dataset, truth).to(self.device)
        self.injected = (keys, dataset.item_num, train_data.times)

    def __call__(self, interaction, rows: torch.Tensor, epoch: int) -> torch.Tensor:
        return self.row_weights(interaction, rows.numel())

    def row_weights(self, interaction, n_rows: int) -> torch.Tensor:
        """Weight 0 for a sequence whose target is injected, else 1, batch mean 1; a
        pointwise model's sampled negatives (after the positive rows) share their sequence's
        weight, as under the recognizers."""
        from recbole_atjt.data.ground_truth import is_noisy

        keys, n_items, times = self.injected
        n_sequences = len(interaction) // times
        injected = is_noisy(
            keys,
            interaction[self.user_field][:n_sequences],
            interaction[self.target_field][:n_sequences],
            n_items,
        )
        w = oracle_weights(injected)
        return w.repeat(rows_per_sequence(n_rows, n_sequences))
