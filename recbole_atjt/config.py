"""RecBole ``Config`` with recbole_atjt's properties layered in and its keys validated.

Precedence, lowest first: RecBole's own properties (overall, model, dataset,
quick-start files), then ours (``properties/overall.yaml``,
``properties/model/<Model>.yaml``, ``properties/dataset/<dataset>.yaml``), then the user's
config files, config dict and overrides. The process's ``sys.argv`` is never read.

The dataset files (RecBole's and ours) are those of ``dataset_properties``: by default the
source dataset an injected copy records (so a noisy copy of ml-100k keeps ml-100k's
features and rating threshold), else the dataset itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from logging import getLogger
from pathlib import Path
from typing import Any

import recbole
import yaml
from recbole.config import Config
from recbole.utils import ModelType, get_model

from recbole_atjt.compat import isolated_argv
from recbole_atjt.config_files import read_config_file
from recbole_atjt.data.checks import atomic_header
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import (
    BUNDLED_DATA_DIR,
    PROPERTIES_DIR,
    bundled_datasets,
    properties_dataset,
    property_files,
)
from recbole_atjt.validation import (
    CHOICE_KEYS,
    RULES,
    validate_atjt_keys,
    validate_model_keys,
    validate_recbole_keys,
)

# Keys naming item fields -> the fields of a .item header that may stand in for a missing one.
ITEM_FIELD_KEYS = {
    "item_attribute": lambda header, _item_id: [n for n, kind in header if kind == "token_seq"],
    "selected_features": lambda header, item_id: [
        n for n, kind in header if kind in ("token", "token_seq") and n != item_id
    ],
}

UNIFORM_NEGATIVE = {
    "distribution": "uniform",
    "sample_num": 1,
    "alpha": 1.0,
    "dynamic": False,
    "candidate_num": 0,
}


class ATJTConfig(Config):
    """A RecBole config that knows recbole_atjt's keys; see the module docstring."""

    def __init__(
        self,
        model: str | type | None = None,
        dataset: str | None = None,
        config_file_list: list[str] | None = None,
        config_dict: dict[str, Any] | None = None,
    ) -> None:
        if isinstance(model, str):
            _check_model_name(model)
        for path in config_file_list or []:
            read_config_file(path)  # RecBole's own reading shows a traceback for a bad file
        with isolated_argv():
            super().__init__(model, dataset, config_file_list, config_dict)
        for key in CHOICE_KEYS:
            if isinstance(self.final_config_dict.get(key), str):
                self.final_config_dict[key] = self.final_config_dict[key].lower()
        validate_recbole_keys(self.final_config_dict)
        validate_atjt_keys(self.final_config_dict)
        validate_model_keys(self.final_config_dict)

    def _load_internal_config_dict(self, model: str, model_class: type, dataset: str) -> None:
        # RecBole picks dataset files (and, for ml-100k, features and a rating threshold) by
        # the dataset's name: an injected copy is read as its source is.
        self._properties_dataset = properties_dataset(dataset, self.external_config_dict)
        super()._load_internal_config_dict(model, model_class, self._properties_dataset)
        for path in property_files(model, self._properties_dataset):
            if path.is_file():
                self._update_internal_config_dict(str(path))

    def _get_final_config_dict(self) -> dict[str, Any]:
        final = super()._get_final_config_dict()
        users_eval_args = self.external_config_dict.get("eval_args")
        if isinstance(users_eval_args, dict):
            # RecBole replaces the whole dict, so `eval_args: {mode: full}` alone would fall
            # back to RecBole's random 8:1:1 split: the keys set replace ours one by one.
            final["eval_args"] = {
                **self.internal_config_dict.get("eval_args", {}),
                **users_eval_args,
            }
        if "train_neg_sample_args" not in self.external_config_dict:
            final["train_neg_sample_args"] = _train_negatives_for(self.model_class, final)
        if "data_path" not in self.external_config_dict and self.dataset in bundled_datasets():
            final["data_path"] = str(BUNDLED_DATA_DIR)
        final["dataset_properties"] = self._properties_dataset
        if "load_col" not in self.external_config_dict and not _has_dataset_properties(
            final["dataset_properties"]
        ):
            # RecBole's default loads user and item only; histories need the time column.
            fields = ("USER_ID_FIELD", "ITEM_ID_FIELD", "TIME_FIELD")
            final["load_col"] = {"inter": [final[f] for f in fields]}
        self._resolve_item_fields(final)
        final["base_model_config"] = {
            **_shared_key_defaults(self.model),
            **(final.get("base_model_config") or {}),
        }
        return final

    def _resolve_item_fields(self, final: dict[str, Any]) -> None:
        """The item features a model reads: S3Rec's ``item_attribute`` (one token_seq field)
        and the feature-based models' ``selected_features`` (FDSA, GRU4RecF, SASRecF).

        RecBole's defaults name ml-100k's ``class``. Where the dataset lacks a named field
        and the user did not set the key, the dataset's own fields are taken (its first
        token_seq field; all its token and token_seq item features), with a warning; a field
        the user named must exist. The chosen fields are added to ``load_col``.
        """
        keys = [key for key in ITEM_FIELD_KEYS if key in final]
        folder = Path(final.get("data_path") or "") / self.dataset
        item_file = folder / f"{self.dataset}.item"
        if not keys or not (folder / f"{self.dataset}.inter").is_file():
            return  # a missing dataset is reported, with its path, before loading
        if not item_file.is_file():
            raise ATJTError(
                f"config key '{keys[0]}': model {self.model} reads item features, but "
                f"{item_file} does not exist; allowed: a dataset with a .item file"
            )
        header = atomic_header(str(item_file), final.get("field_separator") or "\t")
        for key in keys:
            value = final[key]
            fields = [value] if isinstance(value, str) else list(value or [])
            candidates = ITEM_FIELD_KEYS[key](header, final["ITEM_ID_FIELD"])
            missing = [field for field in fields if field not in dict(header)]
            if missing:
                if key in self.external_config_dict or not candidates:
                    raise ATJTError(
                        f"config key '{key}': got '{missing[0]}', not a field of {item_file}; "
                        f"allowed: {candidates or 'none: the file has no such field'}"
                    )
                fields = candidates[:1] if isinstance(value, str) else candidates
                final[key] = fields[0] if isinstance(value, str) else fields
                getLogger().warning(
                    f"{key}: {item_file.name} has no field {missing}; using {final[key]!r}"
                )
            load_col = final.get("load_col")
            if isinstance(load_col, dict):
                loaded = [*load_col.get("item", []), final["ITEM_ID_FIELD"], *fields]
                final["load_col"] = {**load_col, "item": list(dict.fromkeys(loaded))}

    def _set_default_parameters(self) -> None:
        super()._set_default_parameters()
        user_path = self.external_config_dict.get("data_path")
        if self.dataset == "ml-100k" and user_path:
            # RecBole swaps any data_path for its bundled ml-100k; honour the user's.
            candidate = os.path.join(user_path, self.dataset)
            if os.path.isfile(os.path.join(candidate, f"{self.dataset}.inter")):
                self.final_config_dict["data_path"] = candidate
            else:
                getLogger().warning(
                    f"data_path '{user_path}' has no ml-100k/ml-100k.inter: "
                    "using the copy bundled with RecBole instead"
                )


def _shared_key_defaults(model: str) -> dict[str, Any]:
    """RecBole's own value of each key its model properties share with ours (DIEN's and
    FOSSIL's ``alpha``, KD_DAGFM's ``alpha`` and ``beta``): ours must not replace them."""
    path = Path(recbole.__file__).parent / "properties" / "model" / f"{model}.yaml"
    if not path.is_file():
        return {}
    values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {key: value for key, value in values.items() if key in RULES}


@contextlib.contextmanager
def base_model_view(config: Config) -> Iterator[Config]:
    """The config as the base model reads it while it is built: the keys it shares with
    recbole_atjt (``base_model_config``) carry the model's values, not ours."""
    shared = config["base_model_config"] or {}
    ours = {key: config[key] for key in shared}
    for key, value in shared.items():
        config[key] = value
    try:
        yield config
    finally:
        for key, value in ours.items():
            config[key] = value


def check_resumable(config: Config, checkpoint_file: str) -> None:
    """Refuse a checkpoint whose saved configuration misses keys this version reads (written
    by an earlier version, it would otherwise resume with those keys silently unset)."""
    try:
        validate_atjt_keys(config.final_config_dict)
    except ATJTError as exc:
        raise ATJTError(
            f"--resume: {checkpoint_file} was written with a configuration this version cannot "
            f"resume ({exc}); allowed: a checkpoint written by this version"
        ) from None


def _check_model_name(model: str) -> None:
    try:
        get_model(model)
    except (ValueError, ImportError):  # RecBole's lookup may try optional libraries first
        raise ATJTError(
            f"model '{model}' is not a RecBole model; allowed: a RecBole sequential or "
            "context-aware model name, e.g. SASRec, DIN, DCN"
        ) from None


def _has_dataset_properties(dataset: str) -> bool:
    """Whether RecBole or we ship a properties file (load_col etc.) for this dataset."""
    recbole_file = Path(recbole.__file__).parent / "properties" / "dataset" / f"{dataset}.yaml"
    return recbole_file.is_file() or (PROPERTIES_DIR / "dataset" / f"{dataset}.yaml").is_file()


def _train_negatives_for(model_class: type, config: dict[str, Any]) -> dict[str, Any] | None:
    """Training negatives RecBole accepts for this model and loss.

    Sequential models that take their input type from ``loss_type`` refuse
    sampled negatives with CE and need them with BPR; pointwise models (DIN,
    context-aware) need them.
    """
    takes_type_from_loss = not hasattr(model_class, "input_type")
    if (
        takes_type_from_loss
        and config.get("MODEL_TYPE") == ModelType.SEQUENTIAL
        and config.get("loss_type") == "CE"
    ):
        return None
    current = config.get("train_neg_sample_args")
    return current if isinstance(current, dict) else dict(UNIFORM_NEGATIVE)
