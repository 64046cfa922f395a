"""Which RecBole models cannot train here as configured, and why: refused before any data is read.

Every other RecBole sequential or context-aware model trains in every mode through the loss
contract of ``recbole_atjt/trainer/per_sequence_loss.py`` (one loss per training row). The
few below break that contract or the evaluation protocol in ways the contract cannot see
before the model is built, so they are refused by name, with what the user can do instead.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import Any

from recbole.data.dataset import KnowledgeBasedDataset

from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import mode


def _reweights(config: Any) -> bool:
    return mode(config["denoise"]).reweights


def _samples_candidates(config: Any) -> bool:
    return any(m != "full" for m in config["eval_args"]["mode"].values())


def _always(_config: Any) -> bool:
    return True


_FULL_RANKING_ONLY = (
    "RecBole's {model}.predict stops with `assert False` (it scores full rankings only), and "
    "eval_args mode {modes} ranks sampled candidates with predict; allowed: eval_args mode "
    "'full', or another model"
)

# model -> (when it is refused, why, and what the user can do instead)
REFUSED: dict[str, tuple[Callable[[Any], bool], str]] = {
    "BERT4Rec": (
        _reweights,
        "it trains on randomly masked positions, a varying number per sequence, and computes "
        "that loss inside calculate_loss without a loss module, so there is no loss per "
        "sequence to weight; allowed: denoise 'none' for BERT4Rec, or another sequential "
        "model (e.g. SASRec)",
    ),
    "GRU4RecCPR": (_samples_candidates, _FULL_RANKING_ONLY),
    "SASRecCPR": (_samples_candidates, _FULL_RANKING_ONLY),
    "KD_DAGFM": (
        _always,
        "RecBole 1.2.1's KD_DAGFM.predict returns one [N, 1] column that RecBole's own "
        "Trainer cannot evaluate (a shape mismatch in its sampled evaluation), and the model "
        "trains in phases (teacher_training, distillation, finetuning) that each need the "
        "checkpoint of the one before; allowed: another context-aware model (e.g. DCN)",
    ),
}


def check_model_support(config: Any) -> None:
    """Raise :class:`ATJTError` for a model that cannot train as configured, or whose
    dataset lacks a file the model reads."""
    model = config["model"]
    if model in REFUSED and REFUSED[model][0](config):
        modes = sorted(set(config["eval_args"]["mode"].values()))
        reason = REFUSED[model][1].format(model=model, modes=modes)
        raise ATJTError(f"model {model} is not supported here: {reason}")
    _check_model_files(config)


def _check_model_files(config: Any) -> None:
    """The files a model reads beyond ``.inter``: knowledge graphs, additional features."""
    folder, dataset = config["data_path"], config["dataset"]
    wanted = [(f"additional_feat_suffix '{s}'", s) for s in config["additional_feat_suffix"] or []]
    dataset_class = getattr(
        importlib.import_module("recbole.data.dataset"), f"{config['model']}Dataset", None
    )
    if isinstance(dataset_class, type) and issubclass(dataset_class, KnowledgeBasedDataset):
        wanted += [("its knowledge graph", "kg"), ("its item-entity links", "link")]
    for what, suffix in wanted:
        path = os.path.join(folder, f"{dataset}.{suffix}")
        if os.path.isdir(folder) and not os.path.isfile(path):
            raise ATJTError(
                f"model {config['model']} reads {what}: {path} does not exist; allowed: a "
                f"dataset with that file (RecBole's knowledge-aware datasets), or another model"
            )
