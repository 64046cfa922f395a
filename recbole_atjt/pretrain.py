"""Pretraining stages that come before denoised training (S3Rec).

S3Rec in RecBole is two runs: ``train_stage: pretrain`` with its own trainer,
which saves the pretrained model, then ``train_stage: finetune`` loading it
from ``pre_model_path``. Denoising applies to the fine-tune stage. Without a
``pre_model_path`` the pretrain stage runs first, in the same command.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os

from recbole.trainer.trainer import S3RecTrainer
from recbole.utils import get_model, init_seed

from recbole_atjt.compat import trusted_torch_load, undo_recbole_import_side_effects
from recbole_atjt.config import base_model_view

PRETRAINED_MODELS = ("S3Rec",)


def model_class(config) -> type:
    """The RecBole class of ``config["model"]``, with anomaly detection left off."""
    found = get_model(config["model"])
    undo_recbole_import_side_effects()
    return found


def needs_pretraining(config) -> bool:
    return config["model"] in PRETRAINED_MODELS and not config["pre_model_path"]


def pretrain(config, train_data, show_progress: bool) -> str:
    """Run the pretrain stage and return the path of the pretrained model."""
    logging.getLogger().info(
        f"{config['model']}: pretraining for {config['pretrain_epochs']} epochs"
    )
    config["train_stage"] = "pretrain"
    init_seed(config["seed"], config["reproducibility"])
    with base_model_view(config):
        model = model_class(config)(config, train_data._dataset).to(config["device"])
    trainer = S3RecTrainer(config, model)
    trainer.pretrain(train_data, show_progress=show_progress)
    path = os.path.join(config["checkpoint_dir"], f"{config['model']}-pretrained.pth")
    trainer.save_pretrained_model(config["pretrain_epochs"] - 1, path)
    config["train_stage"] = "finetune"
    config["pre_model_path"] = path
    return path


def build_model(config, train_data):
    """The base model, as RecBole builds it (a pretrained one loads its weights here)."""
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    if config["model"] in PRETRAINED_MODELS:
        config["train_stage"] = "finetune"
    printed = io.StringIO()
    with trusted_torch_load(), contextlib.redirect_stdout(printed), base_model_view(config):
        model = model_class(config)(config, train_data._dataset)
    for line in printed.getvalue().splitlines():  # FEARec prints its frequency modes
        logging.getLogger().debug(f"{config['model']}: {line}")
    return model.to(config["device"])
