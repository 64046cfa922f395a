"""``results/tuning/<dataset>.md``: the setting, each search's space, its best parameters and
its trials (the shape of RecBole-GNN's result pages), from the stored searches alone; beside
each diagnosis page stored, the ranking of its ATJT rows behind the variant the searches
tune."""

from __future__ import annotations

import os
from collections import defaultdict

from experiments.design import CHOSEN_VARIANT, DIAGNOSIS_COLUMNS, SCREENING_ROWS
from experiments.report import code_line
from experiments.store import runs_of
from experiments.summary import figures, page_summary, summaries, write_summary
from experiments.tuning import (
    FAMILIES,
    METHODS,
    SEARCH_SEED,
    SPACE_FILE,
    stored_search,
)

NAME = "tuning"
DIAGNOSIS = "diagnosis"


def _value(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _params(params: dict) -> str:
    return ", ".join(f"{k}: {_value(v)}" for k, v in params.items())


def _domain(domain) -> str:
    if not isinstance(domain, dict):
        return f"fixed {domain}"
    kind, args = next(iter(domain.items()))
    return f"{kind} {args}"


def variant_ranking(
    out_dir: str, dataset: str, seed: int
) -> tuple[list[tuple[str, float, int]], list[str]]:
    """(row, mean validation NDCG@5, runs) of every ATJT row of the diagnosis' screening on
    ``dataset`` (its runs of ``seed`` stored), best first; and the conditions those runs
    cover ("clean", "20% injected")."""
    rows = [(label, o) for label, o in SCREENING_ROWS if o.get("denoise") == "atjt"]
    scores, noise = defaultdict(list), set()
    for _, run in runs_of(out_dir, DIAGNOSIS, dataset):
        settings = run.get("run_key", {}).get("settings", {})
        if run.get("seed") != seed:
            continue
        for label, overrides in rows:
            if all(settings.get(k) == v for k, v in overrides.items()):
                scores[label].append(run["best_valid_score"])
                noise.add(run.get("run_key", {}).get("noise", 0.0))
    ranked = [(label, sum(v) / len(v), len(v)) for label, v in scores.items()]
    conditions = [label for label, n in DIAGNOSIS_COLUMNS if n in noise]
    return sorted(ranked, key=lambda r: -r[1]), conditions


def write_tuning_page(path: str, out_dir: str, dataset: str) -> bool:
    """Write the page if any search of ``dataset`` is stored; whether it was written."""
    searches = [
        (model, method, stored_search(out_dir, dataset, model, method))
        for model in FAMILIES
        for method in METHODS
    ]
    stored = [s for s in searches if s[2] is not None]
    if not stored:
        return False
    first = stored[0][2]
    hours = sum(s["wall_seconds"] for _, _, s in stored) / 3600
    lines = [
        f"# Tuning on {dataset}",
        "",
        "Each search is our `--tune` (Ray Tune; ASHA stops weak trials on validation NDCG@5 "
        "after every epoch, grace period 1 epoch; each trial trains with validation only; the "
        f"test set is scored once, for the best trial alone), seed {SEARCH_SEED}; every search "
        f"tries the same sampled points (sampler seed {SEARCH_SEED}), so the methods and models "
        "are compared on equal draws. The "
        "leaderboard's tuned rows take these parameters per model family: "
        + "; ".join(
            f"{', '.join(members)} from the {model} search" for model, members in FAMILIES.items()
        )
        + ". Protocol: time-ordered leave-one-out, each user's true item ranked against 100 "
        "fixed sampled items (101 candidates).",
        "",
        f"- budget: `{first['budget']}` (`properties/budgets/{first['budget']}.yaml`)",
        f"- machine: {'; '.join(sorted({s['machine'] for _, _, s in stored}))}",
        f"- time: {hours:.2f} h of searching ({len(stored)} of {len(searches)} searches stored)",
        code_line([s for _, _, s in stored]),
        "",
        "## Best parameters",
        "",
        "| model | method | trials (finished) | best valid NDCG@5 | its test NDCG@5 | "
        "best parameters |",
        "|---|---|---:|---:|---:|---|",
    ]
    for model, method, s in searches:
        if s is None:
            lines.append(f"| {model} | {method} | not run yet | - | - | - |")
            continue
        finished = sum(t["status"] == "TERMINATED" for t in s["trials"])
        best = s["best"]
        lines.append(
            f"| {model} | {method} | {len(s['trials'])} ({finished}) | "
            f"{best['best_valid_score']:.4f} | {best['test'].get('ndcg@5', float('nan')):.4f} | "
            f"{_params(best['params'])} |"
        )
    lines += [
        "",
        f"## Search space (`properties/search/{SPACE_FILE.name}`)",
        "",
        "ATJT's keys only: the recommender keeps its settings (learning rate included), so each "
        "tuned run differs from its base run in ATJT alone.",
        "",
        "| key | range |",
    ]
    lines += ["|---|---|", *(f"| {k} | {_domain(d)} |" for k, d in first["space"].items())]
    lines += ["", "Fixed in every trial of a method (besides the budget):", ""]
    lines += [
        f"- {method}: {_params({k: v for k, v in o.items() if k not in first['space']})}"
        for method, o in METHODS.items()
    ]
    for diagnosis in summaries(out_dir, [DIAGNOSIS]).get(DIAGNOSIS, {}).values():
        on, seed = diagnosis["dataset"], diagnosis["screening_seed"]
        ranking, conditions = variant_ranking(out_dir, on, seed)
        if not ranking:
            continue
        lines += [
            "",
            f"## Why `{CHOSEN_VARIANT[0]}`",
            "",
            f"The ATJT rows of the {on} diagnosis' screening by mean validation NDCG@5 over "
            f"its stored runs of DCN and SASRec, {' and '.join(conditions)} (seed {seed}; "
            f"`results/diagnosis/runs/{on}/`):",
            "",
            "| row | mean valid NDCG@5 | runs |",
            "|---|---:|---:|",
            *(f"| {label} | {mean:.4f} | {n} |" for label, mean, n in ranking),
        ]
    for model, method, s in stored:
        keys = list(s["space"])
        lines += [
            "",
            f"## Trials: {model}, {method}",
            "",
            "| trial | status | epochs | valid NDCG@5 | " + " | ".join(keys) + " |",
            "|---|---|---:|---:|" + "---|" * len(keys),
        ]
        for t in sorted(s["trials"], key=lambda t: -(t["best_valid_score"] or -1)):
            score = "-" if t["best_valid_score"] is None else f"{t['best_valid_score']:.4f}"
            values = " | ".join(_value(t["params"].get(k)) for k in keys)
            lines.append(f"| {t['trial']} | {t['status']} | {t['epochs']} | {score} | {values} |")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    rows = [
        [
            model,
            method,
            len(s["trials"]),
            sum(t["status"] == "TERMINATED" for t in s["trials"]),
            s["best"]["best_valid_score"],
            s["best"]["test"].get("ndcg@5"),
        ]
        for model, method, s in stored
    ]
    table = figures(
        ["model", "method", "trials", "finished", "best valid NDCG@5", "its test NDCG@5"], rows
    )
    summary = page_summary(NAME, dataset, len(searches), len(stored), table, unit="searches")
    write_summary(path, summary)
    return True
