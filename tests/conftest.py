"""Tiny settings on the bundled generated dataset: fast, but the real RecBole path."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from recbole.utils import get_model, init_seed

from recbole_atjt.config import ATJTConfig
from recbole_atjt.data.preparation import prepare_data
from recbole_atjt.paths import PACKAGE_DIR

DATASET = "atjt-synth"
# The checkout the tests belong to (its scripts), whether the package under test is this
# checkout or an installed wheel.
REPO_ROOT = Path(__file__).resolve().parent.parent
MAIN_SCRIPT = str(REPO_ROOT / "run_recbole_atjt.py")
# Whether the package under test is this checkout's (an editable install) or an installed wheel.
TESTING_CHECKOUT = PACKAGE_DIR.parent == REPO_ROOT


def pytest_report_header() -> str:
    import numpy

    import recbole_atjt

    return f"recbole_atjt under test: {recbole_atjt.__file__} (numpy {numpy.__version__})"


# Tiny tensors: OpenMP threads cost more than they bring, and a busy second
# core makes them far slower still.
torch.set_num_threads(1)

TINY = {
    "gpu_id": "",
    "MAX_ITEM_LIST_LENGTH": 8,
    "train_batch_size": 256,
    "epochs": 1,
    "hidden_size": 16,
    "inner_size": 32,
    "n_layers": 2,
    "n_heads": 1,
    "embedding_size": 8,
    "mlp_hidden_size": [16],
    "noise_embedding_size": 8,
    "noise_attention_hidden": [8],
    "noise_output_hidden": [16, 8],
    "show_progress": False,
    "state": "ERROR",
    "seed": 7,
}


def experiment_args(out, work) -> list[str]:
    """An experiment command's arguments: two seeds of the smoke budget with the tiny
    settings, on the bundled dataset, writing to ``out`` and ``work``."""
    tiny = [
        f"--{k}={v!r}" if isinstance(v, str) else f"--{k}={v}"
        for k, v in TINY.items()
        if k != "seed"
    ]
    where = ["--out", str(out), "--work_dir", str(work)]
    return ["--datasets", DATASET, "--seeds", "2", "--budget", "smoke", *where, *tiny]


def tiny_config(model: str, tmp_path, **overrides) -> ATJTConfig:
    settings = {**TINY, "run_dir": str(tmp_path / "runs"), "checkpoint_dir": str(tmp_path / "ckpt")}
    settings.update(overrides)
    return ATJTConfig(model, DATASET, config_dict=settings)


def build(model: str, tmp_path, **overrides):
    """(config, train, valid, test, model) exactly as ``run()`` wires them."""
    config = tiny_config(model, tmp_path, **overrides)
    init_seed(config["seed"], config["reproducibility"])
    _, train, valid, test = prepare_data(config)
    init_seed(config["seed"], config["reproducibility"])
    net = get_model(model)(config, train._dataset).to(config["device"])
    return config, train, valid, test, net


@pytest.fixture
def tiny(tmp_path):
    return lambda model, **overrides: build(model, tmp_path, **overrides)
