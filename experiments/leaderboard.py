"""results/README.md: every experiment page gathered, in the shape of RecBole-GNN's results,
from the pages' JSON summaries and the stored runs (never from a page's Markdown)."""

from __future__ import annotations

import os

from experiments.defaults_digest import budget_file
from experiments.design import NOISE_RATIOS, REPLACE_COUNTS
from experiments.first_screen import NOISY, baselines_line, paired_differences, screen_lines
from experiments.recommendation import recommendation_lines
from experiments.store import runs_of, stored_datasets
from experiments.summary import README, static_folders, summaries
from experiments.wording import AUC, HR, NDCG, protocol
from recbole_atjt.paths import PACKAGE_DIR
from recbole_atjt.rendering import markdown_table, number

ORDER = (
    "cleaning",
    "cleaning-screening",
    "diagnosis",
    "tuning",
    "table2",
    "table4",
    "fig4",
    "table3",
    "table5",
    "robustness",
)
TITLES = {
    "cleaning": "Interaction cleaning: detectors against ceilings from ground truth",
    "cleaning-screening": "Cleaning screening: each detector's variant and share, on validation",
    "diagnosis": "Diagnosis: ATJT's variants and the other denoisers, clean vs 20% injected noise",
    "tuning": "Tuning: Ray Tune searches behind the tuned columns",
    "table2": "Table 2: six models, base vs ATJT (paper, tuned) and the tuned best variant",
    "table4": "Table 4: base / WAT / DNR / ATJT, and ODNR / T-CE / R-CE (DCN)",
    "fig4": "Fig. 4: noise_ratio sweep (DCN + ATJT)",
    "table3": "Table 3: replace_count sweep (DCN + ATJT)",
    "table5": "Table 5: weights of original vs corrupted sequences (DCN + ATJT)",
    "robustness": "Robustness: every denoiser, clean vs injected noise",
}
FIRST_SCREEN_PLOT = "first-screen.png"
LEADERBOARD_TITLE = "recbole_atjt results"


def _braced(values) -> str:
    return "{" + ", ".join(map(str, sorted(values))) + "}"


def _page(name: str, dataset: str) -> str:
    return f"{name}/{dataset}.md"


def coverage(pages: dict[str, dict[str, dict]]) -> list[str]:
    """Which experiment ran on which dataset: a link per page with what its summary says it
    lacks (partial: planned runs not stored yet; the models left out), 'not run' elsewhere."""
    datasets = sorted({d for by_dataset in pages.values() for d in by_dataset})
    if not datasets:
        return []
    rows = []
    for name in ORDER:
        done = pages.get(name, {})
        cells = [_page_cell(name, d, done[d]) if d in done else "not run" for d in datasets]
        rows.append([TITLES[name].split(":")[0], *cells])
    return [*markdown_table(["experiment", *datasets], rows, "l" * (len(datasets) + 1)), ""]


def _page_cell(name: str, dataset: str, summary: dict) -> str:
    link = f"[page]({_page(name, dataset)})"
    if not summary.get("complete", True):
        return f"{link} (partial)"
    lacking = summary.get("models_lacking") or []
    return f"{link} ({', '.join(lacking)} not run)" if lacking else link


def datasets_table(out: str) -> list[str]:
    """Users, items and interactions of every dataset a stored clean run used."""
    stats = {}
    for dataset in stored_datasets(out):
        runs = (run for _, run in runs_of(out, dataset=dataset))
        clean = (run for run in runs if not (run.get("run_key") or {}).get("noise"))
        if (run := next(clean, None)) is not None:  # an injected copy has other counts
            stats[dataset] = run.get("dataset_stats")
    if not stats:
        return []
    keys = ("users", "items", "interactions")
    rows = [[d, *((s or {}).get(k, "?") for k in keys)] for d, s in sorted(stats.items())]
    return [*markdown_table(["dataset", *keys], rows, "lrrr"), ""]


def _budgets(out: str) -> list[str]:
    """The budgets the stored runs trained with."""
    return sorted({b for _, run in runs_of(out) if (b := (run.get("run_key") or {}).get("budget"))})


def static_list(out: str) -> list[str]:
    """A line linking every folder kept beside the experiments whose ``README.md`` says what
    it holds (pages of earlier code, runs moved out of a page)."""
    kept = [f"[{name}/]({name}/{README})" for name in static_folders(out)]
    if not kept:
        return []
    return [
        f"Kept beside these pages, each folder's README says what it holds: {', '.join(kept)}.",
        "",
    ]


def _text(value, signed: bool) -> str:
    return value if isinstance(value, str) else number(value, signed=signed, missing="-")


def figures_table(table: dict) -> list[str]:
    """A summary's ``figures`` as a Markdown table: numbers right-aligned, differences (a
    column headed Δ) signed."""
    header, rows = table.get("header") or [], table.get("rows") or []
    if not header or not rows:
        return []
    signed = [h.startswith("Δ") for h in header]
    align = "".join(
        "r" if all(row[i] is None or isinstance(row[i], int | float) for row in rows) else "l"
        for i in range(len(header))
    )
    body = [[_text(v, s) for v, s in zip(row, signed, strict=True)] for row in rows]
    return [*markdown_table(header, body, align), ""]


def page_section(name: str, dataset: str, summary: dict) -> list[str]:
    """One page's entry: its link, how many of its planned runs are stored, its figures."""
    stored, planned = summary.get("stored_runs"), summary.get("planned_runs")
    unit = summary.get("unit", "runs")
    status = f"Stored: {stored} of {planned} planned {unit}"
    if summary.get("complete", True):
        status = f"Stored: all {planned} planned {unit}"
    lacking = summary.get("models_lacking") or []
    if lacking:
        status += f"; models not run: {', '.join(lacking)} (of {summary.get('models_of')})"
    return [
        f"### [{dataset}]({_page(name, dataset)})",
        "",
        f"{status}.",
        "",
        *figures_table(summary.get("figures") or {}),
    ]


def write_leaderboard(out: str) -> str:
    """Rebuild ``<out>/README.md`` from the page summaries under ``<out>/<experiment>/`` and
    the stored runs."""
    datasets = stored_datasets(out)
    budgets = _budgets(out)
    diffs = paired_differences(out, datasets)
    lines = [
        f"# {LEADERBOARD_TITLE}",
        "",
        *recommendation_lines(diffs, NOISY),
        *screen_lines(
            diffs,
            os.path.join(out, FIRST_SCREEN_PLOT),
            baselines_line(out, datasets),
        ),
        "Every page states its budget, machine, seeds and time. "
        + protocol(
            f"{AUC} (RecBole's GAUC over that ranking), {HR} and {NDCG}",
            "mean ± std over seeds, differences paired by seed",
        )
        + " The paper's absolute numbers are not reproducible; these pages re-run its designs.",
        "",
        "Tuning ranges of the ATJT keys (paper Sec. 4.1.3, 4.2.2; the tuned columns search "
        "`properties/search/atjt-recognizer.yaml`, ATJT's keys alone):"
        " noise_learning_rate {0.0001, 0.001, 0.01, 0.1}, "
        f"replace_count {_braced(REPLACE_COUNTS)}, noise_ratio {_braced(NOISE_RATIOS)}, "
        "atjt_groups {2, 3, 4}, alpha log-uniform in [0.1, 10]. Defaults used unless a page "
        "says otherwise: "
        "`properties/overall.yaml`.",
        "",
        f"Commands: `python -m experiments <name> --datasets {' '.join(datasets)} "
        f"--data_path <the folder holding them> --budget {'|'.join(budgets)}`; with "
        "`--stored_only` a page is written again from its stored runs alone.",
        "",
    ]
    lines += datasets_table(out)
    for budget in budgets:
        rel = os.path.relpath(budget_file(budget), PACKAGE_DIR)
        with open(budget_file(budget), encoding="utf-8") as f:
            lines += [f"Budget `{rel}`:", "", "```yaml", f.read().strip(), "```", ""]
    pages = summaries(out, ORDER)
    lines += coverage(pages)
    lines += static_list(out)
    for name in ORDER:
        if name not in pages:
            continue
        lines += [f"## {TITLES[name]}", ""]
        for dataset, summary in pages[name].items():
            lines += page_section(name, dataset, summary)
    path = os.path.join(out, README)
    os.makedirs(out, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path
