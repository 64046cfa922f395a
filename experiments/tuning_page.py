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
from experiments.takeaway import paragraph, partial, ranking, search_choice
from experiments.tuning import (
    FAMILIES,
    METHODS,
    SEARCH_SEED,
    SPACE_FILE,
    stored_search,
)
from experiments.wording import CANDIDATES, NDCG, RANKING, SELECTION_METRIC, SPLIT
from recbole_atjt.rendering import markdown_table, number

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


def _rankings(out_dir: str) -> list[tuple[str, int, list, list[str]]]:
    """(dataset, screening seed, ``variant_ranking``'s rows and conditions) of every stored
    diagnosis page that ranks any ATJT row."""
    found = []
    for diagnosis in summaries(out_dir, [DIAGNOSIS]).get(DIAGNOSIS, {}).values():
        on, seed = diagnosis["dataset"], diagnosis["screening_seed"]
        ranked, conditions = variant_ranking(out_dir, on, seed)
        if ranked:
            found.append((on, seed, ranked, conditions))
    return found


def _best_row(model: str, method: str, search: dict | None) -> list:
    """A row of the best-parameters table: the search's best trial, or not run yet."""
    if search is None:
        return [model, method, "not run yet", "-", "-", "-"]
    finished = sum(t["status"] == "TERMINATED" for t in search["trials"])
    best = search["best"]
    return [
        model,
        method,
        f"{len(search['trials'])} ({finished})",
        number(best["best_valid_score"]),
        number(best["test"].get(SELECTION_METRIC, float("nan"))),
        _params(best["params"]),
    ]


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
    rankings = _rankings(out_dir)
    best: dict[str, dict[str, float]] = {}
    for model, method, s in stored:
        best.setdefault(model, {})[method] = s["best"]["best_valid_score"]
    takeaway = [
        partial(len(stored), len(searches), "searches"),
        search_choice(best),
        *(
            ranking(
                CHOSEN_VARIANT[0],
                ranked,
                f"the {on} diagnosis' screening ({' and '.join(conditions)}; one seed, {seed})",
            )
            for on, seed, ranked, conditions in rankings
        ),
    ]
    lines = [
        f"# Tuning on {dataset}",
        "",
        *paragraph(takeaway),
        f"Each search is our `--tune` (Ray Tune; ASHA stops weak trials on validation {NDCG} "
        "after every epoch, grace period 1 epoch; each trial trains with validation only; the "
        f"test set is scored once, for the best trial alone), seed {SEARCH_SEED}; every search "
        f"tries the same sampled points (sampler seed {SEARCH_SEED}), so the methods and models "
        "are compared on equal draws. The "
        "leaderboard's tuned rows take these parameters per model family: "
        + "; ".join(
            f"{', '.join(members)} from the {model} search" for model, members in FAMILIES.items()
        )
        + f". Protocol: {SPLIT}; {RANKING} ({CANDIDATES}).",
        "",
        f"- budget: `{first['budget']}` (`properties/budgets/{first['budget']}.yaml`)",
        f"- machine: {'; '.join(sorted({s['machine'] for _, _, s in stored}))}",
        f"- time: {hours:.2f} h of searching ({len(stored)} of {len(searches)} searches stored)",
        code_line([s for _, _, s in stored]),
        "",
        "## Best parameters",
        "",
        *markdown_table(
            [
                "model",
                "method",
                "trials (finished)",
                f"best valid {NDCG}",
                f"its test {NDCG}",
                "best parameters",
            ],
            [_best_row(model, method, s) for model, method, s in searches],
            "llrrrl",
        ),
    ]
    lines += [
        "",
        f"## Search space (`properties/search/{SPACE_FILE.name}`)",
        "",
        "ATJT's keys only: the recommender keeps its settings (learning rate included), so each "
        "tuned run differs from its base run in ATJT alone.",
        "",
        *markdown_table(["key", "range"], [[k, _domain(d)] for k, d in first["space"].items()]),
    ]
    lines += ["", "Fixed in every trial of a method (besides the budget):", ""]
    lines += [
        f"- {method}: {_params({k: v for k, v in o.items() if k not in first['space']})}"
        for method, o in METHODS.items()
    ]
    for on, seed, ranked, conditions in rankings:
        lines += [
            "",
            f"## Why `{CHOSEN_VARIANT[0]}`",
            "",
            f"The ATJT rows of the {on} diagnosis' screening by mean validation {NDCG} over "
            f"its stored runs of DCN and SASRec, {' and '.join(conditions)} (seed {seed}; "
            f"`results/diagnosis/runs/{on}/`):",
            "",
            *markdown_table(
                ["row", f"mean valid {NDCG}", "runs"],
                [[label, number(mean), n] for label, mean, n in ranked],
                "lrr",
            ),
        ]
    for model, method, s in stored:
        keys = list(s["space"])
        trials = sorted(s["trials"], key=lambda t: -(t["best_valid_score"] or -1))
        rows = [
            [
                t["trial"],
                t["status"],
                t["epochs"],
                number(t["best_valid_score"], missing="-"),
                *(_value(t["params"].get(k)) for k in keys),
            ]
            for t in trials
        ]
        lines += [
            "",
            f"## Trials: {model}, {method}",
            "",
            *markdown_table(
                ["trial", "status", "epochs", f"valid {NDCG}", *keys],
                rows,
                "llrr" + "l" * len(keys),
            ),
        ]
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
            s["best"]["test"].get(SELECTION_METRIC),
        ]
        for model, method, s in stored
    ]
    table = figures(
        ["model", "method", "trials", "finished", f"best valid {NDCG}", f"its test {NDCG}"], rows
    )
    summary = page_summary(NAME, dataset, len(searches), len(stored), table, unit="searches")
    write_summary(path, summary)
    return True
