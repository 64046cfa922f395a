import math

import pytest
import torch

from recbole_atjt.data.corruption import corrupt_histories


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
