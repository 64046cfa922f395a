"""The ground truth of an injected dataset (``<dataset>.noise``), matched to a loaded dataset.

``python -m recbole_atjt.noise inject`` writes beside every noisy copy a file
marking each interaction ``is_noise`` 1 (injected) or 0. An injected item is one
its user never interacted with, so a (user, item) pair identifies it. The pairs
are matched to RecBole's internal ids as one sorted tensor of keys
``user_id * n_items + item_id``, looked up with ``torch.isin``.
"""

from __future__ import annotations

import csv
import os

import numpy as np
import torch

from recbole_atjt.data.checks import field_names
from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import mode

GROUND_TRUTH_SUFFIX = ".noise"


def ground_truth_path(config) -> str:
    return os.path.join(config["data_path"], f"{config['dataset']}{GROUND_TRUTH_SUFFIX}")


def load_ground_truth(path: str, user_field: str, item_field: str) -> set[tuple[str, str]]:
    """The (user token, item token) pairs marked ``is_noise`` = 1 in a ground-truth file;
    a malformed file is refused in one line naming the file and line."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t")
        header = field_names(next(reader, []))
        try:
            u, i, flag = (header.index(n) for n in (user_field, item_field, "is_noise"))
        except ValueError:
            raise ATJTError(
                f"{path}: header needs {user_field}, {item_field} and is_noise columns"
            ) from None
        pairs = set()
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise ATJTError(
                    f"{path}, line {reader.line_num}: {len(row)} fields; allowed: "
                    f"{len(header)} separated by '\\t'"
                )
            try:
                noisy = float(row[flag]) > 0
            except ValueError:
                raise ATJTError(
                    f"{path}, line {reader.line_num}: '{row[flag]}' in column is_noise; "
                    "allowed: a number (1 injected, 0 not)"
                ) from None
            if noisy:
                pairs.add((row[u], row[i]))
        return pairs


def check_ground_truth(config) -> None:
    """Read the dataset's ground-truth file now, when the run will read it (the detection
    report at the end of a run with recognizers, oracle weights, interaction cleaning), so
    that a malformed one stops the run before training."""
    path = ground_truth_path(config)
    chosen = mode(config["denoise"])
    reads = chosen.uses_recognizers or chosen.needs_ground_truth
    if os.path.isfile(path) and (reads or config["interaction_cleaning"] != "none"):
        load_ground_truth(path, config["USER_ID_FIELD"], config["ITEM_ID_FIELD"])


def required_ground_truth(config, key: str, value: str) -> str:
    """The ground-truth file of the configured dataset, or a one-line refusal naming ``key``."""
    path = ground_truth_path(config)
    if not os.path.isfile(path):
        raise ATJTError(
            f"config key '{key}': got '{value}', which needs the ground-truth file {path}; "
            "allowed: a dataset written by `python -m recbole_atjt.noise inject` (or atjt-synth)"
        )
    return path


def noisy_pair_keys(dataset, truth: set[tuple[str, str]]) -> torch.Tensor:
    """Sorted keys ``user_id * item_num + item_id`` of the injected pairs the dataset holds."""
    users = dataset.field2token_id[dataset.uid_field]
    items = dataset.field2token_id[dataset.iid_field]
    keys = [
        users[user] * dataset.item_num + items[item]
        for user, item in truth
        if user in users and item in items
    ]
    return torch.from_numpy(np.unique(np.asarray(keys, dtype=np.int64)))


def is_noisy(
    keys: torch.Tensor, users: torch.Tensor, items: torch.Tensor, n_items: int
) -> torch.Tensor:
    """Per (user, item) id pair: whether it is injected (``keys`` from :func:`noisy_pair_keys`)."""
    query = users.long() * n_items + items.long()
    return torch.isin(query, keys.to(query.device))
