import math

import pytest
import torch

from recbole_atjt.data.corruption import (
    CORRUPTION_SAMPLINGS,
    corrupt_histories,
    corrupt_sequences,
    popularity_weights,
)


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


# ---- corruption_sampling ---------------------------------------------------------------

PINNED_HISTORY = torch.tensor(
    [[3, 7, 0, 0], [0, 0, 0, 0], [5, 2, 9, 1], [8, 0, 0, 0], [4, 4, 6, 0], [1, 2, 3, 4]]
)
PINNED_TARGET = torch.tensor([2, 5, 7, 3, 9, 6])
# What the uniform path gave, generator seed 11, before corruption_sampling existed: stored
# runs depend on these draws staying the same.
PINNED = {
    "history": (
        [[5, 1, 0, 0], [0, 0, 0, 0], [5, 2, 9, 1], [1, 0, 0, 0], [2, 5, 6, 0], [1, 2, 3, 4]],
        [2, 5, 7, 3, 9, 6],
        [0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
    ),
    "target": (
        [[3, 7, 0, 0], [0, 0, 0, 0], [5, 2, 9, 1], [8, 0, 0, 0], [4, 4, 6, 0], [1, 2, 3, 4]],
        [9, 9, 7, 1, 9, 6],
        [0.0, 0.0, 1.0, 0.0, 1.0, 1.0],
    ),
    "both": (
        [[5, 1, 0, 0], [0, 0, 0, 0], [5, 2, 9, 1], [1, 0, 0, 0], [4, 4, 6, 0], [1, 2, 3, 4]],
        [2, 5, 7, 3, 1, 6],
        [0.0, 1.0, 1.0, 0.0, 0.0, 1.0],
    ),
}


@pytest.mark.parametrize("how", ["history", "target", "both"])
def test_uniform_draws_are_those_before_corruption_sampling(how):
    out = corrupt_sequences(
        PINNED_HISTORY, PINNED_TARGET, 10, 0.5, 2, how, torch.Generator().manual_seed(11)
    )
    history, target, labels = PINNED[how]
    assert out.history.tolist() == history
    assert out.target.tolist() == target
    assert out.labels.tolist() == labels
    again = corrupt_sequences(
        PINNED_HISTORY, PINNED_TARGET, 10, 0.5, 2, how, torch.Generator().manual_seed(11), None
    )
    assert torch.equal(again.history, out.history) and torch.equal(again.target, out.target)
    if how == "history":
        paper = corrupt_histories(PINNED_HISTORY, 10, 0.5, 2, torch.Generator().manual_seed(11))
        assert paper.history.tolist() == history and paper.labels.tolist() == labels


def test_popularity_weights_count_training_targets_by_hand():
    counts = popularity_weights(torch.tensor([3, 3, 5, 1, 3, 0]), 7)
    assert counts.tolist() == [0, 1, 0, 3, 0, 1, 0]  # padding 0 counts 0
    assert counts.dtype == torch.int64
    with pytest.raises(ValueError, match="at least two items"):
        popularity_weights(torch.tensor([4, 4, 4]), 7)  # item 4 would hold all the mass


def _shares(new: torch.Tensor, n_items: int) -> torch.Tensor:
    counts = torch.bincount(new, minlength=n_items).double()
    return counts / counts.sum()


# items 1..6; item 2 has no training interaction, item 5 half of them
COUNTS = torch.tensor([0, 1, 0, 3, 4, 10, 2])


@pytest.mark.parametrize("replaced", [3, 5, 2])
def test_popularity_draws_are_proportional_to_the_other_items_counts(replaced):
    n_items = len(COUNTS)
    history = torch.full((60000, 1), replaced)
    out = corrupt_histories(
        history, n_items, 0.5, 1, torch.Generator().manual_seed(3), item_weights=COUNTS
    )
    new = out.history[out.changed]
    assert len(new) == 30000
    assert (new != replaced).all() and (new != 0).all() and (new != 2).all()
    expected = COUNTS.double()
    expected[replaced] = 0
    expected = expected / expected.sum()  # e.g. replacing 3: [0, 1, 0, 0, 4, 10, 2] / 17
    assert torch.allclose(_shares(new, n_items), expected, atol=0.01)


@pytest.mark.parametrize("how", ["target", "both"])
def test_popularity_target_draws_never_repeat_the_target(how):
    n_items = len(COUNTS)
    history = torch.randint(1, n_items, (20000, 3), generator=torch.Generator().manual_seed(4))
    target = torch.full((20000,), 4)
    out = corrupt_sequences(
        history, target, n_items, 0.5, 1, how, torch.Generator().manual_seed(5), COUNTS
    )
    new = out.target[out.target_changed]
    assert (new != 4).all() and (new != 0).all() and (new != 2).all()
    expected = torch.tensor([0, 1, 0, 3, 0, 10, 2]).double() / 16
    assert torch.allclose(_shares(new, n_items), expected, atol=0.02)
    replaced = history[out.changed]
    assert (out.history[out.changed] != replaced).all()
    assert ((out.history[out.changed] != 0) & (out.history[out.changed] != 2)).all()
    assert torch.equal(out.history[~out.changed], history[~out.changed])


def test_popularity_draws_on_mixed_histories_never_hold_the_old_item():
    n_items = 50
    history = _batch(4096, 8, n_items, seed=10)
    counts = popularity_weights(torch.randint(1, 10, (500,)), n_items)  # only items 1..9
    out = corrupt_histories(history, n_items, 0.9, 3, torch.Generator().manual_seed(6), counts)
    before, after = history[out.changed], out.history[out.changed]
    assert len(after) > 0 and (after != before).all()
    assert ((after >= 1) & (after <= 9)).all()  # items without interactions never drawn
    assert torch.equal(out.history[~out.changed], history[~out.changed])


def test_item_weights_must_be_integer_counts_of_every_item():
    history = _batch(8, 4, 10, seed=1)
    with pytest.raises(ValueError, match="integer counts of shape"):
        corrupt_histories(history, 10, 0.5, 1, item_weights=torch.ones(10))
    with pytest.raises(ValueError, match="integer counts of shape"):
        corrupt_histories(history, 10, 0.5, 1, item_weights=torch.ones(9, dtype=torch.long))


def test_corruption_sampling_key_allows_the_samplings():
    from recbole_atjt.modes import MODES
    from recbole_atjt.validation import CHOICE_KEYS, RULES

    is_valid, allowed = RULES["corruption_sampling"]
    assert allowed == f"one of {list(CORRUPTION_SAMPLINGS)}"
    assert all(is_valid(v) for v in CORRUPTION_SAMPLINGS) and not is_valid("zipf")
    assert "corruption_sampling" in CHOICE_KEYS
    readers = {m.name for m in MODES.values() if "corruption_sampling" in m.keys}
    assert readers == {m.name for m in MODES.values() if m.auxiliary_task is not None}


@pytest.mark.parametrize("sampling", ["uniform", "popularity"])
def test_the_denoiser_counts_its_training_targets(tmp_path, sampling):
    from conftest import build

    from recbole_atjt.data.groups import GroupedTrainData
    from recbole_atjt.trainer.denoiser import Denoiser

    config, train, _, _, _ = build("SASRec", tmp_path, corruption_sampling=sampling)
    groups = GroupedTrainData(train, 2, 7, "item_id_list", "item_id", torch.device("cpu"))
    denoiser = Denoiser(config, groups)
    if sampling == "uniform":
        assert denoiser.item_weights is None
        return
    dataset = train._dataset
    targets = dataset.inter_feat["item_id"].tolist()
    by_hand = [0] * dataset.item_num
    for item in targets:
        by_hand[item] += 1
    assert denoiser.item_weights.tolist() == by_hand and by_hand[0] == 0
    noisy = denoiser.corrupt(groups.history[:512], groups.target[:512], torch.Generator())
    assert (noisy.history[noisy.changed] != groups.history[:512][noisy.changed]).all()


def test_one_run_with_popularity_sampling(tmp_path):
    from conftest import DATASET, TINY, check_metrics

    from recbole_atjt import run

    settings = {
        **TINY,
        "denoise": "atjt",
        "corruption_sampling": "popularity",
        "corruption_target": "both",
        "run_dir": str(tmp_path),
    }
    results = run("SASRec", DATASET, config_dict=settings, saved=False)
    check_metrics(results["test"])
    assert 0 <= results["corruption_weights"]["auc"] <= 1
