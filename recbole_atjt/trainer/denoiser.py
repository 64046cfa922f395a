"""The G noise recognizers, their optimizers and the auxiliary task (paper Sec. 3.3-3.4)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from recbole_atjt.data.corruption import corrupt_histories
from recbole_atjt.data.groups import GroupedTrainData
from recbole_atjt.model.recognizer import NoiseRecognizer

OPTIMIZERS = {
    "adagrad": torch.optim.Adagrad,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


class Denoiser(nn.Module):
    """Recognizer g_k per group k; g_k's auxiliary batches never come from group k."""

    def __init__(self, config: Any, data: GroupedTrainData) -> None:
        super().__init__()
        self.data = data
        self.noise_ratio: float = config["noise_ratio"]
        self.replace_count: int = config["replace_count"]
        self.weight_norm: str = config["weight_norm"]
        self.recognizers = nn.ModuleList(
            NoiseRecognizer.from_config(config, data.n_items) for _ in data.groups
        ).to(config["device"])
        optimizer = OPTIMIZERS[config["noise_optimizer"]]
        self.optimizers = [
            optimizer(g.parameters(), lr=config["noise_learning_rate"]) for g in self.recognizers
        ]
        self.generator = torch.Generator(device=config["device"]).manual_seed(config["seed"])
        self.pretrained = False

    @property
    def n_groups(self) -> int:
        return len(self.recognizers)

    def weights(self, k: int, history: torch.Tensor, target: torch.Tensor, keep_graph: bool):
        """w = g_k(history, target), with g_k's dropout off so weights are not random."""
        g = self.recognizers[k]
        g.eval()
        with torch.set_grad_enabled(keep_graph and torch.is_grad_enabled()):
            w = g(history, target)
        if self.weight_norm == "batch_mean":
            w = w / w.detach().mean()
        return w

    def auxiliary_loss(self, k: int) -> torch.Tensor:
        """L_D on the next batch outside group k: corrupted (label 0) vs original (label 1)."""
        _, history, target = self.data.auxiliary_batch(k)
        noisy = corrupt_histories(
            history, self.data.n_items, self.noise_ratio, self.replace_count, self.generator
        )
        g = self.recognizers[k]
        g.train()
        # on logits: stable, and a non-finite recognizer reaches the trainer's finite check
        return F.binary_cross_entropy_with_logits(g.logits(noisy.history, target), noisy.labels)

    def pretrain(self, passes: int, show_progress: bool = False) -> list[float]:
        """DNR: train each g_k on the auxiliary task alone; returns g_k's mean L_D."""
        means = []
        for k in range(self.n_groups):
            steps = range(passes * len(self.data.streams[k]))
            if show_progress:
                steps = tqdm(steps, ncols=100, desc=f"Pretrain recognizer {k}")
            total = torch.zeros((), device=self.generator.device)
            for _ in steps:
                self.optimizers[k].zero_grad()
                loss = self.auxiliary_loss(k)
                loss.backward()
                self.optimizers[k].step()
                total += loss.detach()
            means.append(total.item() / max(len(steps), 1))
        self.pretrained = True
        return means

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything needed to resume the recognizers exactly."""
        return {
            "recognizers": self.recognizers.state_dict(),
            "optimizers": [o.state_dict() for o in self.optimizers],
            "generator": self.generator.get_state(),
            "pretrained": self.pretrained,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`checkpoint_state`."""
        self.recognizers.load_state_dict(state["recognizers"])
        for optimizer, saved in zip(self.optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(saved)
        self.generator.set_state(state["generator"].cpu())
        self.pretrained = state["pretrained"]
