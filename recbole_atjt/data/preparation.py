"""Dataset loading and splitting: RecBole's, with fixed evaluation candidates."""

from __future__ import annotations

from recbole.data import create_dataset, data_preparation
from recbole.data.dataloader import NegSampleEvalDataLoader
from recbole.utils import ModelType

from recbole_atjt.data.checks import check_interactions
from recbole_atjt.data.fixed_candidates import FixedCandidateEvalDataLoader
from recbole_atjt.data.history_feature import HistoryFeatureDataset
from recbole_atjt.errors import ATJTError
from recbole_atjt.model.support import check_model_support

SUPPORTED_TYPES = (ModelType.SEQUENTIAL, ModelType.CONTEXT)


def prepare_data(config):
    """Return ``(dataset, train_data, valid_data, test_data)``.

    Stock ``create_dataset`` and ``data_preparation`` (so the global RNG is
    consumed exactly as in a stock run); context-aware models get the history
    as a feature; sampled-negative evaluation loaders are then rebuilt with
    fixed candidates when ``fixed_eval_candidates`` is on.
    """
    if config["MODEL_TYPE"] == ModelType.CONTEXT:
        dataset = HistoryFeatureDataset(config)
    else:
        dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    if config["fixed_eval_candidates"]:
        valid_data, test_data = (_fixed(config, loader) for loader in (valid_data, test_data))
    _check_groups(config, train_data)
    return dataset, train_data, valid_data, test_data


def check_inputs(config) -> None:
    """Everything about the model and the files that can be refused before any loading."""
    check_model_type(config)
    check_model_support(config)
    check_interactions(config)


def check_model_type(config) -> None:
    """Refuse models that have no interaction history to denoise."""
    if config["MODEL_TYPE"] not in SUPPORTED_TYPES:
        raise ATJTError(
            f"model {config['model']} is a {config['MODEL_TYPE'].name.lower()} recommender "
            "without interaction histories; allowed: RecBole sequential or context-aware models"
        )


def _fixed(config, loader):
    if type(loader) is not NegSampleEvalDataLoader:
        return loader  # full ranking: no sampled candidates to fix
    return FixedCandidateEvalDataLoader(config, loader._dataset, loader._sampler)


def _check_groups(config, train_data) -> None:
    if config["denoise"] == "none":
        return
    dataset = train_data._dataset
    n_users = len(set(dataset.inter_feat[dataset.uid_field].tolist()))
    if config["atjt_groups"] > n_users:
        raise ATJTError(
            f"config key 'atjt_groups': got {config['atjt_groups']}; allowed: an integer "
            f"from 2 to the number of training users ({n_users})"
        )
