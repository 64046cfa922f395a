"""What an experiment still has to train, and about how long it will take, before it runs.

Each (cell, seed) of the experiment is *stored* (its run is in the experiment's store),
*to copy* (another experiment holds a run of identical settings, which the command copies
without training) or *to train*; a stored run of other settings or older code, which the
command refuses, is counted as what it becomes once moved away (to copy or to train). A run
to train is estimated by the median ``wall_seconds`` of the stored runs of the same model,
dataset, budget and denoiser (with the same ``atjt_groups`` where any has it; else of the
model with any denoiser, and the table says so) in any folder under ``<out>``, earlier code's
pages included, on whatever machine trained them: a guide for planning, not a promise.
Runs that record today's defaults (the digest of their properties files: a model's sizes set
there change its cost) come first; runs of other defaults, or stored before runs recorded
them, are the estimate only where the model has no run of today's, and the table says so.
Copies and resumed runs (whose time is only the resumed part) are left out of the estimates.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from experiments.design import Cell
from experiments.report import tuned_note
from experiments.runner import Setting
from experiments.store import (
    finished_runs,
    identity,
    read_run,
    records_todays_defaults,
    run_key,
    run_path,
    runs_at_any_depth,
    runs_folder,
    stored_conflict,
)
from recbole_atjt.rendering import markdown_table


def _kind(model: str, settings: dict) -> tuple:
    return model, settings.get("denoise", "none"), settings.get("atjt_groups")


ANY = "any"


def stored_durations(out_dir: str, dataset: str, budget: str) -> dict[tuple, list[float]]:
    """Training seconds of every stored run of ``dataset`` under ``out_dir`` (at any depth)
    of this budget (or of none recorded), by (today's defaults, model, denoiser,
    atjt_groups), by (today's defaults, model, denoiser, None) and by (today's defaults,
    model, ANY, None); today's defaults is True for a run that records today's defaults
    digest."""
    found: dict[tuple, list[float]] = defaultdict(list)
    for run in runs_at_any_depth(out_dir, dataset):
        if "reused_from" in run or run.get("resumed") or not run.get("wall_seconds"):
            continue  # a copy, or a resumed run's partial time
        key = run.get("run_key") or {}
        if key.get("budget", budget) != budget:
            continue
        settings = {"denoise": run.get("denoise", "none"), **key.get("settings", {})}
        model, denoise, groups = _kind(run.get("model", ""), settings)
        today = records_todays_defaults(run)
        kinds = {(model, denoise, groups), (model, denoise, None), (model, ANY, None)}
        for kind in kinds:
            found[(today, *kind)].append(run["wall_seconds"])
    return found


def _estimate(cell: Cell, durations: dict[tuple, list[float]]) -> tuple[float | None, str]:
    """(median seconds, what they are the median of: "" for runs of the cell's own denoiser
    under today's defaults, else a note for the table)."""
    model, denoise, groups = _kind(cell.model, cell.overrides)
    for today, other_defaults in ((True, ""), (False, "runs without today's defaults")):
        for kind in ((model, denoise, groups), (model, denoise, None)):
            if durations.get((today, *kind)):
                return float(np.median(durations[(today, *kind)])), other_defaults
        seconds = durations.get((today, model, ANY, None))
        if seconds:
            note = "the model's runs of any denoiser"
            return float(np.median(seconds)), ", ".join(filter(None, (note, other_defaults)))
    return None, ""


def plan_lines(name: str, cells: list[Cell], setting: Setting) -> list[str]:
    """The experiment's runs on ``setting.dataset``: how many are stored, to copy and to
    train, with a table of the cells to train and the estimated hours."""
    dataset, out_dir = setting.dataset, setting.out_dir
    finished = finished_runs(out_dir, dataset)
    durations = stored_durations(out_dir, dataset, setting.budget)
    stored, copied, refused = 0, 0, 0
    to_train: list[tuple[Cell, list[int]]] = []
    for cell in cells:
        seeds = []
        for seed in setting.seeds:
            key = run_key(cell, dataset, setting.budget, seed, setting.extra)
            path = run_path(out_dir, name, dataset, cell.key, seed)
            conflict = stored_conflict(path, key)
            refused += conflict is not None
            if conflict is None and read_run(path) is not None:
                stored += 1
            elif identity(key) in finished:
                copied += 1
            else:
                seeds.append(seed)
        if seeds:
            to_train.append((cell, seeds))
    rows, total, unknown = [], 0.0, 0
    for cell, seeds in to_train:
        each, note = _estimate(cell, durations)
        if each is None:
            unknown += len(seeds)
        else:
            total += each * len(seeds)
        minutes = "no stored run to go by" if each is None else f"{each / 60:.1f} min"
        if note:
            minutes += f" ({note})"
        rows.append([cell.row, cell.column, ", ".join(map(str, seeds)), minutes])
    planned = len(cells) * len(setting.seeds)
    trains = sum(len(s) for _, s in to_train)
    lines = [
        f"{name} on {dataset}: {planned} runs: {stored} stored, {copied} to copy from other "
        f"experiments, {trains} to train, about {total / 3600:.1f} h of training"
        + (f" (and {unknown} runs without an estimate)" if unknown else ""),
    ]
    if refused:
        folder = runs_folder(out_dir, name, dataset)
        lines.append(
            f"{refused} runs are stored in {folder} with other settings or by older code: the "
            "command refuses to run until they are moved away (or given its own --out)"
        )
    lines += [note.removeprefix("- ") for note in tuned_note(name, cells, dataset)]
    if rows:
        header = ["row", "column", "seeds to train", "estimate per run"]
        lines += ["", *markdown_table(header, rows, "lllr")]
    return lines
