"""Detection alone, no training: the precision and recall of each detector's removals at
several shares, under the cleaning guards, per noisy condition and seed.

A cheap look, before the cleaning experiment trains on a share, at what removing it would
take out: precision is what decides whether cleaning pays (the cleaning page's account).
Usage (a checkout, like every experiment)::

    python -m experiments.detection_probe --dataset ml-100k --seeds 2020 2021 2022

writes ``results/detection-probe/<dataset>.md``.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

from experiments import cleaning
from experiments.cleaning_rows import fmt_values
from experiments.defaults_digest import budget_file
from experiments.design import Cell
from experiments.runner import dataset_for, machine
from recbole_atjt.rendering import markdown_table
from recbole_atjt.run_dir import code_version

SHARES = (0.01, 0.02, 0.05, 0.1)
CONDITIONS = (cleaning.INSERT, cleaning.INSERT_POPULAR, cleaning.REPLACE)
RARITY = "rarity alone"
ITEM_KEEP, USER_SHARE = 1, 0.5  # the cleaning guards' defaults


def detectors() -> list[tuple[str, dict[str, Any] | None]]:
    """(label, settings) of rarity alone (None: no detector to run) and every variant the
    cleaning screening tries."""
    variants = [variant for row in cleaning.VARIANTS.values() for variant in row]
    return [(RARITY, None), *variants]


def removal_figures(injected: np.ndarray, removed: np.ndarray) -> tuple[float, float]:
    """(precision, recall) of removing the interactions at ``removed``, given which of all
    are ``injected``."""
    found = int(injected[removed].sum())
    return found / max(len(removed), 1), found / max(int(injected.sum()), 1)


def probe(dataset: str, data_path: str | None, work_dir: str, seed: int, budget: str, condition):
    """{(detector, share): (precision, recall)} on one injected copy of ``dataset``."""
    from recbole_atjt.cleaning.detectors import DETECTORS
    from recbole_atjt.cleaning.interactions import leave_out_count, training_interactions
    from recbole_atjt.cleaning.run import injected_flags
    from recbole_atjt.cleaning.selection import select
    from recbole_atjt.config import ATJTConfig
    from recbole_atjt.data.ground_truth import ground_truth_path
    from recbole_atjt.data.preparation import load_dataset

    label, noise, mode, sampling = condition
    cell = Cell(label, "probe", "SASRec", noise=noise, noise_mode=mode, item_sampling=sampling)
    name, path = dataset_for(cell, dataset, data_path, work_dir, seed)

    def config_of(settings: dict[str, Any] | None):
        overrides = {"interaction_cleaning": "recognizer", **(settings or {})}
        config_dict = {"data_path": path, "seed": seed, "gpu_id": "", **overrides}
        return ATJTConfig("SASRec", name, [budget_file(budget)], config_dict)

    # the detectors' settings change how they score, not which interactions there are
    config = config_of(None)
    loaded = load_dataset(config)
    interactions = training_interactions(loaded, leave_out_count(config))
    injected = injected_flags(loaded, interactions, ground_truth_path(config))
    figures = {}
    for detector, settings in detectors():
        if settings is None:
            scores = -interactions.item_counts()[interactions.items].astype(float)
        else:
            config = config_of(settings)
            scores, _ = DETECTORS[config["interaction_cleaning"]](interactions, config, True)
        for share in SHARES:
            removed = select(scores, interactions, share, None, ITEM_KEEP, USER_SHARE)
            figures[(detector, share)] = removal_figures(injected, removed)
    return figures


def page(dataset, seeds, budget, by_condition, minutes: float, code) -> list[str]:
    header = ["condition", "detector", "share removed", "precision", "recall"]
    rows = []
    for (condition, detector, share), per_seed in by_condition.items():
        precision, recall = zip(*per_seed, strict=True)
        rows.append(
            [condition, detector, str(share), fmt_values(precision, 3), fmt_values(recall, 3)]
        )
    commit = code["commit"][:10] if code else "none (not a checkout)"
    return [
        f"# Detection alone on {dataset}: what each share would remove",
        "",
        "No model trains here. Each detector scores the training interactions of an injected "
        "copy; the most suspect are removed, under the cleaning guards (every item keeps one "
        f"training interaction, a user loses at most {USER_SHARE:.0%} of theirs), until the "
        "share is reached. Precision: the share of the removed that were injected; recall: the "
        "share of the injected that were removed. Mean ± std over seeds "
        f"({', '.join(map(str, seeds))}). Whether removing pays depends on precision: see the "
        "cleaning page's account of what removals cost and could gain.",
        "",
        *markdown_table(header, rows, "llrrr"),
        "",
        f"- budget: `{budget}` (the history length and batch size the recognizers use)",
        f"- machine: {machine({'gpu_id': ''})}",
        f"- code: `{commit}`" + (" (uncommitted changes)" if code and code["dirty"] else ""),
        f"- time: {minutes:.1f} min",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.detection_probe")
    parser.add_argument("--dataset", default="ml-100k")
    parser.add_argument("--data_path", default=None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[2020])
    parser.add_argument("--budget", default="cpu")
    parser.add_argument("--work_dir", default="saved/experiment-data")
    parser.add_argument("--out", default="results")
    args = parser.parse_args(argv)
    start, code = time.perf_counter(), code_version()  # the code as it starts
    by_condition: dict[tuple[str, str, float], list[tuple[float, float]]] = {}
    for condition in CONDITIONS:
        for seed in args.seeds:
            print(f"[detection probe] {args.dataset} {condition[0]}, seed {seed}", flush=True)
            found = probe(args.dataset, args.data_path, args.work_dir, seed, args.budget, condition)
            for (detector, share), figures in found.items():
                by_condition.setdefault((condition[0], detector, share), []).append(figures)
    minutes = (time.perf_counter() - start) / 60
    path = os.path.join(args.out, "detection-probe", f"{args.dataset}.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        lines = page(args.dataset, args.seeds, args.budget, by_condition, minutes, code)
        f.write("\n".join(lines) + "\n")
    _write_readme(os.path.dirname(path))
    print(f"wrote {path}")
    return 0


def _write_readme(folder: str) -> None:
    """The folder's README: what its pages are and the command that rewrites them (they
    store no runs, so the leaderboard lists the folder rather than reading a summary)."""
    pages = sorted(p for p in os.listdir(folder) if p.endswith(".md") and p != "README.md")
    lines = [
        "# Detection alone",
        "",
        "What each cleaning detector would remove at shares 0.01 to 0.1, with no model "
        "trained: precision and recall against the injected ground truth, per noisy "
        "condition. No runs are stored; `python -m experiments.detection_probe --dataset "
        "<dataset> --seeds ...` computes a page again (each page gives its time).",
        "",
        *(f"- [{page[:-3]}]({page})" for page in pages),
    ]
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
