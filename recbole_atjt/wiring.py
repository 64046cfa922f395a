"""Config -> data -> model, wired once for every path that trains, scores or measures a run."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from recbole.utils import init_seed

from recbole_atjt.data.preparation import prepare_data
from recbole_atjt.pretrain import build_model, needs_pretraining, pretrain


class DataAndModel(NamedTuple):
    dataset: Any
    train: Any
    valid: Any
    test: Any
    model: torch.nn.Module


def data_and_model(config: Any, show_progress: bool = False) -> DataAndModel:
    """RecBole's dataset and loaders for ``config``, then its model (pretrained first where
    the model needs it, S3Rec), with the seeds set as a stock RecBole run sets them."""
    init_seed(config["seed"], config["reproducibility"])
    dataset, train, valid, test = prepare_data(config, show_progress)
    if needs_pretraining(config):
        pretrain(config, train, show_progress)
    return DataAndModel(dataset, train, valid, test, build_model(config, train))
