import json

from conftest import DATASET

from experiments.__main__ import _cells, main
from experiments.design import (
    CHOSEN_VARIANT,
    PAPER_ATJT,
    SCREENING_ROWS,
    TUNED_ATJT,
    TUNED_VARIANT,
)
from experiments.tuning import search_name, tuned_overrides
from experiments.tuning_page import variant_ranking, write_tuning_page


def _store_search(out, model: str, method: str, best: dict, score: float) -> None:
    """A stored search as ``run_searches`` writes it (two trials, the first the best)."""
    trials = [
        {"trial": "trial_a", "status": "TERMINATED", "epochs": 3, "best_valid_score": score,
         "params": best, "valid": {"ndcg@5": score}},
        {"trial": "trial_b", "status": "TERMINATED", "epochs": 1, "best_valid_score": score / 2,
         "params": {**best, "alpha": 9.0}, "valid": {"ndcg@5": score / 2}},
    ]  # fmt: skip
    record = {
        "model": model, "method": method, "dataset": DATASET, "budget": "smoke",
        "space": {"alpha": {"loguniform": [0.1, 10.0]}, "noise_ratio": {"choice": [0.1, 0.5]}},
        "fixed": {}, "trials": trials, "best": {**trials[0], "test": {"ndcg@5": score - 0.01}},
        "code": {"commit": "0123456789abcdef", "dirty": False}, "machine": "a CPU",
        "wall_seconds": 1800.0,
    }  # fmt: skip
    folder = out / "tuning" / "searches" / DATASET
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{search_name(model, method)}.json").write_text(json.dumps(record))


def test_tuned_columns_take_their_family_search_and_wait_for_it(tmp_path):
    out = tmp_path / "results"
    args = ["table2", "--datasets", DATASET, "--out", str(out)]
    parsed = _parse(args)
    assert {c.column for c in _cells(parsed, DATASET)} == {"base", "+ATJT"}  # nothing stored

    _store_search(out, "DCN", "atjt", {"alpha": 2.5, "noise_ratio": 0.1}, 0.3)
    _store_search(out, "SASRec", CHOSEN_VARIANT[0], {"alpha": 0.2, "noise_ratio": 0.5}, 0.2)
    cells = {(c.row, c.column): c for c in _cells(parsed, DATASET)}
    # WideDeep and DIN take DCN's search; the sequential models SASRec's
    for model in ("WideDeep", "DCN", "DIN"):
        assert cells[(model, TUNED_ATJT)].overrides == {
            **PAPER_ATJT,
            "alpha": 2.5,
            "noise_ratio": 0.1,
        }
        assert (model, TUNED_VARIANT) not in cells
    for model in ("SASRec", "S3Rec", "FEARec"):
        assert cells[(model, TUNED_VARIANT)].overrides["recognizer_reset"] == "round"
        assert cells[(model, TUNED_VARIANT)].overrides["alpha"] == 0.2
        assert cells[(model, TUNED_VARIANT)].baseline == (model, "base")
        assert (model, TUNED_ATJT) not in cells
    assert tuned_overrides(str(out), "ml-100k", "DCN", "atjt") is None  # per dataset


def test_tuning_page_lists_best_parameters_space_and_trials(tmp_path):
    out = tmp_path / "results"
    _store_search(out, "DCN", "atjt", {"alpha": 2.5, "noise_ratio": 0.1}, 0.3)
    page = out / "tuning" / f"{DATASET}.md"
    assert write_tuning_page(str(page), str(out), DATASET)
    text = page.read_text()
    assert "| DCN | atjt | 2 (2) | 0.3000 | 0.2900 | alpha: 2.5, noise_ratio: 0.1 |" in text
    assert f"| SASRec | {CHOSEN_VARIANT[0]} | not run yet |" in text
    assert "| alpha | loguniform [0.1, 10.0] |" in text
    trials = [line for line in text.splitlines() if line.startswith("| trial_")]
    assert trials == [
        "| trial_a | TERMINATED | 3 | 0.3000 | 2.5 | 0.1 |",
        "| trial_b | TERMINATED | 1 | 0.1500 | 9 | 0.1 |",
    ]
    assert "0.50 h of searching (1 of 4 searches stored)" in text
    assert "- code: `0123456789` (1 run); 0 from a tree" in text
    # the searched keys are not listed as fixed
    assert "- atjt: denoise: atjt, alpha_scale: none" in text

    assert main(["leaderboard", "--out", str(out)]) == 0
    board = (out / "README.md").read_text()
    assert "## Tuning: Ray Tune searches" in board
    assert "| DCN | atjt | 2 | 2 | 0.3000 | 0.2900 |" in board


def _parse(args):
    """The experiments command's parsed arguments, as ``main`` reads them."""
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--datasets", nargs="+")
    p.add_argument("--models", nargs="+")
    p.add_argument("--out")
    return p.parse_args(args)


def test_the_leaderboard_searches_only_atjt_keys():
    # a tuned run must differ from its base run in ATJT alone: no recommender key is searched
    import yaml

    from experiments.tuning import SPACE_FILE
    from recbole_atjt.paths import PROPERTIES_DIR
    from recbole_atjt.tune import load_search_space

    ours = yaml.safe_load((PROPERTIES_DIR / "overall.yaml").read_text())
    space = load_search_space(str(SPACE_FILE))
    assert set(space) == {"alpha", "noise_learning_rate", "replace_count", "noise_ratio",
                          "atjt_groups"}  # fmt: skip
    assert set(space) <= set(ours)


def test_the_variant_ranking_says_which_conditions_its_runs_cover(tmp_path):
    runs = tmp_path / "diagnosis" / "runs" / "ml-100k"
    runs.mkdir(parents=True)
    rows = dict(SCREENING_ROWS)

    def store(name, label, noise, score, seed=2020):
        key = {"seed": seed, "noise": noise, "settings": {"torch_threads": 1, **rows[label]}}
        run = {"seed": seed, "best_valid_score": score, "run_key": key}
        (runs / f"{name}.json").write_text(json.dumps(run))

    store("a", "atjt", 0.0, 0.30)
    store("b", "atjt", 0.0, 0.20)
    store("c", CHOSEN_VARIANT[0], 0.0, 0.28)
    store("d", CHOSEN_VARIANT[0], 0.0, 0.99, seed=2021)  # not the screening's seed
    assert variant_ranking(str(tmp_path), "ml-100k", 2020) == (
        [(CHOSEN_VARIANT[0], 0.28, 1), ("atjt", 0.25, 2)],
        ["clean"],
    )
    store("e", "atjt", 0.2, 0.10)
    assert variant_ranking(str(tmp_path), "ml-100k", 2020)[1] == ["clean", "20% injected"]
