"""The mode registry is the one list that validation, docs/modes.md and the search check read."""

from pathlib import Path

import pytest

from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import MODES, mode_table
from recbole_atjt.validation import RULES

MODES_PAGE = Path(__file__).resolve().parents[1] / "docs" / "modes.md"


def test_the_documented_mode_table_is_the_registry():
    assert mode_table() in MODES_PAGE.read_text(encoding="utf-8")


def test_validation_allows_exactly_the_registered_modes():
    is_valid, allowed = RULES["denoise"]
    assert all(is_valid(name) for name in MODES)
    assert not is_valid("atjt2")
    assert allowed == f"one of {list(MODES)}"


def test_every_key_a_mode_reads_is_a_documented_key():
    for m in MODES.values():
        assert set(m.keys) <= set(RULES), m.name


def test_a_search_over_a_key_the_mode_ignores_is_refused():
    from recbole_atjt.tune import _check_keys_matter

    with pytest.raises(ATJTError, match="'alpha' has no effect with denoise 'wat'"):
        _check_keys_matter({"alpha": {"grid_search": [0.1, 1.0]}}, "wat")
    with pytest.raises(ATJTError, match="'beta' has no effect with denoise 'atjt'"):
        _check_keys_matter({"beta": {"grid_search": [0.1]}}, "atjt")
    _check_keys_matter({"alpha": {"grid_search": [0.1]}, "learning_rate": 0.01}, "odnr")


def test_a_searched_mode_allows_the_keys_of_every_mode_it_takes():
    from ray import tune

    from recbole_atjt.tune import _check_keys_matter

    space = {"denoise": tune.choice(["atjt", "rce"]), "alpha": tune.choice([1.0, 5.0])}
    _check_keys_matter({**space, "beta": tune.choice([0.1])}, "atjt")
    with pytest.raises(ATJTError, match="'drop_rate' has no effect with denoise 'atjt/rce'"):
        _check_keys_matter({**space, "drop_rate": tune.choice([0.1])}, "atjt")


def test_the_oracle_weights_rows_without_recognizers_or_keys():
    from recbole_atjt.tune import _check_keys_matter

    oracle = MODES["oracle"]
    assert oracle.needs_ground_truth and oracle.reweights
    assert not oracle.uses_recognizers and not oracle.steps_recognizers
    assert oracle.keys == () and oracle.auxiliary_task is None
    assert [m.name for m in MODES.values() if m.needs_ground_truth] == ["oracle"]
    refused = "'corruption_sampling' has no effect with denoise 'oracle'"
    with pytest.raises(ATJTError, match=refused):
        _check_keys_matter({"corruption_sampling": {"grid_search": ["popularity"]}}, "oracle")
