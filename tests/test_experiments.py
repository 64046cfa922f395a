import json
import re
from pathlib import Path

import pytest
from conftest import DATASET, experiment_args, recording_run

from experiments.__main__ import main
from experiments.defaults_digest import defaults_digest
from experiments.design import PAPER_ATJT, Cell
from experiments.runner import Setting, _shared_pretrained, run_cells
from experiments.store import RUN_FORMAT, checked_results, run_key, slug


def _rows(page: str) -> list[str]:
    return [line for line in page.splitlines() if line.startswith("| ") and "---" not in line]


def test_table4_page_has_every_mode_with_paired_differences(tmp_path, monkeypatch, capsys):
    out, work = tmp_path / "results", tmp_path / "work"
    args = ["table4", *experiment_args(out, work)]
    assert main(args) == 0
    page = (out / "table4" / f"{DATASET}.md").read_text()
    rows = _rows(page)[1:]
    assert [r.split("|")[1].strip() for r in rows] == [
        "base", "WAT", "DNR", "ODNR", "ATJT", "T-CE", "R-CE"
    ]  # fmt: skip
    assert re.search(r"\d\.\d{4} ± \d\.\d{4}", rows[0])
    assert rows[0].rstrip().endswith("| - |")  # the baseline has no difference
    assert all("seeds up)" in r for r in rows[1:])
    assert "budget: `smoke`" in page and "2 seeds (2020, 2021)" in page
    runs = list((out / "table4" / "runs" / DATASET).glob("*.json"))
    assert len(runs) == 14
    # each run records the defaults it was trained under (a later edit of them refuses it)
    assert {json.loads(p.read_text())["defaults"] for p in runs} == {
        defaults_digest("smoke", "DCN", DATASET)
    }
    assert re.search(r"- machine: .* CPU, \d+ cores, torch [^;]* \(14 runs\)", page)

    # a rerun reuses every finished run
    before = {p: p.stat().st_mtime for p in runs}
    assert main(args) == 0
    assert all(p.stat().st_mtime == t for p, t in before.items())
    assert "table4" in (out / "README.md").read_text()

    # Table 5's cell (ATJT on DCN) is Table 4's: copied, not trained again
    assert main(["table5", *experiment_args(out, work)]) == 0
    copies = sorted((out / "table5" / "runs" / DATASET).glob("*.json"))
    assert [json.loads(p.read_text())["reused_from"] for p in copies] == [
        f"table4/runs/{DATASET}/ATJT_DCN-seed{s}.json" for s in (2020, 2021)
    ]
    table5_page = (out / "table5" / f"{DATASET}.md").read_text()
    assert "for the 0 runs trained here; 2 runs reused" in table5_page

    # a thread count or a compiled recognizer is not a new run; another budget is refused,
    # not mixed into the page
    stored = {p: p.stat().st_mtime for p in copies}
    execution = ["--torch_threads=1", "--compile_recognizer=True"]
    assert main(["table5", *experiment_args(out, work), *execution]) == 0
    assert all(p.stat().st_mtime == t for p, t in stored.items())
    # ... nor another page: the page states the threads the runs recorded, not the command's
    assert (out / "table5" / f"{DATASET}.md").read_text() == table5_page
    assert re.search(r"- machine: .*, \d+ torch threads? \(2 runs\)", table5_page)
    with pytest.raises(SystemExit, match=r"other settings \(budget 'smoke'.*--out"):
        main(["table5", *experiment_args(out, work), "--budget", "cpu"])
    assert (out / "table5" / f"{DATASET}.md").read_text() == table5_page

    # --plan sees that Table 2's DCN runs are Table 4's, and writes nothing
    capsys.readouterr()
    assert main(["table2", "--models", "DCN", "--plan", *experiment_args(out, work)]) == 0
    planned = capsys.readouterr().out
    assert (
        f"table2 on {DATASET}: 4 runs: 0 stored, 4 to copy from other experiments, 0 to " in planned
    )
    assert not (out / "table2").exists()
    # Table 2 for DCN only: both runs are Table 4's; page and leaderboard name the missing models
    assert main(["table2", "--models", "DCN", *experiment_args(out, work)]) == 0
    missing = "WideDeep, DIN, SASRec, S3Rec, FEARec"
    table2_page = (out / "table2" / f"{DATASET}.md").read_text()
    assert f"- models not run here: {missing} (of the paper's six)" in table2_page
    assert "- tuned columns (+ATJT tuned, +reset=round tuned): pending" in table2_page

    def ndcg(column: str, seed: int) -> float:
        run = out / "table2" / "runs" / DATASET / f"DCN_{column}-seed{seed}.json"
        return json.loads(run.read_text())["test"]["ndcg@5"]

    ri = [100 * (ndcg("+ATJT", s) - ndcg("base", s)) / ndcg("base", s) for s in (2020, 2021)]
    (ri_row,) = [r for r in _rows(table2_page) if "| +RI |" in r]
    std = abs(ri[0] - ri[1]) / 2**0.5  # of two values, ddof=1
    assert ri_row.split("|")[5].strip() == f"{(ri[0] + ri[1]) / 2:+.2f}% ± {std:.2f}%"
    assert (
        f"| Table 2 | [page](table2/{DATASET}.md) ({missing} not run) |"
        in (out / "README.md").read_text()
    )
    # from the stored runs alone (no run folders, no training) the command writes the same page
    import recbole_atjt.quick_start

    def no_training(*args, **kwargs):
        raise AssertionError("a stored run was trained again")

    monkeypatch.setattr(recbole_atjt.quick_start, "run", no_training)
    table2_args = experiment_args(out, tmp_path / "empty-work")
    assert main(["table2", "--models", "DCN", *table2_args]) == 0
    assert (out / "table2" / f"{DATASET}.md").read_text() == table2_page


def test_robustness_and_sweep_pages(tmp_path):
    out, work = tmp_path / "results", tmp_path / "work"
    common = [*experiment_args(out, work), "--seeds", "1"]
    assert main(["robustness", "--models", "DCN", *common]) == 0
    page = (out / "robustness" / f"{DATASET}.md").read_text()
    assert "DCN 10% injected" in page and "DCN 20% injected" in page
    assert "length-matched AUC" in page
    assert "- models not run here: DIN, SASRec (of the experiment's three)" in page
    assert (work / f"{DATASET}-noise10-seed2020" / f"{DATASET}-noise10-seed2020.noise").is_file()
    runs = out / "robustness" / "runs" / DATASET

    def ndcg(row: str, column: str) -> float:
        name = f"{slug(f'DCN {row}|{column}')}-seed2020.json"
        return json.loads((runs / name).read_text())["test"]["ndcg@5"]

    # every denoiser's recovered share of the noise-induced loss, by hand
    lost = ndcg("clean", "base") - ndcg("20% injected", "base")
    share = (ndcg("20% injected", "R-CE") - ndcg("20% injected", "base")) / lost
    (recovery,) = [
        r for r in _rows(page) if r.startswith("| DCN 20% injected |") and "| R-CE |" in r[30:]
    ]
    assert recovery.split("|")[4].strip() == f"{share:+.2f}"
    # the leaderboard's first screen: paired differences of every denoiser, by hand
    board = (out / "README.md").read_text()
    opening = board.index("## What to use")
    assert opening < board.index("## Which denoiser helps where") < board.index("Protocol: ")
    assert "a pointer and not evidence" in board[opening:]  # one seed: no recommendation
    dnr = ndcg("clean", "DNR") - ndcg("clean", "base")
    up = int(dnr > 0)
    assert f"| DNR | {dnr:+.4f} ± 0.0000 ({up}/1) |" in board
    # its two base runs (clean, 20% injected) trained their one allowed epoch: both at the cap
    assert (
        "- the base runs behind these cells: 2 of 2 were still improving when the cap of 1 "
        in board
    )
    assert (out / "first-screen.png").stat().st_size > 1000
    # runs of an experiment still training (no page yet) stay off the first screen
    table2_runs = out / "table2" / "runs" / DATASET
    table2_runs.mkdir(parents=True)
    for column in ("base", "+ATJT"):
        run = runs / f"{slug(f'DCN clean|{column}')}-seed2020.json"
        (table2_runs / f"WideDeep_{column}-seed2020.json").write_text(run.read_text())
    assert main(["leaderboard", "--out", str(out)]) == 0
    assert f"WideDeep, {DATASET}" not in (out / "README.md").read_text()
    (out / "table2" / f"{DATASET}.json").write_text(json.dumps({"complete": True}))
    assert main(["leaderboard", "--out", str(out)]) == 0
    assert f"| method | WideDeep, {DATASET} |" in (out / "README.md").read_text()
    for path in [*table2_runs.iterdir(), out / "table2" / f"{DATASET}.json"]:
        path.unlink()

    assert main(["fig4", *common]) == 0
    assert (out / "fig4" / f"{DATASET}.png").stat().st_size > 1000
    # noise_ratio=0.5 is the default: the clean ATJT run of the robustness experiment
    reused = json.loads(
        (out / "fig4" / "runs" / DATASET / "noise_ratio=0.5_DCN+ATJT-seed2020.json").read_text()
    )
    assert reused["reused_from"] == f"robustness/runs/{DATASET}/DCN_clean_+ATJT-seed2020.json"
    trained = json.loads(
        (out / "fig4" / "runs" / DATASET / "noise_ratio=0.3_DCN+ATJT-seed2020.json").read_text()
    )
    assert "reused_from" not in trained
    assert len(_rows((out / "fig4" / f"{DATASET}.md").read_text())) == 1 + 6
    board = (out / "README.md").read_text()
    assert board.index("Fig. 4") < board.index("Robustness")
    assert f"| Fig. 4 | [page](fig4/{DATASET}.md) |" in board
    assert "| Table 2 | not run |" in board
    assert f"| Robustness | [page](robustness/{DATASET}.md) (DIN, SASRec not run) |" in board
    # stated once for all pages: dataset sizes, the budget file, the protocol; each page is
    # linked with the figures of its summary, never copied
    assert re.search(rf"\| {DATASET} \| \d+ \| \d+ \| \d+ \|", board)
    assert board.count("```yaml") == 1 and "Budget `properties/budgets/smoke.yaml`" in board
    assert board.count("Protocol: ") == 1 and "- machine: " not in board
    summary = json.loads((out / "fig4" / f"{DATASET}.json").read_text())
    assert summary["complete"] and summary["stored_runs"] == summary["planned_runs"] == 6
    atjt = next(row for row in summary["figures"]["rows"] if row[0] == "noise_ratio=0.3")
    assert atjt[2] == pytest.approx(trained["test"]["ndcg@5"])
    assert f"| noise_ratio=0.3 | DCN+ATJT | {atjt[2]:.4f} | 0.0000 |" in board
    # a folder kept beside the pages is linked from a plain list; a DIN run stored
    # before the page shows DIN leaves the page's cell as its summary says
    (out / "din-old-sizes").mkdir()
    (out / "din-old-sizes" / "README.md").write_text("# DIN at its old sizes\n\nwhy\n")
    runs = out / "robustness" / "runs" / DATASET
    din = json.loads((runs / "DCN_clean_base-seed2020.json").read_text()) | {"model": "DIN"}
    (runs / "DIN_clean_base-seed2020.json").write_text(json.dumps(din))
    assert main(["leaderboard", "--out", str(out)]) == 0
    board = (out / "README.md").read_text()
    assert (
        "Kept beside these pages, each folder's README says what it holds: "
        "[din-old-sizes/](din-old-sizes/README.md)."
    ) in board
    assert f"| Robustness | [page](robustness/{DATASET}.md) (DIN, SASRec not run) |" in board


def test_s3rec_runs_of_one_seed_share_their_pretraining(tmp_path):
    out, work = tmp_path / "results", tmp_path / "work"
    common = [*experiment_args(out, work), "--seeds", "1"]
    assert main(["table2", "--models", "S3Rec", *common]) == 0
    runs = out / "table2" / "runs" / DATASET
    base = json.loads((runs / "S3Rec_base-seed2020.json").read_text())
    atjt = json.loads((runs / "S3Rec_+ATJT-seed2020.json").read_text())
    pretrained = f"{base['run_dir']}/S3Rec-pretrained.pth"
    assert "pretrained_from" not in base and Path(pretrained).is_file()
    assert atjt["pretrained_from"] == pretrained
    assert not list(Path(atjt["run_dir"]).glob("*pretrained*"))
    assert atjt["run_key"]["settings"] == {**base["run_key"]["settings"], **PAPER_ATJT}
    page = (out / "table2" / f"{DATASET}.md").read_text()
    assert "- pretraining: 1 of the runs fine-tuned the pretrained model" in page


def test_runs_of_older_code_are_never_reused_nor_mixed_into_a_page(tmp_path):
    out = tmp_path / "results"
    cell = Cell("ATJT", "DCN", "DCN", {"denoise": "atjt"})
    key = run_key(cell, DATASET, "smoke", 2020, None)
    assert key["format"] == RUN_FORMAT
    old = {k: v for k, v in key.items() if k != "format"}  # a run stored before the format
    store = out / "table5" / "runs" / DATASET
    store.mkdir(parents=True)
    (store / "ATJT_DCN-seed2020.json").write_text(json.dumps({"run_key": old, "test": {}}))
    calls = []
    fake = recording_run(calls)

    # another experiment's cell with that identity trains again instead of copying the old run
    setting = Setting(DATASET, [2020], "smoke", str(out), work_dir=str(tmp_path / "w"))
    results = run_cells("table4", [cell], setting, run_fn=fake)
    assert len(calls) == 1 and "reused_from" not in results[(cell.key, 2020)]
    assert results[(cell.key, 2020)]["run_key"]["format"] == RUN_FORMAT
    # the page holding the old run refuses to mix a new one in
    with pytest.raises(SystemExit, match=r"other settings \(budget 'smoke'.*run format None, now"):
        run_cells("table5", [cell], setting, run_fn=fake)
    assert len(calls) == 1
    # ... as a page written from stored runs alone refuses it
    with pytest.raises(SystemExit, match=r"other settings \(budget 'smoke'.*run format None, now"):
        checked_results(str(out), "table5", [cell], DATASET, [2020], "smoke", None)
    fresh = checked_results(str(out), "table4", [cell], DATASET, [2020], "smoke", None)
    assert fresh[(cell.key, 2020)]["run_key"] == key


def test_runs_of_other_defaults_train_again_and_a_moved_run_is_skipped(tmp_path):
    out = tmp_path / "results"
    cell = Cell("ATJT", "DCN", "DCN", {"denoise": "atjt"})
    key = run_key(cell, DATASET, "smoke", 2020, None)
    store = out / "table5" / "runs" / DATASET
    store.mkdir(parents=True)
    stale = {"run_key": key, "defaults": "0" * 12, "test": {}}  # trained before an edit
    (store / "ATJT_DCN-seed2020.json").write_text(json.dumps(stale))
    calls = []
    fake = recording_run(calls)

    setting = Setting(DATASET, [2020], "smoke", str(out), work_dir=str(tmp_path / "w"))
    results = run_cells("table4", [cell], setting, run_fn=fake)
    assert len(calls) == 1 and results[(cell.key, 2020)]["defaults"] == defaults_digest(
        "smoke", "DCN", DATASET
    )
    with pytest.raises(SystemExit, match=r"other properties files \(defaults digest 0{12}"):
        run_cells("table5", [cell], setting, run_fn=fake)
    # a finished run moved away after the command listed it is passed over, not opened
    s3rec = run_key(Cell("S3Rec", "base", "S3Rec", {"denoise": "none"}), DATASET, "smoke", 1, {})
    assert _shared_pretrained(s3rec, {"listed": str(tmp_path / "moved.json")}) is None


def test_an_injected_copy_of_ml_100k_needs_no_data_path(tmp_path):
    from experiments.design import Cell
    from experiments.runner import dataset_for

    cell = Cell("base", "DCN", "DCN", {"denoise": "none"}, noise=0.2)
    name, path = dataset_for(cell, "ml-100k", None, str(tmp_path), seed=1)
    assert (name, path) == ("ml-100k-noise20-seed1", str(tmp_path))
    inter = tmp_path / name / f"{name}.inter"
    assert sum(1 for _ in inter.open(encoding="utf-8")) == 100_001  # header + every row
    assert (tmp_path / name / f"{name}.noise").is_file()


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["table4", "--seeds", "0"], "error: --seeds: got 0; allowed: an integer >= 1"),
        (["table2", "--models", "Foo"], "error: --models: got 'Foo'; allowed: models of table2"),
        (["robustness", "--models", "WideDeep"], "error: --models: got 'WideDeep'; allowed: "),
        (["table4", "--models", "DCN"], "error: --models: table4 runs its own models; allowed"),
        (["table4", "--columns", "base"], "error: --columns: table4 trains every column"),
        (["cleaning", "--columns", "basis"], "error: --columns: got 'basis'; allowed: "),
        (["tuning", "--trials", "0"], "error: --trials: got 0; allowed: an integer >= 1"),
        (["table4", "--datasets", "nowhere"], "error: --datasets: --data_path: got none"),
        (["fig4", "--datasets", "nowhere", "--data_path", "."], "error: --datasets: got 'nowhere'"),
    ],
)
def test_arguments_an_experiment_cannot_honour_stop_it_before_anything_is_written(
    tmp_path, argv, expected
):
    out, work = tmp_path / "out", tmp_path / "work"
    args = [*argv, "--out", str(out), "--work_dir", str(work), "--budget", "smoke"]
    with pytest.raises(SystemExit) as refused:
        main(args)
    assert str(refused.value).startswith(expected) and "\n" not in str(refused.value)
    assert "allowed: " in str(refused.value)
    assert list(tmp_path.iterdir()) == []


def test_a_plan_writes_nothing(tmp_path, capsys):
    out, work = tmp_path / "out", tmp_path / "work"
    where = ["--out", str(out), "--work_dir", str(work), "--budget", "smoke", "--seeds", "1"]
    assert main(["cleaning", "--models", "DCN", "--plan", *where]) == 0
    assert "DCN" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_columns_pick_what_a_cleaning_command_trains(tmp_path, capsys):
    where = ["--out", str(tmp_path / "out"), "--budget", "smoke", "--seeds", "1"]
    assert main(["cleaning", "--models", "DCN", "--plan", *where]) == 0

    def rows(out: str) -> list[list[str]]:
        return [line[2:].split(" | ")[:2] for line in out.splitlines() if line.startswith("| DCN")]

    every = rows(capsys.readouterr().out)
    assert main(["cleaning", "--models", "DCN", "--columns", "base", "--plan", *where]) == 0
    picked = rows(capsys.readouterr().out)
    assert {column for _, column in every} >= {"base", "oracle weights", "R-CE"}
    assert picked == [[row, column] for row, column in every if column == "base"]
    assert len(picked) == 4  # clean, both inserts, replace


def test_the_leaderboard_reads_page_summaries_never_their_markdown(tmp_path):
    from experiments.summary import figures, page_summary, write_summary

    out = tmp_path / "results"
    (out / "table4").mkdir(parents=True)
    page = out / "table4" / "d.md"
    table = figures(["row", "column", "NDCG@5", "Δ NDCG@5"], [["DCN", "WAT", 0.25, -0.5]])
    write_summary(str(page), page_summary("table4", "d", 2, 1, table))
    page.write_text("- models not run here: X (of the paper's six)\n\n**Partial page**\n")
    (out / "kept").mkdir()
    (out / "kept" / "README.md").write_text("# recbole_atjt results\n")
    assert main(["leaderboard", "--out", str(out)]) == 0
    board = (out / "README.md").read_text()
    assert "| Table 4 | [page](table4/d.md) (partial) |" in board
    assert "Stored: 1 of 2 planned runs." in board
    assert "| DCN | WAT | 0.2500 | -0.5000 |" in board and "|---|---|---:|---:|" in board
    assert "X not run" not in board
    assert "each folder's README says what it holds: [kept/](kept/README.md)." in board
