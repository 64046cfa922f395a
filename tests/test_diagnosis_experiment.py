"""The diagnosis experiment: its choices (validation only), its page, and one real tiny run."""

import json
import re

import pytest
from conftest import DATASET, experiment_args

from experiments import diagnosis as dg
from experiments.__main__ import main
from experiments.design import ALPHA_ROWS, DIAGNOSIS_ROWS
from experiments.runner import Setting
from experiments.store import RUN_FORMAT, slug
from recbole_atjt.errors import ATJTError


def _tables(text: str) -> list[dict[str, list[str]]]:
    """The markdown tables of ``text``: first cell -> the other cells, per table."""
    tables, current = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = {}
            tables.append(current)
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not set(cells[0]) <= {"-"}:
            current.setdefault(cells[0], cells[1:])
    return tables


def _valid(x: float) -> dict:
    return {"valid": {"ndcg@5": x}}  # no "test": reading it would fail


def test_best_alpha_reads_validation_only_and_breaks_ties_to_the_smaller_alpha():
    a1, a5, a20 = ALPHA_ROWS
    assert dg.best_alpha({a1: _valid(0.2), a5: _valid(0.3), a20: _valid(0.1)}) == a5
    assert dg.best_alpha({a1: _valid(0.3), a5: _valid(0.3), a20: _valid(0.3)}) == a1
    assert dg.best_alpha({a20: _valid(0.1), a5: _valid(float("nan"))}) == a20
    assert dg.best_alpha({"base": _valid(0.9), "atjt": _valid(0.9)}) is None


def test_best_rows_mean_over_columns_without_base_and_atjt_ties_in_design_order():
    clean = {row: _valid(0.1) for row in DIAGNOSIS_ROWS}
    noisy = {row: _valid(0.1) for row in DIAGNOSIS_ROWS}
    clean["base"] = noisy["atjt"] = _valid(0.9)  # never candidates
    clean["dnr"], noisy["dnr"] = _valid(0.4), _valid(0.0)  # mean 0.2
    clean["T-CE"], noisy["T-CE"] = _valid(0.0), _valid(0.4)  # mean 0.2: tie, design order
    clean["odnr"] = _valid(0.8)  # best in one column, but missing in the other
    del noisy["odnr"]
    assert dg.best_rows({"clean": clean, "noisy": noisy}) == ["dnr", "T-CE"]
    noisy["atjt split-mode"] = _valid(0.5)  # mean 0.3
    assert dg.best_rows({"clean": clean, "noisy": noisy}) == ["atjt split-mode", "dnr"]
    # all equal: the first two candidate rows of the design
    flat = {row: _valid(0.2) for row in DIAGNOSIS_ROWS}
    assert dg.best_rows({"c": flat, "n": flat}) == list(DIAGNOSIS_ROWS[2:4])


def test_recovered_share_formula():
    # base: 0.30 clean, 0.20 noisy; the row 0.25 noisy wins back half of the 0.10 lost
    assert dg.recovered_share(0.25, 0.20, 0.30) == pytest.approx(0.5)
    assert dg.recovered_share(0.15, 0.20, 0.30) == pytest.approx(-0.5)
    assert dg.recovered_share(0.25, 0.20, 0.20) is None  # noise cost nothing
    assert dg.recovered_share(0.25, 0.30, 0.20) is None


def _fake_run(calls: list):
    """A stand-in for training: validation favours a large alpha and corruption_target
    'both'; test reverses it (a choice made on test would differ)."""

    def run(model, dataset, config_files, settings):
        calls.append((model, dataset, settings))
        score = 0.01 * settings.get("alpha", 0) if settings.get("alpha_scale") else 0.0
        score += 0.05 if settings.get("corruption_target") == "both" else 0
        shift = 0.001 * (settings["seed"] - 2020) - (0.02 if "noise" in dataset else 0)
        return {
            "dataset_stats": {"users": 1, "items": 2, "interactions": 3},
            "valid": {"ndcg@5": 0.1 + score + shift},
            "test": {"ndcg@5": 0.4 - score + 2 * shift, "hit@5": 0.6, "gauc": 0.7},
            "denoising_per_epoch": [{"epoch": 0, "weight_mean": 0.4, "weight_std": 0.1}],
            "run_dir": "x",
        }

    return run


def _setting(out, work, seeds: list[int]) -> Setting:
    return Setting(DATASET, seeds, "smoke", str(out), work_dir=str(work))


def test_stages_choose_on_validation_and_the_page_shows_the_stored_runs(tmp_path):
    out, work, calls = tmp_path / "results", tmp_path / "work", []
    kwargs = {"models": ("DCN", "SASRec"), "run_fn": _fake_run(calls)}
    d = dg.run_diagnosis(_setting(out, work, [2020, 2021]), **kwargs)
    a20 = ALPHA_ROWS[-1]
    assert set(d.alphas.values()) == {a20}
    # alpha=20 and corruption_target=target tie on validation: the design's order decides
    assert d.chosen == {m: ["atjt corruption_target=both", a20] for m in ("DCN", "SASRec")}
    assert len(calls) == 2 * 2 * len(DIAGNOSIS_ROWS) + 2 * 2 * 4  # screening + seed 2021
    stage2 = [s for _, _, s in calls if s.get("corruption_target", "history") != "history"]
    assert all(s["alpha"] == 20 and s["alpha_scale"] == "loss" for s in stage2)
    assert all(s["loss_type"] == "BPR" for m, _, s in calls if m == "SASRec")
    assert not any("loss_type" in s for m, _, s in calls if m == "DCN")
    runs = out / "diagnosis" / "runs" / DATASET
    both = runs / "atjt_corruption_target=both_DCN_20_injected-seed2021.json"
    stored = json.loads(both.read_text())
    assert stored["run_key"]["noise"] == 0.2 and stored["run_key"]["format"] == RUN_FORMAT

    # a second command finds every run stored, and chooses the same
    again = dg.run_diagnosis(_setting(out, work, [2020, 2021]), **kwargs)
    assert len(calls) == 80 and again.chosen == d.chosen

    page_path = out / "diagnosis" / f"{DATASET}.md"
    dg.write_diagnosis_page(str(page_path), d, _setting(out, work, d.seeds))
    page = page_path.read_text()
    assert "Selection uses validation only" in page and "budget: `smoke`" in page
    assert f"`{a20}` (best validation NDCG@5" in page
    for png in ("DCN-ndcg5", "DCN-weights", "SASRec-ndcg5", "SASRec-weights"):
        assert f"]({DATASET}-{png}.png)" in page
        assert (out / "diagnosis" / f"{DATASET}-{png}.png").stat().st_size > 1000

    def ndcg(row: str, column: str, seed: int) -> float:
        stored = json.loads((runs / f"{slug(f'{row}|DCN {column}')}-seed{seed}.json").read_text())
        return stored["test"]["ndcg@5"]

    # screening (seed 2020): the stored numbers and the recovered share
    row, noisy = "atjt corruption_target=both", "20% injected"
    dcn = page.split("## DCN")[1].split("## SASRec")[0]
    metrics, weights, confirmation = _tables(dcn)
    lost = ndcg("base", "clean", 2020) - ndcg("base", noisy, 2020)
    share = (ndcg(row, noisy, 2020) - ndcg("base", noisy, 2020)) / lost
    assert metrics[row][0] == f"{ndcg(row, 'clean', 2020):.4f}"
    assert metrics[row][4] == f"{ndcg(row, noisy, 2020):.4f}"
    assert metrics[row][-1] == f"{share:+.2f}" and metrics["base"][-1] == "-"
    assert weights[row] == ["0.4000", "0.1000", "-", "0.4000", "0.1000", "-", "-", "-"]

    # confirmation: base, atjt, the chosen two, in both columns; Δ paired over both seeds
    assert [r for r in confirmation if r != "row"] == ["base", "atjt", row, a20]
    lines = [x for x in dcn.split("### Confirmation")[1].splitlines() if x.startswith("| ")]
    assert [x.split("|")[1].strip() for x in lines[1:]] == ["base", "atjt", row, a20] * 2
    (line,) = [x for x in lines if x.startswith(f"| {row} | {noisy}")]
    diffs = [ndcg(row, noisy, s) - ndcg("base", noisy, s) for s in (2020, 2021)]
    assert f"| {sum(diffs) / 2:+.4f} ± " in line and "(0/2 seeds up)" in line


def test_rows_flag_refuses_unknown_rows(capsys):
    with pytest.raises(SystemExit):
        main(["diagnosis", "--rows", "nope"])
    assert "invalid choice" in capsys.readouterr().err


def test_diagnosis_command_end_to_end(tmp_path):
    out, work = tmp_path / "results", tmp_path / "work"
    args = ["diagnosis", *experiment_args(out, work), "--seeds", "1", "--models", "DCN"]
    assert main([*args, "--rows", "base", "atjt"]) == 0
    page = (out / "diagnosis" / f"{DATASET}.md").read_text()
    runs = out / "diagnosis" / "runs" / DATASET
    assert len(list(runs.glob("*.json"))) == 4
    stored = {
        (row, col): json.loads((runs / f"{row}_DCN_{col}-seed2020.json").read_text())
        for row in ("base", "atjt")
        for col in ("clean", "20_injected")
    }
    metrics, weights, confirmation = _tables(page.split("## DCN")[1])
    for row in ("base", "atjt"):
        clean, noisy = stored[(row, "clean")], stored[(row, "20_injected")]
        assert metrics[row][0] == f"{clean['test']['ndcg@5']:.4f}"
        assert metrics[row][2] == f"{clean['test']['gauc']:.4f}"
        assert metrics[row][3] == f"{clean['valid']['ndcg@5']:.4f}"
        assert metrics[row][4] == f"{noisy['test']['ndcg@5']:.4f}"
    last = stored[("atjt", "20_injected")]["denoising_per_epoch"][-1]
    assert weights["atjt"][3] == f"{last['weight_mean']:.4f}"
    assert confirmation["base"][0] == "clean"  # one seed: the screening runs again
    assert re.search(r"- machine: .* CPU, \d+ cores", page)
    assert "confirmed besides base and atjt (mean validation NDCG@5 of both columns" in page
    # a rerun trains nothing
    before = {p: p.stat().st_mtime for p in runs.glob("*.json")}
    assert main([*args, "--rows", "base", "atjt"]) == 0
    assert {p: p.stat().st_mtime for p in runs.glob("*.json")} == before


def _store_fake_runs(tmp_path) -> tuple:
    """A complete fake store of DCN over two seeds; (out, work, runs folder, calls)."""
    out, work, calls = tmp_path / "results", tmp_path / "work", []
    kwargs = {"models": ("DCN",), "run_fn": _fake_run(calls)}
    dg.run_diagnosis(_setting(out, work, [2020, 2021]), **kwargs)
    return out, work, out / "diagnosis" / "runs" / DATASET, calls


def _stored_only(out, work, monkeypatch) -> str:
    """The page of ``diagnosis --stored_only``, which must not train (nor claim) anything."""
    import recbole_atjt.quick_start

    def no_training(*args, **kwargs):
        raise AssertionError("--stored_only trained a run")

    monkeypatch.setattr(recbole_atjt.quick_start, "run", no_training)
    args = ["diagnosis", "--datasets", DATASET, "--seeds", "2", "--budget", "smoke"]
    where = ["--out", str(out), "--work_dir", str(work), "--models", "DCN"]
    assert main([*args, *where, "--stored_only"]) == 0
    return (out / "diagnosis" / f"{DATASET}.md").read_text()


def test_stored_only_of_a_partial_store_shows_what_is_stored_and_what_is_pending(
    tmp_path, monkeypatch
):
    out, work, runs, calls = _store_fake_runs(tmp_path)
    planned = len(calls)  # 2 columns x 16 screening rows + 2 columns x 4 confirmed, seed 2021
    noisy, a20 = "20% injected", ALPHA_ROWS[-1]
    targets = ("atjt corruption_target=target", "atjt corruption_target=both")
    # stopped in stage 1: one alpha row of the noisy column, so no target row there, no seed 2
    for row in (a20, *targets):
        (runs / f"{slug(f'{row}|DCN {noisy}')}-seed2020.json").unlink()
    for path in runs.glob("*-seed2021.json"):
        path.unlink()
    before = {p: p.stat().st_mtime for p in runs.iterdir()}

    page = _stored_only(out, work, monkeypatch)
    assert {p: p.stat().st_mtime for p in runs.iterdir()} == before  # nothing written
    assert "**Partial page**, written with `--stored_only`" in page
    assert f": {planned - 3 - 8} of the {planned} planned runs are stored." in page
    stored_runs = [json.loads(p.read_text()) for p in runs.iterdir() if p.suffix == ".json"]
    minutes = sum(r["wall_seconds"] for r in stored_runs) / 60
    assert f"- time: {minutes:.1f} min of training for the {planned - 11} runs trained here" in page

    dcn = page.split("## DCN")[1]
    metrics, weights, confirmation = _tables(dcn)
    stored = json.loads((runs / f"{slug(f'{a20}|DCN clean')}-seed2020.json").read_text())
    assert metrics[a20][:4] == [f"{stored['test']['ndcg@5']:.4f}", "0.6000", "0.7000", ANY4]
    assert metrics[a20][4:8] == ["not run yet"] * 4 and metrics[a20][-1] == "-"
    assert weights[a20][3:] == ["not run yet"] * 5
    for row in targets:  # stage 2 ran in the clean column only
        assert metrics[row][0] != "not run yet" and metrics[row][4] == "not run yet"
    assert f"- stage 2, clean: `corruption_target` rows use `{a20}`" in dcn
    assert f"- stage 2, {noisy}: pending; its alpha is chosen once every alpha_scale=loss " in dcn
    assert f"waiting for `{a20}`\n" in dcn
    pending = f"`{a20}` ({noisy}); `{targets[0]}` ({noisy}); `{targets[1]}` ({noisy})"
    assert "- stage 3 pending: the rows confirmed besides base and atjt are chosen " in dcn
    assert dcn.split("- stage 3 pending")[1].splitlines()[0].endswith(pending)
    assert "confirmed besides base and atjt (mean validation" not in dcn
    # confirmation: base and atjt only, each with one of its two seeds stored
    assert [r for r in confirmation if r != "row"] == ["base", "atjt"]
    assert confirmation["atjt"][1:3] == ["not run yet (1/2 seeds stored)"] * 2
    assert confirmation["atjt"][-2:] == ["not run yet", "-"]  # the clean row: no share
    assert f"| atjt | {noisy} | " + "not run yet (1/2 seeds stored) | " * 4 in dcn
    assert dcn.rstrip().endswith("| not run yet | not run yet |")  # Δ and share wait too
    assert f"]({DATASET}-DCN-ndcg5.png)" in page
    board = (out / "README.md").read_text()  # the leaderboard says the page is partial
    assert f"| Diagnosis | [page](diagnosis/{DATASET}.md) (partial) |" in board


class _Any4:
    def __eq__(self, other) -> bool:
        return bool(re.fullmatch(r"\d\.\d{4}", other))


ANY4 = _Any4()


def test_stored_only_with_nothing_stored_plots_nothing_and_waits_for_stage_1(tmp_path, monkeypatch):
    out, work = tmp_path / "results", tmp_path / "work"
    page = _stored_only(out, work, monkeypatch)
    assert ": 0 of the 40 planned runs are stored." in page
    assert "![" not in page and not list((out / "diagnosis").glob("*.png"))
    assert not (out / "diagnosis" / "runs").exists()
    metrics = _tables(page.split("## DCN")[1])[0]
    assert metrics["base"][:8] == ["not run yet"] * 8
    assert "- stage 2, clean: pending" in page and "- stage 3 pending" in page


def test_stored_only_of_a_complete_store_has_the_tables_of_the_training_path(tmp_path, monkeypatch):
    out, work, runs, calls = _store_fake_runs(tmp_path)
    page_path = out / "diagnosis" / f"{DATASET}.md"
    args = ["diagnosis", "--datasets", DATASET, "--seeds", "2", "--budget", "smoke"]
    assert main([*args, "--out", str(out), "--work_dir", str(work), "--models", "DCN"]) == 0
    trained = page_path.read_text()  # every run stored: the training path trains nothing
    assert "--stored_only" not in trained
    page = _stored_only(out, work, monkeypatch)
    assert f"all {len(calls)} planned runs are stored." in page and "Partial" not in page
    assert _tables(page) == _tables(trained)
    lines = page.splitlines()
    written_with = next(n for n, x in enumerate(lines) if x.startswith("Written with"))
    body = lines[:written_with] + lines[written_with + 2 :]  # less that line and its blank
    assert trained.splitlines() == body  # the same page, time line included


def test_a_run_that_stops_is_stored_as_failed_and_shown_so(tmp_path):
    out, work, calls = tmp_path / "results", tmp_path / "work", []
    fake = _fake_run(calls)

    def diverging(model, dataset, config_files, settings):
        if settings.get("weight_norm") == "batch_mean":
            raise ATJTError("non-finite sequence weights at epoch 0, batch 61; allowed: finite")
        return fake(model, dataset, config_files, settings)

    kwargs = {"models": ("DCN",), "run_fn": diverging}
    d = dg.run_diagnosis(_setting(out, work, [2020]), **kwargs)
    row = "atjt weight_norm=batch_mean"
    failed = [r for (key, _), r in d.results.items() if key.startswith(f"{row}|")]
    assert len(failed) == 2 and all("non-finite" in r["failed"] for r in failed)
    assert row not in d.chosen["DCN"]  # a failed run is never chosen
    page = tmp_path / "page.md"
    dg.write_diagnosis_page(str(page), d, _setting(out, work, d.seeds))
    text = page.read_text(encoding="utf-8")
    assert f"| {row} | failed |" in text
    assert f"- {row}, clean: non-finite sequence weights" in text
    n_calls = len(calls)
    dg.run_diagnosis(_setting(out, work, [2020]), **kwargs)  # stored: not retried
    assert len(calls) == n_calls
