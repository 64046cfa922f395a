"""Dataset loading and splitting: RecBole's, with fixed evaluation candidates."""

from __future__ import annotations

from recbole.data import create_dataset, create_samplers, data_preparation
from recbole.data.dataloader import NegSampleEvalDataLoader
from recbole.utils import ModelType

from recbole_atjt.cleaning.interactions import LEAVE_OUT
from recbole_atjt.cleaning.run import cleaned
from recbole_atjt.data.checks import check_interactions
from recbole_atjt.data.fixed_candidates import FixedCandidateEvalDataLoader
from recbole_atjt.data.ground_truth import required_ground_truth
from recbole_atjt.data.history_feature import HistoryFeatureDataset
from recbole_atjt.errors import ATJTError
from recbole_atjt.model.support import check_model_support

SUPPORTED_TYPES = (ModelType.SEQUENTIAL, ModelType.CONTEXT)


def prepare_data(config, show_progress: bool = False):
    """Return ``(dataset, train_data, valid_data, test_data)``.

    Stock ``create_dataset`` and ``data_preparation`` (so the global RNG is
    consumed exactly as in a stock run); context-aware models get the history
    as a feature; sampled-negative evaluation loaders are then rebuilt with
    fixed candidates when ``fixed_eval_candidates`` is on.

    With ``interaction_cleaning``, the training interactions judged noisy are removed
    between loading and RecBole's split (``recbole_atjt/cleaning``); the evaluation
    candidates are still those of the uncleaned dataset, so a cleaned run is scored on the
    same candidates as a run without cleaning. The returned dataset carries the cleaning
    report as ``dataset.cleaning`` (None without cleaning).
    """
    dataset = _load(config)
    report, uncleaned = None, None
    if config["interaction_cleaning"] != "none":
        uncleaned = dataset
        dataset, report = cleaned(config, _load(config), show_progress)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    if config["fixed_eval_candidates"]:
        negatives = _candidates_of(config, uncleaned) if uncleaned is not None else {}
        valid_data, test_data = (
            _fixed(config, loader, negatives.get(phase))
            for phase, loader in (("valid", valid_data), ("test", test_data))
        )
    _check_groups(config, train_data)
    dataset.cleaning = report
    return dataset, train_data, valid_data, test_data


def _load(config):
    if config["MODEL_TYPE"] == ModelType.CONTEXT:
        return HistoryFeatureDataset(config)
    return create_dataset(config)


def _candidates_of(config, dataset) -> dict:
    """The fixed evaluation candidates (per phase, per user) of ``dataset``'s own split."""
    built = dataset.build()
    _, valid_sampler, test_sampler = create_samplers(config, dataset, built)
    return {
        phase: FixedCandidateEvalDataLoader(config, part, sampler).negatives
        for phase, part, sampler in (
            ("valid", built[1], valid_sampler),
            ("test", built[2], test_sampler),
        )
    }


def check_inputs(config) -> None:
    """Everything about the model and the files that can be refused before any loading."""
    check_model_type(config)
    check_model_support(config)
    check_interactions(config)
    check_cleaning(config)


def check_model_type(config) -> None:
    """Refuse reweighting for models that have no interaction history to denoise (any other
    model trains plainly, with or without interaction cleaning)."""
    if config["MODEL_TYPE"] not in SUPPORTED_TYPES and config["denoise"] != "none":
        raise ATJTError(
            f"model {config['model']} is a {config['MODEL_TYPE'].name.lower()} recommender "
            f"without interaction histories: denoise '{config['denoise']}' has no sequences to "
            "weight; allowed: denoise 'none' (with interaction_cleaning, if you like), or a "
            "RecBole sequential or context-aware model"
        )


def check_cleaning(config) -> None:
    """Interaction cleaning needs a leave-one-out split; ``oracle`` (a cleaning, or the
    weights) the ground truth."""
    if config["denoise"] == "oracle":
        required_ground_truth(config, "denoise", "oracle")
    cleaning = config["interaction_cleaning"]
    if cleaning == "none":
        return
    split = config["eval_args"]["split"]
    if not isinstance(split, dict) or split.get("LS") not in LEAVE_OUT:
        raise ATJTError(
            f"config key 'interaction_cleaning': got '{cleaning}' with eval_args split {split}; "
            "allowed: a leave-one-out split (LS), whose evaluation targets are each user's "
            "last interactions and are never judged"
        )
    if cleaning == "oracle":
        required_ground_truth(config, "interaction_cleaning", cleaning)


def _fixed(config, loader, negatives=None):
    if type(loader) is not NegSampleEvalDataLoader:
        return loader  # full ranking: no sampled candidates to fix
    return FixedCandidateEvalDataLoader(config, loader._dataset, loader._sampler, negatives)


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
