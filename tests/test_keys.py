"""The key table (recbole_atjt/keys.py) is the one declaration that validation, the command
line's help, docs/usage.md and properties/overall.yaml agree with."""

from pathlib import Path

import pytest
import recbole
import yaml

from recbole_atjt.cli import _parser
from recbole_atjt.key_docs import key_table, overall_yaml_mismatches, with_key_table
from recbole_atjt.keys import KEYS, MODE_SPECIFIC_KEYS, choices_text
from recbole_atjt.modes import MODES
from recbole_atjt.paths import PROPERTIES_DIR
from recbole_atjt.validation import CHOICE_KEYS, RULES

USAGE_PAGE = Path(__file__).resolve().parents[1] / "docs" / "usage.md"
OVERALL = PROPERTIES_DIR / "overall.yaml"
RECBOLE_OVERALL = Path(recbole.__file__).parent / "properties" / "overall.yaml"


def _recbole_keys() -> set[str]:
    return set(yaml.safe_load(RECBOLE_OVERALL.read_text(encoding="utf-8")))


def test_the_documented_key_table_is_the_generated_one():
    page = USAGE_PAGE.read_text(encoding="utf-8")
    assert key_table() in page
    assert with_key_table(page) == page


def test_every_key_has_a_row_in_the_docs_table():
    rows = [line for line in key_table().splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(KEYS)


def test_overall_yaml_agrees_with_the_table():
    assert overall_yaml_mismatches(OVERALL, _recbole_keys()) == []


@pytest.mark.parametrize(
    "old, new, problem",
    [
        ("alpha: 1.0 ", "alpha: 2.0 ", "alpha: default 2.0 in the file, 1.0 here"),
        ("weight_max: 3.0 ", "weight_max: 3 ", "weight_max: default 3 in the file, 3.0 here"),
        ("'batch_mean', 'self']", "'batch_mean']", "weight_norm: comment's Range in"),
        ("# (int) Number G >= 2", "# (int) Number G >= 3", "comment does not name the range >= 2"),
        ("dnr_holdout: 0.1                # (float)", "dnr_holdout: 0.1  # (int)", "(int), here"),
        ("beta: 0.1 ", "gamma: 0.1 ", "beta: not in the file"),
    ],
)
def test_the_overall_yaml_check_finds_a_drift(tmp_path, old, new, problem):
    text = OVERALL.read_text(encoding="utf-8")
    assert old in text
    drifted = tmp_path / "overall.yaml"
    drifted.write_text(text.replace(old, new, 1), encoding="utf-8")
    found = overall_yaml_mismatches(drifted, _recbole_keys())
    assert any(problem in line for line in found), found


def test_validation_rules_are_the_table():
    assert list(RULES) == list(KEYS)
    for name, key in KEYS.items():
        is_valid, allowed = RULES[name]
        assert allowed == key.rule.allowed
        assert is_valid(key.default), name  # every default passes its own rule


def test_choice_keys_are_the_name_keys_and_take_each_value_in_any_case():
    assert set(CHOICE_KEYS) == {name for name, key in KEYS.items() if key.rule.names}
    for name in CHOICE_KEYS:
        is_valid, allowed = RULES[name]
        values = KEYS[name].rule.values
        assert allowed == f"one of {list(values)}"
        assert all(is_valid(v) and is_valid(v.upper()) for v in values)
        assert not is_valid("not-a-value") and not is_valid(1)


def test_the_help_lists_every_key_as_the_table_does():
    parser = _parser()
    flags = {action.dest: action.help for action in parser._actions}
    assert flags["denoise"].startswith(
        f"{choices_text('denoise')} (default: {KEYS['denoise'].default};"
    )
    assert flags["interaction_cleaning"].startswith(choices_text("interaction_cleaning"))
    assert f"(default: {KEYS['interaction_cleaning'].default};" in flags["interaction_cleaning"]
    text = parser.format_help()
    for key in KEYS.values():
        assert f"  {key.name}: {key.rule.allowed} (default " in text, key.name


def test_each_mode_reads_the_keys_that_name_it():
    for m in MODES.values():
        named = {k.name for k in KEYS.values() if isinstance(k.modes, tuple) and m.name in k.modes}
        assert set(m.keys) == named
    assert set(MODE_SPECIFIC_KEYS) == {k for m in MODES.values() for k in m.keys}


def test_keys_only_some_modes_read_name_registered_modes():
    for key in KEYS.values():
        if isinstance(key.modes, tuple):
            assert key.modes and set(key.modes) <= set(MODES), key.name
