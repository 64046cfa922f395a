"""Run an experiment's cells over seeds, keeping every finished run's results.

Each finished run goes to the run store (``store.py``); a rerun skips what is stored, so
an interrupted experiment continues where it stopped, and a run killed after a validated
epoch resumes from its checkpoint (each run keeps its folders under
``<work_dir>/runs/<name>/<dataset>/<cell>-seed<s>/``). A cell whose run another experiment
already made (the base DCN of Table 2, Table 4 and the sweeps; ATJT on DCN in Tables 2, 4
and 5) copies that run instead of training again, and says so in ``reused_from``. A run of
a pretrained model (S3Rec) fine-tunes the pretrained model of a finished run that differs
from it only in the keys of ``PRETRAINING_IGNORES`` (base and +ATJT of one seed) instead of
pretraining again: RecBole's pretrain stage reads none of them, so the model is the same
(``tests/test_pretrain.py`` records what it reads); ``pretrained_from`` names it. Injected
datasets for the robustness experiment are written under ``work_dir`` (never into the
results).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import platform
import time
from collections.abc import Callable
from typing import Any

from experiments.defaults_digest import EXPERIMENT_OUTPUT, budget_file, defaults_digest
from experiments.design import Cell
from experiments.store import (
    EXECUTION_ONLY,
    check_stored,
    claim,
    finished_runs,
    holder_text,
    identity,
    read_run,
    run_key,
    run_path,
    runs_folder,
    slug,
    write_run,
)
from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import MODE_SPECIFIC_KEYS
from recbole_atjt.noise import copy_tag, inject
from recbole_atjt.paths import SOURCE_SUFFIX, dataset_source
from recbole_atjt.run_dir import code_version


@dataclasses.dataclass(frozen=True)
class Setting:
    """What every run of one experiment on one dataset shares: the seeds, the budget, the
    extra ``--key=value`` settings, and where runs are stored (``out_dir``), trained
    (``work_dir``) and read from (``data_path``)."""

    dataset: str
    seeds: list[int]
    budget: str
    out_dir: str
    data_path: str | None = None
    work_dir: str = "saved/experiment-data"
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def with_seeds(self, seeds: list[int]) -> Setting:
        return dataclasses.replace(self, seeds=list(seeds))

    @property
    def budget_text(self) -> str:
        """The budget file's text, as the pages quote it."""
        with open(budget_file(self.budget), encoding="utf-8") as f:
            return f.read()


def machine(settings: dict[str, Any]) -> str:
    """The machine a run with these settings trains on (the GPU's name when it uses one)."""
    import torch

    cores = f"{os.cpu_count()} cores, torch {torch.__version__}"
    if settings.get("gpu_id") not in (None, "") and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} GPU, {cores}"
    return f"{platform.processor() or platform.machine()} CPU, {cores}"


def dataset_for(cell: Cell, dataset: str, data_path: str | None, work_dir: str, seed: int):
    """(dataset name, data_path) of the cell: the clean one or an injected copy."""
    if cell.noise == 0:
        return dataset, data_path
    try:
        source = dataset_source(dataset, data_path)
    except ATJTError as exc:
        raise SystemExit(f"error: injected noise: {exc}") from None
    name = f"{dataset}-{noise_tag(cell)}-seed{seed}"
    copy = os.path.join(work_dir, name, name)
    if not all(os.path.isfile(f"{copy}{suffix}") for suffix in (".inter", SOURCE_SUFFIX)):
        inject(
            source,
            dataset,
            cell.noise,
            seed=seed,
            mode=cell.noise_mode,
            item_sampling=cell.item_sampling,
            out_path=work_dir,
            name=name,
        )
    return name, work_dir


def noise_tag(cell: Cell) -> str:
    """The injected copy's name part: noise20 (replaced), insert20, insert20-pop, ..."""
    return copy_tag(cell.noise_mode, cell.noise, cell.item_sampling)


# Seconds between looks at runs another command is training.
WAIT_SECONDS = 30


# Keys that only the denoising reads, or only how a run executes: runs that differ in these
# alone pretrain the same model (tests/test_pretrain.py records every key pretraining reads).
# Any other key, ours or RecBole's, a new one included, is taken to change pretraining.
PRETRAINING_IGNORES = frozenset(
    {"denoise", "fixed_eval_candidates", "loss_attribute", *MODE_SPECIFIC_KEYS, *EXECUTION_ONLY}
)


def _pretraining_identity(key: dict) -> str:
    """A run key without the keys pretraining ignores: runs equal in it have the same
    pretrained model."""
    return identity(key, ignoring=PRETRAINING_IGNORES)


def _shared_pretrained(key: dict, finished: dict[str, str]) -> str | None:
    """The pretrained model of a finished run with this run's pretraining, if one is kept."""
    from recbole_atjt.pretrain import PRETRAINED_MODELS

    if "pre_model_path" in key["settings"] or key["model"] not in PRETRAINED_MODELS:
        return None
    wanted = _pretraining_identity(key)
    for path in finished.values():
        stored = read_run(path)
        if stored is None:
            continue  # moved away since the command listed it
        if stored.get("run_key") is None or _pretraining_identity(stored["run_key"]) != wanted:
            continue
        pretrained = stored.get("pretrained_from") or os.path.join(
            stored["run_dir"], f"{key['model']}-pretrained.pth"
        )
        if os.path.isfile(pretrained):
            return pretrained
    return None


def _interrupted_run(folders: str) -> str | None:
    """The latest folder under ``folders`` of a run stopped after a validated epoch, if any."""
    stopped = [
        os.path.dirname(c)
        for c in glob.glob(os.path.join(folders, "*", "*-latest.pth"))
        if not os.path.isfile(os.path.join(os.path.dirname(c), "results.json"))
    ]
    return max(stopped, key=os.path.getmtime) if stopped else None


def run_cells(
    name: str,
    cells: list[Cell],
    setting: Setting,
    run_fn: Callable[..., dict] | None = None,
    keep_failures: bool = False,
) -> dict[tuple[str, int], dict]:
    """Results of every (cell key, seed of the setting), running what is missing.

    With ``keep_failures`` a run that stops with an ``ATJTError`` (non-finite weights, say) is
    stored with its message under ``failed`` instead of ending the command.

    Runs another command has claimed are left to it (``store.claim``); this one
    waits for their results before it returns.
    """
    from recbole_atjt.quick_start import run

    run_fn = run_fn or run
    dataset, budget, out_dir, extra = (
        setting.dataset,
        setting.budget,
        setting.out_dir,
        setting.extra,
    )
    os.makedirs(runs_folder(out_dir, name, dataset), exist_ok=True)  # for the claims
    results: dict[tuple[str, int], dict] = {}
    grid = [(c, s) for c in cells for s in setting.seeds]
    paths = {(c.key, s): run_path(out_dir, name, dataset, c.key, s) for c, s in grid}
    for cell, seed in grid:
        check_stored(paths[(cell.key, seed)], run_key(cell, dataset, budget, seed, extra), out_dir)

    def train(cell: Cell, seed: int, key: dict, finished: dict[str, str], label: str) -> dict:
        started = time.time()
        folders = os.path.join(
            setting.work_dir, "runs", name, dataset, f"{slug(cell.key)}-seed{seed}"
        )
        interrupted = _interrupted_run(folders)
        print(f"{label}: resuming {interrupted}" if interrupted else label, flush=True)
        run_dataset, run_path = dataset_for(
            cell, dataset, setting.data_path, setting.work_dir, seed
        )
        settings = {
            **EXPERIMENT_OUTPUT,
            **(extra or {}),
            **cell.overrides,
            "seed": seed,
            "run_dir": folders,
        }
        if run_path:
            settings["data_path"] = run_path
        pretrained = None if interrupted else _shared_pretrained(key, finished)
        if pretrained:
            settings["pre_model_path"] = pretrained
        try:
            if interrupted:
                outcome = run_fn(resume=interrupted)  # with its own saved configuration
                outcome["resumed"] = interrupted
            else:
                outcome = run_fn(cell.model, run_dataset, [budget_file(budget)], settings)
        except ATJTError as exc:  # a diverged run is a result too: stored, not retried
            if not keep_failures:
                raise
            print(f"{label}: failed: {exc}", flush=True)
            outcome = {"model": cell.model, "dataset": run_dataset, "seed": seed}
            outcome.update({"failed": str(exc), "code": code_version()})
        outcome["wall_seconds"] = time.time() - started
        outcome["machine"] = machine(settings)
        outcome["run_key"] = key
        outcome["defaults"] = defaults_digest(budget, cell.model, dataset)
        if pretrained:
            outcome["pretrained_from"] = pretrained
        return outcome

    pending, announced = list(enumerate(grid, start=1)), set()
    while pending:
        finished = finished_runs(out_dir, dataset)  # with those other commands finished
        claimed_elsewhere = []
        for n, (cell, seed) in pending:
            path = paths[(cell.key, seed)]
            key = run_key(cell, dataset, budget, seed, extra)
            label = f"[{name} {dataset}] {n}/{len(grid)}: {cell.row} / {cell.column}, seed {seed}"
            with claim(path) as mine:
                stored = read_run(path)
                if stored is not None:
                    results[(cell.key, seed)] = stored
                elif not mine:
                    claimed_elsewhere.append((n, (cell, seed)))
                    if path not in announced:
                        announced.add(path)
                        print(
                            f"{label}: trained by {holder_text(path)}, waiting for it", flush=True
                        )
                elif (earlier := read_run(finished.get(identity(key), ""))) is not None:
                    earlier["reused_from"] = os.path.relpath(finished[identity(key)], out_dir)
                    write_run(path, earlier)
                    results[(cell.key, seed)] = earlier
                else:
                    outcome = train(cell, seed, key, finished, label)
                    write_run(path, outcome)
                    finished[identity(key)] = path
                    results[(cell.key, seed)] = outcome
        if claimed_elsewhere:
            time.sleep(WAIT_SECONDS)
        pending = claimed_elsewhere
    return results
