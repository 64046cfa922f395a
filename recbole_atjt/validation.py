"""Checks of every configuration key recbole_atjt adds, before any data is loaded."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from recbole_atjt.data.corruption import CORRUPTION_TARGETS
from recbole_atjt.errors import ATJTError
from recbole_atjt.model.recognizer import SPARSE_EXACT_OPTIMIZERS
from recbole_atjt.modes import MODES, mode

NOISE_OPTIMIZERS = ("adagrad", "adam", "adamw", "sgd", "rmsprop")
WEIGHT_NORMS = ("none", "batch_mean", "self")
ALPHA_SCALES = ("none", "loss")
RECOGNIZER_MODES = ("eval", "train", "split")
RECOGNIZER_RESETS = ("none", "round")
INTERACTION_CLEANINGS = ("none", "oracle", "cooccurrence", "recognizer")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int_at_least(low: int) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: _is_int(v) and v >= low), f"an integer >= {low}"


def _number(test: Callable[[float], bool], text: str) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: _is_number(v) and test(v)), text


def _choice(options: tuple[str, ...]) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: isinstance(v, str) and v.lower() in options), f"one of {list(options)}"


def _name_or_none(text: str) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: v is None or (isinstance(v, str) and v != "")), text


def _size_list() -> tuple[Callable[[Any], bool], str]:
    return (
        lambda v: isinstance(v, (list, tuple)) and all(_is_int(x) and x >= 1 for x in v),
        "a list of positive integers, e.g. [32]",
    )


RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "denoise": _choice(tuple(MODES)),
    "atjt_groups": _int_at_least(2),
    "alpha": _number(lambda v: v >= 0, "a number >= 0"),
    "noise_ratio": _number(lambda v: 0 < v < 1, "a number in (0, 1)"),
    "replace_count": _int_at_least(1),
    "noise_learning_rate": _number(lambda v: v > 0, "a number > 0"),
    "noise_optimizer": _choice(NOISE_OPTIMIZERS),
    "noise_embedding_size": _int_at_least(1),
    "noise_attention_hidden": _size_list(),
    "noise_output_hidden": _size_list(),
    "noise_dropout": _number(lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "noise_sparse_gradient": (
        lambda v: isinstance(v, bool) or (isinstance(v, str) and v.lower() == "auto"),
        "auto, True or False",
    ),
    "compile_recognizer": (lambda v: isinstance(v, bool), "true or false"),
    "dnr_pretrain_epochs": _int_at_least(1),
    "weight_norm": _choice(WEIGHT_NORMS),
    "alpha_scale": _choice(ALPHA_SCALES),
    "recognizer_mode": _choice(RECOGNIZER_MODES),
    "recognizer_reset": _choice(RECOGNIZER_RESETS),
    "corruption_target": _choice(CORRUPTION_TARGETS),
    "corruption_sampling": _choice(("uniform", "popularity")),
    "weight_min": _number(lambda v: v >= 0, "a number >= 0"),
    "weight_max": _number(lambda v: v > 0, "a number > 0"),
    "dnr_holdout": _number(lambda v: 0 < v < 1, "a number in (0, 1)"),
    "loss_attribute": _name_or_none("a name or ~"),
    "fixed_eval_candidates": (lambda v: isinstance(v, bool), "true or false"),
    "dataset_properties": _name_or_none("a dataset name or ~"),
    "run_dir": (lambda v: isinstance(v, str) and v != "", "a folder path"),
    "drop_rate": _number(lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "num_gradual": _int_at_least(1),
    "beta": _number(lambda v: v >= 0, "a number >= 0"),
    "interaction_cleaning": _choice(INTERACTION_CLEANINGS),
    "cleaning_share": _number(lambda v: 0 < v < 1, "a number in (0, 1)"),
    "cleaning_threshold": (
        lambda v: v is None or (_is_number(v) and 0 < v < 1),
        "a number in (0, 1) or ~",
    ),
    "cleaning_item_keep": _int_at_least(1),
    "cleaning_user_share": _number(lambda v: 0 < v < 1, "a number in (0, 1)"),
    "cleaning_epochs": _int_at_least(1),
    "cleaning_min_gain": _number(lambda v: v >= 0, "a number >= 0"),
    "cleaning_learning_rate": _number(lambda v: v > 0, "a number > 0"),
    "cleaning_corruption_sampling": _choice(("uniform", "popularity")),
    "torch_threads": (lambda v: v is None or (_is_int(v) and v >= 1), "an integer >= 1 or ~"),
    "base_model_config": (
        lambda v: isinstance(v, dict) and all(k in RULES for k in v),
        "a mapping from keys of recbole_atjt that the base model also reads (alpha, beta) "
        "to the value the base model gets",
    ),
}


# Keys whose value is a name from a fixed list (case-insensitive: Config lower-cases them).
CHOICE_KEYS = (
    "denoise",
    "noise_optimizer",
    "weight_norm",
    "alpha_scale",
    "recognizer_mode",
    "recognizer_reset",
    "corruption_target",
    "corruption_sampling",
    "interaction_cleaning",
    "cleaning_corruption_sampling",
)


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
    if config.get("enable_scaler") and config["denoise"].lower() != "none":
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
    "epochs": _int_at_least(1),
    "train_batch_size": _int_at_least(1),
    "eval_batch_size": _int_at_least(1),
    "MAX_ITEM_LIST_LENGTH": _int_at_least(1),
    "learning_rate": _number(lambda v: v > 0, "a number > 0"),
    "weight_decay": _number(lambda v: v >= 0, "a number >= 0"),
    "stopping_step": _int_at_least(1),
    "seed": (_is_int, "an integer"),
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
    "FEARec": {"n_layers": _int_at_least(2)},  # its hybrid attention divides by n_layers - 1
}


def validate_model_keys(config: Mapping[str, Any]) -> None:
    """Raise :class:`ATJTError` for a base-model key the model cannot work with."""
    for key, (is_valid, allowed) in MODEL_RULES.get(config["model"], {}).items():
        if not is_valid(config[key]):
            raise ATJTError(
                f"config key '{key}': got {config[key]!r}; allowed for {config['model']}: {allowed}"
            )
