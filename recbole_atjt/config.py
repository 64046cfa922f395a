"""RecBole ``Config`` with recbole_atjt's properties layered in and its keys validated.

Precedence, lowest first: RecBole's own properties (overall, model, dataset,
quick-start files), then ours (``properties/overall.yaml``,
``properties/model/<Model>.yaml``), then the user's config files, config dict
and overrides. The process's ``sys.argv`` is never read.
"""

from __future__ import annotations

import os
from logging import getLogger
from pathlib import Path
from typing import Any

import recbole
from recbole.config import Config
from recbole.utils import ModelType, get_model

from recbole_atjt.compat import isolated_argv
from recbole_atjt.config_files import read_config_file
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import BUNDLED_DATA_DIR, PROPERTIES_DIR, bundled_datasets, properties_dir
from recbole_atjt.validation import (
    CHOICE_KEYS,
    validate_atjt_keys,
    validate_model_keys,
    validate_recbole_keys,
)

UNIFORM_NEGATIVE = {
    "distribution": "uniform",
    "sample_num": 1,
    "alpha": 1.0,
    "dynamic": False,
    "candidate_num": 0,
}


def property_files(model: str, dataset: str) -> list[Path]:
    """Our properties files, layered in this order over RecBole's (those that exist apply)."""
    root = properties_dir()
    return [
        root / "overall.yaml",
        root / "model" / f"{model}.yaml",
        root / "dataset" / f"{dataset}.yaml",
    ]


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
        super()._load_internal_config_dict(model, model_class, dataset)
        for path in property_files(model, dataset):
            if path.is_file():
                self._update_internal_config_dict(str(path))

    def _get_final_config_dict(self) -> dict[str, Any]:
        final = super()._get_final_config_dict()
        if "train_neg_sample_args" not in self.external_config_dict:
            final["train_neg_sample_args"] = _train_negatives_for(self.model_class, final)
        if "data_path" not in self.external_config_dict and self.dataset in bundled_datasets():
            final["data_path"] = str(BUNDLED_DATA_DIR)
        if "load_col" not in self.external_config_dict and not _has_dataset_properties(
            self.dataset
        ):
            # RecBole's default loads user and item only; histories need the time column.
            fields = ("USER_ID_FIELD", "ITEM_ID_FIELD", "TIME_FIELD")
            final["load_col"] = {"inter": [final[f] for f in fields]}
        if "item_attribute" in final:  # S3Rec pretrains on an item attribute
            self._resolve_item_attribute(final)
        return final

    def _resolve_item_attribute(self, final: dict[str, Any]) -> None:
        """S3Rec's item attribute: the configured one, else the dataset's first token_seq field.

        RecBole's default ('class') exists in ml-100k alone; amazon-beauty calls its attribute
        'categories'. The chosen field is added to ``load_col`` when that names the files.
        """
        item_file = Path(final.get("data_path") or "") / self.dataset / f"{self.dataset}.item"
        if not item_file.is_file():
            return  # RecBole reports a missing file itself
        with open(item_file, encoding="utf-8") as f:
            header = [column.split(":") for column in f.readline().rstrip("\n").split("\t")]
        candidates = [name for name, kind in header if kind == "token_seq"]
        attribute = final["item_attribute"]
        if attribute not in (name for name, _ in header):
            if "item_attribute" in self.external_config_dict or not candidates:
                raise ATJTError(
                    f"item_attribute: got '{attribute}', not a field of {item_file}; "
                    f"allowed: one of its token_seq fields {candidates}"
                )
            attribute = final["item_attribute"] = candidates[0]
        load_col = final.get("load_col")
        if isinstance(load_col, dict) and attribute not in load_col.get("item", []):
            item_fields = [final["ITEM_ID_FIELD"], attribute]
            final["load_col"] = {
                **load_col,
                "item": list(dict.fromkeys([*load_col.get("item", []), *item_fields])),
            }

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
