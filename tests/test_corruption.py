import math

import pytest
import torch

from recbole_atjt.data.corruption import corrupt_histories, corrupt_sequences


def _batch(n_rows: int, max_len: int, n_items: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(0, max_len + 1, (n_rows,), generator=g)
    items = torch.randint(1, n_items, (n_rows, max_len), generator=g)
    positions = torch.arange(max_len).unsqueeze(0)
    return torch.where(positions < lengths.unsqueeze(1), items, torch.zeros_like(items))


@pytest.mark.parametrize("ratio", [0.1, 0.3, 0.5, 0.7, 0.9])
@pytest.mark.parametrize("k", [1, 2, 3, 5, 10])
def test_exact_counts_and_invariants(ratio, k):
    n_items = 50
    history = _batch(64, 8, n_items, seed=int(ratio * 100) + k)
    original = history.clone()
    out = corrupt_histories(history, n_items, ratio, k, torch.Generator().manual_seed(1))

    assert torch.equal(history, original), "input must not be modified"
    has_history = (history > 0).any(dim=1)
    n = int(has_history.sum())
    chosen = out.labels == 0
    # exactly floor(ratio * n + 0.5) sequences corrupted, all of them with a history
    assert int(chosen.sum()) == math.floor(ratio * n + 0.5)
    assert not (chosen & ~has_history).any()
    # exactly min(k, length) distinct positions changed in each chosen row, none elsewhere
    lengths = (history > 0).sum(dim=1)
    expected = torch.where(chosen, torch.clamp(lengths, max=k), torch.zeros_like(lengths))
    assert torch.equal(out.changed.sum(dim=1), expected)
    # changed positions are real items before and after, and hold a different item
    assert (history[out.changed] > 0).all()
    assert (out.history[out.changed] > 0).all()
    assert (out.history[out.changed] < n_items).all()
    assert (out.history[out.changed] != history[out.changed]).all()
    # everything else is untouched (padding included)
    assert torch.equal(out.history[~out.changed], history[~out.changed])
    assert set(out.labels.tolist()) <= {0.0, 1.0}


def test_empty_histories_never_chosen_and_rounding_half_up():
    history = torch.tensor([[0, 0], [4, 0], [0, 0], [5, 6], [0, 0], [7, 0]])
    out = corrupt_histories(history, 10, 0.5, 1, torch.Generator().manual_seed(0))
    # n = 3 sequences with a history -> floor(1.5 + 0.5) = 2 corrupted
    assert (out.labels == 0).sum() == 2
    assert (out.labels[[0, 2, 4]] == 1).all()


def test_replacements_are_uniform_over_other_items():
    n_items = 6  # real items 1..5
    history = torch.full((20000, 1), 3)
    out = corrupt_histories(history, n_items, 0.5, 1, torch.Generator().manual_seed(2))
    new = out.history[out.changed]
    counts = torch.bincount(new, minlength=n_items).float()
    assert counts[0] == 0 and counts[3] == 0
    shares = counts[[1, 2, 4, 5]] / counts.sum()
    assert torch.allclose(shares, torch.full((4,), 0.25), atol=0.02)


def test_seeded_generator_reproduces():
    history = _batch(32, 6, 30, seed=3)
    a = corrupt_histories(history, 30, 0.5, 2, torch.Generator().manual_seed(9))
    b = corrupt_histories(history, 30, 0.5, 2, torch.Generator().manual_seed(9))
    assert torch.equal(a.history, b.history) and torch.equal(a.labels, b.labels)


@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.9])
def test_target_corruption_replaces_exactly_the_chosen_targets(ratio):
    n_items = 40
    history = _batch(64, 6, n_items, seed=3)
    target = torch.randint(1, n_items, (64,), generator=torch.Generator().manual_seed(4))
    out = corrupt_sequences(
        history, target, n_items, ratio, 2, "target", torch.Generator().manual_seed(5)
    )
    chosen = out.labels == 0
    # every row is eligible, empty histories too
    assert int(chosen.sum()) == math.floor(ratio * 64 + 0.5)
    assert torch.equal(out.target_changed, chosen)
    assert (out.target[chosen] != target[chosen]).all()
    assert ((out.target >= 1) & (out.target < n_items)).all()
    assert torch.equal(out.target[~chosen], target[~chosen])
    assert torch.equal(out.history, history) and not out.changed.any()


def test_both_splits_the_chosen_sequences_half_each_way():
    n_items = 40
    history = _batch(64, 6, n_items, seed=6)
    target = torch.randint(1, n_items, (64,), generator=torch.Generator().manual_seed(7))
    out = corrupt_sequences(history, target, n_items, 0.5, 1, "both", torch.Generator())
    has_history = (history > 0).any(dim=1)
    n_chosen = math.floor(0.5 * int(has_history.sum()) + 0.5)
    chosen = out.labels == 0
    by_history = out.changed.any(dim=1)
    assert int(chosen.sum()) == n_chosen
    assert not (chosen & ~has_history).any()
    assert int(by_history.sum()) == math.ceil(n_chosen / 2)
    assert int(out.target_changed.sum()) == n_chosen - math.ceil(n_chosen / 2)
    assert not (by_history & out.target_changed).any()  # one way per sequence
    assert torch.equal(by_history | out.target_changed, chosen)


def test_history_mode_is_the_papers_corruption():
    history = _batch(32, 6, 30, seed=8)
    target = torch.arange(1, 33)
    a = corrupt_histories(history, 30, 0.5, 2, torch.Generator().manual_seed(9))
    b = corrupt_sequences(history, target, 30, 0.5, 2, "history", torch.Generator().manual_seed(9))
    assert torch.equal(a.history, b.history) and torch.equal(a.labels, b.labels)
    assert torch.equal(b.target, target)
