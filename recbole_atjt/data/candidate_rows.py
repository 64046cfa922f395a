"""One split's fixed evaluation candidates, materialised once as tensors on the device.

RecBole's sampled-candidate loader rebuilds every evaluation batch on every pass:
per user it slices the split, repeats each positive row once per candidate,
writes the candidates' ids and joins their features (101 rows per user under
uni100), in a Python loop over users. With fixed candidates those batches are
the same on every pass, so ``CandidateRows`` builds their parts once:

* ``rows``: each positive interaction of the split (its history, user and item
  features joined), one row per positive (the loader has no batch transform);
* ``candidates``: per row, the positive item then its sampled negatives, in
  RecBole's order;
* ``columns``: where each candidate sits in its user's row of the compact score
  matrix (the user's distinct candidates in ascending item id, then one -inf
  column: ``recbole_atjt/trainer/candidate_scores.py``);
* ``writes``: which (row, candidate) gives a column its score when a user's
  candidate repeats (a negative drawn twice, or for two of the user's
  positives): the last in RecBole's row order, whose write RecBole keeps;

and ``chunks`` cuts the users into slices of at most ``eval_batch_size``
candidate rows (at least one user each), which passes score in one call each.
The cache grows with the split like RecBole's own drawn negatives (three numbers
per candidate); a pass holds one chunk's interactions at a time.
``expanded`` builds a slice's (row, candidate) interactions from those tensors
with one gather per field: rows laid out candidate by candidate for each
positive, where RecBole lays them out copy by copy; each is scored alone, so
the order changes no score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from recbole.data.interaction import Interaction


@dataclass(frozen=True)
class CandidateChunk:
    """Users ``[user_start, user_stop)`` of a split, their rows ``[row_start, row_stop)``."""

    rows: CandidateRows
    user_start: int
    user_stop: int
    row_start: int
    row_stop: int

    def __len__(self) -> int:
        return self.row_stop - self.row_start


class CandidateRows:
    """A fixed-candidate loader's evaluation, as tensors on ``device`` (iterable in chunks)."""

    def __init__(self, loader, device: torch.device) -> None:
        dataset, iid = loader._dataset, loader.iid_field
        order = np.concatenate(
            [np.arange(len(dataset))[loader.uid2index[uid]] for uid in loader.uid_list]
        )
        positives = dataset.join(dataset[order])
        self.rows = {k: v.to(device) for k, v in positives.interaction.items()}
        per_user = loader.uid2items_num[loader.uid_list]
        self.n_users = len(loader.uid_list)
        self.user_of_row = torch.repeat_interleave(
            torch.arange(self.n_users), torch.as_tensor(per_user)
        ).to(device)
        negatives = [
            loader._negatives[int(uid)].view(-1, k).T  # RecBole tiles the user's rows
            for uid, k in zip(loader.uid_list, per_user, strict=True)
        ]
        self.candidates = torch.cat([positives[iid].unsqueeze(1), torch.cat(negatives)], dim=1).to(
            device
        )
        self.columns, self.width, self.writes = _compact_columns(
            self.user_of_row, self.candidates, dataset.item_num
        )
        self.item_features = (
            None if dataset.item_feat is None else dataset.item_feat.to(device).interaction
        )
        self.iid_field = iid
        self._dataset = loader._dataset  # what RecBole's evaluation loop reads of a loader
        self.chunks = _chunks(per_user, loader.times, loader.config["eval_batch_size"])

    def __iter__(self):
        for users, rows in self.chunks:
            yield CandidateChunk(self, *users, *rows)

    def __len__(self) -> int:
        return len(self.chunks)

    def expanded(self, chunk: CandidateChunk) -> Interaction:
        """The (row, candidate) interactions of ``chunk``, candidates of a row adjacent."""
        times = self.candidates.shape[1]
        repeat = torch.arange(chunk.row_start, chunk.row_stop, device=self.candidates.device)
        repeat = repeat.repeat_interleave(times)
        flat = {k: v[repeat] for k, v in self.rows.items()}
        items = self.candidates[chunk.row_start : chunk.row_stop].reshape(-1)
        flat[self.iid_field] = items
        if self.item_features is not None:
            flat.update({k: v[items] for k, v in self.item_features.items()})
        return Interaction(flat)

    def positive_rows(self, chunk: CandidateChunk) -> Interaction:
        """The positive rows of ``chunk``, one each, for models that score every item."""
        return Interaction({k: v[chunk.row_start : chunk.row_stop] for k, v in self.rows.items()})


def key_columns(keys: torch.Tensor, n_items: int, n_users: int):
    """(column of each sorted ``user * n_items + item`` key in its user's compact row: its
    rank among the user's keys, distinct candidates per user)."""
    user_of_key = keys // n_items
    per_user = torch.bincount(user_of_key, minlength=n_users)
    first_key = torch.cumsum(per_user, 0) - per_user
    return torch.arange(len(keys), device=keys.device) - first_key[user_of_key], per_user


def _compact_columns(
    user_of_row: torch.Tensor, candidates: torch.Tensor, n_items: int
) -> tuple[torch.Tensor, int, torch.Tensor]:
    """(column of every candidate in its user's compact row, compact row width, the
    candidates whose score a repeated column keeps)."""
    users = user_of_row.unsqueeze(1).expand_as(candidates)
    keys, inverse = torch.unique(users * n_items + candidates, return_inverse=True)
    key_column, per_user = key_columns(keys, n_items, int(user_of_row.max()) + 1)
    position = _recbole_positions(user_of_row, candidates.shape[1])
    last = torch.full((len(keys),), -1, dtype=position.dtype, device=position.device)
    last.scatter_reduce_(0, inverse.reshape(-1), position.reshape(-1), reduce="amax")
    return key_column[inverse], int(per_user.max()) + 1, position == last[inverse]


def _recbole_positions(user_of_row: torch.Tensor, times: int) -> torch.Tensor:
    """(rows x candidates) position of each (row, candidate) in RecBole's evaluation rows:
    a user's rows are repeated copy by copy (all positives, then each one's first
    negative, ...), users one after another."""
    n_rows = len(user_of_row)
    rows_of_user = torch.bincount(user_of_row)
    first_row = torch.cumsum(rows_of_user, 0) - rows_of_user
    k = rows_of_user[user_of_row].unsqueeze(1)
    local = (torch.arange(n_rows, device=user_of_row.device) - first_row[user_of_row]).unsqueeze(1)
    copy = torch.arange(times, device=user_of_row.device).unsqueeze(0)
    return first_row[user_of_row].unsqueeze(1) * times + copy * k + local


def _chunks(per_user: np.ndarray, times: int, row_budget: int):
    """[(users (start, stop), rows (start, stop))] with at most ``row_budget`` candidate rows
    each (one user at least)."""
    chunks, user, row = [], 0, 0
    while user < len(per_user):
        stop, rows = user + 1, int(per_user[user])
        while stop < len(per_user) and (rows + per_user[stop]) * times <= row_budget:
            rows += int(per_user[stop])
            stop += 1
        chunks.append(((user, stop), (row, row + rows)))
        user, row = stop, row + rows
    return chunks
