"""What an experiment still has to train, and about how long it will take, before it runs.

Each (cell, seed) of the experiment is *stored* (its run is in the experiment's store),
*to copy* (another experiment holds a run of identical settings, which the command copies
without training) or *to train*; a stored run of other settings or older code, which the
command refuses, is counted as what it becomes once moved away (to copy or to train). A run
to train is estimated by the median ``wall_seconds`` of the stored runs of the same model,
dataset, budget and denoiser (with the same ``atjt_groups`` where any has it; else of the
model with any denoiser, and the table says so) in any folder under ``<out>``, earlier code's
pages included, on whatever machine trained them: a guide for planning, not a promise.
Copies and resumed runs (whose time is only the resumed part) are left out of the estimates.
"""

from __future__ import annotations

import glob
import json
import os
from collections import defaultdict

import numpy as np

from recbole_atjt.experiments.design import Cell
from recbole_atjt.experiments.report import _tuned_note
from recbole_atjt.experiments.runner import (
    Setting,
    _finished_runs,
    _identity,
    run_key,
    stored_conflict,
    stored_run_path,
)


def _kind(model: str, settings: dict) -> tuple:
    return model, settings.get("denoise", "none"), settings.get("atjt_groups")


ANY = "any"


def stored_durations(out_dir: str, dataset: str, budget: str) -> dict[tuple, list[float]]:
    """Training seconds of every stored run of ``dataset`` under ``out_dir`` (at any depth)
    of this budget (or of none recorded), by (model, denoiser, atjt_groups), by
    (model, denoiser, None) and by (model, ANY, None)."""
    found: dict[tuple, list[float]] = defaultdict(list)
    pattern = os.path.join(out_dir, "**", "runs", dataset, "*.json")
    for path in sorted(glob.glob(pattern, recursive=True)):
        with open(path, encoding="utf-8") as f:
            run = json.load(f)
        if "reused_from" in run or run.get("resumed") or not run.get("wall_seconds"):
            continue  # a copy, or a resumed run's partial time
        key = run.get("run_key") or {}
        if key.get("budget", budget) != budget:
            continue
        settings = {"denoise": run.get("denoise", "none"), **key.get("settings", {})}
        model, denoise, groups = _kind(run.get("model", ""), settings)
        kinds = {(model, denoise, groups), (model, denoise, None), (model, ANY, None)}
        for kind in kinds:
            found[kind].append(run["wall_seconds"])
    return found


def _estimate(cell: Cell, durations: dict[tuple, list[float]]) -> tuple[float | None, bool]:
    """(median seconds, whether they are of the cell's own denoiser)."""
    model, denoise, groups = _kind(cell.model, cell.overrides)
    for kind in ((model, denoise, groups), (model, denoise, None)):
        if durations.get(kind):
            return float(np.median(durations[kind])), True
    seconds = durations.get((model, ANY, None))
    return (float(np.median(seconds)) if seconds else None), False


def plan_lines(name: str, cells: list[Cell], setting: Setting) -> list[str]:
    """The experiment's runs on ``setting.dataset``: how many are stored, to copy and to
    train, with a table of the cells to train and the estimated hours."""
    dataset, out_dir = setting.dataset, setting.out_dir
    finished = _finished_runs(out_dir, dataset)
    durations = stored_durations(out_dir, dataset, setting.budget)
    stored, copied, refused = 0, 0, 0
    to_train: list[tuple[Cell, list[int]]] = []
    for cell in cells:
        seeds = []
        for seed in setting.seeds:
            key = run_key(cell, dataset, setting.budget, seed, setting.extra)
            path = stored_run_path(out_dir, name, dataset, cell.key, seed)
            refused += stored_conflict(path, key) is not None
            if os.path.isfile(path) and stored_conflict(path, key) is None:
                stored += 1
            elif _identity(key) in finished:
                copied += 1
            else:
                seeds.append(seed)
        if seeds:
            to_train.append((cell, seeds))
    rows, total, unknown = [], 0.0, 0
    for cell, seeds in to_train:
        each, own = _estimate(cell, durations)
        if each is None:
            unknown += len(seeds)
        else:
            total += each * len(seeds)
        minutes = "no stored run to go by" if each is None else f"{each / 60:.1f} min"
        if each is not None and not own:
            minutes += " (the model's runs of any denoiser)"
        rows.append(f"| {cell.row} | {cell.column} | {', '.join(map(str, seeds))} | {minutes} |")
    planned = len(cells) * len(setting.seeds)
    trains = sum(len(s) for _, s in to_train)
    lines = [
        f"{name} on {dataset}: {planned} runs: {stored} stored, {copied} to copy from other "
        f"experiments, {trains} to train, about {total / 3600:.1f} h of training"
        + (f" (and {unknown} runs without an estimate)" if unknown else ""),
    ]
    if refused:
        folder = os.path.join(out_dir, name, "runs", dataset)
        lines.append(
            f"{refused} runs are stored in {folder} with other settings or by older code: the "
            "command refuses to run until they are moved away (or given its own --out)"
        )
    lines += [note.removeprefix("- ") for note in _tuned_note(name, cells, dataset)]
    if rows:
        lines += ["", "| row | column | seeds to train | estimate per run |", "|---|---|---|---:|"]
        lines += rows
    return lines
