"""Dataset loading and splitting: RecBole's, with fixed evaluation candidates."""

from __future__ import annotations

import numpy as np
from recbole.data import create_dataset, create_samplers, data_preparation
from recbole.data.dataloader import NegSampleEvalDataLoader
from recbole.data.dataset import SequentialDataset
from recbole.utils import ModelType

from recbole_atjt.cleaning.interactions import LEAVE_OUT
from recbole_atjt.cleaning.run import cleaned
from recbole_atjt.data.checks import check_interactions
from recbole_atjt.data.fixed_candidates import FixedCandidateEvalDataLoader
from recbole_atjt.data.ground_truth import check_ground_truth, required_ground_truth
from recbole_atjt.data.history_feature import HistoryFeatureDataset
from recbole_atjt.errors import ATJTError
from recbole_atjt.model.support import check_model_support
from recbole_atjt.modes import mode

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
    dataset = load_dataset(config)
    _check_items(config, dataset)
    report, uncleaned = None, None
    if config["interaction_cleaning"] != "none":
        uncleaned = dataset
        dataset, report = cleaned(config, load_dataset(config), show_progress)
    train_data, valid_data, test_data = _split(config, dataset)
    if config["fixed_eval_candidates"]:
        negatives = _candidates_of(config, uncleaned) if uncleaned is not None else {}
        valid_data, test_data = (
            _fixed(config, loader, negatives.get(phase))
            for phase, loader in (("valid", valid_data), ("test", test_data))
        )
    _check_groups(config, train_data)
    dataset.cleaning = report
    return dataset, train_data, valid_data, test_data


def load_dataset(config):
    """RecBole's dataset for ``config``, before cleaning and splitting (a context-aware
    model's with the history as an item feature)."""
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
    check_ground_truth(config)


def check_model_type(config) -> None:
    """Refuse reweighting for models that have no interaction history to denoise (any other
    model trains plainly, with or without interaction cleaning)."""
    if config["MODEL_TYPE"] not in SUPPORTED_TYPES and mode(config["denoise"]).reweights:
        raise ATJTError(
            f"model {config['model']} is a {config['MODEL_TYPE'].name.lower()} recommender "
            f"without interaction histories: denoise '{config['denoise']}' has no sequences to "
            "weight; allowed: denoise 'none' (with interaction_cleaning, if you like), or a "
            "RecBole sequential or context-aware model"
        )


def check_cleaning(config) -> None:
    """Interaction cleaning needs a leave-one-out split; ``oracle`` (a cleaning, or the
    weights) the ground truth."""
    if mode(config["denoise"]).needs_ground_truth:
        required_ground_truth(config, "denoise", config["denoise"])
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
    if not mode(config["denoise"]).uses_recognizers:
        return  # groups split the users between recognizers
    dataset = train_data._dataset
    n_users = len(set(dataset.inter_feat[dataset.uid_field].tolist()))
    if config["atjt_groups"] > n_users:
        raise ATJTError(
            f"config key 'atjt_groups': got {config['atjt_groups']}; allowed: an integer "
            f"from 2 to the number of training users ({n_users})"
        )


def _samples_negatives(config) -> bool:
    """Whether training or evaluation draws negative items."""
    return any(
        (config[f"{phase}_neg_sample_args"] or {}).get("distribution") not in (None, "none")
        and (config[f"{phase}_neg_sample_args"] or {}).get("sample_num") not in (None, "none", 0)
        for phase in ("train", "valid", "test")
    )


def _check_items(config, dataset) -> None:
    """Refuse a dataset of one item (nothing to rank it against), and, where negatives are
    sampled, one where a user has every item (RecBole's sampler would draw forever)."""
    n_items = dataset.item_num - 1  # id 0 is padding
    if n_items < 2:
        raise ATJTError(
            f"dataset '{config['dataset']}': {n_items} item; allowed: a dataset of at least 2 "
            "items (recommending ranks items against each other)"
        )
    if not _samples_negatives(config):
        return
    users = np.asarray(dataset.inter_feat[dataset.uid_field], dtype=np.int64)
    items = np.asarray(dataset.inter_feat[dataset.iid_field], dtype=np.int64)
    pairs = np.unique(users * dataset.item_num + items)
    full = np.flatnonzero(np.bincount(pairs // dataset.item_num) >= n_items)
    if len(full):
        user = dataset.id2token(dataset.uid_field, int(full[0]))
        raise ATJTError(
            f"dataset '{config['dataset']}': user {user} has interacted with all {n_items} "
            "items, so no negative item is left to sample; allowed: a dataset where every "
            "user leaves some item unseen (or no sampled negatives: eval_args mode full, "
            "loss_type CE)"
        )


PARTS = ("training", "validation", "test")


def _required_parts(split: dict) -> tuple[bool, bool, bool]:
    """Which of (training, validation, test) the ``eval_args`` split is meant to fill."""
    if split.get("LS") == "valid_only":
        return True, True, False
    if split.get("LS") == "test_only":
        return True, False, True
    ratios = split.get("RS") or split.get("TS")
    if isinstance(ratios, list) and len(ratios) == 3:
        return True, ratios[1] > 0, ratios[2] > 0
    return True, True, True


def check_split(config, parts) -> None:
    """Refuse a split that leaves the training, validation or test set empty: an empty
    training set fails deep inside torch, an empty validation or test set trains a model
    nobody selects or scores."""
    sizes = [len(part) for part in parts]
    split = config["eval_args"]["split"]
    for name, size, required in zip(PARTS, sizes, _required_parts(split), strict=False):
        if not required or size:
            continue
        hint = ""
        if "LS" in split:
            # the targets left out per user, one to train on, and for sequential instances
            # (every interaction but the user's first) the first
            needed = (2 if split["LS"] == "valid_and_test" else 1) + 1
            needed += isinstance(parts[0], SequentialDataset)
            hint = f": this leave-one-out split needs a user with {needed} or more"
        raise ATJTError(
            f"dataset '{config['dataset']}': eval_args split {split} leaves the {name} set "
            f"empty (training, validation, test: {', '.join(map(str, sizes))}); allowed: a "
            f"dataset whose users have interactions enough for each{hint}"
        )


def _split(config, dataset):
    """RecBole's ``data_preparation``, refusing a split that leaves a set empty before any
    loader is built over it (:func:`check_split`)."""
    build = dataset.build

    def checked_build():
        del dataset.build  # before the split copies the dataset: no part keeps this wrapper
        parts = build()
        check_split(config, parts)
        return parts

    dataset.build = checked_build
    try:
        return data_preparation(config, dataset)
    finally:
        vars(dataset).pop("build", None)  # not called: RecBole loaded saved dataloaders
