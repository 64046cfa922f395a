"""The diagnosis experiment: which parts of ATJT help, on clean data and under injected noise.

Three stages, each model (DCN, SASRec with BPR) in two columns (clean, 20% injected noise):

1. screening, first seed only: base, ATJT and its variants, and the other denoisers;
2. target corruption, first seed only: ``corruption_target`` target / both, each with the
   ``alpha_scale: loss`` row that won stage 1 for its model and column;
3. confirmation over every seed: base, ATJT and the two best other rows of stages 1-2 (by
   the mean over both columns, so a model's rows are the same in both).

Every choice reads validation NDCG@5 only (``run["valid"]["ndcg@5"]``), never a test metric.
Runs are stored and shared through ``run_cells`` like every other experiment's.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from recbole_atjt.experiments.design import (
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
)
from recbole_atjt.experiments.report import (
    _spread,
    mean_std,
    paired_difference,
    setting_lines,
)
from recbole_atjt.experiments.runner import run_cells

NAME = "diagnosis"
CONFIRMED = 2  # rows confirmed besides base and atjt
FIXED_ROWS = ("base", "atjt")
SELECTION_METRIC = "ndcg@5"

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


def recovered_share(row_noisy: float, base_noisy: float, base_clean: float) -> float | None:
    """Share of the base model's noise-induced loss a row wins back; None when noise cost
    the base model nothing (a denominator <= 0)."""
    lost = base_clean - base_noisy
    return None if lost <= 0 else (row_noisy - base_noisy) / lost


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

    def runs(self, column: str, seed: int | None = None) -> dict[str, dict]:
        """Row label -> run of one column, screening seed unless told."""
        seed = self.seeds[0] if seed is None else seed
        return {
            c.row: self.results[(c.key, seed)]
            for c in self.screening
            if c.column == column and (c.key, seed) in self.results
        }


def _by_row(results: dict, cells: list[Cell], column: str, seed: int) -> dict[str, dict]:
    return {c.row: results[(c.key, seed)] for c in cells if c.column == column}


def _target_cells(model: str, column: str, noise: float, winner: str, rows) -> list[Cell]:
    overrides = dict(SCREENING_ROWS)[winner]
    return [
        diagnosis_cell(label, model, column, noise, {**overrides, "corruption_target": target})
        for label, target in TARGET_ROWS
        if label in rows
    ]


def run_diagnosis(
    dataset: str,
    seeds: list[int],
    budget: str,
    out_dir: str,
    data_path: str | None = None,
    work_dir: str = "saved/experiment-data",
    extra: dict[str, Any] | None = None,
    models: tuple[str, ...] = DIAGNOSIS_MODELS,
    rows: tuple[str, ...] = DIAGNOSIS_ROWS,
    run_fn: Callable[..., dict] | None = None,
) -> Diagnosis:
    """Run (or load) the three stages on one dataset."""
    run = functools.partial(
        run_cells,
        NAME,
        dataset=dataset,
        budget=budget,
        out_dir=out_dir,
        data_path=data_path,
        work_dir=work_dir,
        extra=extra,
        run_fn=run_fn,
    )
    first = seeds[:1]
    stage1 = diagnosis_screening(models, rows)
    results = run(stage1, seeds=first)
    alphas, stage2 = {}, []
    for model in models:
        for column, noise in DIAGNOSIS_COLUMNS:
            name = diagnosis_column(model, column)
            winner = best_alpha(_by_row(results, stage1, name, first[0]))
            if winner is not None:
                alphas[name] = winner
                stage2 += _target_cells(model, column, noise, winner, rows)
    results.update(run(stage2, seeds=first))
    screening = stage1 + stage2
    chosen, confirmation = {}, []
    for model in models:
        by_column = {
            column: _by_row(results, screening, diagnosis_column(model, column), first[0])
            for column, _ in DIAGNOSIS_COLUMNS
        }
        chosen[model] = best_rows(by_column)
        keep = [*FIXED_ROWS, *chosen[model]]
        for column, _ in DIAGNOSIS_COLUMNS:
            name = diagnosis_column(model, column)
            by_label = {c.row: c for c in screening if c.column == name}
            confirmation += [by_label[row] for row in keep if row in by_label]
    results.update(run(confirmation, seeds=seeds))
    return Diagnosis(models, seeds, screening, confirmation, alphas, chosen, results)


# ---- the page ----

NOISY = DIAGNOSIS_COLUMNS[1][0]
CLEAN = DIAGNOSIS_COLUMNS[0][0]
TEST_METRICS = (("ndcg@5", "NDCG@5"), ("hit@5", "HR@5"), ("gauc", "AUC"))
SELECTION_TEXT = (
    "Selection uses validation only: the alpha of stage 2 and the confirmed rows are chosen by "
    "validation NDCG@5; test metrics are reported, never used to choose."
)


def _num(value: Any, digits: int = 4, sign: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


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
    m = SELECTION_METRIC
    return recovered_share(
        noisy[row]["test"][m], noisy["base"]["test"][m], clean["base"]["test"][m]
    )


def screening_tables(d: Diagnosis, model: str) -> list[str]:
    """Stages 1-2 of one model: test and validation metrics, then weights and detection."""
    runs = {col: d.runs(diagnosis_column(model, col)) for col, _ in DIAGNOSIS_COLUMNS}
    rows = [r for r in DIAGNOSIS_ROWS if any(r in runs[col] for col in runs)]
    heads = [f"test {label}, {{}}" for _, label in TEST_METRICS] + ["valid NDCG@5, {}"]
    lines = [
        "| row | "
        + " | ".join(h.format(col) for col in runs for h in heads)
        + " | recovered share of the noise-induced loss |",
        "|---|" + "---:|" * (len(heads) * len(runs) + 1),
    ]
    for row in rows:
        cells = []
        for col in runs:
            run = runs[col].get(row)
            test = (run or {}).get("test", {})
            cells += [_num(test.get(m)) for m, _ in TEST_METRICS]
            cells.append(_num((run or {}).get("valid", {}).get(SELECTION_METRIC)))
        cells.append(_num(_row_share(runs, row), 2, sign=True))
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"| row | weight mean, {CLEAN} | weight std, {CLEAN} | own-task AUC, {CLEAN} | "
        f"weight mean, {NOISY} | weight std, {NOISY} | own-task AUC, {NOISY} | "
        f"length-matched detection AUC, {NOISY} | target-injected AUC, {NOISY} |",
        "|---|" + "---:|" * 8,
    ]
    for row in rows:
        cells = []
        for col in runs:
            run = runs[col].get(row) or {}
            own, matched, target = detection(run)
            cells += [*map(_num, last_weights(run)), _num(own)]
            if col == NOISY:
                cells += [_num(matched), _num(target)]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return lines


def _seed_values(d: Diagnosis, cell: Cell, metric: str, part: str = "test") -> list[float]:
    return [d.results[(cell.key, s)][part][metric] for s in d.seeds]


def paired_share(d: Diagnosis, cell: Cell, base_noisy: Cell, base_clean: Cell) -> str:
    """Recovered share paired by seed: mean ± std over the seeds whose base lost NDCG@5."""
    m = SELECTION_METRIC
    shares = [
        recovered_share(r, b, c)
        for r, b, c in zip(
            _seed_values(d, cell, m),
            _seed_values(d, base_noisy, m),
            _seed_values(d, base_clean, m),
            strict=True,
        )
    ]
    kept = [s for s in shares if s is not None]
    if not kept:
        return "-"
    a = np.asarray(kept)
    text = f"{a.mean():+.2f} ± {_spread(a):.2f}"
    return text if len(kept) == len(shares) else f"{text} ({len(kept)}/{len(shares)} seeds)"


def confirmation_table(d: Diagnosis, model: str) -> list[str]:
    """Base, atjt and the chosen rows over every seed, with Δ NDCG@5 paired by seed."""
    cells = [c for c in d.confirmation if c.model == model]
    by_key = {(c.row, c.column): c for c in cells}
    base_clean = by_key.get(("base", diagnosis_column(model, CLEAN)))
    lines = [
        "| row | column | "
        + " | ".join(f"test {label}" for _, label in TEST_METRICS)
        + " | valid NDCG@5 | Δ test NDCG@5 vs base (paired) | recovered share (paired) |",
        "|---|---|" + "---:|" * (len(TEST_METRICS) + 1) + "---|---:|",
    ]
    for cell in cells:
        values = [mean_std(_seed_values(d, cell, m)) for m, _ in TEST_METRICS]
        values.append(mean_std(_seed_values(d, cell, SELECTION_METRIC, "valid")))
        base = by_key.get(cell.baseline) if cell.baseline else None
        delta = paired_difference(d.results, cell, base, d.seeds, SELECTION_METRIC) if base else "-"
        noisy = cell.column == diagnosis_column(model, NOISY)
        share = paired_share(d, cell, base, base_clean) if noisy and base and base_clean else "-"
        column = cell.column.removeprefix(f"{model} ")
        lines.append(f"| {cell.row} | {column} | " + " | ".join(values) + f" | {delta} | {share} |")
    return lines


def choice_lines(d: Diagnosis, model: str) -> list[str]:
    """What stage 2 and stage 3 chose for a model, with the validation NDCG@5 behind it."""
    lines = []
    for col, _ in DIAGNOSIS_COLUMNS:
        name = diagnosis_column(model, col)
        if name in d.alphas:
            score = validation_score(d.runs(name)[d.alphas[name]])
            lines.append(
                f"- stage 2, {col}: `corruption_target` rows use `{d.alphas[name]}` "
                f"(best validation NDCG@5 of the alpha_scale=loss rows: {score:.4f})"
            )
    runs = {col: d.runs(diagnosis_column(model, col)) for col, _ in DIAGNOSIS_COLUMNS}
    chosen = [
        f"`{row}` ({np.mean([validation_score(r[row]) for r in runs.values()]):.4f})"
        for row in d.chosen.get(model, [])
    ]
    lines.append(
        "- confirmed besides base and atjt (mean validation NDCG@5 of both columns, seed "
        f"{d.seeds[0]}): {', '.join(chosen) or 'none'}"
    )
    return lines


def rows_table(d: Diagnosis) -> list[str]:
    """The settings of every row that ran (on top of the model's defaults)."""
    ran = {c.row for c in d.screening}
    settings = dict(SCREENING_ROWS)
    lines = ["| row | settings |", "|---|---|"]
    for row in DIAGNOSIS_ROWS:
        if row not in ran:
            continue
        if row in settings:
            text = ", ".join(f"{k}: {v}" for k, v in settings[row].items())
        else:
            target = dict(TARGET_ROWS)[row]
            text = f"the stage-1 winner's alpha (below), corruption_target: {target}"
        lines.append(f"| {row} | {text} |")
    extra = [
        f"{m}: " + ", ".join(f"{k}: {v}" for k, v in s.items())
        for m, s in DIAGNOSIS_MODEL_SETTINGS.items()
        if m in d.models
    ]
    if extra:
        lines += ["", f"Every row also sets, per model: {'; '.join(extra)}."]
    return lines


def header(d: Diagnosis, dataset: str, budget, budget_text, seconds, extra) -> list[str]:
    """The setting, as on every experiment page."""
    runs = list(d.results.values())
    stats = {
        col: next(
            (r.get("dataset_stats") for r in d.runs(diagnosis_column(d.models[0], col)).values()),
            None,
        )
        for col, _ in DIAGNOSIS_COLUMNS
    }
    seeds = ", ".join(map(str, d.seeds))
    return [
        f"# diagnosis on {dataset}",
        "",
        "Protocol: time-ordered leave-one-out; each user's true next item ranked against 100 fixed "
        "sampled items; test metrics of the epoch with the best validation NDCG@5. Screening "
        f"(stages 1-2) runs seed {d.seeds[0]} only; confirmation cells are mean ± std over "
        f"{_seeds(len(d.seeds))} ({seeds}); Δ and recovered shares are paired by seed. Models: "
        f"{', '.join(d.models)}; columns: clean and 20% injected noise (a copy per seed).",
        "",
        SELECTION_TEXT,
        "",
        *setting_lines(
            budget,
            budget_text,
            extra,
            f"{stats[CLEAN] or dataset}; 20% injected copy (seed {d.seeds[0]}): "
            f"{stats[NOISY] or '-'}",
            runs,
            seconds,
        ),
    ]


def write_diagnosis_page(
    path: str,
    dataset: str,
    d: Diagnosis,
    budget: str,
    budget_text: str,
    seconds: float,
    extra: dict[str, Any],
) -> None:
    """``results/diagnosis/<dataset>.md`` and its PNGs beside it."""
    from recbole_atjt.experiments.diagnosis_plots import plot_screening, plot_weights

    lines = [*header(d, dataset, budget, budget_text, seconds, extra), "## Rows", ""]
    lines += rows_table(d)
    stem = os.path.splitext(path)[0]
    for model in d.models:
        runs = {col: d.runs(diagnosis_column(model, col)) for col, _ in DIAGNOSIS_COLUMNS}
        lines += ["", f"## {model}", "", f"### Screening (seed {d.seeds[0]})", ""]
        lines += [*screening_tables(d, model), "", *choice_lines(d, model), ""]
        bars = f"{stem}-{model}-ndcg5.png"
        plot_screening(bars, f"{model} on {dataset}", runs)
        lines.append(f"![test NDCG@5 of every screening row]({os.path.basename(bars)})")
        curves = f"{stem}-{model}-weights.png"
        if plot_weights(curves, f"{model} on {dataset}", runs, _atjt_rows(d, model)):
            lines += ["", f"![mean weight per epoch, ATJT rows]({os.path.basename(curves)})"]
        lines += ["", f"### Confirmation ({_seeds(len(d.seeds))})", ""]
        lines += confirmation_table(d, model)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def _seeds(n: int) -> str:
    return f"{n} seed" if n == 1 else f"{n} seeds"


def _atjt_rows(d: Diagnosis, model: str) -> list[str]:
    rows = {c.row for c in d.screening if c.model == model and c.overrides["denoise"] == "atjt"}
    return [r for r in DIAGNOSIS_ROWS if r in rows]
