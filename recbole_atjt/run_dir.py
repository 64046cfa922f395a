"""The per-run output folder: saved/<model>-<dataset>-<denoise>-<time>/."""

from __future__ import annotations

import glob
import json
import logging
import os
import subprocess
import time
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import PACKAGE_DIR, existing_ancestor
from recbole_atjt.rendering import number

METRIC_COLUMNS = (
    ("gauc", "AUC"),
    ("hit@5", "HR@5"),
    ("ndcg@5", "NDCG@5"),
    ("hit@10", "HR@10"),
    ("ndcg@10", "NDCG@10"),
)


def make_run_dir(config: Any) -> str:
    """Create a fresh folder for this run (never reuses one: parallel runs are safe)."""
    existing = existing_ancestor(config["run_dir"])
    if not os.path.isdir(existing):
        raise ATJTError(
            f"config key 'run_dir': got {config['run_dir']!r}; allowed: a folder path "
            f"({existing} is a file)"
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem = f"{config['model']}-{config['dataset']}-{config['denoise']}-{stamp}"
    base = os.path.join(config["run_dir"], stem)
    path, n = base, 1
    while True:
        try:
            os.makedirs(path)
            return path
        except FileExistsError:
            n += 1
            path = f"{base}-{n}"


def attach_log_file(run_dir: str, state: str | None) -> logging.Handler:
    """Copy everything the root logger writes into ``run_dir/run.log``.

    Also sets the root level from ``state``: RecBole's ``init_logger`` uses
    ``logging.basicConfig``, a no-op once any handler exists, so a second run
    in one process would otherwise keep the first run's level.
    """
    level = logging.getLevelName((state or "INFO").upper())
    logging.getLogger().setLevel(level if isinstance(level, int) else logging.INFO)
    handler = logging.FileHandler(os.path.join(run_dir, "run.log"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler


def plain(value: Any) -> Any:
    """``value`` with NumPy scalars, enums and other objects made YAML/JSON friendly."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return value.name
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def write_config(run_dir: str, config: Any) -> str:
    """The resolved configuration, as YAML."""
    path = os.path.join(run_dir, "config.yaml")
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(plain(dict(config.final_config_dict)), f, sort_keys=True)
    return path


def write_results(run_dir: str, results: dict[str, Any]) -> str:
    path = os.path.join(run_dir, "results.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(plain(results), f, indent=2)
    return path


def metrics_table(results: dict[str, Any]) -> str:
    """Validation and test metrics as a fixed-width table."""
    header = f"{'':<8}" + "".join(f"{name:>10}" for _, name in METRIC_COLUMNS)
    lines = [header]
    for split in ("valid", "test"):
        metrics = results.get(split) or {}
        cells = "".join(f"{number(metrics.get(key), missing='-'):>10}" for key, _ in METRIC_COLUMNS)
        lines.append(f"{split:<8}{cells}")
    return "\n".join(lines)


def latest_checkpoint(path: str) -> str:
    """``path`` itself if it is a file, else the run folder's ``*-latest.pth``."""
    if os.path.isfile(path):
        return path
    found = sorted(glob.glob(os.path.join(path, "*-latest.pth")))
    if not os.path.isdir(path) or not found:
        raise ATJTError(f"--resume: {path} is neither a checkpoint nor a run folder with one")
    return found[-1]


def code_version(package_dir: Path = PACKAGE_DIR) -> dict[str, Any] | None:
    """The git commit of the code that runs, and whether its tracked files (code and
    properties) differ from it; None unless ``package_dir`` (the package that runs) sits
    at the top of a git checkout of this project (a wheel install, even inside some other
    repository, has no commit)."""
    checkout = package_dir.resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=checkout, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != checkout:
            return None
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", "recbole_atjt"))
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "dirty": dirty}
