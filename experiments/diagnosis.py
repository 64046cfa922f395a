"""The diagnosis experiment: which parts of ATJT help, on clean data and under injected noise.

Three stages, each model (DCN, SASRec with BPR) in two columns (clean, 20% injected noise):

1. screening, first seed only: base, ATJT and its variants, and the other denoisers;
2. target corruption, first seed only: ``corruption_target`` target / both, each with the
   ``alpha_scale: loss`` row that won stage 1 for its model and column;
3. confirmation over every seed: base, ATJT and the two best other rows of stages 1-2 (by
   the mean over both columns, so a model's rows are the same in both).

Every choice reads validation NDCG@5 only (``run["valid"]["ndcg@5"]``), never a test metric.
Runs are stored and shared through ``run_cells`` like every other experiment's. With
``stored_only`` nothing is trained: the page shows the runs stored so far, and a stage whose
choice lacks some of its inputs is pending (never chosen on part of them, since a missing
row might have won).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.design import (
    ALPHA_ROWS,
    DIAGNOSIS_COLUMNS,
    DIAGNOSIS_MODEL_SETTINGS,
    DIAGNOSIS_MODELS,
    DIAGNOSIS_ROWS,
    SCREENING_ROWS,
    TARGET_ROWS,
    Cell,
    diagnosis_cell,
    diagnosis_column,
    diagnosis_screening,
    models_lacking,
)
from experiments.report import (
    PAIRED_HEADER,
    paired_difference,
    paired_figures,
    recovered_share,
    setting_lines,
)
from experiments.runner import Setting, run_cells
from experiments.store import checked_results
from experiments.summary import figures, page_summary, write_summary
from experiments.takeaway import paragraph, partial, shares_sentence, versus_baseline
from experiments.wording import AUC, HR, NDCG, SELECTION_METRIC, protocol
from recbole_atjt.rendering import markdown_table, mean_std, number

NAME = "diagnosis"
PARTIAL_PAGE = "**Partial page**"  # opens a page written before all its planned runs were stored
CONFIRMED = 2  # rows confirmed besides base and atjt
FIXED_ROWS = ("base", "atjt")

Runs = Mapping[str, Mapping[str, Any]]  # row label -> stored run


def validation_score(run: Mapping[str, Any]) -> float:
    """Validation NDCG@5 of a run (-inf when missing or NaN, so it is never chosen first)."""
    value = (run.get("valid") or {}).get(SELECTION_METRIC)
    return -math.inf if value is None or math.isnan(value) else float(value)


def best_alpha(runs: Runs) -> str | None:
    """The ``alpha_scale=loss`` row of ``runs`` with the best validation NDCG@5; a tie goes
    to the smaller alpha. None when no such row was run."""
    present = [row for row in ALPHA_ROWS if row in runs]
    return max(present, key=lambda row: validation_score(runs[row]), default=None)


def best_rows(runs_by_column: Mapping[str, Runs], k: int = CONFIRMED) -> list[str]:
    """The ``k`` rows besides base and atjt, run in every column, with the best mean
    validation NDCG@5 over the columns; a tie goes to the row listed first in the design."""
    columns = list(runs_by_column.values())
    candidates = [
        row
        for row in DIAGNOSIS_ROWS
        if row not in FIXED_ROWS and columns and all(row in runs for runs in columns)
    ]

    def mean(row: str) -> float:
        return sum(validation_score(runs[row]) for runs in columns) / len(columns)

    return sorted(candidates, key=lambda row: -mean(row))[:k]  # stable: ties keep design order


@dataclass
class Diagnosis:
    """Everything the page needs: the cells of each stage, the choices made, the runs."""

    models: tuple[str, ...]
    seeds: list[int]
    screening: list[Cell]  # stages 1 and 2, first seed
    confirmation: list[Cell]  # every seed
    alphas: dict[str, str]  # column name -> winning alpha row
    chosen: dict[str, list[str]]  # model -> rows confirmed besides base and atjt
    results: dict[tuple[str, int], dict]
    planned_rows: tuple[str, ...] = ()  # screening rows of every model and column
    planned_runs: int = 0  # (cell, seed) runs of the three stages
    stored_only: bool = False  # read from the store, nothing trained
    waiting_alpha: dict[str, list[str]] = field(default_factory=dict)  # column -> missing rows
    waiting_rows: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # model -> ...

    def runs(self, column: str, seed: int | None = None) -> dict[str, dict]:
        """Row label -> run of one column, screening seed unless told."""
        seed = self.seeds[0] if seed is None else seed
        return {
            c.row: self.results[(c.key, seed)]
            for c in self.screening
            if c.column == column and (c.key, seed) in self.results
        }


def _by_row(results: dict, cells: list[Cell], column: str, seed: int) -> dict[str, dict]:
    return {
        c.row: results[(c.key, seed)]
        for c in cells
        if c.column == column and (c.key, seed) in results
    }


def planned_rows(rows: tuple[str, ...]) -> tuple[str, ...]:
    """The screening rows (stages 1-2) of each model and column: stage 2 runs only with an
    ``alpha_scale=loss`` row to take its alpha from."""
    targets = {label for label, _ in TARGET_ROWS}
    with_alpha = any(row in rows for row in ALPHA_ROWS)
    return tuple(r for r in DIAGNOSIS_ROWS if r in rows and (with_alpha or r not in targets))


def planned_run_count(models: tuple[str, ...], rows: tuple[str, ...], seeds: list[int]) -> int:
    """How many runs the three stages make: the screening rows on the first seed, then the
    confirmed rows (base, atjt and up to ``CONFIRMED`` others) on the other seeds."""
    screening = planned_rows(rows)
    fixed = [r for r in FIXED_ROWS if r in screening]
    confirmed = len(fixed) + min(CONFIRMED, len(screening) - len(fixed))
    per_column = len(screening) + confirmed * (len(seeds) - 1)
    return len(models) * len(DIAGNOSIS_COLUMNS) * per_column


def stored_runs(cells: list[Cell], setting: Setting) -> dict[tuple[str, int], dict]:
    """The stored run of every (cell key, seed) that has one; trains, claims and writes
    nothing. A run of other settings is refused as ``run_cells`` refuses it."""
    return checked_results(
        setting.out_dir,
        NAME,
        cells,
        setting.dataset,
        setting.seeds,
        setting.budget,
        setting.extra,
    )


def _target_cells(model: str, column: str, noise: float, winner: str, rows) -> list[Cell]:
    overrides = dict(SCREENING_ROWS)[winner]
    return [
        diagnosis_cell(label, model, column, noise, {**overrides, "corruption_target": target})
        for label, target in TARGET_ROWS
        if label in rows
    ]


def run_diagnosis(
    setting: Setting,
    models: tuple[str, ...] = DIAGNOSIS_MODELS,
    rows: tuple[str, ...] = DIAGNOSIS_ROWS,
    run_fn: Callable[..., dict] | None = None,
    stored_only: bool = False,
) -> Diagnosis:
    """Run (or load) the three stages on one dataset; with ``stored_only``, only load what
    is stored, leaving pending each choice that lacks a stored input."""

    def run(cells: list[Cell], seeds: list[int]) -> dict[tuple[str, int], dict]:
        if stored_only:
            return stored_runs(cells, setting.with_seeds(seeds))
        return run_cells(NAME, cells, setting.with_seeds(seeds), run_fn, keep_failures=True)

    seeds = setting.seeds
    first = seeds[:1]
    planned = planned_rows(rows)
    stage1 = diagnosis_screening(models, rows)
    results = run(stage1, seeds=first)
    alphas, stage2, waiting_alpha = {}, [], {}
    for model in models:
        for column, noise in DIAGNOSIS_COLUMNS:
            name = diagnosis_column(model, column)
            column_runs = _by_row(results, stage1, name, first[0])
            missing = [row for row in ALPHA_ROWS if row in planned and row not in column_runs]
            if missing:  # only with stored_only: run_cells returns every run
                waiting_alpha[name] = missing
                continue
            winner = best_alpha(column_runs)
            if winner is not None:
                alphas[name] = winner
                stage2 += _target_cells(model, column, noise, winner, rows)
    results.update(run(stage2, seeds=first))
    screening = stage1 + stage2
    chosen, confirmation, waiting_rows = {}, [], {}
    for model in models:
        by_column = {
            column: _by_row(results, screening, diagnosis_column(model, column), first[0])
            for column, _ in DIAGNOSIS_COLUMNS
        }
        missing = [
            (row, column) for row in planned for column in by_column if row not in by_column[column]
        ]
        if missing:
            waiting_rows[model] = missing
            keep = list(FIXED_ROWS)
        else:
            chosen[model] = best_rows(by_column)
            keep = [*FIXED_ROWS, *chosen[model]]
        for column, _ in DIAGNOSIS_COLUMNS:
            name = diagnosis_column(model, column)
            by_label = {c.row: c for c in screening if c.column == name}
            confirmation += [by_label[row] for row in keep if row in by_label]
    results.update(run(confirmation, seeds=seeds))
    return Diagnosis(
        models,
        seeds,
        screening,
        confirmation,
        alphas,
        chosen,
        results,
        planned_rows=planned,
        planned_runs=planned_run_count(models, rows, seeds),
        stored_only=stored_only,
        waiting_alpha=waiting_alpha,
        waiting_rows=waiting_rows,
    )


# ---- the page ----

NOISY = DIAGNOSIS_COLUMNS[1][0]
CLEAN = DIAGNOSIS_COLUMNS[0][0]
TEST_METRICS = ((SELECTION_METRIC, NDCG), ("hit@5", HR), ("gauc", AUC))
SELECTION_TEXT = (
    "Selection uses validation only: the alpha of stage 2 and the confirmed rows are chosen by "
    f"validation {NDCG}; test metrics are reported, never used to choose."
)
NOT_RUN_YET = "not run yet"
FAILED = "failed"


def _num(value: Any, digits: int = 4, signed: bool = False) -> str:
    """A figure of the tables; "-" where the run lacks it."""
    return number(value, digits, signed, missing="-")


def last_weights(run: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Mean and std of the training weights in the run's last epoch (None when not logged)."""
    last = (run.get("denoising_per_epoch") or [{}])[-1]
    return last.get("weight_mean"), last.get("weight_std")


def detection(run: Mapping[str, Any]) -> tuple[float | None, float | None, float | None]:
    """Own-task AUC, length-matched detection AUC and target-injected AUC (None if absent)."""
    nd = run.get("noise_detection") or {}
    own = (run.get("corruption_weights") or {}).get("auc")
    return own, nd.get("length_matched_auc"), nd.get("target_auc")


def _row_share(runs: dict[str, Runs], row: str) -> float | None:
    clean, noisy = runs[CLEAN], runs[NOISY]
    if row == "base" or "base" not in clean or "base" not in noisy or row not in noisy:
        return None
    if any(r.get("failed") for r in (noisy[row], noisy["base"], clean["base"])):
        return None
    m = SELECTION_METRIC
    return recovered_share(
        noisy[row]["test"][m], noisy["base"]["test"][m], clean["base"]["test"][m]
    )


def _row_cells(runs: dict, row: str, cells_of, width) -> list[str]:
    """One row's cells across the columns: ``cells_of(run, column)`` of each stored run,
    ``width(column)`` marks where the run is not stored yet or stopped."""
    cells = []
    for col in runs:
        run = runs[col].get(row)
        if run is None or run.get("failed"):
            cells += [NOT_RUN_YET if run is None else FAILED] * width(col)
        else:
            cells += cells_of(run, col)
    return cells


def screening_tables(d: Diagnosis, model: str) -> list[str]:
    """Stages 1-2 of one model: test and validation metrics, then weights and detection."""
    runs = {col: d.runs(diagnosis_column(model, col)) for col, _ in DIAGNOSIS_COLUMNS}
    rows = [r for r in DIAGNOSIS_ROWS if r in d.planned_rows or any(r in runs[col] for col in runs)]
    heads = [f"test {label}, {{}}" for _, label in TEST_METRICS] + [f"valid {NDCG}, {{}}"]
    header = [
        "row",
        *(h.format(col) for col in runs for h in heads),
        "recovered share of the noise-induced loss",
    ]

    def metrics(run: dict, _col: str) -> list[str]:
        test = run.get("test", {})
        valid = run.get("valid", {}).get(SELECTION_METRIC)
        return [*(_num(test.get(m)) for m, _ in TEST_METRICS), _num(valid)]

    table = [
        [row, *_row_cells(runs, row, metrics, lambda _: len(heads))]
        + [_num(_row_share(runs, row), 2, signed=True)]
        for row in rows
    ]
    lines = markdown_table(header, table, "l" + "r" * (len(header) - 1))
    header = [
        "row",
        *(f"{what}, {CLEAN}" for what in ("weight mean", "weight std", "own-task AUC")),
        *(f"{what}, {NOISY}" for what in ("weight mean", "weight std", "own-task AUC")),
        f"length-matched detection AUC, {NOISY}",
        f"target-injected AUC, {NOISY}",
    ]

    def weights(run: dict, col: str) -> list[str]:
        own, matched, target = detection(run)
        cells = [*map(_num, last_weights(run)), _num(own)]
        return cells + [_num(matched), _num(target)] if col == NOISY else cells

    table = [
        [row, *_row_cells(runs, row, weights, lambda col: 5 if col == NOISY else 3)] for row in rows
    ]
    lines += ["", *markdown_table(header, table, "l" + "r" * 8)]
    failures = [
        f"- {row}, {col}: {run['failed']}"
        for row in rows
        for col in runs
        if (run := runs[col].get(row)) is not None and run.get("failed")
    ]
    if failures:
        lines += ["", "Runs that stopped (stored as results, not retried):", "", *failures]
    return lines


def _seed_values(d: Diagnosis, cell: Cell, metric: str, part: str = "test") -> list[float]:
    return [d.results[(cell.key, s)].get(part, {}).get(metric, math.nan) for s in d.seeds]


def _stored_seeds(d: Diagnosis, cell: Cell | None) -> int:
    return 0 if cell is None else sum((cell.key, s) in d.results for s in d.seeds)


def _complete(d: Diagnosis, *cells: Cell | None) -> bool:
    """Whether every seed of every cell is stored (always, unless written from the store)."""
    return all(_stored_seeds(d, c) == len(d.seeds) for c in cells)


def seed_shares(d: Diagnosis, cell: Cell, base_noisy: Cell, base_clean: Cell) -> list:
    """Per seed, the share of the noise-induced loss ``cell`` wins back (None on a seed
    whose base lost nothing)."""
    m = SELECTION_METRIC
    values = (_seed_values(d, c, m) for c in (cell, base_noisy, base_clean))
    return [recovered_share(r, b, c) for r, b, c in zip(*values, strict=True)]


def paired_share(d: Diagnosis, cell: Cell, base_noisy: Cell, base_clean: Cell) -> str:
    """Recovered share paired by seed: mean ± std over the seeds whose base lost NDCG@5."""
    shares = seed_shares(d, cell, base_noisy, base_clean)
    kept = [s for s in shares if s is not None]
    if not kept:
        return "-"
    text = mean_std(kept, digits=2, signed=True)
    return text if len(kept) == len(shares) else f"{text} ({len(kept)}/{len(shares)} seeds)"


def confirmation_table(d: Diagnosis, model: str) -> list[str]:
    """Base, atjt and the chosen rows over every seed, with Δ NDCG@5 paired by seed."""
    cells = [c for c in d.confirmation if c.model == model]
    by_key = {(c.row, c.column): c for c in cells}
    base_clean = by_key.get(("base", diagnosis_column(model, CLEAN)))
    header = [
        "row",
        "column",
        *(f"test {label}" for _, label in TEST_METRICS),
        f"valid {NDCG}",
        f"Δ test {NDCG} vs base (paired)",
        "recovered share (paired)",
    ]
    rows = []
    for cell in cells:
        if _complete(d, cell):
            values = [mean_std(_seed_values(d, cell, m)) for m, _ in TEST_METRICS]
            values.append(mean_std(_seed_values(d, cell, SELECTION_METRIC, "valid")))
        else:
            stored = f"{NOT_RUN_YET} ({_stored_seeds(d, cell)}/{len(d.seeds)} seeds stored)"
            values = [stored] * (len(TEST_METRICS) + 1)
        base = by_key.get(cell.baseline) if cell.baseline else None
        delta = "-"
        if base:
            delta = (
                paired_difference(d.results, cell, base, d.seeds, SELECTION_METRIC)
                if _complete(d, cell, base)
                else NOT_RUN_YET
            )
        noisy = cell.column == diagnosis_column(model, NOISY)
        share = "-"
        if noisy and base and base_clean:
            share = (
                paired_share(d, cell, base, base_clean)
                if _complete(d, cell, base, base_clean)
                else NOT_RUN_YET
            )
        rows.append([cell.row, cell.column.removeprefix(f"{model} "), *values, delta, share])
    return markdown_table(header, rows, "ll" + "r" * (len(TEST_METRICS) + 1) + "lr")


def choice_lines(d: Diagnosis, model: str) -> list[str]:
    """What stage 2 and stage 3 chose for a model, with the validation NDCG@5 behind it."""
    lines = []
    for col, _ in DIAGNOSIS_COLUMNS:
        name = diagnosis_column(model, col)
        if name in d.alphas:
            score = validation_score(d.runs(name)[d.alphas[name]])
            lines.append(
                f"- stage 2, {col}: `corruption_target` rows use `{d.alphas[name]}` "
                f"(best validation {NDCG} of the alpha_scale=loss rows: {number(score)})"
            )
        elif name in d.waiting_alpha:
            lines.append(
                f"- stage 2, {col}: pending; its alpha is chosen once every alpha_scale=loss "
                f"row is stored, waiting for {', '.join(f'`{r}`' for r in d.waiting_alpha[name])}"
            )
    if model in d.waiting_rows:
        columns: dict[str, list[str]] = {}
        for row, col in d.waiting_rows[model]:
            columns.setdefault(row, []).append(col)
        waiting = "; ".join(f"`{row}` ({', '.join(cols)})" for row, cols in columns.items())
        lines.append(
            "- stage 3 pending: the rows confirmed besides base and atjt are chosen once every "
            f"screening row of {model} is stored in both columns, waiting for {waiting}"
        )
        return lines
    runs = {col: d.runs(diagnosis_column(model, col)) for col, _ in DIAGNOSIS_COLUMNS}
    chosen = [
        f"`{row}` ({number(float(np.mean([validation_score(r[row]) for r in runs.values()])))})"
        for row in d.chosen.get(model, [])
    ]
    lines.append(
        f"- confirmed besides base and atjt (mean validation {NDCG} of both columns, seed "
        f"{d.seeds[0]}): {', '.join(chosen) or 'none'}"
    )
    return lines


def rows_table(d: Diagnosis) -> list[str]:
    """The settings of every row that ran or is planned (on top of the model's defaults)."""
    ran = {c.row for c in d.screening} | set(d.planned_rows)
    settings = dict(SCREENING_ROWS)
    table = []
    for row in DIAGNOSIS_ROWS:
        if row not in ran:
            continue
        if row in settings:
            text = ", ".join(f"{k}: {v}" for k, v in settings[row].items())
        else:
            target = dict(TARGET_ROWS)[row]
            text = f"the stage-1 winner's alpha (below), corruption_target: {target}"
        table.append([row, text])
    lines = markdown_table(["row", "settings"], table)
    extra = [
        f"{m}: " + ", ".join(f"{k}: {v}" for k, v in s.items())
        for m, s in DIAGNOSIS_MODEL_SETTINGS.items()
        if m in d.models
    ]
    if extra:
        lines += ["", f"Every row also sets, per model: {'; '.join(extra)}."]
    return lines


def stored_only_lines(d: Diagnosis) -> list[str]:
    """What a page written with ``--stored_only`` holds: how many of the planned runs."""
    stored, planned = len(d.results), d.planned_runs
    if stored >= planned:
        return [
            f"Written with `--stored_only` from the stored runs (nothing trained): all {planned} "
            "planned runs are stored.",
            "",
        ]
    return [
        f"{PARTIAL_PAGE}, written with `--stored_only` from the stored runs (nothing trained): "
        f"{stored} of the {planned} planned runs are stored. Cells without a stored run show "
        f"`{NOT_RUN_YET}`; a stage whose choice lacks some of its inputs is listed as pending, "
        "never chosen on part of them.",
        "",
    ]


def takeaway(d: Diagnosis) -> list[str]:
    """What the confirmation shows: how far each row moved from base on every seed, what
    the rows recovered of the noise-induced loss, and what is still pending."""
    by_key = {(c.row, c.column): c for c in d.confirmation}
    moved, shares = {}, {}
    for cell in d.confirmation:
        base = by_key.get(cell.baseline) if cell.baseline else None
        if base is None or not _complete(d, cell, base):
            continue
        label = f"{cell.row} on {cell.column}"
        moved[label] = np.subtract(
            _seed_values(d, cell, SELECTION_METRIC), _seed_values(d, base, SELECTION_METRIC)
        )
        clean = by_key.get(("base", diagnosis_column(cell.model, CLEAN)))
        if cell.column == diagnosis_column(cell.model, NOISY) and clean and _complete(d, clean):
            kept = [x for x in seed_shares(d, cell, base, clean) if x is not None]
            if kept:
                shares[label] = float(np.mean(kept))
    pending = [m for m in d.models if m in d.waiting_rows]
    return [
        partial(len(d.results), d.planned_runs),
        *versus_baseline(moved),
        shares_sentence(shares, "the noise-induced loss (mean over seeds)"),
        f"Stage 3 has not chosen the rows to confirm on {', '.join(pending)} yet."
        if pending
        else "",
    ]


def header(d: Diagnosis, setting: Setting) -> list[str]:
    """The setting, as on every experiment page."""
    dataset = setting.dataset
    runs = list(d.results.values())
    stats = {
        col: next(
            (r.get("dataset_stats") for r in d.runs(diagnosis_column(d.models[0], col)).values()),
            None,
        )
        for col, _ in DIAGNOSIS_COLUMNS
    }
    seeds = ", ".join(map(str, d.seeds))
    lines = setting_lines(
        setting.budget,
        setting.budget_text,
        setting.extra,
        f"{stats[CLEAN] or dataset}; 20% injected copy (seed {d.seeds[0]}): {stats[NOISY] or '-'}",
        runs,
    )
    return [
        f"# diagnosis on {dataset}",
        "",
        *paragraph(takeaway(d)),
        *(stored_only_lines(d) if d.stored_only else []),
        protocol() + f" Screening (stages 1-2) runs seed {d.seeds[0]} only; confirmation cells are "
        "mean ± std over "
        f"{_seeds(len(d.seeds))} ({seeds}); Δ and recovered shares are paired by seed. Models: "
        f"{', '.join(d.models)}; columns: clean and 20% injected noise (a copy per seed).",
        "",
        SELECTION_TEXT,
        "",
        *lines,
    ]


def write_diagnosis_page(path: str, d: Diagnosis, setting: Setting) -> None:
    """``results/diagnosis/<dataset>.md`` and its PNGs beside it. A plot skips the rows
    without runs; a model without any gets none."""
    from experiments.diagnosis_plots import plot_screening, plot_weights

    dataset = setting.dataset
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    lines = [*header(d, setting), "## Rows", ""]
    lines += rows_table(d)
    stem = os.path.splitext(path)[0]
    for model in d.models:
        runs = {col: d.runs(diagnosis_column(model, col)) for col, _ in DIAGNOSIS_COLUMNS}
        lines += ["", f"## {model}", "", f"### Screening (seed {d.seeds[0]})", ""]
        lines += [*screening_tables(d, model), "", *choice_lines(d, model), ""]
        screening_plot = f"{stem}-{model}-ndcg5.png"
        if any(runs.values()):
            plot_screening(screening_plot, f"{model} on {dataset}", runs)
            lines.append(
                f"![test {NDCG} of every screening row]({os.path.basename(screening_plot)})"
            )
        curves = f"{stem}-{model}-weights.png"
        if plot_weights(curves, f"{model} on {dataset}", runs, _atjt_rows(d, model)):
            lines += ["", f"![mean weight per epoch, ATJT rows]({os.path.basename(curves)})"]
        lines += ["", f"### Confirmation ({_seeds(len(d.seeds))})", ""]
        if model in d.waiting_rows:
            lines += ["Base and atjt only: stage 3 has not chosen its other rows yet.", ""]
        lines += confirmation_table(d, model)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    summary = page_summary(
        NAME,
        dataset,
        d.planned_runs,
        len(d.results),
        confirmation_figures(d),
        models_lacking(NAME, set(d.models)),
        screening_seed=d.seeds[0],
    )
    write_summary(path, summary)


def confirmation_figures(d: Diagnosis) -> dict:
    """The confirmation cells over every seed, as a summary's table: test NDCG@5 and the
    difference to base paired by seed (None until every seed of both is stored)."""
    by_key = {(c.row, c.column): c for c in d.confirmation}
    rows = []
    for cell in d.confirmation:
        base = by_key.get(cell.baseline) if cell.baseline else None
        if _complete(d, *(c for c in (cell, base) if c is not None)):
            rows.append([cell.row, cell.column, *paired_figures(d.results, cell, base, d.seeds)])
        else:
            rows.append([cell.row, cell.column, *[None] * (len(PAIRED_HEADER) - 1), 0])
    return figures(["row", "column", *PAIRED_HEADER], rows)


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _atjt_rows(d: Diagnosis, model: str) -> list[str]:
    rows = {c.row for c in d.screening if c.model == model and c.overrides["denoise"] == "atjt"}
    return [r for r in DIAGNOSIS_ROWS if r in rows]
