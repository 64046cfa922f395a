"""Per-epoch record of the sequence weights and the loss parts."""

from __future__ import annotations

import torch

from recbole_atjt.trainer.per_sequence_loss import RowLosses

NAMES = ("w", "w2", "l_r", "l_plain", "l_extra", "l_d", "alpha")


class EpochStatistics:
    """Accumulates on the training device; reads back once, at the end of the epoch.

    The recommender loss is kept in three parts: the weighted per-row loss
    ``mean(w_i * loss_i)`` (``loss_r``), the same rows unweighted
    (``loss_r_unweighted``), and the model's unweighted add-ons such as DCN's
    regulariser or FEARec's contrastive terms (``loss_addons``), so the first two
    show what the weights do.
    """

    def __init__(self, device: torch.device) -> None:
        zero = torch.zeros((), device=device, dtype=torch.float64)
        self._sums = {name: zero.clone() for name in NAMES}
        self.n_weights = 0
        self.n_batches = 0
        self.n_auxiliary = 0
        self.has_extra = False

    def add_weights(self, w: torch.Tensor) -> None:
        self._sums["w"] += w.sum()
        self._sums["w2"] += (w.double() ** 2).sum()
        self.n_weights += w.numel()

    def add_losses(self, losses: RowLosses, row_weights: torch.Tensor) -> None:
        rows = losses.rows.detach()
        self._sums["l_r"] += (row_weights * rows).mean()
        self._sums["l_plain"] += rows.mean()
        if losses.extra is not None:
            self._sums["l_extra"] += losses.extra.detach()
            self.has_extra = True
        self.n_batches += 1

    def add_auxiliary(self, loss_d: torch.Tensor, alpha: torch.Tensor | float) -> None:
        self._sums["l_d"] += loss_d
        self._sums["alpha"] += alpha
        self.n_auxiliary += 1

    def summary(self) -> dict[str, float]:
        """Mean and std of the weights, mean loss parts, mean L_D and the alpha applied."""
        s = {k: v.item() for k, v in self._sums.items()}
        n = max(self.n_weights, 1)
        batches = max(self.n_batches, 1)
        mean = s["w"] / n
        out = {
            "weight_mean": mean,
            "weight_std": max(s["w2"] / n - mean**2, 0.0) ** 0.5,
            "loss_r": s["l_r"] / batches,
            "loss_r_unweighted": s["l_plain"] / batches,
        }
        if self.has_extra:
            out["loss_addons"] = s["l_extra"] / batches
        if self.n_auxiliary:
            out["loss_d"] = s["l_d"] / self.n_auxiliary
            out["alpha"] = s["alpha"] / self.n_auxiliary
        self._summary = out
        return out

    def describe(self) -> str:
        return ", ".join(f"{k}: {v:.4f}" for k, v in self._summary.items())
