"""A digest of the defaults a stored run was trained under, so that an edited properties file
never passes an old run off as a run of the new defaults.

A run's key holds only what its cell sets; everything else comes from our properties
(``overall.yaml``, ``model/<model>.yaml``, ``dataset/<dataset>.yaml``) and the budget file.
Each trained run records the digest of their parsed contents (comments and layout do not
count); a stored run whose digest differs from today's is refused, neither shown on a page
nor copied nor used for its pretrained model.
Runs stored before the digest was recorded carry none and are taken as they are.

A key added later whose default is the behaviour before it (``LATER_KEYS``) is left out of
the digest while it has that default, as are the cleaning keys while cleaning is off: the
runs stored before it stay runs of today's defaults.
"""

from __future__ import annotations

import functools
import hashlib
import json

import yaml

from recbole_atjt.paths import PROPERTIES_DIR, properties_dir, property_files

# Keys added after runs were stored, and the default that behaves as before they existed.
LATER_KEYS = {"interaction_cleaning": "none", "corruption_sampling": "uniform"}
CLEANING_PREFIX = "cleaning_"  # read only when interaction_cleaning is not none

# What every experiment run gets beside its budget file: no progress bars, warnings only (a
# budget passed by hand, ``--config_files properties/budgets/cpu.yaml``, keeps RecBole's
# progress and logs). They count as part of the budget, as when the budget files held them.
EXPERIMENT_OUTPUT = {"show_progress": False, "state": "WARNING"}


def budget_file(budget: str) -> str:
    """The path of budget ``budget``'s file; an unknown budget stops the command, naming the
    budgets there are."""
    path = PROPERTIES_DIR / "budgets" / f"{budget}.yaml"
    if not path.is_file():
        names = sorted(p.stem for p in (PROPERTIES_DIR / "budgets").glob("*.yaml"))
        raise SystemExit(f"error: --budget: got '{budget}'; allowed: {names}")
    return str(path)


def _without_neutral_keys(values: dict | None) -> dict | None:
    if not isinstance(values, dict):
        return values
    kept = {k: v for k, v in values.items() if LATER_KEYS.get(k, object()) != v}
    if values.get("interaction_cleaning", "none") == "none":
        kept = {k: v for k, v in kept.items() if not k.startswith(CLEANING_PREFIX)}
    return kept


@functools.cache
def defaults_digest(budget: str, model: str, dataset: str) -> str:
    """12 hex digits of the parsed properties files a run of ``model`` on ``dataset`` reads
    (``overall.yaml``, ``model/<model>.yaml``, ``dataset/<dataset>.yaml``, where we ship
    them) and of the budget file."""
    root = properties_dir()
    files = [*property_files(model, dataset), root / "budgets" / f"{budget}.yaml"]
    parsed = {
        str(path.relative_to(root)): _without_neutral_keys(
            yaml.safe_load(path.read_text(encoding="utf-8"))
        )
        for path in files
        if path.is_file()
    }
    parsed[f"budgets/{budget}.yaml"] = {**EXPERIMENT_OUTPUT, **parsed[f"budgets/{budget}.yaml"]}
    text = json.dumps(parsed, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def defaults_conflict(run: dict) -> str | None:
    """Why the stored ``run`` was trained under other defaults than today's, or None."""
    recorded, key = run.get("defaults"), run.get("run_key") or {}
    if recorded is None or "budget" not in key or "model" not in key:
        return None
    today = defaults_digest(key["budget"], key["model"], key["dataset"])
    if recorded == today:
        return None
    return f"trained under other properties files (defaults digest {recorded}, now {today})"
