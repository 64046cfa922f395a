"""Interaction cleaning on the real path: RecBole's loading, our removal, RecBole's split."""

from __future__ import annotations

import csv
import dataclasses
import json
import os

import numpy as np
import pytest
import torch
from conftest import DATASET, TINY, check_metrics, tiny_config

from recbole_atjt import run
from recbole_atjt.cleaning.detectors import cooccurrence_scores
from recbole_atjt.cleaning.interactions import TrainingInteractions, training_interactions
from recbole_atjt.cleaning.selection import keep_enough_per_user, select
from recbole_atjt.config import ATJTConfig
from recbole_atjt.data.preparation import load_dataset, prepare_data
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import BUNDLED_DATA_DIR

NOISE_FILE = BUNDLED_DATA_DIR / DATASET / f"{DATASET}.noise"


def _file_rows() -> list[tuple[str, str, float, bool]]:
    with open(NOISE_FILE, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    return [(u, i, float(t), float(flag) > 0) for u, i, t, flag in rows]


def _injected_training_pairs() -> set[tuple[str, str]]:
    """By hand from the file: injected (user, item) pairs among each user's interactions but
    the last two in time order (file order breaking ties)."""
    by_user: dict[str, list[tuple[float, int, str, bool]]] = {}
    for n, (user, item, stamp, flag) in enumerate(_file_rows()):
        by_user.setdefault(user, []).append((stamp, n, item, flag))
    pairs = set()
    for user, rows in by_user.items():
        rows.sort()
        pairs |= {(user, item) for _, _, item, flag in rows[:-2] if flag}
    return pairs


def _pairs(dataset, part) -> set[tuple[str, str]]:
    """(user, item) tokens of every target and every history item of a built split."""
    uid, iid = dataset.uid_field, dataset.iid_field
    users = dataset.id2token(uid, part.inter_feat[uid].numpy())
    items = dataset.id2token(iid, part.inter_feat[iid].numpy())
    found = set(zip(users, items, strict=True))
    history_field = iid + dataset.config["LIST_SUFFIX"]
    if history_field in part.inter_feat:
        for user, history in zip(users, part.inter_feat[history_field].numpy(), strict=True):
            found |= {(user, dataset.id2token(iid, int(i))) for i in history if i > 0}
    return found


def _eval_targets(loader) -> dict[str, str]:
    dataset = loader._dataset
    uid, iid = dataset.uid_field, dataset.iid_field
    users = dataset.id2token(uid, dataset.inter_feat[uid].numpy())
    items = dataset.id2token(iid, dataset.inter_feat[iid].numpy())
    return dict(zip(users, items, strict=True))


def test_oracle_removes_exactly_the_injected_training_interactions(tmp_path):
    expected = _injected_training_pairs()
    assert len(expected) > 100  # the bundled dataset plants noise in training
    config = tiny_config("SASRec", tmp_path, denoise="none", interaction_cleaning="oracle")
    plain = tiny_config("SASRec", tmp_path / "plain", denoise="none")
    dataset, train, valid, test = prepare_data(config)
    _, plain_train, plain_valid, plain_test = prepare_data(plain)

    report = dataset.cleaning
    assert report["removed"] == len(expected)
    assert report["ground_truth"]["precision"] == 1.0 == report["ground_truth"]["recall"]
    assert report["injected_kept_for_users"] == 0
    # one training instance per interaction but each user's first: exactly the removed ones go
    assert len(plain_train.dataset) - len(train.dataset) == len(expected)
    # nothing injected in training is left anywhere: targets, training and evaluation histories
    for part in (train, valid, test):
        assert not _pairs(dataset, part.dataset) & expected
    # evaluation targets are untouched
    assert _eval_targets(valid) == _eval_targets(plain_valid)
    assert _eval_targets(test) == _eval_targets(plain_test)
    with open(os.path.join(config["checkpoint_dir"], "cleaning.tsv"), encoding="utf-8") as f:
        stored = {tuple(line.split("\t")[1:3]) for line in f.read().splitlines()[1:]}
    assert stored == expected


def test_cleaning_never_removes_an_evaluation_target_and_histories_lose_what_it_removed(
    tmp_path,
):
    settings = {"denoise": "none", "cleaning_share": 0.5, "cleaning_user_share": 0.9}
    config = tiny_config("SASRec", tmp_path, interaction_cleaning="cooccurrence", **settings)
    plain = tiny_config("SASRec", tmp_path / "plain", denoise="none")
    dataset, train, valid, test = prepare_data(config)
    _, _, plain_valid, plain_test = prepare_data(plain)

    assert dataset.cleaning["removed_share"] > 0.3
    assert _eval_targets(valid) == _eval_targets(plain_valid)
    assert _eval_targets(test) == _eval_targets(plain_test)
    with open(os.path.join(config["checkpoint_dir"], "cleaning.tsv"), encoding="utf-8") as f:
        removed = {tuple(line.split("\t")[1:3]) for line in f.read().splitlines()[1:]}
    # a pair can recur in a dataset: only pairs the user has once are sure to be gone
    counts: dict[tuple[str, str], int] = {}
    for user, item, _, _ in _file_rows():
        counts[(user, item)] = counts.get((user, item), 0) + 1
    removed = {pair for pair in removed if counts[pair] == 1}
    for part in (train, valid, test):
        assert not _pairs(dataset, part.dataset) & removed


def test_a_cleaned_run_is_scored_on_the_uncleaned_candidates(tmp_path):
    config = tiny_config("SASRec", tmp_path, denoise="none", interaction_cleaning="oracle")
    plain = tiny_config("SASRec", tmp_path / "plain", denoise="none")
    _, _, valid, test = prepare_data(config)
    _, _, plain_valid, plain_test = prepare_data(plain)
    for mine, theirs in ((valid, plain_valid), (test, plain_test)):
        assert mine.negatives.keys() == theirs.negatives.keys()
        for uid, negatives in theirs.negatives.items():
            assert torch.equal(mine.negatives[uid], negatives)


@pytest.mark.parametrize("dataset_name", [DATASET, "ml-100k"])
def test_training_interactions_are_those_of_recbole_split(tmp_path, dataset_name):
    # ml-100k's normalised timestamps tie as RecBole's float32: ties keep file order
    config = ATJTConfig(
        "BPR", dataset_name, config_dict={**TINY, "denoise": "none", "checkpoint_dir": ""}
    )
    dataset = load_dataset(config)
    found = training_interactions(dataset, 2)
    frame = dataset.inter_feat
    users, items = (frame[f].to_numpy()[found.rows] for f in ("user_id", "item_id"))
    mine = sorted(zip(users, items, strict=True))
    built = dataset.build()[0].inter_feat  # a general model's training split
    theirs = sorted(zip(built["user_id"].numpy(), built["item_id"].numpy(), strict=True))
    assert mine == theirs


def _interactions(users, items, n_users, n_items) -> TrainingInteractions:
    users, items = np.asarray(users), np.asarray(items)
    position = np.array([np.sum(users[:n] == u) for n, u in enumerate(users)])
    return TrainingInteractions(
        np.arange(len(users)), users, items, position, n_users=n_users, n_items=n_items
    )


def test_histories_hold_the_previous_training_items_most_recent_last():
    interactions = _interactions([1, 1, 1, 2, 2], [5, 6, 7, 8, 9], 3, 10)
    assert interactions.histories(2).tolist() == [[0, 0], [5, 0], [5, 6], [0, 0], [8, 0]]


def test_selection_takes_the_most_suspect_within_the_guards():
    # user 1: items 1, 2, 3, 4; user 2: items 1, 2. Item 3 and 4 appear once.
    interactions = _interactions([1, 1, 1, 1, 2, 2], [1, 2, 3, 4, 1, 2], 3, 5)
    scores = np.array([0.1, 0.2, 0.9, 0.8, 0.7, 0.6])
    # items 3 and 4 would lose their only interaction, user 2 may lose one of two
    assert select(scores, interactions, 0.5, None, 1, 0.99).tolist() == [4, 1]
    # without the item guard: the three highest
    assert select(scores, interactions, 0.5, None, 0, 0.99).tolist() == [2, 3, 4]
    # user 1 may lose floor(0.5 * 4) = 2, user 2 floor(0.5 * 2) = 1
    assert select(scores, interactions, 0.99, None, 0, 0.5).tolist() == [2, 3, 4]
    # items keep two interactions: none has more
    assert select(scores, interactions, 0.99, None, 2, 0.99).tolist() == []
    # a threshold instead of a share
    assert select(scores, interactions, 0.01, 0.65, 0, 0.99).tolist() == [2, 3, 4]


def test_the_oracle_leaves_every_user_the_training_interactions_the_split_needs():
    interactions = _interactions([1, 1, 2, 2], [1, 2, 3, 4], 3, 5)
    marked = np.array([True, True, True, False])
    assert keep_enough_per_user(marked, interactions).tolist() == [True, False, True, False]
    sequential = dataclasses.replace(interactions, min_kept=2)  # RecBole splits instances
    assert keep_enough_per_user(marked, sequential).tolist() == [False] * 4


def test_users_keep_two_training_interactions_of_a_sequential_dataset(tmp_path):
    config = tiny_config("SASRec", tmp_path, denoise="none")
    assert training_interactions(load_dataset(config), 2).min_kept == 2
    config = tiny_config("BPR", tmp_path / "general", denoise="none")
    assert training_interactions(load_dataset(config), 2).min_kept == 1


def test_cooccurrence_scores_by_hand():
    # users: 0 -> {1, 2}, 1 -> {1, 2}, 2 -> {1, 3}
    interactions = _interactions([0, 0, 1, 1, 2, 2], [1, 2, 1, 2, 1, 3], 3, 4)
    scores, _ = cooccurrence_scores(interactions)
    # item vectors over users: 1 = (1,1,1), 2 = (1,1,0), 3 = (0,0,1)
    cos12, cos13 = 2 / np.sqrt(3 * 2), 1 / np.sqrt(3)
    expected = 1 - np.array([cos12, cos12, cos12, cos12, cos13, cos13])
    assert scores == pytest.approx(expected)


@pytest.mark.parametrize("model", ["BPR", "LightGCN"])
def test_general_models_train_with_cleaning(tmp_path, model):
    settings = {**TINY, "denoise": "none", "interaction_cleaning": "cooccurrence"}
    results = run(model, DATASET, config_dict={**settings, "run_dir": str(tmp_path)})
    check_metrics(results["test"])
    cleaning = results["cleaning"]
    assert cleaning["removed"] == round(0.05 * cleaning["training_interactions"])
    assert 0.5 < cleaning["ground_truth"]["auc"] <= 1


def test_recognizer_cleaning_records_its_training_and_is_reused_on_resume(tmp_path):
    settings = {**TINY, "denoise": "none", "interaction_cleaning": "recognizer"}
    results = run("SASRec", DATASET, config_dict={**settings, "run_dir": str(tmp_path)})
    check_metrics(results["test"])
    cleaning = results["cleaning"]
    assert len(cleaning["recognizers"]) == TINY.get("atjt_groups", 2)
    for recognizer in cleaning["recognizers"]:
        assert 1 <= recognizer["passes_kept"] <= len(recognizer["holdout_auc_per_pass"])
    with open(os.path.join(results["run_dir"], "results.json"), encoding="utf-8") as f:
        assert json.load(f)["cleaning"]["removed"] == cleaning["removed"]
    # a resumed run removes the recorded rows instead of training recognizers again
    resumed = run(resume=results["run_dir"])
    assert resumed["cleaning"]["seconds"] == cleaning["seconds"]
    assert resumed["test"] == pytest.approx(results["test"])


def test_oracle_cleaning_without_ground_truth_is_refused_before_loading(tmp_path):
    settings = {**TINY, "denoise": "none", "interaction_cleaning": "oracle"}
    with pytest.raises(ATJTError, match="'interaction_cleaning'.*ground-truth") as err:
        run("SASRec", "ml-100k", config_dict={**settings, "run_dir": str(tmp_path)})
    assert "\n" not in str(err.value)
    assert not any(tmp_path.iterdir())


def test_cleaning_needs_a_leave_one_out_split(tmp_path):
    settings = {**TINY, "denoise": "none", "interaction_cleaning": "cooccurrence"}
    settings["eval_args"] = {"split": {"RS": [0.8, 0.1, 0.1]}, "order": "TO"}
    with pytest.raises(ATJTError, match="leave-one-out"):
        run("SASRec", DATASET, config_dict={**settings, "run_dir": str(tmp_path)})
    assert not any(tmp_path.iterdir())


def test_a_detector_that_only_learned_rarity_shows_as_such():
    from recbole_atjt.cleaning.run import rarity_comparison

    # items 1 (three interactions), 2 (two), 3 (one); the injected one is the rare item 3
    interactions = _interactions([0, 0, 1, 1, 2, 2], [1, 2, 1, 2, 1, 3], 3, 4)
    injected = np.array([False, False, False, False, False, True])
    rarity_only = np.array([0.0, 0.5, 0.0, 0.5, 0.0, 1.0])
    figures = rarity_comparison(rarity_only, injected, interactions)
    assert figures["auc"] == figures["rarity_auc"] == 1.0
    assert figures["spearman_with_rarity"] == pytest.approx(1.0)


def test_cleaning_recognizers_read_their_own_learning_rate_and_sampling(tmp_path):
    from recbole_atjt.cleaning.detectors import recognizer_scores

    def scores(**settings):
        config = tiny_config("SASRec", tmp_path, denoise="none", cleaning_epochs=1, **settings)
        interactions = training_interactions(load_dataset(config), 2)
        return recognizer_scores(interactions, config)[0]

    default = scores()
    # a denoise mode's keys leave the cleaning recognizers as they are ...
    assert np.array_equal(
        scores(noise_learning_rate=0.1, corruption_sampling="popularity"), default
    )
    # ... their own change them
    assert not np.array_equal(scores(cleaning_learning_rate=0.1), default)
    assert not np.array_equal(scores(cleaning_corruption_sampling="popularity"), default)
