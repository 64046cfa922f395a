"""Kill-and-resume and determinism (on the CPU, tiny settings)."""

import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import DATASET, MAIN_SCRIPT, TINY

from recbole_atjt import run
from recbole_atjt.errors import ATJTError

SETTINGS = {**TINY, "denoise": "atjt", "epochs": 3, "stopping_step": 10, "torch_threads": 1}


def _cli_args(run_dir, settings):
    args = [
        sys.executable,
        MAIN_SCRIPT,
        f"--dataset={DATASET}",
        "--preset=none",
        f"--run_dir={run_dir}",
    ]
    return args + [
        f"--{k}={v!r}" if isinstance(v, str) else f"--{k}={v}" for k, v in settings.items()
    ]


# the variants keep state of their own: a moving average, per-round resets, DNR's pretraining
VARIANT = {"recognizer_reset": "round", "alpha_scale": "loss", "weight_norm": "self"}


@pytest.mark.parametrize(
    "model,extra",
    [("SASRec", {}), ("DIN", {}), ("SASRec", VARIANT), ("DCN", {"denoise": "dnr"})],
)
def test_a_killed_run_resumes_to_the_metrics_of_an_uninterrupted_one(tmp_path, model, extra):
    settings = {**SETTINGS, **extra}
    killed_dir = tmp_path / "killed"
    proc = subprocess.Popen(
        [*_cli_args(killed_dir, settings), f"--model={model}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list(killed_dir.glob(f"*/{model}-latest.pth")):
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (run_folder,) = killed_dir.iterdir()
    assert not (run_folder / "results.json").exists()  # killed mid-training

    resumed = subprocess.run(
        [sys.executable, MAIN_SCRIPT, f"--resume={run_folder}"],
        capture_output=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
    with open(run_folder / "results.json") as f:
        after_kill = json.load(f)

    whole = run(model, DATASET, config_dict={**settings, "run_dir": str(tmp_path / "whole")})
    assert after_kill["epochs_run"] == whole["epochs_run"] == 3
    assert after_kill["valid"] == whole["valid"]
    assert after_kill["test"] == whole["test"]
    assert [v["ndcg@5"] for v in after_kill["valid_per_epoch"]] == [
        v["ndcg@5"] for v in whole["valid_per_epoch"]
    ]
    assert after_kill["denoising_per_epoch"] == whole["denoising_per_epoch"]
    # the epochs before the kill keep their timings
    assert len(after_kill["train_seconds_per_epoch"]) == 3
    assert len(after_kill["valid_seconds_per_epoch"]) == 3
    assert after_kill.get("dnr_pretraining") == whole.get("dnr_pretraining")


def test_two_runs_with_one_seed_are_identical(tmp_path):
    first = run("DIN", DATASET, config_dict={**TINY, "epochs": 2, "run_dir": str(tmp_path)})
    second = run("DIN", DATASET, config_dict={**TINY, "epochs": 2, "run_dir": str(tmp_path)})
    assert first["valid"] == second["valid"] and first["test"] == second["test"]
    assert first["denoising_per_epoch"] == second["denoising_per_epoch"]


def test_resume_needs_a_checkpoint(tmp_path):
    with pytest.raises(ATJTError, match="--resume"):
        run(resume=str(tmp_path))


def test_a_non_finite_loss_stops_the_run_naming_epoch_batch_and_quantity(tmp_path):
    settings = {**TINY, "learning_rate": 1e30, "run_dir": str(tmp_path)}
    with pytest.raises(ATJTError, match=r"non-finite .+ at epoch 0, batch \d+;") as err:
        run("SASRec", DATASET, config_dict=settings)
    assert "\n" not in str(err.value)
    assert not list(tmp_path.glob("*/results.json"))  # nothing written as a result


def test_non_finite_weights_under_batch_mean_name_the_normalisation(tmp_path):
    settings = {**TINY, "weight_norm": "batch_mean", "noise_learning_rate": 1e30}
    with pytest.raises(
        ATJTError, match=r"non-finite sequence weights .*weight_norm and odnr divide by"
    ):
        run("DCN", DATASET, config_dict={**settings, "run_dir": str(tmp_path)})
