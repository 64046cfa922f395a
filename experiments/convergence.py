"""Whether a page's runs had converged: which were still improving when the epoch cap
stopped them, and which early stopping ended.

A run is *at the cap* when it trained every allowed epoch and its best validation score
came at the last one: more epochs might have moved its test metrics, so a difference
against such a run measures the methods at this budget, not at convergence.
"""

from __future__ import annotations

import functools
from collections import Counter

import yaml

from experiments.defaults_digest import budget_file


def epoch_cap(run: dict) -> int | None:
    """The most epochs the run could train: its own ``epochs`` setting, else its budget's
    (None for a run without a run key)."""
    key = run.get("run_key")
    if not key:
        return None
    if "epochs" in key["settings"]:
        return int(key["settings"]["epochs"])
    return _budget_epochs(key["budget"])


@functools.cache
def _budget_epochs(budget: str) -> int:
    with open(budget_file(budget), encoding="utf-8") as f:
        return int(yaml.safe_load(f)["epochs"])


def best_epoch(run: dict) -> int | None:
    """The 0-based epoch of the best validation score (the first of equal ones)."""
    metric = run.get("valid_metric", "ndcg@5").lower()
    scores = [epoch.get(metric) for epoch in run.get("valid_per_epoch") or []]
    if not scores or any(s is None for s in scores):
        return None
    return scores.index(max(scores))


def at_cap(run: dict, cap: int | None) -> bool:
    epochs = len(run.get("valid_per_epoch") or [])
    return cap is not None and epochs == cap and best_epoch(run) == cap - 1


def stopped_early(run: dict, cap: int | None) -> bool:
    return cap is not None and 0 < len(run.get("valid_per_epoch") or []) < cap


def convergence_line(results, cells, seeds) -> list[str]:
    """One page line: per row of the page, how many runs were at the cap and how many
    early stopping ended (rows without either are left out)."""
    capped, early, total = Counter(), Counter(), Counter()
    base_capped, base_total, caps = 0, 0, set()
    baselines = {c.baseline for c in cells if c.baseline}
    for cell in cells:
        for seed in seeds:
            run = results.get((cell.key, seed))
            cap = None if run is None else epoch_cap(run)
            if cap is None or not run.get("valid_per_epoch"):
                continue
            caps.add(cap)
            total[cell.row] += 1
            capped[cell.row] += at_cap(run, cap)
            early[cell.row] += stopped_early(run, cap)
            if (cell.row, cell.column) in baselines:
                base_total += 1
                base_capped += at_cap(run, cap)
    if not total:
        return []
    rows = list(dict.fromkeys(c.row for c in cells if c.row in total))

    def counts(counter: Counter) -> str:
        named = [f"{row} {counter[row]}/{total[row]}" for row in rows if counter[row]]
        return ", ".join(named) or "none"

    most = "/".join(map(str, sorted(caps)))
    of_baselines = f" (baselines {base_capped}/{base_total})" if base_total else ""
    return [
        f"- convergence ({most} epochs at most): runs still improving when the cap stopped "
        f"them (best validation at the last epoch): {counts(capped)}{of_baselines}; runs "
        f"ended by early stopping: {counts(early)}"
    ]
