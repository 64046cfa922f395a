"""Which suspect training interactions a detector's scores remove, under the guards.

The most suspect first, until ``share`` of the training interactions are removed (or, with a
``threshold``, every one scoring above it), skipping any removal that would break a guard:

* an item keeps at least ``item_keep`` of its training interactions (an item with none left
  cannot be learned, and is ranked blind when it comes up at evaluation);
* a user loses at most ``floor(user_share * n)`` of their ``n`` training interactions, and
  always keeps ``min_kept`` of them (with fewer, RecBole's split would turn the validation
  target into a training one).
"""

from __future__ import annotations

import numpy as np

from recbole_atjt.cleaning.interactions import TrainingInteractions


def select(
    scores: np.ndarray,
    interactions: TrainingInteractions,
    share: float,
    threshold: float | None,
    item_keep: int,
    user_share: float,
) -> np.ndarray:
    """Indices (into ``interactions``) of the interactions to remove, most suspect first."""
    budget = len(scores) if threshold is not None else int(round(share * len(scores)))
    items_left = interactions.item_counts()
    counts = interactions.user_counts()
    user_allowance = np.minimum(
        np.floor(user_share * counts), np.maximum(counts - interactions.min_kept, 0)
    ).astype(np.int64)
    chosen: list[int] = []
    for n in np.argsort(-scores, kind="stable"):
        if len(chosen) == budget or (threshold is not None and scores[n] <= threshold):
            break
        item, user = interactions.items[n], interactions.users[n]
        if items_left[item] <= item_keep or user_allowance[user] == 0:
            continue
        items_left[item] -= 1
        user_allowance[user] -= 1
        chosen.append(int(n))
    return np.asarray(chosen, dtype=np.int64)


def keep_enough_per_user(marked: np.ndarray, interactions: TrainingInteractions) -> np.ndarray:
    """``marked`` (a bool mask) less, for each user it would leave with fewer than
    ``min_kept`` training interactions (of those the user has), the user's latest marked
    ones."""
    marked = marked.copy()
    users = interactions.users
    counts = interactions.user_counts()
    left = np.bincount(users[~marked], minlength=interactions.n_users)
    for user in np.unique(users[marked]):
        short = min(interactions.min_kept, counts[user]) - left[user]
        if short > 0:
            marked[np.flatnonzero(marked & (users == user))[-short:]] = False
    return marked
