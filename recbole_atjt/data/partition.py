"""Split training instances into user-disjoint, size-balanced groups (paper Sec. 3.4.1)."""

from __future__ import annotations

import numpy as np


def partition_by_user(user_ids: np.ndarray, n_groups: int, seed: int) -> list[np.ndarray]:
    """Return ``n_groups`` sorted index arrays over ``user_ids`` (one entry per instance).

    All instances of one user land in the same group, so a recognizer never
    learns from near-identical prefixes of the sequences it later weights.
    Users are placed largest first (ties in a seeded random order) into the
    group with the fewest instances so far, which keeps the group sizes within
    one user's instance count of each other. Groups are disjoint and cover
    every instance.
    """
    user_ids = np.asarray(user_ids)
    users, inverse, counts = np.unique(user_ids, return_inverse=True, return_counts=True)
    if n_groups < 2:
        raise ValueError(f"n_groups must be >= 2, got {n_groups}")
    if len(users) < n_groups:
        raise ValueError(f"cannot split {len(users)} users into {n_groups} user-disjoint groups")
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(users))
    order = shuffled[np.argsort(-counts[shuffled], kind="stable")]
    sizes = np.zeros(n_groups, dtype=np.int64)
    group_of_user = np.empty(len(users), dtype=np.int64)
    for u in order:
        g = int(np.argmin(sizes))
        group_of_user[u] = g
        sizes[g] += counts[u]
    group_of_instance = group_of_user[inverse]
    return [np.flatnonzero(group_of_instance == g) for g in range(n_groups)]
