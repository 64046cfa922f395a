"""python -m recbole_atjt.explain_recognizers (formerly recbole_atjt.diagnose) on a tiny
finished run of the bundled dataset."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import DATASET, TINY
from recbole.utils import init_seed
from torch import nn

from recbole_atjt import diagnose, run
from recbole_atjt.compat import load_checkpoint
from recbole_atjt.data.partition import partition_by_user
from recbole_atjt.data.preparation import prepare_data
from recbole_atjt.explain_recognizers import main
from recbole_atjt.model.recognizer import NoiseRecognizer
from recbole_atjt.recognizer_measures import Bin, binned_means, sequence_losses
from recbole_atjt.recognizer_page import (
    DETECTION_PNG,
    FEATURES_PNG,
    MODES_PNG,
    PAGE,
    flatten_numbers,
)


@pytest.fixture(scope="module", params=["DCN", "SASRec"])
def diagnosed(request, tmp_path_factory):
    """(results of a one-epoch atjt run, its recognizers page) for DCN (sampled negatives:
    two rows per sequence) and SASRec (BPR: one row per sequence, its positive-negative pair)."""
    settings = {**TINY, "denoise": "atjt", "run_dir": str(tmp_path_factory.mktemp("runs"))}
    results = run(request.param, DATASET, config_dict=settings)
    assert main([results["run_dir"]]) == 0
    with open(os.path.join(results["run_dir"], PAGE), encoding="utf-8") as f:
        return results, f.read()


def _number(pattern: str, page: str) -> list[float]:
    found = re.search(pattern, page, flags=re.MULTILINE)
    assert found, pattern
    return [float(g) for g in found.groups()]


def test_page_reports_the_stored_own_task_auc(diagnosed):
    results, page = diagnosed
    with open(os.path.join(results["run_dir"], "results.json"), encoding="utf-8") as f:
        stored = json.load(f)["corruption_weights"]["auc"]
    recomputed, copied = _number(r"^\| AUC \| ([0-9.]+) \| ([0-9.]+) \|$", page)
    # recomputed from the loaded recognizers = what the run measured at its end
    assert recomputed == pytest.approx(stored, abs=1e-3)
    assert copied == pytest.approx(stored, abs=1e-4)


def test_page_shows_the_detection_figures_of_the_ground_truth(diagnosed):
    results, page = diagnosed
    detection_auc = results["noise_detection"]["auc"]
    (shown,) = _number(r"^\| auc \| ([0-9.]+) \|$", page)
    assert shown == pytest.approx(detection_auc, abs=1e-3)
    for key in ("spearman", "noisy.mean", "clean.n"):
        assert f"| {key} |" in page


def test_pngs_are_written(diagnosed):
    results, page = diagnosed
    for name in (FEATURES_PNG, MODES_PNG, DETECTION_PNG):
        path = os.path.join(results["run_dir"], name)
        assert os.path.getsize(path) > 1000
        assert f"]({name})" in page


def test_own_group_eval_mean_matches_an_independent_computation(diagnosed):
    results, page = diagnosed
    checkpoint = load_checkpoint(results["checkpoint"], map_location="cpu")
    config = checkpoint["config"]
    init_seed(config["seed"], config["reproducibility"])
    dataset = prepare_data(config)[1]._dataset
    users = dataset.inter_feat[dataset.uid_field].numpy()
    history = dataset.inter_feat[config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]]
    target = dataset.inter_feat[config["ITEM_ID_FIELD"]]
    groups = partition_by_user(users, config["atjt_groups"], config["seed"])
    recognizers = nn.ModuleList(
        NoiseRecognizer.from_config(config, dataset.item_num) for _ in groups
    )
    recognizers.load_state_dict(checkpoint["atjt"]["recognizers"])
    recognizers.eval()
    with torch.no_grad():
        weights = np.concatenate(
            [recognizers[k](history[idx], target[idx]).numpy() for k, idx in enumerate(groups)]
        )
    (shown,) = _number(r"^\| all \| own group \| eval \| ([0-9.]+) \|", page)
    assert shown == pytest.approx(float(weights.mean()), abs=1e-4)
    # the recognizers are not constant, and dropout spreads the train-mode outputs
    (eval_std,) = _number(r"^\| all \| own group \| eval \| [0-9.]+ \| ([0-9.]+) \|", page)
    (train_std,) = _number(r"^\| all \| own group \| train \| [0-9.]+ \| ([0-9.]+) \|", page)
    assert 0 < eval_std < train_std


def test_the_former_command_name_is_the_same_command():
    assert diagnose.main is main
    shown = subprocess.run(
        [sys.executable, "-m", "recbole_atjt.diagnose", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.startswith("usage: python -m recbole_atjt.diagnose ")
    assert "--max_sequences" in shown


def test_a_run_without_recognizers_is_refused_in_one_line(tmp_path, capsys):
    settings = {**TINY, "denoise": "none", "run_dir": str(tmp_path)}
    results = run("SASRec", DATASET, config_dict=settings)
    capsys.readouterr()
    assert main([results["run_dir"]]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "no noise recognizers" in err
    assert not os.path.exists(os.path.join(results["run_dir"], PAGE))


def test_a_folder_without_results_is_refused(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "results.json" in err


def test_binned_means_one_bin_per_value_or_quantiles():
    x = np.array([1, 1, 2, 2, 2, 3])
    rows = binned_means(x, np.array([0.0, 2.0, 1.0, 1.0, 1.0, 5.0]), n_bins=5)
    assert [(r.lo, r.n, r.mean) for r in rows] == [(1, 2, 1.0), (2, 3, 1.0), (3, 1, 5.0)]
    # the first bin: x = 1, 1; weights 0 and 2 -> mean 1, population std 1
    assert rows[0] == Bin(lo=1.0, hi=1.0, x_mean=1.0, n=2, mean=1.0, std=1.0)
    x = np.arange(100.0)
    rows = binned_means(x, x, n_bins=4)
    assert [r.n for r in rows] == [25, 25, 25, 25]
    assert rows[0].mean == pytest.approx(12.0) and rows[-1].hi == 99
    assert binned_means(np.zeros(0), np.zeros(0)) == []


def test_sequence_losses_average_a_sequences_rows():
    # rows of 3 sequences, then their 2 sampled negatives each (repeated in order)
    rows = torch.tensor([1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 5.0, 6.0, 7.0])
    assert sequence_losses(rows, 3).tolist() == [3.0, 4.0, 5.0]
    assert sequence_losses(rows[:3], 3).tolist() == [1.0, 2.0, 3.0]


def test_flatten_numbers_keeps_numbers_only():
    result = {"auc": 0.5, "n": 3, "flag": True, "noisy": {"mean": 0.1}, "buckets": [1], "p": "x"}
    assert flatten_numbers(result) == [("auc", 0.5), ("n", 3), ("noisy.mean", 0.1)]


def test_binned_means_keep_one_bin_per_value_when_one_value_dominates():
    x = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] + [20] * 88, dtype=float)
    rows = binned_means(x, x, n_bins=10)
    assert [r.lo for r in rows] == [*range(1, 13), 20]
    assert rows[-1].n == 88 and rows[-1].mean == 20


def test_a_checkpoint_outside_the_run_folder_is_refused(tmp_path, capsys):
    settings = {**TINY, "denoise": "atjt", "run_dir": str(tmp_path / "runs")}
    results = run("SASRec", DATASET, config_dict=settings)
    elsewhere = tmp_path / "other.pth"  # e.g. another run's: its page would land here
    shutil.copyfile(results["checkpoint"], elsewhere)
    before = sorted(os.listdir(results["run_dir"]))
    capsys.readouterr()
    assert main([results["run_dir"], f"--checkpoint={elsewhere}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        f"error: ATJTError: --checkpoint: got '{elsewhere}'"
    )
    assert "allowed: best, latest or a .pth file of that run" in err
    assert sorted(os.listdir(results["run_dir"])) == before  # no page, no PNG
