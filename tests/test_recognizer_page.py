"""The recognizers' page and measurements on hand-made numbers, without a run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recbole_atjt.detection import CorruptionWeights, WeightSummary
from recbole_atjt.recognizer_measures import (
    Bin,
    Explanation,
    RunDescription,
    feature_effects,
    summarize_outputs,
)
from recbole_atjt.recognizer_page import (
    DETECTION_PNG,
    feature_lines,
    modes_lines,
    own_task_lines,
    page_lines,
)


def test_summarize_outputs_counts_and_averages_each_key():
    outputs = {("0", "own", "eval"): np.array([0.2, 0.4]), ("all", "other", "train"): np.zeros(0)}
    first, empty = summarize_outputs(outputs)
    assert (first.recognizer, first.split, first.mode) == ("0", "own", "eval")
    assert first.outputs.n == 2 and first.outputs.mean == pytest.approx(0.3)
    assert first.outputs.std == pytest.approx(0.1)
    assert empty.outputs.n == 0 and math.isnan(empty.outputs.mean)
    assert modes_lines([first, empty])[2:] == [
        "| 0 | own group | eval | 0.3000 | 0.1000 | 2 |",
        "| all | other groups | train | n/a | n/a | 0 |",
    ]


def test_feature_effects_bin_each_feature_against_the_weights():
    sample = {
        "weight": np.array([0.1, 0.3, 0.5, 0.7]),
        "loss": np.array([1.0, 1.0, 2.0, 2.0]),
        "popularity": np.array([5, 5, 5, 5]),
        "length": np.array([1, 2, 3, 4]),
    }
    loss, popularity, length = feature_effects(sample)
    assert [f.key for f in (loss, popularity, length)] == ["loss", "popularity", "length"]
    # one bin per loss value: weights (0.1, 0.3) and (0.5, 0.7)
    assert loss.bins == [
        Bin(1.0, 1.0, 1.0, 2, pytest.approx(0.2), pytest.approx(0.1)),
        Bin(2.0, 2.0, 2.0, 2, pytest.approx(0.6), pytest.approx(0.1)),
    ]
    assert length.spearman == pytest.approx(1.0)
    assert math.isnan(popularity.spearman)  # a constant feature has no rank correlation
    lines = feature_lines([loss, popularity])
    assert lines[2] == "| per-row loss of the base model | 0.8944 | 4 |"
    assert lines[3] == "| target popularity (training count) | n/a | 4 |"
    assert "| 1 | 2 | 0.2000 | 0.1000 |" in lines
    assert "| 5 | 4 | 0.4000 | 0.2236 |" in lines


def _explanation(stored: dict | None) -> Explanation:
    run = RunDescription(
        name="DCN-x-atjt-1",
        model="DCN",
        dataset="x",
        denoise="atjt",
        groups=2,
        seed=7,
        weight_norm="none",
        recognizer_mode="eval",
        checkpoint="DCN-best.pth",
        checkpoint_epoch=3,
        last_epoch=5,
        sequences=4,
    )
    own_task = CorruptionWeights(WeightSummary(2, 0.6, 0.1), WeightSummary(2, 0.4, 0.05), 0.75)
    return Explanation(
        run=run,
        own_task=own_task,
        stored_own_task=stored,
        max_sequences=10,
        outputs={},
        output_summaries=[],
        max_batches=5,
        weight=np.zeros(0),
        features=[],
        own_weights=np.zeros(4),
        ground_truth_file="data/x/x.noise",
        detection=None,
    )


def test_own_task_table_puts_the_stored_figures_beside_the_recomputed_ones():
    stored = {"auc": 0.7, "original": {"n": 2, "mean": 0.55}}
    lines = own_task_lines(_explanation(stored))
    assert lines[:3] == [
        "| | this checkpoint | results.json |",
        "|---|---|---|",
        "| AUC | 0.7500 | 0.7000 |",
    ]
    assert "| original mean | 0.6000 | 0.5500 |" in lines
    assert "| original std | 0.1000 | n/a |" in lines  # not stored
    assert "| corrupted n | 2 | n/a |" in lines
    assert "| AUC | 0.7500 | n/a |" in own_task_lines(_explanation(None))


def test_page_says_which_checkpoint_and_why_no_detection():
    page = "\n".join(page_lines(_explanation(None)))
    assert page.startswith("# Recognizers explained: DCN-x-atjt-1\n")
    assert "checkpoint `DCN-best.pth` (epoch 3; the run trained to epoch 5). 4 training" in page
    assert "not at this checkpoint's epoch 3." in page
    assert page.endswith("No ground-truth file (data/x/x.noise).")
    assert DETECTION_PNG not in page
