"""Detectors of noisy training interactions: each gives every training interaction a noise
score in [0, 1] (higher: more likely injected).

* ``cooccurrence``: 1 - the interaction's typicality, its mean cosine similarity (over the
  binary training user-item matrix) to the user's other training items. No learning.
* ``recognizer``: G recognizers, one per user-disjoint group, each trained on the auxiliary
  task with *target* corruption (a share of the instances outside its group get a random
  other target, drawn as ``cleaning_corruption_sampling`` says; learning rate
  ``cleaning_learning_rate``: the cleaning recognizers' own keys, apart from a denoise
  mode's) until a pass raises its held-out AUC by no more than ``cleaning_min_gain``; every
  training interaction of group k is then scored by g_k, which never trained on that user,
  as a target given its history: 1 - g_k(history, target).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from recbole_atjt.cleaning.interactions import TrainingInteractions

USERS_PER_CHUNK = 1024  # rows of the user-item product held densely at once


def cooccurrence_scores(
    interactions: TrainingInteractions, _config: Any = None, show_progress: bool = False
) -> tuple[np.ndarray, dict[str, Any]]:
    """1 - mean cosine similarity of each interaction's item to the user's other items."""
    shape = (interactions.n_users, interactions.n_items)
    ones = np.ones(len(interactions), dtype=np.float32)
    x = sp.csr_matrix((ones, (interactions.users, interactions.items)), shape=shape)
    x.data[:] = 1.0  # repeated (user, item) pairs count once
    norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    normalised = x @ sp.diags(inverse.astype(np.float32))
    cosine = (normalised.T @ normalised).tocsr()
    distinct = np.asarray(x.sum(axis=1)).ravel()
    similarity_sum = np.zeros(len(interactions))
    users, items = interactions.users, interactions.items
    for start in range(0, interactions.n_users, USERS_PER_CHUNK):
        chosen = (users >= start) & (users < start + USERS_PER_CHUNK)
        if chosen.any():
            block = (x[start : start + USERS_PER_CHUNK] @ cosine).toarray()
            similarity_sum[chosen] = block[users[chosen] - start, items[chosen]]
    others = distinct[users] - 1
    # the item's similarity to itself (1) is not one of the user's *other* items
    typicality = np.divide(similarity_sum - 1.0, others, out=np.ones(len(users)), where=others > 0)
    return np.clip(1.0 - typicality, 0.0, 1.0), {}


_OPTIMIZERS = {
    "adagrad": torch.optim.Adagrad,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}


def _optimizer(params, learner: str, learning_rate: float, weight_decay: float):
    """As RecBole's trainer builds an optimizer by name (no momentum, no extras)."""
    return _OPTIMIZERS[learner.lower()](params, lr=learning_rate, weight_decay=weight_decay)


def recognizer_scores(
    interactions: TrainingInteractions, config: Any, show_progress: bool = False
) -> tuple[np.ndarray, dict[str, Any]]:
    """1 - g_k(history, target) for every training interaction of group k (see module doc)."""
    from recbole_atjt.data.groups import GroupedInstances
    from recbole_atjt.detection import own_group_weights
    from recbole_atjt.trainer.denoiser import Denoiser

    device = torch.device(config["device"])
    data = GroupedInstances(
        interactions.histories(config["MAX_ITEM_LIST_LENGTH"]),
        torch.from_numpy(interactions.items.astype(np.int64)),
        interactions.users,
        interactions.n_items,
        config["atjt_groups"],
        config["seed"],
        config["train_batch_size"],
        device,
    )
    settings = {
        **config.final_config_dict,
        "denoise": "dnr",
        "corruption_target": "target",
        "corruption_sampling": config["cleaning_corruption_sampling"],
        "noise_learning_rate": config["cleaning_learning_rate"],
        "device": device,
    }
    # A private torch RNG: the recommender is then initialised as in a run without cleaning.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config["seed"])
        denoiser = Denoiser(settings, data, _optimizer)
        passes = denoiser.pretrain(
            config["cleaning_epochs"], show_progress, config["cleaning_min_gain"]
        )
        weights = own_group_weights(denoiser)
    return 1.0 - weights, {"recognizers": passes}


DETECTORS = {"cooccurrence": cooccurrence_scores, "recognizer": recognizer_scores}
