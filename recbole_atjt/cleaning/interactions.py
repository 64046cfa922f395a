"""The training interactions of a loaded dataset, as RecBole's split will see them.

RecBole loads the atomic files into ``dataset.inter_feat`` (a DataFrame of remapped ids)
and only later, in ``build()``, sorts it by time (a stable sort: file order breaks ties)
and leaves each user's last two interactions out for validation and test
(``LS: valid_and_test``; a user with two interactions keeps one for test only). Cleaning
works between those two steps: the interactions it may judge are exactly the ones
``build()`` will put in the training split, so no validation or test target is ever judged.

A sequential dataset splits *instances* (one per interaction but the user's first), so a user
keeps a validation target only with at least two training interactions; any other dataset
needs one. Cleaning never leaves a user with fewer (``min_kept``), so the split is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from recbole.data.dataset import SequentialDataset

# How many of each user's last interactions the leave-one-out split keeps for evaluation.
LEAVE_OUT = {"valid_and_test": 2, "valid_only": 1, "test_only": 1}


@dataclass(frozen=True)
class TrainingInteractions:
    """The training interactions of ``inter_feat``, each user's in time order.

    ``rows``: their row positions in ``inter_feat``; ``users`` / ``items``: their ids;
    ``position``: rank within the user's training interactions (0 = first).
    """

    rows: np.ndarray
    users: np.ndarray
    items: np.ndarray
    position: np.ndarray
    n_users: int
    n_items: int
    min_kept: int = 1  # training interactions a user must keep for the split to stay as it is

    def __len__(self) -> int:
        return len(self.rows)

    def histories(self, max_length: int) -> torch.Tensor:
        """[N, max_length] item ids: each interaction's previous training items of its user,
        most recent last, left-aligned as RecBole's ``item_id_list`` (0 = padding)."""
        out = np.zeros((len(self), max_length), dtype=np.int64)
        for n in np.flatnonzero(self.position > 0):
            start = n - min(int(self.position[n]), max_length)
            out[n, : n - start] = self.items[start:n]
        return torch.from_numpy(out)

    def user_counts(self) -> np.ndarray:
        return np.bincount(self.users, minlength=self.n_users)

    def item_counts(self) -> np.ndarray:
        return np.bincount(self.items, minlength=self.n_items)


def leave_out_count(config) -> int:
    """Interactions per user that the configured split keeps for evaluation (the split has
    been checked to be leave-one-out)."""
    return LEAVE_OUT[config["eval_args"]["split"]["LS"]]


def training_interactions(dataset, leave_out: int) -> TrainingInteractions:
    """Every interaction that RecBole's leave-one-out split will put in training."""
    frame = dataset.inter_feat
    users = frame[dataset.uid_field].to_numpy()
    # RecBole sorts the float32 tensor it makes of the column (ties then keep file order)
    times = (
        frame[dataset.time_field].to_numpy().astype(np.float32)
        if dataset.time_field
        else np.arange(len(frame))
    )
    order = np.argsort(times, kind="stable")
    order = order[np.argsort(users[order], kind="stable")]
    sorted_users = users[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_users)) + 1]
    counts = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, counts)
    size = np.repeat(counts, counts)
    # as RecBole's _split_index_by_leave_one_out: min(leave_out, count - 1) left out
    training = rank < size - np.minimum(leave_out, size - 1)
    rows = order[training]
    return TrainingInteractions(
        rows=rows,
        users=users[rows],
        items=frame[dataset.iid_field].to_numpy()[rows],
        position=rank[training],
        n_users=dataset.user_num,
        n_items=dataset.item_num,
        min_kept=2 if isinstance(dataset, SequentialDataset) else 1,
    )


def without_rows(dataset, rows: np.ndarray):
    """The dataset with the given ``inter_feat`` rows removed (before ``build()``)."""
    keep = np.ones(len(dataset.inter_feat), dtype=bool)
    keep[rows] = False
    return dataset.copy(dataset.inter_feat[keep].reset_index(drop=True))
