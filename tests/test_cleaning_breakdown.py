"""The cleaning page's account of what recognizer cleaning's removals cost and could gain,
checked against hand computations."""

import pytest

from experiments import cleaning
from experiments.cleaning_breakdown import account, break_even_precision, breakdown_lines

SEEDS = [2020, 2021]
SETTINGS = {"interaction_cleaning": "recognizer", "cleaning_share": 0.1}


def _run(value, cleaning_record=None):
    return {"test": {"ndcg@5": value}, "cleaning": cleaning_record}


def _removal(truth=None):
    record = {"removed_share": 0.1, "training_interactions": 1000}
    if truth:
        # 100 removed, 80 of them among the 200 injected: precision 0.8, recall 0.4
        record["ground_truth"] = {
            "injected": 200,
            "precision": 0.8,
            "recall": 0.4,
            "auc": 0.85,
            "rarity_auc": 0.84,
            "spearman_with_rarity": 0.9,
        }
    return record


@pytest.fixture
def grid():
    """DCN on clean and 20% insert data (no other dataset's rows), two seeds."""
    cells = cleaning.cells_for("elsewhere", {cleaning.RECOGNIZER: SETTINGS})
    cells = [c for c in cells if c.model == "DCN"]
    key = {(c.row, c.column): c.key for c in cells}
    values = {
        ("DCN clean", "base", None): (0.30, 0.32),
        ("DCN clean", cleaning.RECOGNIZER, False): (0.28, 0.30),  # -0.02 for 0.1 removed
        ("DCN 20% insert", "base", None): (0.26, 0.28),  # the ceiling gap: 0.04 per seed
        ("DCN 20% insert", cleaning.RECOGNIZER, True): (0.27, 0.27),  # +0.01, -0.01
    }
    results = {}
    for (row, column, truth), per_seed in values.items():
        for seed, value in zip(SEEDS, per_seed, strict=True):
            record = None if truth is None else _removal(truth)
            results[(key[(row, column)], seed)] = _run(value, record)
    return cells, results


def test_the_account_prices_real_removals_at_the_clean_rate_and_bounds_the_gain(grid):
    rows = account(*grid, SEEDS)
    assert list(rows) == ["DCN 20% insert"]  # the clean row has nothing to recover
    a = rows["DCN 20% insert"]
    # by hand: real removed 0.1 x (1 - 0.8) = 0.02 of training; clean rate -0.02 / 0.1 = -0.2
    assert a["real_removed_share"] == pytest.approx(0.02)
    assert a["clean_cost_per_share"] == pytest.approx(-0.2)
    assert a["cost_of_real_removed"] == pytest.approx(-0.004)
    assert a["gain_at_most"] == pytest.approx(0.4 * 0.04)  # recall x gap
    assert a["estimate"] == pytest.approx(0.012)
    assert a["measured_delta"] == pytest.approx(0.0)
    # 200 of 1000 training interactions injected: -(-0.2) / (0.04 / 0.2 + 0.2) = 0.5
    assert a["precision_to_break_even"] == pytest.approx(0.5)


def test_at_the_break_even_precision_gain_and_cost_balance():
    rate, gap, injected, removed = -0.2, 0.04, 0.2, 0.1
    p = break_even_precision(rate, gap, injected)
    recall = p * removed / injected
    assert recall * gap + rate * removed * (1 - p) == pytest.approx(0.0)
    assert break_even_precision(None, gap, injected) is None  # no clean row to price it
    assert break_even_precision(rate, 0.0, injected) is None  # nothing to win
    assert break_even_precision(0.01, gap, injected) == 0.0  # removal did not cost on clean


def test_the_section_says_why_when_the_target_is_missed(grid):
    lines, rows = breakdown_lines(*grid, SEEDS, missed=True)
    text = "\n".join(lines)
    assert lines[0] == "## Why recognizer cleaning misses its target"
    assert "On 0 of the 1 noisy rows the real interactions it removes cost more" in text
    assert "a precision of 0.50 on the rows with a gap to win; it has 0.80" in text
    row = next(line for line in lines if line.startswith("| DCN 20% insert |"))
    assert "| 0.800 (0.500) |" in row and "| +0.0160 | -0.0040 | +0.0120 |" in row
    reached, _ = breakdown_lines(*grid, SEEDS, missed=False)
    assert reached[0] == "## What recognizer cleaning's removals cost and could gain"


def test_no_section_without_a_noisy_row_with_ground_truth(grid):
    cells, results = grid
    clean_only = {k: v for k, v in results.items() if "insert" not in k[0]}
    assert breakdown_lines(cells, clean_only, SEEDS, missed=True) == ([], {})
