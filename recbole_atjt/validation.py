"""Checks of every configuration key recbole_atjt adds, before any data is loaded."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from recbole_atjt.errors import ATJTError
from recbole_atjt.keys import KEYS, int_at_least, is_int, number
from recbole_atjt.model.recognizer import SPARSE_EXACT_OPTIMIZERS
from recbole_atjt.modes import mode

# Each of our keys: (whether a value is valid, what is allowed), from the key table.
RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    name: key.rule.check for name, key in KEYS.items()
}


INTERACTION_CLEANINGS = KEYS["interaction_cleaning"].rule.values

# Keys whose value is a name from a fixed list (case-insensitive: Config lower-cases them).
CHOICE_KEYS = tuple(name for name, key in KEYS.items() if key.rule.names)


def _check_rules(config: Mapping[str, Any], rules: dict, required: bool) -> None:
    """The first key breaking its rule, as one line; an absent key breaks it if ``required``."""
    for key, (is_valid, allowed) in rules.items():
        if key not in config and not required:
            continue
        value = config[key] if key in config else None
        if key not in config or not is_valid(value):
            raise ATJTError(f"config key '{key}': got {value!r}; allowed: {allowed}")


def validate_atjt_keys(config: Mapping[str, Any]) -> None:
    """Raise :class:`ATJTError` naming the first invalid key and what it allows."""
    _check_rules(config, RULES, required=True)
    if config["replace_count"] > (config.get("MAX_ITEM_LIST_LENGTH") or config["replace_count"]):
        logging.getLogger().warning(
            f"config key 'replace_count' ({config['replace_count']}) exceeds "
            f"MAX_ITEM_LIST_LENGTH ({config['MAX_ITEM_LIST_LENGTH']}): it is clipped to each "
            "history's length, so every corrupted history is replaced entirely"
        )
    if config["weight_min"] >= config["weight_max"]:
        raise ATJTError(
            f"config key 'weight_min': got {config['weight_min']!r}; allowed: a number below "
            f"weight_max ({config['weight_max']!r})"
        )
    optimizer = config["noise_optimizer"].lower()
    if config["noise_sparse_gradient"] is True and optimizer not in SPARSE_EXACT_OPTIMIZERS:
        raise ATJTError(
            f"config key 'noise_sparse_gradient': got True with noise_optimizer '{optimizer}'; "
            "allowed: auto or False (a sparse gradient is the dense update only for "
            f"{list(SPARSE_EXACT_OPTIMIZERS)})"
        )
    if config["noise_sparse_gradient"] is True and config["compile_recognizer"]:
        raise ATJTError(
            "config key 'noise_sparse_gradient': got True with compile_recognizer True; "
            "allowed: auto or False (a compiled recognizer's graph has no sparse gradients)"
        )
    chosen = mode(config["denoise"])
    if config["recognizer_reset"] == "round" and not chosen.steps_recognizers:
        raise ATJTError(
            f"config key 'recognizer_reset': got 'round' with denoise '{chosen.name}'; allowed: "
            "'none' (only modes whose recognizers train alongside the recommender re-initialise "
            "them per round)"
        )
    negatives = config.get("train_neg_sample_args") or {}
    if chosen.uses_recognizers and isinstance(negatives, dict) and negatives.get("dynamic"):
        raise ATJTError(
            f"config key 'train_neg_sample_args': dynamic negatives with denoise '{chosen.name}' "
            "are not supported (its per-group loaders sample without the model); allowed: "
            "dynamic: False"
        )
    if config.get("enable_scaler") and chosen.reweights:
        raise ATJTError(
            "config key 'enable_scaler': True is not supported with denoise != 'none'; "
            "allowed: False"
        )
    if not config.get("single_spec", True):
        raise ATJTError("multi-GPU (DDP) training is not supported; allowed: one device")


# RecBole's own keys every run depends on, which RecBole accepts and then fails on deep inside
# torch (a zero history length or batch size) or silently ignores (epochs below 1 train nothing
# and report an untrained model's metrics).
RECBOLE_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "epochs": int_at_least(1).check,
    "train_batch_size": int_at_least(1).check,
    "eval_batch_size": int_at_least(1).check,
    "MAX_ITEM_LIST_LENGTH": int_at_least(1).check,
    "learning_rate": number(lambda v: v > 0, "> 0").check,
    "weight_decay": number(lambda v: v >= 0, ">= 0").check,
    "stopping_step": int_at_least(1).check,
    "seed": (is_int, "an integer"),
}


def computed_metrics(config: Mapping[str, Any]) -> list[str]:
    """The names of the metrics an evaluation reports (``ndcg@5``, ``gauc``, ...): each of
    ``metrics`` at every ``topk`` cutoff, but for those without one (GAUC, AUC, the losses)."""
    from recbole.evaluator.base_metric import LossMetric
    from recbole.evaluator.register import metrics_dict

    cutoffs = config.get("topk") or []
    cutoffs = cutoffs if isinstance(cutoffs, list) else [cutoffs]
    names = []
    for metric in config.get("metrics") or []:
        name = str(metric).lower()
        kind = metrics_dict.get(name)
        if name == "gauc" or (isinstance(kind, type) and issubclass(kind, LossMetric)):
            names.append(name)
        else:
            names += [f"{name}@{k}" for k in cutoffs]
    return names


def validate_recbole_keys(config: Mapping[str, Any]) -> None:
    """Raise :class:`ATJTError` for a RecBole key a run cannot work with."""
    _check_rules(config, RECBOLE_RULES, required=False)
    negatives = config.get("train_neg_sample_args")
    if isinstance(negatives, Mapping) and negatives.get("distribution") not in (None, "none"):
        count = negatives.get("sample_num")
        if not (is_int(count) and count >= 1):
            raise ATJTError(
                f"config key 'train_neg_sample_args': got sample_num {count!r}; allowed: an "
                "integer >= 1 (or train_neg_sample_args: None, no sampled negatives, where the "
                "model and loss allow it)"
            )
    # RecBole picks the training data's form from loss_type where the model has no input type
    # of its own; any other value leaves it unset, and the data loader fails on it later
    loss = config.get("loss_type")
    if loss is not None and config.get("MODEL_INPUT_TYPE") is None:
        raise ATJTError(
            f"config key 'loss_type': got {loss!r}; allowed for {config['model']}: 'BPR' (a "
            "binary loss on sampled negatives) or 'CE' (softmax over all items, with "
            "train_neg_sample_args: None)"
        )
    # RecBole looks the validation metric up only after the first epoch has trained
    computed = computed_metrics(config)
    chosen = config.get("valid_metric")
    if chosen is not None and computed and str(chosen).lower() not in computed:
        raise ATJTError(
            f"config key 'valid_metric': got {chosen!r}; allowed: one of the metrics the "
            f"evaluation computes (metrics at topk): {computed}"
        )


# Base-model settings RecBole accepts but then fails on deep inside the model.
MODEL_RULES: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "FEARec": {"n_layers": int_at_least(2).check},  # its hybrid attention divides by n_layers - 1
}


def validate_model_keys(config: Mapping[str, Any]) -> None:
    """Raise :class:`ATJTError` for a base-model key the model cannot work with."""
    for key, (is_valid, allowed) in MODEL_RULES.get(config["model"], {}).items():
        if not is_valid(config[key]):
            raise ATJTError(
                f"config key '{key}': got {config[key]!r}; allowed for {config['model']}: {allowed}"
            )
