import numpy as np
import pytest

from recbole_atjt.data.partition import partition_by_user


@pytest.mark.parametrize("n_groups", [2, 3, 4, 7])
def test_partition_is_disjoint_covering_by_user_and_balanced(n_groups):
    rng = np.random.default_rng(0)
    counts = rng.integers(1, 40, size=200)
    user_ids = np.repeat(np.arange(200), counts)
    rng.shuffle(user_ids)

    groups = partition_by_user(user_ids, n_groups, seed=5)

    assert len(groups) == n_groups
    together = np.concatenate(groups)
    assert len(together) == len(user_ids)  # disjoint ...
    assert np.array_equal(np.sort(together), np.arange(len(user_ids)))  # ... and covering
    users_per_group = [set(user_ids[g].tolist()) for g in groups]
    for i in range(n_groups):
        for j in range(i + 1, n_groups):
            assert not users_per_group[i] & users_per_group[j]  # by user
    sizes = [len(g) for g in groups]
    assert max(sizes) - min(sizes) <= counts.max()  # balanced within one user's count


def test_partition_is_seeded():
    user_ids = np.repeat(np.arange(50), 3)  # all ties: only the seed decides
    a = partition_by_user(user_ids, 2, seed=1)
    b = partition_by_user(user_ids, 2, seed=1)
    c = partition_by_user(user_ids, 2, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))


def test_hand_checked_small_case():
    # users 0,1,2 with 5,3,2 instances: largest first into the emptiest group
    user_ids = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])
    groups = partition_by_user(user_ids, 2, seed=0)
    sizes = sorted(len(g) for g in groups)
    assert sizes == [5, 5]


def test_too_many_groups_refused():
    with pytest.raises(ValueError, match="3 users"):
        partition_by_user(np.array([0, 1, 2]), 4, seed=0)
