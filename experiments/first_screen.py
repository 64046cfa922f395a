"""The leaderboard's first screen: which denoiser helps where, in a verdict line per
condition (the cells up on every seed), one matrix and one plot.

Every denoiser column of Table 2 (clean data), of the robustness experiment (clean and
20% injected) and of the cleaning experiment (its replace rows with the robustness ones;
its runs to early stopping, clean and under inserted noise, as conditions of their own),
against the base model of its row: the paired difference in test NDCG@5,
mean ± std over the seeds stored for both, and how many seeds went up. Read from the
stored runs through the experiments' own cells, so a tuned column appears once its
search is stored; an experiment counts on a dataset once its command has written the page
(its summary: the runs of one still training are a partial set of seeds).
"""

from __future__ import annotations

import os
from collections import defaultdict

import numpy as np

from experiments import cleaning
from experiments.cleaning import CLEAN, INSERT, INSERT_POPULAR
from experiments.convergence import at_cap, epoch_cap
from experiments.design import (
    INJECTED_NOISE,
    PAPER_MODELS,
    ROBUSTNESS_COLUMNS,
    ROBUSTNESS_MODELS,
    robustness,
    table2,
)
from experiments.store import is_current, stored_results, stored_seeds
from experiments.summary import has_summary
from experiments.tuning import tuned_overrides
from experiments.wording import NDCG
from experiments.wording import SELECTION_METRIC as METRIC
from recbole_atjt.rendering import markdown_table, mean_std, pyplot, save_figure

INJECTED = f"{round(INJECTED_NOISE[-1] * 100)}% injected"
EARLY_STOPPING = ", to early stopping"
# (label, (noise, how injected, how its items are drawn), whether trained to early stopping)
CONDITION_KINDS = (
    ("clean", (0.0, None, None), False),
    (INJECTED, (INJECTED_NOISE[-1], "replace", "uniform"), False),
    (INSERT[0], INSERT[1:], False),
    *(
        (f"{c[0]}{EARLY_STOPPING}", (c[1], *c[2:]) if c[1] else (0.0, None, None), True)
        for c in (CLEAN, INSERT, INSERT_POPULAR)
    ),
)
CONDITIONS = tuple(label for label, *_ in CONDITION_KINDS)
NOISY = tuple((label, kind[0] > 0) for label, kind, _ in CONDITION_KINDS)  # (label, noisy)


def condition_of(cell) -> str | None:
    """The matrix condition of a cell: its noise (any clean cell alike), and whether it
    trained to early stopping (the cleaning experiment's runs on its full-grid datasets)."""
    kind = (cell.noise, cell.noise_mode, cell.item_sampling) if cell.noise else (0.0, None, None)
    converged = cell.overrides.get("epochs") == cleaning.CONVERGE["epochs"]
    return next((c for c, k, e in CONDITION_KINDS if k == kind and e == converged), None)


def _usable(run: dict) -> bool:
    """A run of today's run format that has the metric."""
    return is_current(run) and METRIC in run.get("test", {})


def _pairs(out: str, datasets: list[str]):
    """(condition, dataset, cell, seed, its run, its base run) of every stored pair."""
    for dataset in datasets:

        def tuned(model: str, method: str, dataset: str = dataset) -> dict | None:
            return tuned_overrides(out, dataset, model, method)

        screened = cleaning.stored_screening(out)
        experiments = (
            ("table2", table2(PAPER_MODELS, tuned)),
            ("robustness", robustness(ROBUSTNESS_MODELS, tuned)),
            ("cleaning", cleaning.cells_for(dataset, cleaning.chosen_settings(screened))),
        )
        for name, cells in experiments:
            if not has_summary(out, name, dataset):
                continue
            seeds = stored_seeds(out, name, dataset)
            runs = stored_results(out, name, cells, dataset, seeds)
            by_key = {(c.row, c.column): c for c in cells}
            for cell in cells:
                condition = condition_of(cell)
                if cell.baseline is None or condition is None:
                    continue
                base = by_key[cell.baseline]
                for seed in seeds:
                    ours, theirs = runs.get((cell.key, seed)), runs.get((base.key, seed))
                    if ours and theirs and _usable(ours) and _usable(theirs):
                        yield condition, dataset, cell, seed, ours, theirs


def paired_differences(out: str, datasets: list[str]):
    """{(condition, dataset, model, column): [per-seed difference vs base]}."""
    found: dict[tuple[str, str, str, str], dict[int, float]] = defaultdict(dict)
    for condition, dataset, cell, seed, ours, theirs in _pairs(out, datasets):
        diff = ours["test"][METRIC] - theirs["test"][METRIC]
        found[(condition, dataset, cell.model, cell.column)][seed] = diff
    return {k: [v[s] for s in sorted(v)] for k, v in found.items()}


def baselines_line(out: str, datasets: list[str]) -> list[str]:
    """How many of the base runs behind the matrix the epoch cap stopped while they still
    improved (each base run counted once, whichever experiments share it)."""
    bases = {}
    for condition, dataset, cell, seed, _, base in _pairs(out, datasets):
        bases[(condition, dataset, cell.model, seed)] = base
    if not bases:
        return []
    caps = [(run, epoch_cap(run)) for run in bases.values()]
    capped = sum(at_cap(run, cap) for run, cap in caps)
    most = "/".join(map(str, sorted({cap for _, cap in caps if cap is not None})))
    return [
        f"- the base runs behind these cells: {capped} of {len(bases)} were still improving "
        f"when the cap of {most} epochs stopped them (best validation at the last epoch), so "
        "the differences are at this budget, not at convergence."
    ]


def _columns(diffs) -> list[tuple[str, str]]:
    """(dataset, model) pairs that have any difference, datasets then the paper's order."""
    have = {(d, m) for _, d, m, _ in diffs}
    order = {m: i for i, m in enumerate(PAPER_MODELS)}
    return sorted(have, key=lambda dm: (dm[0], order.get(dm[1], len(order)), dm[1]))


def _methods(diffs) -> list[str]:
    order = (
        "+ATJT",
        *[c for c in ROBUSTNESS_COLUMNS if c != "+ATJT"],
        *cleaning.COLUMNS,
    )
    present = {c for *_, c in diffs}
    return [c for c in order if c in present]


def _seeds_up(values: list[float]) -> str:
    return f"{int((np.asarray(values) > 0).sum())}/{len(values)}"


def _cell(values: list[float] | None) -> str:
    if not values:
        return "."
    return f"{mean_std(values, signed=True)} ({_seeds_up(values)})"


# Seeds a cell needs before the verdict counts it as up (or down) on every seed.
VERDICT_SEEDS = 2


def _all_up(values: np.ndarray | None) -> bool:
    return values is not None and bool((values > 0).all())


def verdict_lines(diffs, columns, methods) -> list[str]:
    """One line per condition: the cells (of at least ``VERDICT_SEEDS`` seeds) whose method
    beat the base model on every seed, by column, and how many lost to it on every seed."""
    lines = []
    for condition in CONDITIONS:
        cells = {k: v for k, v in diffs.items() if k[0] == condition}
        if not cells:
            continue
        counted = {k: np.asarray(v) for k, v in cells.items() if len(v) >= VERDICT_SEEDS}
        if not counted:
            lines.append(f"- {condition}: fewer than {VERDICT_SEEDS} seeds per cell so far.")
            continue
        down = sum(bool((v < 0).all()) for v in counted.values())
        helps = []
        for d, m in columns:
            up = [c for c in methods if _all_up(counted.get((condition, d, m, c)))]
            if up:
                helps.append(f"{', '.join(up)} on {m}, {d}")
        verdict = "; ".join(helps) if helps else "no method on any model"
        lines.append(
            f"- {condition}: up on every seed: {verdict}. Down on every seed: {down} of the "
            f"{len(counted)} cells of {VERDICT_SEEDS} seeds or more."
        )
    return lines


def screen_lines(diffs, plot: str | None = None, notes: list[str] | None = None) -> list[str]:
    """The verdict and ``notes`` lines, the matrix (one table per condition), and the plot's
    image line when ``plot`` is set."""
    if not diffs:
        return []
    columns, methods = _columns(diffs), _methods(diffs)
    lines = [
        "## Which denoiser helps where",
        "",
        f"Paired Δ test {NDCG} against the base model of the same model, dataset and seed: "
        "mean ± std over seeds (seeds up / seeds), from every stored run, so a cell can "
        "come before the page that will show it. Clean: Table 2 and the robustness "
        f"experiment; {INJECTED} (replaced): the robustness experiment and the cleaning "
        f"experiment's replace rows; {INSERT[0]} and the conditions '{EARLY_STOPPING[2:]}': "
        f"the cleaning experiment (on {', '.join(cleaning.FULL_GRID_DATASETS)} every run trains "
        f"to early stopping: epochs {cleaning.CONVERGE['epochs']}, "
        f"patience {cleaning.CONVERGE['stopping_step']}). "
        "'.': not run yet.",
        "",
    ]
    lines += [*verdict_lines(diffs, columns, methods), *(notes or []), ""]
    for condition in CONDITIONS:
        if not any(k[0] == condition for k in diffs):
            continue
        header = ["method", *(f"{m}, {d}" for d, m in columns)]
        rows = [
            [method, *(_cell(diffs.get((condition, d, m, method))) for d, m in columns)]
            for method in methods
        ]
        lines += [f"**{condition}**", "", *markdown_table(header, rows, "l" + "r" * len(columns))]
        lines.append("")
    if plot:
        _plot(plot, diffs, columns, methods)
        lines += [
            f"![paired Δ test {NDCG}, method x model x dataset]({os.path.basename(plot)})",
            "",
        ]
    return lines


# The colour scale is linear within ±LINEAR_UP_TO and logarithmic beyond, so that a gain of
# a few thousandths shows as clearly coloured beside losses ten times larger.
LINEAR_UP_TO = 0.001
COLOUR_TICKS = (0.002, 0.01, 0.05, 0.2)


def _plot(path: str, diffs, columns, methods) -> None:
    from matplotlib.colors import SymLogNorm

    plt = pyplot()
    panels = []  # (condition, its methods, its columns): only what ran under it
    for condition in CONDITIONS:
        here = {k[1:] for k in diffs if k[0] == condition}
        if here:
            rows = [x for x in methods if any(k[2] == x for k in here)]
            cols = [(d, m) for d, m in columns if any(k[:2] == (d, m) for k in here)]
            panels.append((condition, rows, cols))
    # one panel above the other, so that each has the figure's whole width for its columns
    width = 1.1 * max(len(cols) for _, _, cols in panels) + 3
    heights = [0.5 * len(rows) + 1.2 for _, rows, _ in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(width, sum(heights)),
        squeeze=False,
        gridspec_kw={"height_ratios": heights, "hspace": 0.6},
    )
    axes = axes[:, 0]
    means = {k: float(np.mean(v)) for k, v in diffs.items()}
    limit = max(max(abs(v) for v in means.values()), 2 * LINEAR_UP_TO)
    norm = SymLogNorm(LINEAR_UP_TO, linscale=1.0, vmin=-limit, vmax=limit, base=10)
    for ax, (condition, rows, cols) in zip(axes, panels, strict=True):
        grid = np.full((len(rows), len(cols)), np.nan)
        for i, method in enumerate(rows):
            for j, (d, m) in enumerate(cols):
                grid[i, j] = means.get((condition, d, m, method), np.nan)
        ax.set_facecolor("0.85")  # cells not run (NaN) show the grey behind the image
        image = ax.imshow(grid, cmap="RdBu", norm=norm, aspect="auto")
        ax.set_xticks(range(len(cols)), [f"{m}\n{d}" for d, m in cols], fontsize=7)
        ax.set_yticks(range(len(rows)), rows, fontsize=8)
        ax.set_title(
            f"{condition}: Δ test {NDCG} vs base, seeds up / seeds (grey: not run)", fontsize=9
        )
        for i, method in enumerate(rows):
            for j, (d, m) in enumerate(cols):
                if np.isnan(grid[i, j]):
                    continue
                dark = abs(float(norm(grid[i, j])) - 0.5) > 0.35  # white on the deepest colours
                ax.text(
                    j,
                    i,
                    f"{grid[i, j]:+.3f}\n{_seeds_up(diffs[(condition, d, m, method)])}",
                    ha="center",
                    va="center",
                    fontsize=5.5,
                    color="white" if dark else "black",
                )
    ticks = [0.0, *(t for t in COLOUR_TICKS if t <= limit)]
    bar = fig.colorbar(image, ax=list(axes), shrink=0.8)
    bar.set_ticks([-t for t in reversed(ticks[1:])] + ticks)
    bar.set_ticklabels([f"{t:+g}" if t else "0" for t in [-t for t in reversed(ticks[1:])] + ticks])
    save_figure(fig, path, dpi=120, crop=True, layout=False)
