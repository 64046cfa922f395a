"""RecBole ``Trainer`` with the group-swapping joint loop (paper Algorithm 1; docs/algorithm.md).

``fit``, evaluation and early stopping are RecBole's. One epoch is G rounds;
round k runs RecBole's own ``_train_epoch`` over group k's batches with a loss
function that weights each sequence by g_k and adds the auxiliary loss, and
with an optimizer that steps the recommender and g_k together. Evaluation uses
the base model only.
"""

from __future__ import annotations

import os
import time
from functools import partial
from typing import Any

import torch
from recbole.utils import set_color

from recbole_atjt.compat import load_checkpoint, trusted_torch_load
from recbole_atjt.data.groups import GroupedTrainData
from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import mode
from recbole_atjt.trainer import resume
from recbole_atjt.trainer.candidate_scores import SampledCandidateEvaluation
from recbole_atjt.trainer.denoiser import Denoiser
from recbole_atjt.trainer.loss_denoising import RowWeighting
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


class ATJTTrainer(SampledCandidateEvaluation):
    """Trains an unchanged RecBole model with sequence weights from noise recognizers."""

    def __init__(self, config: Any, model: torch.nn.Module) -> None:
        super().__init__(config, model)
        self.mode = mode(config["denoise"])
        self.alpha: float = config["alpha"]
        self.history_field = config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]
        self.target_field = config["ITEM_ID_FIELD"]
        self.loss_attribute = (
            resolve_loss_attribute(model, config["loss_attribute"]) if self.mode.reweights else None
        )
        self.denoiser: Denoiser | None = None
        self.epoch_statistics: dict[int, dict[str, float]] = {}
        self.epoch_seconds: list[float] = []
        self.valid_seconds: list[float] = []
        self.valid_history: list[tuple[int, dict[str, float]]] = []
        self._resumed_denoiser: dict[str, Any] | None = None
        self._resumed_training_state: dict[str, Any] | None = None
        self._train_data = None
        self._epoch = self._batch = 0
        self._last_parts: dict[str, torch.Tensor] = {}
        # the mode's row weights without recognizers (T-CE, R-CE, the oracle), built now so
        # that what they need (the oracle's ground-truth file) is checked before any training
        self.row_weighting: RowWeighting | None = (
            self.mode.row_weighting(config, model, self.loss_attribute, self.device)
            if self.mode.row_weighting is not None
            else None
        )

    # ---- set-up -------------------------------------------------------------

    def attach(self, train_data) -> None:
        """Partition the training data and build the recognizers (once)."""
        if not self.mode.uses_recognizers or self.denoiser is not None:
            return
        groups = GroupedTrainData(
            train_data,
            self.config["atjt_groups"],
            self.config["seed"],
            self.history_field,
            self.target_field,
            self.device,
        )
        self.denoiser = Denoiser(self.config, groups, self._build_optimizer)
        if self._resumed_denoiser is not None:
            self.denoiser.restore(self._resumed_denoiser)

    @property
    def latest_checkpoint_file(self) -> str:
        return os.path.join(self.checkpoint_dir, f"{self.config['model']}-latest.pth")

    def fit(
        self,
        train_data,
        valid_data=None,
        verbose=True,
        saved=True,
        show_progress=False,
        callback_fn=None,
    ):
        """RecBole's fit; also keeps ``<Model>-latest.pth`` after every validated epoch."""
        self.attach(train_data)
        self._train_data = train_data
        if self._resumed_training_state is not None:
            resume.restore(self._resumed_training_state, train_data, self._grouped())
            self._resumed_training_state = None

        def after_validation(epoch_idx: int, valid_score: float) -> None:
            if saved:
                self._save_checkpoint(
                    epoch_idx, verbose=False, saved_model_file=self.latest_checkpoint_file
                )
            if callback_fn is not None:
                callback_fn(epoch_idx, valid_score)

        return super().fit(train_data, valid_data, verbose, saved, show_progress, after_validation)

    def _grouped(self):
        return self.denoiser.data if self.denoiser is not None else None

    # ---- one epoch ----------------------------------------------------------

    def _train_epoch(self, train_data, epoch_idx, loss_func=None, show_progress=False):
        self._epoch = epoch_idx
        self._batch = 0
        start = time.perf_counter()
        if self.mode.uses_recognizers:
            loss = self._joint_epoch(train_data, epoch_idx, show_progress)
        elif self.row_weighting is not None:
            loss = self._loss_denoised_epoch(train_data, epoch_idx, show_progress)
        else:
            loss = super()._train_epoch(train_data, epoch_idx, loss_func, show_progress)
        self.epoch_seconds.append(time.perf_counter() - start)
        return loss

    def _valid_epoch(self, valid_data, show_progress=False):
        start = time.perf_counter()
        score, result = super()._valid_epoch(valid_data, show_progress)
        self.valid_seconds.append(time.perf_counter() - start)
        self.valid_history.append((self._epoch, {k: float(v) for k, v in result.items()}))
        return score, result

    def _loss_denoised_epoch(self, train_data, epoch_idx, show_progress):
        """T-CE / R-CE / oracle: RecBole's epoch with per-row weights without recognizers."""
        self.row_weighting.prepare(train_data)
        statistics = EpochStatistics(self.device)
        loss = super()._train_epoch(
            train_data,
            epoch_idx,
            loss_func=partial(self._loss_denoised_loss, epoch_idx, statistics),
            show_progress=show_progress,
        )
        self._log_statistics(epoch_idx, statistics)
        return loss

    def _loss_denoised_loss(self, epoch_idx: int, statistics: EpochStatistics, interaction):
        losses = row_losses(self.model, interaction, self.loss_attribute)
        w = self.row_weighting(interaction, losses.rows, epoch_idx)
        loss = weighted_loss(losses, w)
        self._last_parts = {"row weights": w, "recommender loss": loss}
        statistics.add_weights(w)
        statistics.add_losses(losses, w)
        return loss

    def _log_statistics(self, epoch_idx: int, statistics: EpochStatistics) -> None:
        self.epoch_statistics[epoch_idx] = statistics.summary()
        self.logger.info(
            set_color(f"epoch {epoch_idx} denoising", "green") + f" [{statistics.describe()}]"
        )

    def _joint_epoch(self, train_data, epoch_idx, show_progress):
        """G rounds; in round k, group k trains the recommender weighted by g_k."""
        self.attach(train_data)
        denoiser = self.denoiser
        if self.mode.pretrains_recognizers and not denoiser.pretrained:
            passes = denoiser.pretrain(self.config["dnr_pretrain_epochs"], show_progress)
            self.logger.info(f"DNR pretraining done (held-out AUC per pass): {passes}")
        statistics = EpochStatistics(self.device)
        total = None
        recommender_optimizer = self.optimizer
        for k in range(denoiser.n_groups):
            if self.config["recognizer_reset"] == "round":
                denoiser.reset(k)
            if self.mode.steps_recognizers:
                self.optimizer = StepTogether(recommender_optimizer, denoiser.optimizers[k])
            try:
                round_loss = super()._train_epoch(
                    denoiser.data.loaders[k],
                    # RecBole reads it only for its progress bar's label ("Train <epoch>")
                    f"{epoch_idx}, group {k + 1}/{denoiser.n_groups}",
                    loss_func=partial(self._joint_loss, k, statistics),
                    show_progress=show_progress,
                )
            finally:
                self.optimizer = recommender_optimizer
            total = _add(total, round_loss)
        self._log_statistics(epoch_idx, statistics)
        return total

    def _joint_loss(self, k: int, statistics: EpochStatistics, interaction):
        """L = L_R + alpha/(G-1) * sum_j L_D_j for one recommender batch of group k."""
        denoiser = self.denoiser
        n_sequences = len(interaction) // denoiser.data.times
        history = interaction[self.history_field][:n_sequences]
        target = interaction[self.target_field][:n_sequences]
        w, loss_d = denoiser.weights_and_auxiliary_loss(k, history, target)
        losses = row_losses(self.model, interaction, self.loss_attribute)
        repeats = rows_per_sequence(losses.rows.numel(), n_sequences)
        row_weights = w.repeat(repeats)
        loss_r = weighted_loss(losses, row_weights)
        self._last_parts = {"sequence weights": w.detach(), "recommender loss L_R": loss_r}
        statistics.add_weights(w.detach())
        statistics.add_losses(losses, row_weights.detach())
        if loss_d is None:
            return loss_r
        alpha = self.alpha * denoiser.alpha_factor(losses.rows.mean())
        statistics.add_auxiliary(loss_d.detach(), alpha)
        self._last_parts["auxiliary loss L_D"] = loss_d
        return loss_r, alpha * loss_d

    def _check_nan(self, loss):
        """Stop at the first non-finite loss, naming the epoch, batch and quantity."""
        self._batch += 1
        if torch.isfinite(loss):  # the one host sync per batch that RecBole already makes
            return
        quantity = "training loss"
        for name, value in self._last_parts.items():
            if not torch.isfinite(value).all():
                quantity = name
                break
        fix = "lower learning_rate / noise_learning_rate, or check the data"
        if quantity == "sequence weights" and self.mode.normalisation is not None:
            fix = (
                "weights collapsing to 0 have a batch mean near 0, which weight_norm and odnr "
                "divide by: use a larger alpha or alpha_scale=loss, else lower "
                "noise_learning_rate"
            )
        raise ATJTError(
            f"non-finite {quantity} at epoch {self._epoch}, batch {self._batch}; "
            f"allowed: finite values ({fix})"
        )

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
            "best_valid_result": self.best_valid_result,
            "best_file": self.saved_model_file,
            "training_state": (
                resume.capture(self._train_data, self._grouped()) if self._train_data else None
            ),
            "atjt": self.denoiser.checkpoint_state() if self.denoiser else None,
            "epoch_statistics": self.epoch_statistics,
            "epoch_seconds": self.epoch_seconds,
            "valid_seconds": self.valid_seconds,
            "valid_history": self.valid_history,
        }
        partial_file = saved_model_file + ".partial"  # a kill mid-write leaves the old file
        torch.save(state, partial_file, pickle_protocol=4)
        os.replace(partial_file, saved_model_file)
        if verbose:
            self.logger.info(set_color("Saving current", "blue") + f": {saved_model_file}")

    def resume_checkpoint(self, resume_file):
        with trusted_torch_load():
            super().resume_checkpoint(resume_file)
        checkpoint = load_checkpoint(str(resume_file), map_location=self.device)
        # RecBole's load_other_parameter swaps whole modules in (DIN's embedding_layer), which
        # leaves the optimizer stepping the old parameters: rebuild it on the live ones.
        self.optimizer = self._build_optimizer()
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.saved_model_file = checkpoint.get("best_file") or str(resume_file)
        self.best_valid_result = checkpoint.get("best_valid_result")
        self.epoch_statistics = checkpoint.get("epoch_statistics") or {}
        self.epoch_seconds = list(checkpoint.get("epoch_seconds") or [])
        self.valid_seconds = list(checkpoint.get("valid_seconds") or [])
        self.valid_history = list(checkpoint.get("valid_history") or [])
        self._resumed_training_state = checkpoint.get("training_state")
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
