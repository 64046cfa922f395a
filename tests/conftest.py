"""Tiny settings on the bundled generated dataset: fast, but the real RecBole path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from recbole_atjt.config import ATJTConfig
from recbole_atjt.data.preparation import check_inputs
from recbole_atjt.paths import PACKAGE_DIR
from recbole_atjt.wiring import data_and_model

DATASET = "atjt-synth"
# The checkout the tests belong to (its scripts), whether the package under test is this
# checkout or an installed wheel.
REPO_ROOT = Path(__file__).resolve().parent.parent
MAIN_SCRIPT = str(REPO_ROOT / "run_recbole_atjt.py")
# Whether the package under test is this checkout's (an editable install) or an installed wheel.
TESTING_CHECKOUT = PACKAGE_DIR.parent == REPO_ROOT
# The experiments live beside the package, in the checkout only: appended, so that an
# installed wheel stays the ``recbole_atjt`` they import.
if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))


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
    "pretrain_epochs": 1,  # S3Rec
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
    _, train, valid, test, net = data_and_model(config)
    return config, train, valid, test, net


@pytest.fixture
def tiny(tmp_path):
    return lambda model, **overrides: build(model, tmp_path, **overrides)


# The paper's six, trained one epoch in every mode by tests/test_end_to_end.py.
PAPER_MODELS = ["WideDeep", "DCN", "DIN", "SASRec", "S3Rec", "FEARec"]


def recbole_models(module) -> list[str]:
    """Every model class a RecBole model package defines (its own, not imported ones)."""
    return sorted(
        name
        for name, obj in vars(module).items()
        if isinstance(obj, type) and obj.__module__.startswith(module.__name__ + ".")
    )


def other_models(module) -> list[str]:
    """The package's models beyond the paper's six (those train in every mode elsewhere)."""
    models = recbole_models(module)
    assert set(PAPER_MODELS) & set(models), f"no paper model in {module.__name__}"
    return [m for m in models if m not in PAPER_MODELS]


def recording_run(calls: list):
    """A ``run_fn`` for the experiments that trains nothing: it appends each run's settings
    to ``calls`` and reports a test NDCG@5 of 0.1."""

    def run(model, dataset, config_files, settings):
        calls.append(settings)
        return {"test": {"ndcg@5": 0.1}}

    return run


def check_metrics(metrics: dict) -> None:
    assert 0 <= metrics["hit@5"] <= metrics["hit@10"] <= 1
    assert 0 <= metrics["ndcg@5"] <= metrics["hit@5"]
    assert 0 <= metrics["ndcg@10"] <= metrics["hit@10"]
    assert 0 <= metrics["gauc"] <= 1


# The models refused on the bundled dataset in atjt mode, and a phrase of each refusal.
REFUSED_MODELS = {
    "BERT4Rec": "no loss per sequence",
    "GRU4RecCPR": "full rankings only",
    "SASRecCPR": "full rankings only",
    "GRU4RecKG": "atjt-synth.ent does not exist",
    "KSR": "atjt-synth.ent does not exist",
    "KD_DAGFM": "[N, 1] column",
}


def trains_or_is_refused(model: str, tmp_path) -> None:
    """One tiny epoch of atjt: metrics in range and weights applied, or (for the models of
    ``REFUSED_MODELS``) a one-line ATJTError before any run folder exists."""
    from recbole_atjt import run
    from recbole_atjt.errors import ATJTError

    settings = {**TINY, "denoise": "atjt", "run_dir": str(tmp_path), "train_batch_size": 1024}
    if model in REFUSED_MODELS:
        with pytest.raises(ATJTError) as up_front:  # the checks that read no data
            check_inputs(ATJTConfig(model, DATASET, config_dict=settings))
        with pytest.raises(ATJTError) as refused:
            run(model, DATASET, config_dict=settings, saved=False, evaluate_test=False)
        message = str(refused.value)
        assert message == str(up_front.value)
        assert REFUSED_MODELS[model] in message and "allowed: " in message
        assert "\n" not in message and list(tmp_path.iterdir()) == []
        return
    results = run(model, DATASET, config_dict=settings, saved=False, evaluate_test=False)
    check_metrics(results["valid"])
    stats = results["denoising_per_epoch"][0]
    assert 0 < stats["weight_mean"] < 1 and stats["weight_std"] > 0
    assert stats["loss_r"] != pytest.approx(stats["loss_r_unweighted"], rel=1e-7)
