"""Tuned settings found with the tool itself: one Ray Tune search per model family and method.

Per dataset, ``tuning`` runs our ``--tune`` (``recbole_atjt/tune.py``: validation
only, ASHA, ``properties/search/atjt-recognizer.yaml``: ATJT's keys, never the recommender's, so a
tuned run differs from its base in ATJT alone) for ATJT as in the paper and for the
best ATJT variant of the diagnosis, on DCN (whose settings the context-aware
models and DIN take) and on SASRec (the sequential models'), at the experiment's
budget. Ray's state and the trials' run folders stay under
``<work_dir>/tuning/<dataset>/<search>/`` (an interrupted search resumes there);
what the page needs is stored as ``<out>/tuning/searches/<dataset>/<search>.json``:
the space, the fixed settings, every trial, the best trial with its single test
evaluation, the commit, the machine and the time. ``tuned_overrides`` gives the
experiments the best parameters of a model's family.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import yaml

from experiments.defaults_digest import EXPERIMENT_OUTPUT, budget_file
from experiments.design import CHOSEN_VARIANT, PAPER_ATJT
from experiments.runner import Setting, machine
from recbole_atjt.paths import PROPERTIES_DIR
from recbole_atjt.run_dir import code_version

SPACE_FILE = PROPERTIES_DIR / "search" / "atjt-recognizer.yaml"
SEARCH_SEED = 2020
# The model searched for each model family, and the family.
FAMILIES: dict[str, tuple[str, ...]] = {
    "DCN": ("WideDeep", "DCN", "DIN"),
    "SASRec": ("SASRec", "S3Rec", "FEARec"),
}
METHODS: dict[str, dict[str, Any]] = {"atjt": PAPER_ATJT, CHOSEN_VARIANT[0]: CHOSEN_VARIANT[1]}


def search_name(model: str, method: str) -> str:
    return f"{model}-{method.replace(' ', '_')}"


def stored_search(out_dir: str, dataset: str, model: str, method: str) -> dict | None:
    path = os.path.join(
        out_dir, "tuning", "searches", dataset, search_name(model, method) + ".json"
    )
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def family_model(model: str) -> str:
    """The searched model whose tuned settings ``model`` takes."""
    for searched, members in FAMILIES.items():
        if model in members:
            return searched
    raise KeyError(f"no tuning family holds {model}")


def tuned_overrides(out_dir: str, dataset: str, model: str, method: str) -> dict | None:
    """The method's settings with the best parameters of ``model``'s family (None: not tuned)."""
    stored = stored_search(out_dir, dataset, family_model(model), method)
    if stored is None:
        return None
    return {**METHODS[method], **stored["best"]["params"]}


def run_searches(setting: Setting, trials: int, cpus_per_trial: float = 1) -> list[dict]:
    """Every search of ``setting.dataset`` (the stored ones are not run again)."""
    from ray import tune as ray_tune

    from recbole_atjt.tune import EXPERIMENT, search

    store = os.path.join(setting.out_dir, "tuning", "searches", setting.dataset)
    os.makedirs(store, exist_ok=True)
    done = []
    for model in FAMILIES:
        for method, overrides in METHODS.items():
            stored = stored_search(setting.out_dir, setting.dataset, model, method)
            if stored is not None:
                done.append(stored)
                continue
            name = search_name(model, method)
            tune_dir = os.path.join(setting.work_dir, "tuning", setting.dataset, name)
            fixed = {**setting.extra, **overrides, "seed": SEARCH_SEED}
            if setting.data_path:
                fixed["data_path"] = setting.data_path
            print(f"tuning: {setting.dataset} {name}, {trials} trials", flush=True)
            started = time.time()
            result = search(
                model,
                setting.dataset,
                str(SPACE_FILE),
                tune_dir,
                num_samples=trials,
                config_file_list=[budget_file(setting.budget)],
                config_dict={**EXPERIMENT_OUTPUT, **fixed},
                resume=ray_tune.Tuner.can_restore(os.path.join(tune_dir, EXPERIMENT)),
                cpus_per_trial=cpus_per_trial,
                sample_seed=SEARCH_SEED,
            )
            record = _record(model, method, setting, fixed, result, time.time() - started)
            with open(os.path.join(store, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(record, f, indent=1, sort_keys=True)
            done.append(record)
    return done


def _record(model, method, setting, fixed, result, seconds) -> dict:
    with open(SPACE_FILE, encoding="utf-8") as f:
        space = yaml.safe_load(f)
    fixed = {k: v for k, v in fixed.items() if k != "data_path"}  # a local path
    trials = [
        {k: r[k] for k in ("trial", "status", "epochs", "best_valid_score", "params", "valid")}
        for r in result["trials"]
    ]
    best = next(t for t in trials if t["params"] == result["params"])
    return {
        "model": model,
        "method": method,
        "dataset": setting.dataset,
        "budget": setting.budget,
        "space": space,
        "fixed": fixed,
        "trials": trials,
        "best": {**best, "test": result["test"]},
        "code": code_version(),
        "machine": machine(fixed),
        "wall_seconds": seconds,
    }
