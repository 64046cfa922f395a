"""Real Ray Tune searches on the bundled dataset, tiny settings, one epoch per trial."""

import csv
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import DATASET, MAIN_SCRIPT, TINY

from recbole_atjt import run
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import PROPERTIES_DIR
from recbole_atjt.tune import load_search_space, search

SETTINGS = {k: v for k, v in TINY.items() if k != "run_dir"}


@pytest.fixture(scope="module", autouse=True)
def _ray_shutdown():
    yield
    import ray

    ray.shutdown()


def _rows(tune_dir):
    with open(os.path.join(tune_dir, "trials.csv"), newline="") as f:
        return list(csv.DictReader(f))


def _search_sasrec(space, tune_dir, **options):
    """One sample of ``space`` for SASRec, tiny settings."""
    return search(
        "SASRec", DATASET, str(space), str(tune_dir), num_samples=1, config_dict=SETTINGS, **options
    )


def test_search_writes_trials_and_a_best_config_that_reproduces(tmp_path):
    space_file = PROPERTIES_DIR / "search" / "atjt.yaml"
    best = search(
        "SASRec", DATASET, str(space_file), str(tmp_path), num_samples=2, config_dict=SETTINGS
    )

    rows = _rows(tmp_path)
    assert len(rows) == 2
    # Ray stops a trial at its last reported epoch, before its run writes results.json: the
    # table comes from what the trials reported, checked against what each one trained with
    for row in rows:
        assert row["status"] == "TERMINATED" and row["epochs"] == "1"
        (run_dir,) = [p.parent for p in (tmp_path / "search" / row["trial"]).glob("*/config.yaml")]
        trained = yaml.safe_load((run_dir / "config.yaml").read_text())
        for key in ("noise_ratio", "replace_count", "alpha", "noise_learning_rate"):
            assert float(row[key]) == pytest.approx(float(trained[key])), key
    scores = [float(r["best_valid_score"]) for r in rows]
    assert best["valid"]["ndcg@5"] == pytest.approx(max(scores))
    assert set(best["test"]) == {"hit@5", "hit@10", "ndcg@5", "ndcg@10", "gauc"}
    # the best trial's best-epoch checkpoint (not <Model>-latest.pth), as it reported it
    winner = max(rows, key=lambda r: float(r["best_valid_score"]))["trial"]
    (best_epoch_file,) = [
        p
        for p in (tmp_path / "search" / winner).glob("*/*.pth")
        if not p.name.endswith("-latest.pth")
    ]
    assert best["checkpoint"] == str(best_epoch_file)

    best_file = tmp_path / "best.yaml"
    saved = yaml.safe_load(best_file.read_text())
    assert saved["model"] == "SASRec" and saved["dataset"] == DATASET
    assert saved["torch_threads"] == 1 and saved["seed"] == TINY["seed"]
    again = run(config_file_list=[str(best_file)], config_dict={"run_dir": str(tmp_path / "again")})
    assert again["valid"]["ndcg@5"] == pytest.approx(max(scores), abs=1e-4)


def test_a_failing_trial_is_retried_and_does_not_sink_the_search(tmp_path):
    space = tmp_path / "space.yaml"
    # 10**6 groups is a valid key value but more than the users: fails after loading
    space.write_text("atjt_groups: {grid: [2, 1000000]}\n")
    best = _search_sasrec(space, tmp_path / "s", max_failures=1)

    rows = sorted(_rows(tmp_path / "s"), key=lambda r: int(r["atjt_groups"]))
    assert [r["status"] for r in rows] == ["TERMINATED", "ERROR"]
    assert best["params"] == {"atjt_groups": 2}
    error_trial = tmp_path / "s" / "search" / rows[1]["trial"]
    errors = (error_trial / "error.txt").read_text()
    assert errors.count("atjt_groups") >= 2  # the first attempt and its retry


def test_bad_search_space_is_refused_before_ray_starts(tmp_path):
    space = tmp_path / "bad.yaml"
    space.write_text("alpha: {normal: [0, 1]}\n")
    with pytest.raises(ATJTError, match="'alpha'"):
        load_search_space(str(space))
    # a bad value anywhere a sample can land is refused, not only in the one first sampled
    for bad in (
        "noise_ratio: {choice: [0.5, 1.5]}",
        "noise_ratio: {choice: [1.5, 0.5]}",
        "noise_ratio: {grid: [0.5, 1.5]}",
        "noise_ratio: {uniform: [0.5, 1.5]}",
        "replace_count: {randint: [0, 3]}",
    ):
        space.write_text(bad + "\n")
        with pytest.raises(ATJTError, match="'noise_ratio'|'replace_count'"):
            _search_sasrec(space, tmp_path / "s")
    assert not (tmp_path / "s").exists()  # refused before Ray wrote anything


def test_an_interrupted_search_resumes_and_finishes(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("alpha: {grid: [0.5, 2.0]}\n")
    args = [
        sys.executable,
        MAIN_SCRIPT,
        f"--dataset={DATASET}",
        f"--tune={space}",
        "--num_samples=1",
        f"--tune_dir={tmp_path}",
        "--cpus_per_trial=2",
        "--preset=none",
    ]
    args += [f"--{k}={v!r}" if isinstance(v, str) else f"--{k}={v}" for k, v in SETTINGS.items()]
    search_dir = tmp_path / "search"

    log = tmp_path / "first.log"  # a file, not a pipe: a full pipe would block Ray's logging
    with log.open("wb") as stderr:
        first = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.time() + 900  # generous: a loaded 2-core machine starts Ray slowly

    def first_trial_reported():
        return any(p.stat().st_size > 0 for p in search_dir.glob("trial_*_00000/result.json"))

    while not first_trial_reported():
        assert first.poll() is None, log.read_text()[-2000:]
        assert time.time() < deadline, "the first trial reported nothing in 900 s"
        time.sleep(0.5)
    first.send_signal(signal.SIGINT)  # the second trial is now running or queued
    first.wait(timeout=600)  # Ray saves the search's state before it exits
    assert first.returncode == 1  # stopped before the second trial finished ...
    assert "resume it with --resume=" in log.read_text()  # ... and says how to go on

    resumed = subprocess.run([*args, "--resume"], cwd=tmp_path, capture_output=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    # the summary comes last, after every trial's output, and Ray's workers warn of nothing
    summary = [line.split(":")[0] for line in resumed.stdout.decode().splitlines()[-4:]]
    assert summary == ["best parameters", "best validation", "test of the best trial", "trials"]
    assert "pkg_resources" not in resumed.stdout.decode() + resumed.stderr.decode()
    rows = _rows(tmp_path)
    assert sorted(float(r["alpha"]) for r in rows) == [0.5, 2.0]
    assert all(r["status"] == "TERMINATED" for r in rows)
