"""Every configuration key recbole_atjt adds, each declared once.

A :class:`Key` holds the key's type, its rule (what is allowed, as the one-line error
names it), its default, a one-line doc, and the denoising modes and interaction
cleanings that read it. From this table come validation's rules
(:mod:`recbole_atjt.validation`), the keys each mode reads (``DenoiseMode.keys``), the
command line's help, and (:mod:`recbole_atjt.key_docs`) the key table of docs/usage.md and
the check of ``properties/overall.yaml``'s values and comments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from recbole_atjt.data.corruption import CORRUPTION_TARGETS
from recbole_atjt.modes import MODES, DenoiseMode
from recbole_atjt.trainer.loss_denoising import ReweightedLoss, TruncatedLoss
from recbole_atjt.trainer.weight_norms import WEIGHT_NORMS, as_configured, mean_clipped


@dataclass(frozen=True)
class Rule:
    """What a key allows."""

    is_valid: Callable[[Any], bool]
    allowed: str  # as the one-line error ends: "allowed: <this>"
    bounds: str | None = None  # the range, as overall.yaml's comment names it: ">= 1"
    values: tuple[Any, ...] | None = None  # every allowed value, where there are few
    names: bool = False  # values are names, compared case-insensitively (Config lower-cases)

    @property
    def check(self) -> tuple[Callable[[Any], bool], str]:
        """(whether a value is valid, what is allowed), as validation applies it."""
        return self.is_valid, self.allowed


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def int_at_least(low: int) -> Rule:
    return Rule(lambda v: is_int(v) and v >= low, f"an integer >= {low}", f">= {low}")


def number(test: Callable[[float], bool], bounds: str) -> Rule:
    """A number with ``test`` true, ``bounds`` saying the same in words (``in (0, 1)``)."""
    return Rule(lambda v: _is_number(v) and test(v), f"a number {bounds}", bounds)


def choice(options: tuple[str, ...]) -> Rule:
    return Rule(
        lambda v: isinstance(v, str) and v.lower() in options,
        f"one of {list(options)}",
        values=options,
        names=True,
    )


def _flag() -> Rule:
    return Rule(lambda v: isinstance(v, bool), "true or false", values=(True, False))


def _name_or_none(text: str) -> Rule:
    return Rule(lambda v: v is None or (isinstance(v, str) and v != ""), text)


def _size_list() -> Rule:
    return Rule(
        lambda v: isinstance(v, (list, tuple)) and all(is_int(x) and x >= 1 for x in v),
        "a list of positive integers, e.g. [32]",
    )


# Who reads a key, beyond a list of mode names.
ALL_MODES = "all"  # read whatever the mode
REWEIGHTING_MODES = "every mode but none"  # read by every mode that weights rows


def _modes_where(test: Callable[[DenoiseMode], bool]) -> tuple[str, ...]:
    return tuple(name for name, m in MODES.items() if test(m))


WITH_RECOGNIZERS = _modes_where(lambda m: m.uses_recognizers)
WITH_AUXILIARY_TASK = _modes_where(lambda m: m.auxiliary_task is not None)
JOINT_AUXILIARY = _modes_where(lambda m: m.joint_auxiliary)
PRETRAINING = _modes_where(lambda m: m.pretrains_recognizers)
STEPPING_RECOGNIZERS = _modes_where(lambda m: m.steps_recognizers)
CONFIGURED_NORM = _modes_where(lambda m: m.normalisation is as_configured)
CLIPPED_NORM = _modes_where(lambda m: m.normalisation is mean_clipped)
TRUNCATING = _modes_where(lambda m: m.row_weighting is TruncatedLoss)
LOSS_REWEIGHTING = _modes_where(lambda m: m.row_weighting is ReweightedLoss)

# The interaction_cleaning detectors that read a key.
SCORING_CLEANINGS = ("cooccurrence", "recognizer")  # those that score every interaction
RECOGNIZER_CLEANING = ("recognizer",)  # group-swapped recognizers, trained as dnr's are


@dataclass(frozen=True)
class Key:
    """One configuration key of ours."""

    name: str
    type: str  # as overall.yaml's comment tags it: (int), (float), (str), ...
    rule: Rule
    default: Any  # overall.yaml's value
    doc: str  # one line
    modes: tuple[str, ...] | str = ALL_MODES  # mode names, ALL_MODES or REWEIGHTING_MODES
    cleanings: tuple[str, ...] = ()  # interaction_cleaning values that read it


def _keys(*keys: Key) -> dict[str, Key]:
    return {k.name: k for k in keys}


KEYS: dict[str, Key] = _keys(
    Key(
        "denoise",
        "str",
        choice(tuple(MODES)),
        "atjt",
        "the denoising mode (docs/modes.md)",
    ),
    Key(
        "atjt_groups",
        "int",
        int_at_least(2),
        2,
        "number G of user-disjoint groups of training instances, one recognizer each",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "alpha",
        "float",
        number(lambda v: v >= 0, ">= 0"),
        1.0,
        "weight of the auxiliary loss: L = L_R + alpha/(G-1) * sum_j L_D_j",
        JOINT_AUXILIARY,
    ),
    Key(
        "noise_ratio",
        "float",
        number(lambda v: 0 < v < 1, "in (0, 1)"),
        0.5,
        "share of the sequences corrupted in each auxiliary batch",
        WITH_AUXILIARY_TASK,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "replace_count",
        "int",
        int_at_least(1),
        1,
        "history positions replaced in a corrupted sequence (at most its length)",
        WITH_AUXILIARY_TASK,
    ),
    Key(
        "noise_learning_rate",
        "float",
        number(lambda v: v > 0, "> 0"),
        0.01,
        "learning rate of every recognizer's optimizer",
        WITH_RECOGNIZERS,
    ),
    Key(
        "noise_optimizer",
        "str",
        choice(("adagrad", "adam", "adamw", "sgd", "rmsprop")),
        "adagrad",
        "the recognizers' optimizer",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "noise_embedding_size",
        "int",
        int_at_least(1),
        32,
        "size of the recognizer's own item embedding",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "noise_attention_hidden",
        "list of int",
        _size_list(),
        [32],
        "hidden sizes of the recognizer's attention MLP",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "noise_output_hidden",
        "list of int",
        _size_list(),
        [256, 64],
        "hidden sizes of the recognizer's output MLP",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "noise_dropout",
        "float",
        number(lambda v: 0 <= v < 1, "in [0, 1)"),
        0.5,
        "dropout after every hidden layer of both recognizer MLPs (in train mode only)",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "noise_sparse_gradient",
        "str or bool",
        Rule(
            lambda v: isinstance(v, bool) or (isinstance(v, str) and v.lower() == "auto"),
            "auto, True or False",
            values=("auto", True, False),
        ),
        "auto",
        "sparse gradients for the recognizer's item embedding (auto: on a CPU, adagrad or "
        "sgd, 20,000 items or more)",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "compile_recognizer",
        "bool",
        _flag(),
        False,
        "run every recognizer's forward and backward as one torch.compile graph",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "dnr_pretrain_epochs",
        "int",
        int_at_least(1),
        20,
        "most passes of auxiliary-only training per recognizer before the recommender",
        PRETRAINING,
    ),
    Key(
        "weight_norm",
        "str",
        choice(tuple(WEIGHT_NORMS)),
        "none",
        "how the recognizers' weights are divided by their batch mean (none: the paper)",
        CONFIGURED_NORM,
    ),
    Key(
        "alpha_scale",
        "str",
        choice(("none", "loss")),
        "none",
        "loss: alpha times the running mean of the unweighted per-row loss",
        JOINT_AUXILIARY,
    ),
    Key(
        "recognizer_mode",
        "str",
        choice(("eval", "train", "split")),
        "eval",
        "the recognizer's dropout mode for the weights and for the auxiliary task",
        WITH_RECOGNIZERS,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "recognizer_reset",
        "str",
        choice(("none", "round")),
        "none",
        "round: re-initialise each recognizer and its optimizer at every round",
        STEPPING_RECOGNIZERS,
    ),
    Key(
        "corruption_target",
        "str",
        choice(CORRUPTION_TARGETS),
        "history",
        "what the auxiliary task corrupts",
        WITH_AUXILIARY_TASK,
    ),
    Key(
        "corruption_sampling",
        "str",
        choice(("uniform", "popularity")),
        "uniform",
        "how the auxiliary task draws a replacement item",
        WITH_AUXILIARY_TASK,
    ),
    Key(
        "weight_min",
        "float",
        number(lambda v: v >= 0, ">= 0"),
        0.1,
        "lower clip of the weights (batch mean 1); below weight_max",
        CLIPPED_NORM,
    ),
    Key(
        "weight_max",
        "float",
        number(lambda v: v > 0, "> 0"),
        3.0,
        "upper clip of the weights (batch mean 1)",
        CLIPPED_NORM,
    ),
    Key(
        "dnr_holdout",
        "float",
        number(lambda v: 0 < v < 1, "in (0, 1)"),
        0.1,
        "share of each recognizer's auxiliary data held out to measure its AUC per pass",
        PRETRAINING,
        RECOGNIZER_CLEANING,
    ),
    Key(
        "loss_attribute",
        "str",
        _name_or_none("a name or ~"),
        None,
        "the model attribute holding its main loss (~: loss_fct, else loss, else its one loss)",
        REWEIGHTING_MODES,
    ),
    Key(
        "fixed_eval_candidates",
        "bool",
        _flag(),
        True,
        "draw the evaluation negatives once per dataset, split and seed",
    ),
    Key(
        "dataset_properties",
        "str",
        _name_or_none("a dataset name or ~"),
        None,
        "the dataset whose properties files this one is read with (~: its source)",
    ),
    Key(
        "run_dir",
        "str",
        Rule(lambda v: isinstance(v, str) and v != "", "a folder path"),
        "saved",
        "parent folder of the run folders",
    ),
    Key(
        "drop_rate",
        "float",
        number(lambda v: 0 <= v < 1, "in [0, 1)"),
        0.2,
        "T-CE: final share of a batch's rows dropped (the highest-loss positives)",
        TRUNCATING,
    ),
    Key(
        "num_gradual",
        "int",
        int_at_least(1),
        10,
        "T-CE: epochs over which the drop rate rises from 0 to drop_rate",
        TRUNCATING,
    ),
    Key(
        "beta",
        "float",
        number(lambda v: v >= 0, ">= 0"),
        0.1,
        "R-CE: weights exp(-beta * loss)",
        LOSS_REWEIGHTING,
    ),
    Key(
        "interaction_cleaning",
        "str",
        choice(("none", "oracle", "cooccurrence", "recognizer")),
        "none",
        "remove the training interactions a detector judges noisy (docs/cleaning.md)",
    ),
    Key(
        "cleaning_share",
        "float",
        number(lambda v: 0 < v < 1, "in (0, 1)"),
        0.05,
        "share of the training interactions removed, unless cleaning_threshold is set",
        cleanings=SCORING_CLEANINGS,
    ),
    Key(
        "cleaning_threshold",
        "float",
        Rule(
            lambda v: v is None or (_is_number(v) and 0 < v < 1),
            "a number in (0, 1) or ~",
            "in (0, 1)",
        ),
        None,
        "remove every interaction whose noise score exceeds this (~: cleaning_share)",
        cleanings=SCORING_CLEANINGS,
    ),
    Key(
        "cleaning_item_keep",
        "int",
        int_at_least(1),
        1,
        "fewest training interactions cleaning leaves an item",
        cleanings=SCORING_CLEANINGS,
    ),
    Key(
        "cleaning_user_share",
        "float",
        number(lambda v: 0 < v < 1, "in (0, 1)"),
        0.5,
        "largest share of one user's training interactions cleaning removes",
        cleanings=SCORING_CLEANINGS,
    ),
    Key(
        "cleaning_epochs",
        "int",
        int_at_least(1),
        20,
        "most passes of target-corruption training per cleaning recognizer",
        cleanings=RECOGNIZER_CLEANING,
    ),
    Key(
        "cleaning_min_gain",
        "float",
        number(lambda v: v >= 0, ">= 0"),
        0.002,
        "held-out AUC gain a pass must exceed for cleaning recognizers to train on",
        cleanings=RECOGNIZER_CLEANING,
    ),
    Key(
        "cleaning_learning_rate",
        "float",
        number(lambda v: v > 0, "> 0"),
        0.01,
        "learning rate of the cleaning recognizers' optimizer",
        cleanings=RECOGNIZER_CLEANING,
    ),
    Key(
        "cleaning_corruption_sampling",
        "str",
        choice(("uniform", "popularity")),
        "uniform",
        "how the cleaning recognizers' target corruption draws the replacement",
        cleanings=RECOGNIZER_CLEANING,
    ),
    Key(
        "torch_threads",
        "int",
        Rule(lambda v: v is None or (is_int(v) and v >= 1), "an integer >= 1 or ~", ">= 1"),
        None,
        "CPU threads for torch (~: 1 on up to 4 cores, else the cores left free)",
    ),
    Key(
        "base_model_config",
        "dict",
        Rule(
            lambda v: isinstance(v, dict) and all(k in KEYS for k in v),
            "a mapping from keys of recbole_atjt that the base model also reads (alpha, beta) "
            "to the value the base model gets",
        ),
        {},
        "values the base model gets for keys it shares with ours (alpha, beta)",
    ),
)


def keys_read_by(mode_name: str) -> tuple[str, ...]:
    """Our keys that mode ``mode_name`` reads and only some modes read."""
    return tuple(k.name for k in KEYS.values() if mode_name in _mode_names(k))


def _mode_names(key: Key) -> tuple[str, ...]:
    return key.modes if isinstance(key.modes, tuple) else ()


# Our keys that only some modes read (a search over one of them is refused for the others).
MODE_SPECIFIC_KEYS = tuple(sorted({k.name for k in KEYS.values() if _mode_names(k)}))


def choices_text(name: str) -> str:
    """A name key's values for a help text: ``a | b | c``."""
    return " | ".join(KEYS[name].rule.values)
