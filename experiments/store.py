"""The run store: the only code that reads or writes stored runs.

Experiment ``name`` stores the run of one cell and seed on one dataset as
``<out>/<name>/runs/<dataset>/<cell>-seed<seed>.json``. A run is identified by its
``run_key`` (the run format of the code that trained it, model, dataset, budget, seed,
injected noise, settings), so the run one experiment made serves any other that asks for
the same run. A run also records ``defaults``, the digest of the properties files it was
trained under (``defaults_digest.py``); one whose digest is not today's is another run.

A command claims a run before training it by holding an exclusive ``flock`` on
``<run>.json.lock`` (which names its host and process id, for the messages); another
command skips a claimed run and, once it has trained the rest, waits for the result. The
kernel releases the lock of a process that ends in any way, so the claim of a command
killed mid-run is free at once, without guessing from process ids whether its holder is
still alive. The holder removes the file while it still holds the lock; a command that
locked a file just removed this way sees that the path no longer names its file and tries
again.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import glob
import json
import os
import re
import socket
from collections.abc import Iterator
from typing import Any

from experiments.defaults_digest import budget_file, defaults_conflict
from experiments.design import Cell

# The code that trained a run: 2 is the code after the denoising rework (recognizer modes,
# new defaults such as SASRec's BPR loss); 3 reads an injected copy with its source's
# properties files (copies of ml-100k had lost RecBole's ml-100k features and rating
# threshold). A stored run of another format (or of none: the runs before it) is another
# run, never reused for a cell of this one.
RUN_FORMAT = 3

# Settings that change how a run executes or logs, not what it trains (a thread count or a
# compiled recognizer changes float rounding only).
EXECUTION_ONLY = ("torch_threads", "compile_recognizer", "show_progress", "state")

RUNS = "runs"


def slug(text: str) -> str:
    """A cell key as a file name part."""
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", text)


def runs_folder(out_dir: str, name: str, dataset: str) -> str:
    """Where experiment ``name`` stores its runs on ``dataset``."""
    return os.path.join(out_dir, name, RUNS, dataset)


def run_path(out_dir: str, name: str, dataset: str, cell_key: str, seed: int) -> str:
    """Where experiment ``name`` stores the run of one cell and seed."""
    return os.path.join(runs_folder(out_dir, name, dataset), f"{slug(cell_key)}-seed{seed}.json")


def run_key(cell: Cell, dataset: str, budget: str, seed: int, extra: dict | None) -> dict:
    """What makes two runs the same run, whichever experiment asks for it (the noise's mode
    and item sampling only where they are not the first ones, replace and uniform)."""
    key = {
        "format": RUN_FORMAT,
        "model": cell.model,
        "dataset": dataset,
        "budget": budget,
        "seed": seed,
        "noise": cell.noise,
        "settings": {**(extra or {}), **cell.overrides},
    }
    if cell.noise and cell.noise_mode != "replace":
        key["noise_mode"] = cell.noise_mode
    if cell.noise and cell.item_sampling != "uniform":
        key["item_sampling"] = cell.item_sampling
    return key


@functools.cache
def _defaults(model: str, dataset: str, budget: str) -> dict[str, Any]:
    """Every key's value for a run that sets nothing, resolved as the run resolves it
    (RecBole's properties, ours, then the budget file)."""
    from recbole_atjt.config import ATJTConfig

    return dict(ATJTConfig(model, dataset, [budget_file(budget)]).final_config_dict)


def identity(key: dict, ignoring: frozenset[str] = frozenset()) -> str:
    """A run key as text, without the settings that only restate a default (noise_ratio=0.5
    in the Fig. 4 sweep is Table 2's ATJT run), only change how it executes, or are
    ``ignoring``."""
    defaults = _defaults(key["model"], key["dataset"], key["budget"])
    settings = {
        k: v
        for k, v in key["settings"].items()
        if k not in EXECUTION_ONLY and k not in ignoring and (k not in defaults or defaults[k] != v)
    }
    return json.dumps({**key, "settings": settings}, sort_keys=True)


def read_run(path: str) -> dict | None:
    """The run stored at ``path``; None where there is none, or one still being written."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def write_run(path: str, run: dict) -> None:
    """Store ``run`` at ``path`` whole: a reader never sees half a run."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.partial"
    with open(partial, "w", encoding="utf-8") as f:
        json.dump(run, f, indent=1)
    os.replace(partial, path)


def is_current(run: dict) -> bool:
    """Whether ``run`` was trained by code of today's run format."""
    return (run.get("run_key") or {}).get("format") == RUN_FORMAT


def records_todays_defaults(run: dict) -> bool:
    """Whether ``run`` records the defaults digest of today's properties files (a run stored
    before runs recorded it does not)."""
    return run.get("defaults") is not None and defaults_conflict(run) is None


def runs_of(out_dir: str, name: str = "*", dataset: str = "*") -> Iterator[tuple[str, dict]]:
    """(path, run) of every run stored by experiment ``name`` on ``dataset`` (``*``: any),
    in path order."""
    pattern = os.path.join(out_dir, name, RUNS, dataset, "*.json")
    for path in sorted(glob.glob(pattern)):
        run = read_run(path)
        if run is not None:
            yield path, run


def runs_at_any_depth(out_dir: str, dataset: str) -> Iterator[dict]:
    """Every run of ``dataset`` in any folder under ``out_dir``, kept pages of earlier code
    included, in path order."""
    pattern = os.path.join(out_dir, "**", RUNS, dataset, "*.json")
    for path in sorted(glob.glob(pattern, recursive=True)):
        run = read_run(path)
        if run is not None:
            yield run


def stored_datasets(out_dir: str) -> list[str]:
    """The datasets any experiment stored a run of."""
    paths = glob.glob(os.path.join(out_dir, "*", RUNS, "*", "*.json"))
    return sorted({os.path.basename(os.path.dirname(path)) for path in paths})


def finished_runs(out_dir: str, dataset: str) -> dict[str, str]:
    """The path of every stored run of ``dataset`` in any experiment, by its run identity
    (runs of today's defaults only)."""
    found = {}
    for path, run in runs_of(out_dir, dataset=dataset):
        if run.get("run_key") is not None and defaults_conflict(run) is None:
            found.setdefault(identity(run["run_key"]), path)
    return found


def run_conflict(run: dict | None, key: dict) -> str | None:
    """How ``run`` differs from ``key``'s (another budget, other settings, older code, other
    defaults), or None where there is no run or it is the same run."""
    if run is None:
        return None
    stored = run.get("run_key")
    if stored is not None and identity(stored) == identity(key):
        return defaults_conflict(run)
    code = ""
    if stored is not None and stored.get("format") != key["format"]:
        code = f", trained by older code (run format {stored.get('format')}, now {key['format']})"
    return f"budget {stored and stored['budget']!r}, settings {stored and stored['settings']}{code}"


def stored_conflict(path: str, key: dict) -> str | None:
    """``run_conflict`` of the run stored at ``path``."""
    return run_conflict(read_run(path), key)


def _refuse(conflict: str | None, path: str, key: dict, out_dir: str) -> None:
    if conflict is None:
        return
    raise SystemExit(
        f"error: {path} holds a run of other settings ({conflict}) than asked (budget "
        f"{key['budget']!r}, settings {key['settings']}); results of other settings belong in "
        f"their own folder: add --out {out_dir}-<name>"
    )


def check_stored(path: str, key: dict, out_dir: str) -> None:
    """Refuse to mix runs of other settings (another budget, --epochs=...) into one page."""
    _refuse(stored_conflict(path, key), path, key, out_dir)


def stored_results(
    out_dir: str, name: str, cells: list[Cell], dataset: str, seeds
) -> dict[tuple[str, int], dict]:
    """The run experiment ``name`` stored for every (cell key, seed) that has one; nothing is
    checked (see ``checked_results``)."""
    found = {}
    for cell in cells:
        for seed in seeds:
            run = read_run(run_path(out_dir, name, dataset, cell.key, seed))
            if run is not None:
                found[(cell.key, seed)] = run
    return found


def checked_results(
    out_dir: str, name: str, cells: list[Cell], dataset: str, seeds, budget: str, extra: dict
) -> dict[tuple[str, int], dict]:
    """``stored_results``, refusing (as a command that trains refuses) a run stored under a
    cell's path whose settings are not the cell's."""
    found = stored_results(out_dir, name, cells, dataset, seeds)
    for cell in cells:
        for seed in seeds:
            run = found.get((cell.key, seed))
            if run is not None:
                path = run_path(out_dir, name, dataset, cell.key, seed)
                key = run_key(cell, dataset, budget, seed, extra)
                _refuse(run_conflict(run, key), path, key, out_dir)
    return found


def stored_seeds(out_dir: str, name: str, dataset: str) -> list[int]:
    """Every seed experiment ``name`` stored a run of on ``dataset``."""
    pattern = os.path.join(runs_folder(out_dir, name, dataset), "*-seed*.json")
    seeds = {re.search(r"-seed(\d+)\.json$", p) for p in glob.glob(pattern)}
    return sorted(int(m.group(1)) for m in seeds if m)


def _holder(lock: str) -> tuple[str, int] | None:
    try:
        with open(lock, encoding="utf-8") as f:
            host, pid = f.read().split()
        return host, int(pid)
    except (OSError, ValueError):
        return None


def _names_open_file(lock: str, fd: int) -> bool:
    """Whether ``lock`` still names the file open as ``fd`` (not removed or replaced)."""
    try:
        return os.stat(lock).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _take(lock: str) -> int | None:
    """The open, locked claim file, or None when a live process holds it."""
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if _names_open_file(lock, fd):
            os.ftruncate(fd, 0)
            os.write(fd, f"{socket.gethostname()} {os.getpid()}".encode())
            return fd
        os.close(fd)  # released and removed by its holder in between: claim afresh


def holder_text(path: str) -> str:
    holder = _holder(path + ".lock")
    return f"process {holder[1]} on {holder[0]}" if holder else "another command"


@contextlib.contextmanager
def claim(path: str) -> Iterator[bool]:
    """Yield True when this process holds the run at ``path`` (released on exit), else False."""
    lock = path + ".lock"
    fd = _take(lock)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(lock)  # while still locked, so nobody holds a removed file unawares
            os.close(fd)
