"""Cleaning one dataset: detect, select under the guards, remove, record."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import Any

import numpy as np

from recbole_atjt.cleaning.detectors import DETECTORS
from recbole_atjt.cleaning.interactions import (
    TrainingInteractions,
    leave_out_count,
    training_interactions,
    without_rows,
)
from recbole_atjt.cleaning.selection import keep_enough_per_user, select
from recbole_atjt.data.ground_truth import (
    ground_truth_path,
    is_noisy,
    load_ground_truth,
    noisy_pair_keys,
)
from recbole_atjt.errors import ATJTError


def injected_flags(dataset, interactions: TrainingInteractions, path: str) -> np.ndarray:
    """Per training interaction: whether the ground truth at ``path`` marks it injected."""
    import torch

    keys = noisy_pair_keys(dataset, load_ground_truth(path, dataset.uid_field, dataset.iid_field))
    flags = is_noisy(
        keys,
        torch.from_numpy(interactions.users.astype(np.int64)),
        torch.from_numpy(interactions.items.astype(np.int64)),
        interactions.n_items,
    )
    return flags.numpy()


def cleaned(config, dataset, show_progress: bool = False) -> tuple[Any, dict[str, Any]]:
    """(the dataset without the interactions judged noisy, the cleaning report).

    The run folder (``checkpoint_dir``) keeps what was removed (``cleaning.tsv``) and the
    report (``cleaning.json``); a resumed or re-evaluated run removes the same rows again
    instead of detecting anew.
    """
    folder = config["checkpoint_dir"]
    stored = _stored(folder, dataset, identity(config))
    if stored is not None:
        rows, report = stored
        return without_rows(dataset, rows), report
    dataset, report, removed = _detect_and_remove(config, dataset, show_progress)
    report["identity"] = identity(config)
    if folder:
        _store(folder, removed, report)
    return dataset, report


def _detect_and_remove(config, dataset, show_progress):
    detector = config["interaction_cleaning"]
    start = time.perf_counter()
    interactions = training_interactions(dataset, leave_out_count(config))
    truth_file = ground_truth_path(config)
    injected = (
        injected_flags(dataset, interactions, truth_file) if os.path.isfile(truth_file) else None
    )
    details: dict[str, Any] = {}
    if detector == "oracle":
        scores = injected.astype(float)
        removed = np.flatnonzero(keep_enough_per_user(injected, interactions))
        details["injected_kept_for_users"] = int(injected.sum() - len(removed))
    else:
        scores, details = DETECTORS[detector](interactions, config, show_progress)
        removed = select(
            scores,
            interactions,
            config["cleaning_share"],
            config["cleaning_threshold"],
            config["cleaning_item_keep"],
            config["cleaning_user_share"],
        )
    report = _report(detector, config, interactions, removed, scores, injected)
    if injected is not None:
        report["ground_truth"].update(
            {"file": truth_file, **rarity_comparison(scores, injected, interactions)}
        )
    report.update(details)
    report["seconds"] = time.perf_counter() - start
    logging.getLogger().info(describe({"cleaning": report})[0])
    rows = interactions.rows[removed]
    frame = dataset.inter_feat
    table = {
        "row": rows,
        "user": dataset.id2token(dataset.uid_field, frame[dataset.uid_field].to_numpy()[rows]),
        "item": dataset.id2token(dataset.iid_field, frame[dataset.iid_field].to_numpy()[rows]),
        "score": scores[removed],
    }
    return without_rows(dataset, rows), report, table


REMOVED_FILE = "cleaning.tsv"
REPORT_FILE = "cleaning.json"


def _store(folder: str, table: dict[str, np.ndarray], report: dict[str, Any]) -> None:
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, REMOVED_FILE), "w", encoding="utf-8") as f:
        f.write("row\tuser\titem\tscore\n")
        for row, user, item, score in zip(*table.values(), strict=True):
            f.write(f"{row}\t{user}\t{item}\t{score:.6g}\n")
    with open(os.path.join(folder, REPORT_FILE), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)


# Keys that change what a detector removes, beyond those named cleaning_* or noise_*.
IDENTITY_KEYS = (
    "dataset",
    "seed",
    "interaction_cleaning",
    "atjt_groups",
    "MAX_ITEM_LIST_LENGTH",
    "train_batch_size",
    "dnr_holdout",
)


def identity(config) -> dict[str, Any]:
    """The settings a cleaning was made with: a stored one is reused only for the same."""
    keys = [k for k in config.final_config_dict if k.startswith(("cleaning_", "noise_"))]
    return {k: config[k] for k in sorted({*IDENTITY_KEYS, *keys}) if k in config}


def _stored(folder, dataset, wanted: dict[str, Any]) -> tuple[np.ndarray, dict] | None:
    """The rows a run folder records as removed (checked against the data), and its report,
    if it was cleaned with the ``wanted`` settings."""
    if not folder or not os.path.isfile(os.path.join(folder, REPORT_FILE)):
        return None
    with open(os.path.join(folder, REPORT_FILE), encoding="utf-8") as f:
        report = json.load(f)
    if report.get("identity") != json.loads(json.dumps(wanted)):
        return None
    with open(os.path.join(folder, REMOVED_FILE), encoding="utf-8") as f:
        lines = [line.rstrip("\n").split("\t") for line in f][1:]
    rows = np.asarray([int(line[0]) for line in lines], dtype=np.int64)
    frame = dataset.inter_feat
    users = dataset.id2token(dataset.uid_field, frame[dataset.uid_field].to_numpy()[rows])
    items = dataset.id2token(dataset.iid_field, frame[dataset.iid_field].to_numpy()[rows])
    if [list(pair) for pair in zip(users, items, strict=True)] != [line[1:3] for line in lines]:
        raise ATJTError(
            f"{os.path.join(folder, REMOVED_FILE)}: its rows are not those of the dataset "
            f"{dataset.dataset_name} as loaded now; allowed: the data the run was cleaned on"
        )
    return rows, report


def rarity_comparison(scores, injected, interactions) -> dict[str, float]:
    """The detector's interaction AUC beside that of rarity alone ("rare means noise": an
    interaction scored by how few training interactions its item has), and the rank
    correlation between the two scores: a detector that only learned rarity matches both."""
    from scipy.stats import spearmanr

    from recbole_atjt.detection import roc_auc

    rarity = -interactions.item_counts()[interactions.items].astype(float)
    same = np.ptp(scores) == 0 or np.ptp(rarity) == 0
    return {
        "auc": roc_auc(scores, injected),
        "rarity_auc": roc_auc(rarity, injected),
        "spearman_with_rarity": float("nan") if same else float(spearmanr(scores, rarity)[0]),
    }


def _report(detector, config, interactions, removed, scores, injected) -> dict[str, Any]:
    items_before = interactions.item_counts() > 0
    kept = np.ones(len(interactions), dtype=bool)
    kept[removed] = False
    items_after = np.bincount(interactions.items[kept], minlength=interactions.n_items) > 0
    report: dict[str, Any] = {
        "detector": detector,
        "training_interactions": len(interactions),
        "removed": len(removed),
        "removed_share": len(removed) / max(len(interactions), 1),
        "users_losing_interactions": int(len(np.unique(interactions.users[removed]))),
        "items_losing_interactions": int(len(np.unique(interactions.items[removed]))),
        "items_in_training": int(items_before.sum()),
        "items_left_in_training": int(items_after.sum()),
    }
    if detector != "oracle":
        report["settings"] = {
            key: config[key]
            for key in (
                "cleaning_share",
                "cleaning_threshold",
                "cleaning_item_keep",
                "cleaning_user_share",
            )
        }
    if injected is not None:
        hits = int(injected[removed].sum())
        report["ground_truth"] = {
            "injected": int(injected.sum()),
            "removed_injected": hits,
            "precision": hits / len(removed) if len(removed) else float("nan"),
            "recall": hits / injected.sum() if injected.sum() else float("nan"),
        }
    return report


def describe(results: dict[str, Any]) -> list[str]:
    """The cleaning lines a run prints ([] without cleaning)."""
    c = results.get("cleaning")
    if not c:
        return []
    line = (
        f"interaction cleaning ({c['detector']}): removed {c['removed']:,} of "
        f"{c['training_interactions']:,} training interactions ({c['removed_share']:.1%}); "
        f"{c['users_losing_interactions']:,} users and {c['items_losing_interactions']:,} items "
        f"lost some; {c['items_left_in_training']:,} of {c['items_in_training']:,} items keep "
        "training interactions"
    )
    truth = c.get("ground_truth")
    if truth:
        line += (
            f" | ground truth: AUC {truth.get('auc', float('nan')):.3f} (rarity alone "
            f"{truth.get('rarity_auc', float('nan')):.3f}), precision "
            f"{truth['precision']:.3f}, recall {truth['recall']:.3f} "
            f"({truth['removed_injected']:,} of {truth['injected']:,} injected removed)"
        )
    return [line]
