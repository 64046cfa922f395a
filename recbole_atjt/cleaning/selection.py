"""Which suspect training interactions a detector's scores remove, under the guards.

The most suspect first, until ``share`` of the training interactions are removed (or, with a
``threshold``, every one scoring above it), skipping any removal that would break a guard:

* an item keeps at least ``item_keep`` of its training interactions (an item with none left
  cannot be learned, and is ranked blind when it comes up at evaluation);
* a user loses at most ``floor(user_share * n)`` of their ``n`` training interactions, so
  every user keeps at least one (RecBole's split would otherwise move the validation target
  into training).
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
    user_allowance = np.floor(user_share * interactions.user_counts()).astype(np.int64)
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


def keep_one_per_user(marked: np.ndarray, interactions: TrainingInteractions) -> np.ndarray:
    """``marked`` (a bool mask) less, for each user it would leave with no training
    interaction, that user's latest marked one."""
    marked = marked.copy()
    users = interactions.users
    left = np.bincount(users[~marked], minlength=interactions.n_users)
    for user in np.unique(users[marked]):
        if left[user] == 0:
            marked[np.flatnonzero(marked & (users == user))[-1]] = False
    return marked
