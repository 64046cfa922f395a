"""The G noise recognizers, their optimizers and the auxiliary task (paper Sec. 3.3-3.4)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from recbole_atjt.data.corruption import corrupt_sequences, popularity_weights
from recbole_atjt.data.groups import GroupedTrainData
from recbole_atjt.detection import roc_auc
from recbole_atjt.model.recognizer import NoiseRecognizer, sparse_gradient
from recbole_atjt.modes import mode

LOSS_AVERAGE_DECAY = 0.9  # alpha_scale: loss, moving average of the per-row loss over batches


class Denoiser(nn.Module):
    """Recognizer g_k per group k; g_k's auxiliary batches never come from group k.

    ``build_optimizer`` is RecBole's ``Trainer._build_optimizer`` (``params``, ``learner``,
    ``learning_rate``, ``weight_decay``); without it the recognizers only score (no
    optimizers: inspecting a saved run).
    """

    def __init__(
        self,
        config: Any,
        data: GroupedTrainData,
        build_optimizer: Callable[..., torch.optim.Optimizer] | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.data = data
        self.mode = mode(config["denoise"])
        self.noise_ratio: float = config["noise_ratio"]
        self.replace_count: int = config["replace_count"]
        self.corruption_target: str = config["corruption_target"]
        # replacement items of the auxiliary task: None draws them uniformly (also for runs
        # stored before corruption_sampling existed, whose configs lack the key)
        self.item_weights: torch.Tensor | None = (
            popularity_weights(data.target, data.n_items)
            if config["corruption_sampling"] == "popularity"
            else None
        )
        self.recognizer_mode: str = config["recognizer_mode"]
        self.sparse_gradient = sparse_gradient(
            config["noise_sparse_gradient"],
            torch.device(config["device"]),
            config["noise_optimizer"],
            data.n_items,
            config["compile_recognizer"],
        )
        self.recognizers = nn.ModuleList(self._new_recognizer() for _ in data.groups)
        self.build_optimizer = build_optimizer
        self.optimizers = (
            [self._new_optimizer(g) for g in self.recognizers] if build_optimizer else []
        )
        self.generator = torch.Generator(device=config["device"]).manual_seed(config["seed"])
        self.pretrained = False
        self.pretraining: list[dict[str, Any]] = []  # dnr: held-out AUC per pass, per recognizer
        self.loss_average: torch.Tensor | None = None  # alpha_scale: loss

    def _new_recognizer(self) -> NoiseRecognizer:
        g = NoiseRecognizer.from_config(self.config, self.data.n_items, self.sparse_gradient)
        return g.to(self.config["device"])

    def _new_optimizer(self, g: nn.Module) -> torch.optim.Optimizer:
        return self.build_optimizer(
            params=g.parameters(),
            learner=self.config["noise_optimizer"],
            learning_rate=self.config["noise_learning_rate"],
            weight_decay=0.0,
        )

    @property
    def n_groups(self) -> int:
        return len(self.recognizers)

    # ---- weights ------------------------------------------------------------

    @torch.no_grad()
    def weights(self, k: int, history: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """g_k's raw output in eval mode (dropout off): for measurements after training."""
        g = self.recognizers[k]
        was_training = g.training
        g.eval()
        w = g(history, target)
        g.train(was_training)
        return w

    def training_weights(self, k: int, history: torch.Tensor, target: torch.Tensor):
        """w = g_k(history, target) for a recommender batch: in ``recognizer_mode``, with
        L_R's gradient when the mode has it, normalised as the mode says."""
        g = self.recognizers[k]
        g.train(self.recognizer_mode == "train")
        with torch.set_grad_enabled(self.mode.weight_gradient and torch.is_grad_enabled()):
            w = g(history, target)
        return self.mode.normalisation(w, self.config)

    @property
    def fuses_passes(self) -> bool:
        """Whether the weights and the auxiliary batches go through g_k in one forward.

        They can when both passes are in the same dropout mode and both carry gradient:
        ``atjt`` unless ``recognizer_mode: split``. (``odnr``'s weights are detached: a
        fused pass would spend a backward on rows whose gradient is discarded.)
        """
        return (
            self.mode.joint_auxiliary
            and self.mode.weight_gradient
            and self.recognizer_mode != "split"
        )

    def weights_and_auxiliary_loss(self, k: int, history: torch.Tensor, target: torch.Tensor):
        """(w, L_D) for one recommender batch of group k: its training weights and, under
        joint training, the auxiliary loss averaged over G-1 batches outside group k
        (``None`` without it). One recognizer forward where :attr:`fuses_passes`, with the
        same values as the separate passes (same batches, same corruption draws)."""
        if not self.mode.joint_auxiliary:
            return self.training_weights(k, history, target), None
        n_auxiliary = self.n_groups - 1
        if not self.fuses_passes:
            w = self.training_weights(k, history, target)
            return w, sum(self.auxiliary_loss(k) for _ in range(n_auxiliary)) / n_auxiliary
        noisy = [self._corrupted_auxiliary_batch(k) for _ in range(n_auxiliary)]
        g = self.recognizers[k]
        g.train(self.recognizer_mode == "train")
        logits = g.logits(
            torch.cat([history, *(batch.history for batch in noisy)]),
            torch.cat([target, *(batch.target for batch in noisy)]),
        )
        weight_logits, *auxiliary_logits = logits.split(
            [len(target), *(len(batch.labels) for batch in noisy)]
        )
        loss_d = sum(
            F.binary_cross_entropy_with_logits(logit, batch.labels)
            for logit, batch in zip(auxiliary_logits, noisy, strict=True)
        )
        w = self.mode.normalisation(torch.sigmoid(weight_logits), self.config)
        return w, loss_d / n_auxiliary

    # ---- the auxiliary task -------------------------------------------------

    def corrupt(self, history: torch.Tensor, target: torch.Tensor, generator: torch.Generator):
        """The auxiliary task's corrupted (label 0) and original (label 1) sequences."""
        return corrupt_sequences(
            history,
            target,
            self.data.n_items,
            self.noise_ratio,
            self.replace_count,
            self.corruption_target,
            generator,
            self.item_weights,
        )

    def _corrupted_auxiliary_batch(self, k: int):
        _, history, target = self.data.auxiliary_batch(k)
        return self.corrupt(history, target, self.generator)

    def _auxiliary_loss_on(self, k: int, history: torch.Tensor, target: torch.Tensor):
        noisy = self.corrupt(history, target, self.generator)
        g = self.recognizers[k]
        g.train(self.recognizer_mode != "eval")
        # on logits: stable, and a non-finite recognizer reaches the trainer's finite check
        logits = g.logits(noisy.history, noisy.target)
        return F.binary_cross_entropy_with_logits(logits, noisy.labels)

    def auxiliary_loss(self, k: int) -> torch.Tensor:
        """L_D on the next batch outside group k: corrupted (label 0) vs original (label 1)."""
        _, history, target = self.data.auxiliary_batch(k)
        return self._auxiliary_loss_on(k, history, target)

    def alpha_factor(self, row_loss: torch.Tensor) -> torch.Tensor | float:
        """alpha_scale: loss: the detached moving average of the unweighted per-row loss."""
        if self.config["alpha_scale"] != "loss":
            return 1.0
        row_loss = row_loss.detach()
        if self.loss_average is None:
            self.loss_average = row_loss
        else:
            self.loss_average = (
                LOSS_AVERAGE_DECAY * self.loss_average + (1 - LOSS_AVERAGE_DECAY) * row_loss
            )
        return self.loss_average

    def reset(self, k: int) -> None:
        """recognizer_reset: round: fresh parameters and optimizer state for g_k."""
        self.recognizers[k].load_state_dict(self._new_recognizer().state_dict())
        self.optimizers[k] = self._new_optimizer(self.recognizers[k])

    # ---- dnr: pretraining until the held-out AUC stops improving -------------

    def pretrain(
        self, max_passes: int, show_progress: bool = False, min_gain: float = 0.0
    ) -> list[dict[str, Any]]:
        """Train each g_k on the auxiliary task alone; keep its pass of best held-out AUC.

        Each recognizer stops after the first pass that raises its best held-out AUC by no
        more than ``min_gain`` (at most ``max_passes``)."""
        generator = torch.Generator().manual_seed(self.config["seed"] + 7)
        self.pretraining = []
        for k in range(self.n_groups):
            held, stream = self.data.holdout_split(k, self.config["dnr_holdout"], generator)
            check = self.corrupt(self.data.history[held], self.data.target[held], self.generator)
            aucs: list[float] = []
            best_state = None
            for p in range(max_passes):
                steps = range(len(stream))
                if show_progress:
                    steps = tqdm(steps, ncols=100, desc=f"Pretrain recognizer {k}, pass {p + 1}")
                for _ in steps:
                    idx = stream.next_batch()
                    self.optimizers[k].zero_grad()
                    loss = self._auxiliary_loss_on(k, self.data.history[idx], self.data.target[idx])
                    loss.backward()
                    self.optimizers[k].step()
                w = (
                    torch.cat(
                        [
                            self.weights(k, check.history[i : i + 4096], check.target[i : i + 4096])
                            for i in range(0, len(check.labels), 4096)
                        ]
                    )
                    .cpu()
                    .numpy()
                )
                aucs.append(roc_auc(1.0 - w, (check.labels == 0).cpu().numpy()))
                best_before = max(aucs[:-1], default=float("-inf"))
                if aucs[-1] > best_before:
                    best_state = copy.deepcopy(self.recognizers[k].state_dict())
                if not aucs[-1] > best_before + min_gain:
                    break
            if best_state is not None:  # else no pass was measurable: keep the last
                self.recognizers[k].load_state_dict(best_state)
            best = max(range(len(aucs)), key=lambda p: -1.0 if aucs[p] != aucs[p] else aucs[p])
            self.pretraining.append(
                {"recognizer": k, "holdout_auc_per_pass": aucs, "passes_kept": best + 1}
            )
        self.pretrained = True
        return self.pretraining

    # ---- checkpoints --------------------------------------------------------

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything needed to resume the recognizers exactly."""
        return {
            "recognizers": self.recognizers.state_dict(),
            "optimizers": [o.state_dict() for o in self.optimizers],
            "generator": self.generator.get_state(),
            "pretrained": self.pretrained,
            "pretraining": self.pretraining,
            "loss_average": self.loss_average,
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`checkpoint_state` (on the device type the state was saved on)."""
        self.recognizers.load_state_dict(state["recognizers"])
        for optimizer, saved in zip(self.optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(saved)
        self.generator.set_state(state["generator"].cpu())
        self.pretrained = state["pretrained"]
        self.pretraining = state.get("pretraining", [])
        self.loss_average = state.get("loss_average")
