"""RecBole ``Trainer`` with the group-swapping joint loop (paper Algorithm 1, SPEC 2).

``fit``, evaluation and early stopping are RecBole's. One epoch is G rounds;
round k runs RecBole's own ``_train_epoch`` over group k's batches with a loss
function that weights each sequence by g_k and adds the auxiliary loss, and
with an optimizer that steps the recommender and g_k together. Evaluation uses
the base model only.
"""

from __future__ import annotations

import random
import time
from functools import partial
from typing import Any

import numpy as np
import torch
from recbole.trainer import Trainer
from recbole.utils import set_color

from recbole_atjt.compat import load_checkpoint, trusted_torch_load
from recbole_atjt.data.groups import GroupedTrainData
from recbole_atjt.trainer.denoiser import Denoiser
from recbole_atjt.trainer.per_sequence_loss import (
    resolve_loss_attribute,
    row_losses,
    rows_per_sequence,
    weighted_loss,
)
from recbole_atjt.trainer.statistics import EpochStatistics


class StepTogether:
    """Several optimizers presented to RecBole's loop as one."""

    def __init__(self, *optimizers: torch.optim.Optimizer) -> None:
        self.optimizers = optimizers

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for optimizer in self.optimizers:
            optimizer.step()


class ATJTTrainer(Trainer):
    """Trains an unchanged RecBole model with sequence weights from noise recognizers."""

    def __init__(self, config: Any, model: torch.nn.Module) -> None:
        super().__init__(config, model)
        self.mode: str = config["denoise"]
        self.alpha: float = config["alpha"]
        self.history_field = config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]
        self.target_field = config["ITEM_ID_FIELD"]
        self.loss_attribute = (
            resolve_loss_attribute(model, config["loss_attribute"]) if self.mode != "none" else None
        )
        self.denoiser: Denoiser | None = None
        self.epoch_statistics: dict[int, dict[str, float]] = {}
        self.epoch_seconds: list[float] = []
        self.valid_history: list[tuple[int, dict[str, float]]] = []
        self._resumed_denoiser: dict[str, Any] | None = None

    # ---- set-up -------------------------------------------------------------

    def attach(self, train_data) -> None:
        """Partition the training data and build the recognizers (once)."""
        if self.mode == "none" or self.denoiser is not None:
            return
        groups = GroupedTrainData(
            train_data,
            self.config["atjt_groups"],
            self.config["seed"],
            self.history_field,
            self.target_field,
            self.device,
        )
        self.denoiser = Denoiser(self.config, groups)
        if self._resumed_denoiser is not None:
            self.denoiser.restore(self._resumed_denoiser)

    def fit(
        self,
        train_data,
        valid_data=None,
        verbose=True,
        saved=True,
        show_progress=False,
        callback_fn=None,
    ):
        self.attach(train_data)
        return super().fit(train_data, valid_data, verbose, saved, show_progress, callback_fn)

    # ---- one epoch ----------------------------------------------------------

    def _train_epoch(self, train_data, epoch_idx, loss_func=None, show_progress=False):
        start = time.perf_counter()
        if self.mode == "none":
            loss = super()._train_epoch(train_data, epoch_idx, loss_func, show_progress)
        else:
            loss = self._joint_epoch(train_data, epoch_idx, show_progress)
        self.epoch_seconds.append(time.perf_counter() - start)
        return loss

    def _valid_epoch(self, valid_data, show_progress=False):
        score, result = super()._valid_epoch(valid_data, show_progress)
        epoch = len(self.epoch_seconds) - 1 + self.start_epoch
        self.valid_history.append((epoch, {k: float(v) for k, v in result.items()}))
        return score, result

    def _joint_epoch(self, train_data, epoch_idx, show_progress):
        """G rounds; in round k, group k trains the recommender weighted by g_k."""
        self.attach(train_data)
        denoiser = self.denoiser
        if self.mode == "dnr" and not denoiser.pretrained:
            means = denoiser.pretrain(self.config["dnr_pretrain_epochs"], show_progress)
            self.logger.info(f"DNR pretraining done, mean L_D per recognizer: {means}")
        statistics = EpochStatistics(self.device)
        total = None
        recommender_optimizer = self.optimizer
        for k in range(denoiser.n_groups):
            if self.mode in ("atjt", "wat"):
                self.optimizer = StepTogether(recommender_optimizer, denoiser.optimizers[k])
            try:
                round_loss = super()._train_epoch(
                    denoiser.data.loaders[k],
                    epoch_idx,
                    loss_func=partial(self._joint_loss, k, statistics),
                    show_progress=show_progress,
                )
            finally:
                self.optimizer = recommender_optimizer
            total = _add(total, round_loss)
        self.epoch_statistics[epoch_idx] = statistics.summary()
        self.logger.info(
            set_color(f"epoch {epoch_idx} denoising", "green") + f" [{statistics.describe()}]"
        )
        return total

    def _joint_loss(self, k: int, statistics: EpochStatistics, interaction):
        """L = L_R + alpha/(G-1) * sum_j L_D_j for one recommender batch of group k."""
        denoiser = self.denoiser
        n_sequences = len(interaction) // denoiser.data.times
        history = interaction[self.history_field][:n_sequences]
        target = interaction[self.target_field][:n_sequences]
        w = denoiser.weights(k, history, target, keep_graph=self.mode != "dnr")
        losses = row_losses(self.model, interaction, self.loss_attribute)
        repeats = rows_per_sequence(losses.rows.numel(), n_sequences)
        loss_r = weighted_loss(losses, w.repeat(repeats))
        statistics.add_weights(w.detach())
        statistics.add_losses(loss_r.detach(), losses.unweighted().detach())
        if self.mode != "atjt":
            return loss_r
        loss_d = sum(denoiser.auxiliary_loss(k) for _ in range(denoiser.n_groups - 1))
        loss_d = loss_d / (denoiser.n_groups - 1)
        statistics.add_auxiliary(loss_d.detach())
        return loss_r, self.alpha * loss_d

    # ---- checkpoints and evaluation ------------------------------------------

    def _save_checkpoint(self, epoch, verbose=True, **kwargs):
        saved_model_file = kwargs.pop("saved_model_file", self.saved_model_file)
        state = {
            "config": self.config,
            "epoch": epoch,
            "cur_step": self.cur_step,
            "best_valid_score": self.best_valid_score,
            "state_dict": self.model.state_dict(),
            "other_parameter": self.model.other_parameter(),
            "optimizer": self.optimizer.state_dict(),
            "rng": _rng_states(),
            "atjt": self.denoiser.checkpoint_state() if self.denoiser else None,
            "epoch_statistics": self.epoch_statistics,
        }
        torch.save(state, saved_model_file, pickle_protocol=4)
        if verbose:
            self.logger.info(set_color("Saving current", "blue") + f": {saved_model_file}")

    def resume_checkpoint(self, resume_file):
        with trusted_torch_load():
            super().resume_checkpoint(resume_file)
        checkpoint = load_checkpoint(str(resume_file), map_location=self.device)
        self.epoch_statistics = checkpoint.get("epoch_statistics") or {}
        self._resumed_denoiser = checkpoint.get("atjt")
        if self.denoiser is not None and self._resumed_denoiser is not None:
            self.denoiser.restore(self._resumed_denoiser)

    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        with trusted_torch_load():
            return super().evaluate(eval_data, load_best_model, model_file, show_progress)


def _add(total, loss):
    if total is None:
        return loss
    if isinstance(loss, tuple):
        return tuple(a + b for a, b in zip(total, loss, strict=True))
    return total + loss


def _rng_states() -> dict[str, Any]:
    states = {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states
