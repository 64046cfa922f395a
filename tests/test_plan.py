"""--plan: what an experiment still has to train and the estimate, and which stored runs the
command refuses, on hand-made stored runs."""

import json

from conftest import DATASET, recording_run

from experiments.defaults_digest import defaults_digest
from experiments.design import Cell
from experiments.plan import plan_lines
from experiments.runner import Setting
from experiments.store import run_key, slug, stored_conflict


def _store(folder, name: str, cell: Cell, seed: int, seconds: float, today=True, **key) -> None:
    """A stored run; ``today``: it records today's defaults digest (False: none recorded)."""
    folder.mkdir(parents=True, exist_ok=True)
    run = {
        "model": cell.model,
        "denoise": cell.overrides["denoise"],
        "wall_seconds": seconds,
        "run_key": {**run_key(cell, DATASET, "smoke", seed, {}), **key},
    }
    if today:
        run["defaults"] = defaults_digest("smoke", cell.model, DATASET)
    (folder / name).write_text(json.dumps(run))


def test_plan_counts_stored_copied_and_to_train_with_median_estimates(tmp_path):
    base = Cell("DCN", "base", "DCN", {"denoise": "none"})
    atjt = Cell("DCN", "+ATJT", "DCN", {"denoise": "atjt"}, baseline=("DCN", "base"))
    dnr = Cell("DCN", "DNR", "DCN", {"denoise": "dnr"}, baseline=("DCN", "base"))
    other = tmp_path / "table4" / "runs" / DATASET
    _store(other, "a.json", base, 2020, 100.0)  # the same run as base, seed 2020: a copy
    _store(other, "b.json", base, 2030, 300.0)
    _store(other, "c.json", atjt, 2031, 60.0)
    own = tmp_path / "table2" / "runs" / DATASET
    _store(own, f"{slug(atjt.key)}-seed2020.json", atjt, 2020, 60.0)
    # a copy or a resumed run is no estimate
    _store(other, "d.json", Cell("DCN", "x", "DCN", {"denoise": "none"}), 2040, 1e6)
    resumed = json.loads((other / "d.json").read_text())
    (other / "d.json").write_text(json.dumps({**resumed, "resumed": "somewhere"}))

    setting = Setting(DATASET, [2020, 2021], "smoke", str(tmp_path))
    lines = plan_lines("table2", [base, atjt, dnr], setting)
    # to train: base 2021 (median 100, 300 = 200 s), +ATJT 2021 (60 s), DNR 2020 and 2021
    # (no DNR run: the median of DCN's 100, 300, 60, 60 = 80 s): 200 + 60 + 160 = 420 s
    assert lines[0] == (
        f"table2 on {DATASET}: 6 runs: 1 stored, 1 to copy from other experiments, "
        f"4 to train, about {420 / 3600:.1f} h of training"
    )
    assert lines[1].startswith("tuned columns (+ATJT tuned, +reset=round tuned): pending")
    assert lines[-3:] == [
        "| DCN | base | 2021 | 3.3 min |",
        "| DCN | +ATJT | 2021 | 1.0 min |",
        "| DCN | DNR | 2020, 2021 | 1.3 min (the model's runs of any denoiser) |",
    ]


def test_plan_counts_runs_of_older_code_as_refused_and_as_what_they_become(tmp_path):
    base = Cell("DCN", "base", "DCN", {"denoise": "none"})
    atjt = Cell("DCN", "+ATJT", "DCN", {"denoise": "atjt"}, baseline=("DCN", "base"))
    own = tmp_path / "table3" / "runs" / DATASET
    for cell in (base, atjt):
        _store(own, f"{slug(cell.key)}-seed2020.json", cell, 2020, 120.0, format=None)
    _store(own, f"{slug(base.key)}-seed2021.json", base, 2021, 60.0)
    # another experiment's base run of seed 2020, of the current code: a copy once moved away
    _store(tmp_path / "table4" / "runs" / DATASET, "a.json", base, 2020, 60.0)
    setting = Setting(DATASET, [2020, 2021], "smoke", str(tmp_path))
    lines = plan_lines("table3", [base, atjt], setting)
    assert lines[0].startswith(
        f"table3 on {DATASET}: 4 runs: 1 stored, 1 to copy from other experiments, 2 to train"
    )
    assert lines[1] == (
        f"2 runs are stored in {own} with other settings or by older code: the command "
        "refuses to run until they are moved away (or given its own --out)"
    )
    # the older code's +ATJT run is the estimate (120 s), as earlier pages' runs are
    assert lines[-1] == "| DCN | +ATJT | 2020, 2021 | 2.0 min |"


def test_runs_of_other_defaults_are_refused_and_never_copied(tmp_path):
    base = Cell("DCN", "base", "DCN", {"denoise": "none"})
    own = tmp_path / "table3" / "runs" / DATASET
    other = tmp_path / "table4" / "runs" / DATASET
    today = defaults_digest("smoke", "DCN", DATASET)
    _store(own, f"{slug(base.key)}-seed2020.json", base, 2020, 60.0, today=False)  # taken
    for folder, seed, digest in ((own, 2021, "0" * 12), (other, 2022, "0" * 12)):
        _store(folder, f"{slug(base.key)}-seed{seed}.json", base, seed, 60.0)
        run = json.loads((folder / f"{slug(base.key)}-seed{seed}.json").read_text())
        (folder / f"{slug(base.key)}-seed{seed}.json").write_text(
            json.dumps({**run, "defaults": digest})
        )
    setting = Setting(DATASET, [2020, 2021, 2022], "smoke", str(tmp_path))
    lines = plan_lines("table3", [base], setting)
    assert lines[0].startswith(
        f"table3 on {DATASET}: 3 runs: 1 stored, 0 to copy from other experiments, 2 to train"
    )
    assert lines[1].startswith(f"1 runs are stored in {own} with other settings")
    path = str(own / f"{slug(base.key)}-seed2021.json")
    key = run_key(base, DATASET, "smoke", 2021, {})
    assert stored_conflict(path, key) == (
        f"trained under other properties files (defaults digest {'0' * 12}, now {today})"
    )


def test_defaults_digest_follows_values_not_comments(tmp_path, monkeypatch):
    import shutil

    from experiments import defaults_digest as module
    from recbole_atjt import paths

    copy = tmp_path / "properties"
    shutil.copytree(paths.PROPERTIES_DIR, copy)
    monkeypatch.setattr(paths, "PROPERTIES_DIR", copy)
    module.defaults_digest.cache_clear()

    def digest(model, dataset=DATASET):
        module.defaults_digest.cache_clear()
        return module.defaults_digest("cpu", model, dataset)

    try:
        first = digest("DCN")
        budget = copy / "budgets" / "cpu.yaml"
        budget.write_text(budget.read_text() + "# a comment changes nothing\n")
        assert digest("DCN") == first
        budget.write_text(budget.read_text().replace("epochs: 10", "epochs: 11"))
        assert digest("DCN") != first
        # a model's own file changes that model's digest alone
        sasrec, edited = digest("SASRec"), digest("DCN")
        dcn = copy / "model" / "DCN.yaml"
        dcn.write_text(dcn.read_text().replace("[128, 128]", "[64, 64]"))
        assert digest("SASRec") == sasrec
        assert digest("DCN") != edited
        # and a dataset's own file that dataset's alone
        other, edited = digest("DCN", "ml-100k"), digest("DCN")
        ours = copy / "dataset" / f"{DATASET}.yaml"
        ours.write_text(ours.read_text().replace("category", "genre"))
        assert digest("DCN", "ml-100k") == other
        assert digest("DCN") != edited
    finally:
        module.defaults_digest.cache_clear()


def test_runs_of_todays_defaults_are_the_estimate_before_older_runs(tmp_path):
    # a model whose sizes changed in its properties file: its runs at the old sizes took 10x,
    # one stored under other defaults, one stored before runs recorded theirs
    base = Cell("DCN", "base", "DCN", {"denoise": "none"})
    atjt = Cell("DCN", "+ATJT", "DCN", {"denoise": "atjt"}, baseline=("DCN", "base"))
    older = tmp_path / "older-sizes" / "runs" / DATASET
    _store(older, "a.json", atjt, 2030, 500.0, today=False)
    _store(older, "b.json", atjt, 2031, 700.0)
    run = json.loads((older / "b.json").read_text())
    (older / "b.json").write_text(json.dumps({**run, "defaults": "0" * 12}))
    setting = Setting(DATASET, [2020], "smoke", str(tmp_path))
    # only older runs: they are the estimate, and the table says so
    lines = plan_lines("table2", [atjt], setting)
    assert lines[-1] == "| DCN | +ATJT | 2020 | 10.0 min (runs without today's defaults) |"
    assert lines[0].endswith(f"about {600 / 3600:.1f} h of training")
    # a run of today's defaults, of another denoiser, is the nearer guide
    _store(tmp_path / "table4" / "runs" / DATASET, "base.json", base, 2032, 60.0)
    lines = plan_lines("table2", [atjt], setting)
    assert lines[-1] == "| DCN | +ATJT | 2020 | 1.0 min (the model's runs of any denoiser) |"


def test_keys_added_at_their_neutral_default_leave_the_digest_as_it_was(tmp_path, monkeypatch):
    import re
    import shutil

    from experiments import defaults_digest as module
    from recbole_atjt import paths

    copy = tmp_path / "properties"
    shutil.copytree(paths.PROPERTIES_DIR, copy)
    monkeypatch.setattr(paths, "PROPERTIES_DIR", copy)

    def digest():
        module.defaults_digest.cache_clear()
        return module.defaults_digest("cpu", "DCN", DATASET)

    try:
        today = digest()
        overall = copy / "overall.yaml"
        text = overall.read_text()
        # the properties before the later keys existed: the same digest
        earlier = re.sub(
            r"^(interaction_cleaning|cleaning_\w+|corruption_sampling):.*\n", "", text, flags=re.M
        )
        assert earlier != text
        overall.write_text(earlier)
        assert digest() == today
        # a later key's default that behaves otherwise is another default
        overall.write_text(
            text.replace("interaction_cleaning: none", "interaction_cleaning: oracle")
        )
        assert digest() != today
    finally:
        module.defaults_digest.cache_clear()


def test_budgets_passed_by_hand_show_progress_and_experiments_run_quiet(tmp_path, monkeypatch):
    import shutil

    from experiments import defaults_digest as module
    from experiments.runner import budget_file, run_cells
    from recbole_atjt import paths
    from recbole_atjt.config import ATJTConfig

    # a user who passes a budget by hand keeps RecBole's progress bars and logs
    for budget in ("smoke", "cpu", "full"):
        config = ATJTConfig("DCN", DATASET, [budget_file(budget)]).final_config_dict
        assert config["show_progress"] is True and config["state"] == "INFO", budget
    # the experiments set quietness themselves ...
    calls = []
    fake = recording_run(calls)

    cell = Cell("DCN", "base", "DCN", {"denoise": "none"})
    setting = Setting(DATASET, [2020], "smoke", str(tmp_path / "r"), work_dir=str(tmp_path))
    run_cells("table4", [cell], setting, run_fn=fake)
    assert calls[0]["show_progress"] is False and calls[0]["state"] == "WARNING"
    # ... and count them in the budget, as when its file held them: stored runs stay valid
    copy = tmp_path / "properties"
    shutil.copytree(paths.PROPERTIES_DIR, copy)
    monkeypatch.setattr(paths, "PROPERTIES_DIR", copy)
    try:
        module.defaults_digest.cache_clear()
        today = module.defaults_digest("cpu", "DCN", DATASET)
        budget = copy / "budgets" / "cpu.yaml"
        budget.write_text(budget.read_text() + "show_progress: False\nstate: WARNING\n")
        module.defaults_digest.cache_clear()
        assert module.defaults_digest("cpu", "DCN", DATASET) == today
        budget.write_text(budget.read_text().replace("state: WARNING", "state: INFO"))
        module.defaults_digest.cache_clear()
        assert module.defaults_digest("cpu", "DCN", DATASET) != today
    finally:
        module.defaults_digest.cache_clear()
