"""Per-epoch record of the sequence weights and the loss parts (SPEC 2.7)."""

from __future__ import annotations

import torch


class EpochStatistics:
    """Accumulates on the training device; reads back once, at the end of the epoch."""

    def __init__(self, device: torch.device) -> None:
        zero = torch.zeros((), device=device, dtype=torch.float64)
        self._sums = {name: zero.clone() for name in ("w", "w2", "l_r", "l_plain", "l_d")}
        self.n_weights = 0
        self.n_batches = 0
        self.n_auxiliary = 0

    def add_weights(self, w: torch.Tensor) -> None:
        self._sums["w"] += w.sum()
        self._sums["w2"] += (w.double() ** 2).sum()
        self.n_weights += w.numel()

    def add_losses(self, weighted: torch.Tensor, plain: torch.Tensor) -> None:
        self._sums["l_r"] += weighted
        self._sums["l_plain"] += plain
        self.n_batches += 1

    def add_auxiliary(self, loss_d: torch.Tensor) -> None:
        self._sums["l_d"] += loss_d
        self.n_auxiliary += 1

    def summary(self) -> dict[str, float]:
        """Mean and std of the weights, mean L_R (weighted and not) and mean L_D."""
        s = {k: v.item() for k, v in self._sums.items()}
        n = max(self.n_weights, 1)
        mean = s["w"] / n
        out = {
            "weight_mean": mean,
            "weight_std": max(s["w2"] / n - mean**2, 0.0) ** 0.5,
            "loss_r": s["l_r"] / max(self.n_batches, 1),
            "loss_r_unweighted": s["l_plain"] / max(self.n_batches, 1),
        }
        if self.n_auxiliary:
            out["loss_d"] = s["l_d"] / self.n_auxiliary
        self._summary = out
        return out

    def describe(self) -> str:
        return ", ".join(f"{k}: {v:.4f}" for k, v in self._summary.items())
