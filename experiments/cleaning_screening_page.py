"""The screening page ``results/cleaning-screening/<dataset>.md``, with a JSON summary beside
it: validation NDCG@5 and detection per cleaning variant and share on one seed, and the
settings chosen from them; written from stored runs."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from experiments import cleaning
from experiments.cleaning import candidates, chosen_settings
from experiments.cleaning_page import settings_text
from experiments.cleaning_rows import fmt_values
from experiments.report import setting_lines
from experiments.summary import figures, page_summary, write_summary
from experiments.takeaway import paragraph, partial
from experiments.wording import NDCG, SELECTION_METRIC
from recbole_atjt.rendering import markdown_table, number

NAME = "cleaning-screening"
METRIC = SELECTION_METRIC


def screening_takeaway(cells, results, seeds) -> list[str]:
    """Which variant and share the screening chose per cleaning row, and on how many of its
    cells that choice was above the noisy base in validation."""
    first = seeds[0]
    valid = {
        (c.row, c.column): results[(c.key, first)]["best_valid_score"]
        for c in cells
        if (c.key, first) in results
    }
    above: dict[str, list[float]] = defaultdict(list)
    for (row, column), score in valid.items():
        if column != "base" and (row, "base") in valid:
            above[column].append(score - valid[(row, "base")])
    chosen = chosen_settings(results)
    parts = [
        f"{column}, above the noisy base in validation {NDCG} on "
        f"{sum(x > 0 for x in above[column])} of {len(above[column])} cells (mean "
        f"{number(float(np.mean(above[column])), signed=True)})"
        for row, column, settings in candidates()
        if chosen.get(row) == settings and above[column]
    ]
    choice = "The screening chose (one seed): " + "; ".join(parts) + "." if parts else ""
    return [partial(len(results), len(cells) * len(seeds)), choice]


def write_screening_page(path: str, cells, results, setting) -> None:
    """Validation NDCG@5 and detection per variant and share; the chosen settings."""
    lines = [
        f"# Interaction cleaning, screening of the shares on {setting.dataset}",
        "",
        *paragraph(screening_takeaway(cells, results, setting.seeds)),
        f"- chosen on mean validation {NDCG} over the screening cells (never test): "
        f"{settings_text(chosen_settings(results))}",
        "",
    ]
    header = ["row", "method", f"valid {NDCG}", f"test {NDCG}", "interaction AUC", "precision"]
    header += ["recall", "items left in training"]
    rows = []
    for cell in cells:
        stored = [results[(cell.key, s)] for s in setting.seeds if (cell.key, s) in results]
        run = stored[0] if stored else None
        if run is None:
            rows.append([cell.row, cell.column, "not run yet", *[""] * 5])
            continue
        c = run.get("cleaning") or {}
        truth = c.get("ground_truth") or {}
        items = f"{c['items_left_in_training']} of {c['items_in_training']}" if c else "-"
        rows.append(
            [
                cell.row,
                cell.column,
                number(run["best_valid_score"]),
                number(run["test"][METRIC]),
                *(fmt_values([truth.get(k)], 3) for k in ("auc", "precision", "recall")),
                items,
            ]
        )
    lines += [
        *markdown_table(header, rows, "ll" + "r" * 6),
        "",
        f"Shares screened: {', '.join(map(str, cleaning.SCREENING_SHARES))}; one seed "
        f"({', '.join(map(str, setting.seeds))}).",
        "",
        *setting_lines(
            setting.budget,
            setting.budget_text,
            setting.extra,
            setting.dataset,
            list(results.values()),
        ),
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    first = setting.seeds[0]
    rows = [
        [c.row, c.column, run["best_valid_score"], run["test"][METRIC]]
        for c in cells
        if (run := results.get((c.key, first))) is not None
    ]
    table = figures(["row", "method", f"valid {NDCG}", f"test {NDCG}"], rows)
    planned = len(cells) * len(setting.seeds)
    summary = page_summary(NAME, setting.dataset, planned, len(results), table)
    write_summary(path, summary)
