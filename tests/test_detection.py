"""Detection figures against hand computations, and their end-of-run description."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recbole_atjt.detection import (
    Bucket,
    LengthBucket,
    NoiseDetection,
    WeightSummary,
    bucketed_auc,
    describe,
    detect_noise,
    noise_detection,
    summary,
)


def _case(rows: list[tuple[float, float, bool, int]]) -> dict:
    """noise_detection of (weight, injected share of history, target injected, length) rows."""
    weights, share, target, lengths = (np.array(column) for column in zip(*rows, strict=True))
    return noise_detection(weights.astype(float), share.astype(float), target.astype(bool), lengths)


def test_length_matched_auc_removes_a_pure_length_effect():
    # The weight depends on the history length alone; within each length noisy and clean
    # sequences get the same weight, so only the length tells them apart.
    rows = (
        [(0.9, 0.0, False, 1)] * 3  # length 1: 3 clean, 1 noisy, weight 0.9
        + [(0.9, 0.5, False, 1)]
        + [(0.7, 0.0, False, 2)]  # length 2: 1 clean, 3 noisy, weight 0.7
        + [(0.7, 0.5, False, 2)] * 3
        + [(0.5, 0.25, False, 3)] * 4  # length 3: noisy only, weight 0.5
        + [(0.0, 0.0, True, 1), (1.0, 0.5, True, 2)]  # injected targets: left out
    )
    result = _case(rows)
    # raw: 8 noisy x 4 clean pairs on 1 - weight; noisy at 0.1 wins 3 ties (1.5), each noisy
    # at 0.3 beats 3 clean and ties 1 (3 x 3.5), each noisy at 0.5 beats all 4 (4 x 4) -> 28 / 32
    assert result["auc"] == pytest.approx(28 / 32)
    assert abs(result["auc"] - 0.5) > 0.3
    assert result["length_matched_auc"] == 0.5
    assert result["buckets"][2] == {"length": 3, "noisy": 4, "clean": 0, "auc": None}


def test_length_matched_auc_is_the_size_weighted_bucket_average():
    rows = [
        # length 2: noisy weights 0.2, 0.3 below the clean 0.4 -> AUC 1, size 3
        (0.2, 0.5, False, 2),
        (0.3, 0.5, False, 2),
        (0.4, 0.0, False, 2),
        (0.0, 0.5, True, 2),  # target injected: not counted
        # length 3: noisy only
        (0.1, 1 / 3, False, 3),
        # length 5: noisy 0.5 vs clean 0.3, 0.7, 0.5 -> (0 + 1 + 1/2) / 3 = 1/2, size 4
        (0.5, 0.2, False, 5),
        (0.3, 0.0, False, 5),
        (0.7, 0.0, False, 5),
        (0.5, 0.0, False, 5),
    ]
    result = _case(rows)
    assert result["length_matched_auc"] == pytest.approx((3 * 1.0 + 4 * 0.5) / 7)
    assert result["buckets"] == [
        {"length": 2, "noisy": 2, "clean": 1, "auc": 1.0},
        {"length": 3, "noisy": 1, "clean": 0, "auc": None},
        {"length": 5, "noisy": 1, "clean": 3, "auc": 0.5},
    ]
    assert result["noisy"]["n"] == 4 and result["clean"]["n"] == 4
    assert result["target_injected"]["n"] == 1


def test_bucketed_auc_is_nan_without_a_mixed_bucket():
    mean, rows = bucketed_auc(np.array([0.1, 0.2]), np.array([1, 0]), np.array([1, 2]))
    assert math.isnan(mean)
    assert rows == [Bucket(1, 1, 0, None), Bucket(2, 0, 1, None)]


def test_summary_is_count_mean_and_population_std():
    # mean (0.2 + 0.4 + 0.9) / 3 = 0.5; deviations -0.3, -0.1, 0.4 -> variance 0.26 / 3
    s = summary(np.array([0.2, 0.4, 0.9]))
    assert (s.n, s.mean, s.std) == (3, pytest.approx(0.5), pytest.approx(math.sqrt(0.26 / 3)))
    empty = summary(np.zeros(0))
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.std)


def test_detect_noise_returns_the_figures_its_record_stores():
    weights = np.array([0.3, 0.2, 0.5, 0.6, 0.1])
    share = np.array([0, 0.5, 0, 0.25, 0])
    target_noisy = np.array([0, 0, 0, 1, 0], dtype=bool)
    lengths = np.array([2, 2, 4, 4, 4])
    figures = detect_noise(weights, share, target_noisy, lengths)
    assert isinstance(figures, NoiseDetection)
    # clean targets: noisy {1} (1 - w = 0.8) vs clean {0, 2, 4} (0.7, 0.5, 0.9) -> 2 / 3
    assert figures.auc == pytest.approx(2 / 3)
    # length 2: 0.8 vs 0.7 -> 1; length 4: clean only
    assert figures.buckets == [LengthBucket(2, 1, 1, 1.0), LengthBucket(4, 0, 2, None)]
    assert figures.length_matched_auc == pytest.approx(1.0)
    # injected target 1 - 0.6 = 0.4 vs clean 0.7, 0.5, 0.9: beats none
    assert figures.target_auc == 0.0
    assert figures.noisy == WeightSummary(1, 0.2, 0.0)
    assert figures.target_injected == WeightSummary(1, 0.6, 0.0)
    assert figures.clean.n == 3 and figures.clean.mean == pytest.approx(0.3)
    record = figures.record()
    assert list(record) == [
        "auc",
        "spearman",
        "length_matched_auc",
        "buckets",
        "target_auc",
        "target_length_matched_auc",
        "noisy",
        "clean",
        "target_injected",
    ]
    assert record["buckets"][0] == {"length": 2, "noisy": 1, "clean": 1, "auc": 1.0}
    assert record["noisy"] == {"n": 1, "mean": 0.2, "std": 0.0}
    assert noise_detection(weights, share, target_noisy, lengths) == record


def test_target_auc_separates_injected_targets_from_clean_sequences():
    rows = [
        # length 1: clean 1 - w = 0.2, 0.4; injected target 0.3 -> AUC 1/2, size 3
        (0.8, 0.0, False, 1),
        (0.6, 0.0, False, 1),
        (0.7, 0.0, True, 1),
        # length 2: clean 0.1; injected target (noisy history too) 0.5 -> AUC 1, size 2
        (0.9, 0.0, False, 2),
        (0.5, 0.5, True, 2),
        (0.0, 0.5, False, 2),  # noisy history, clean target: neither kind
    ]
    result = _case(rows)
    # raw: target 0.3 beats 0.2 and 0.1, target 0.5 beats all three clean -> 5 / 6
    assert result["target_auc"] == pytest.approx(5 / 6)
    assert result["target_length_matched_auc"] == pytest.approx((3 * 0.5 + 2 * 1.0) / 5)


def test_describe_prints_the_figures():
    denoising = {
        "noise_detection": {
            "ground_truth": "data/ml-100k-noise20/ml-100k-noise20.noise",
            "auc": 0.9071,
            "length_matched_auc": 0.6123,
            "target_auc": 0.5512,
            "target_length_matched_auc": 0.5301,
            "noisy": {"n": 74119, "mean": 0.4712},
            "clean": {"n": 3663, "mean": 0.7391},
            "target_injected": {"n": 1200, "mean": 0.5023},
        },
        "corruption_weights": {
            "original": {"n": 10, "mean": 0.531},
            "corrupted": {"n": 10, "mean": 0.412},
            "auc": 0.7012,
        },
    }
    detection, own_task = describe(denoising)
    assert "ground truth: data/ml-100k-noise20/ml-100k-noise20.noise" in detection
    for figure in ("AUC 0.907", "length-matched 0.612", "vs clean 0.551", "0.530"):
        assert figure in detection
    assert "clean 0.74, history-noisy 0.47, target-injected 0.50" in detection
    assert "(n = 3663 / 74119 / 1200)" in detection
    assert "AUC 0.701" in own_task and "original 0.53, corrupted 0.41" in own_task
    assert describe({"corruption_weights": denoising["corruption_weights"]}) == [own_task]
    assert describe({"test": {}}) == []
