"""Markdown tables (mean +- std over seeds, paired differences) and plots of an experiment."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import numpy as np

from experiments.convergence import convergence_line
from experiments.design import TUNED_ATJT, TUNED_VARIANT, Cell, models_lacking
from experiments.store import EXECUTION_ONLY
from experiments.summary import figures, page_summary, write_summary
from experiments.takeaway import paragraph, versus_baseline, weights
from experiments.tuning import FAMILIES
from experiments.wording import AUC, HR, NDCG, SELECTION_METRIC, protocol
from recbole_atjt.rendering import markdown_table, mean_std, number, pyplot, save_figure, spread

METRICS = (("gauc", AUC), ("hit@5", HR), (SELECTION_METRIC, NDCG))
PAIRED_METRIC = (SELECTION_METRIC, NDCG)
RI_TEXT = (
    "+RI: the paper's relative improvement of +ATJT over the base model, paired by seed: "
    "mean ± std over seeds of 100 · (ATJT − base) / base."
)


def _test(results, cell: Cell, seeds, metric: str) -> list[float]:
    return [results[(cell.key, s)]["test"][metric] for s in seeds]


def paired_difference(results, cell: Cell, base: Cell, seeds, metric: str) -> str:
    """Mean +- std over seeds of (cell - baseline), and how many seeds improved."""
    diff = _difference(results, cell, base, seeds, metric)
    return f"{mean_std(diff, signed=True)} ({int((diff > 0).sum())}/{len(diff)} seeds up)"


def _difference(results, cell: Cell, base: Cell, seeds, metric: str) -> np.ndarray:
    """Per seed, ``cell`` less ``base``."""
    return np.subtract(_test(results, cell, seeds, metric), _test(results, base, seeds, metric))


def relative_improvement(results, cell: Cell, base: Cell, seeds, metric: str) -> str:
    """The paper's +RI, paired: mean +- std over seeds of 100 * (cell - baseline) / baseline."""
    base_values = np.asarray(_test(results, base, seeds, metric), dtype=float)
    ri = 100 * (np.asarray(_test(results, cell, seeds, metric)) - base_values) / base_values
    return mean_std(ri, digits=2, signed=True, unit="%")


def metrics_table(results, cells: list[Cell], seeds, relative: bool = False) -> list[str]:
    """One row per cell; with ``relative``, a +RI row (Table 2's) under each cell that has
    a baseline."""
    by_key = {(c.row, c.column): c for c in cells}
    header = ["", "", *(label for _, label in METRICS), f"Δ {NDCG} vs baseline (paired)"]
    rows = []
    for cell in cells:
        values = [mean_std(_test(results, cell, seeds, m)) for m, _ in METRICS]
        base = by_key.get(cell.baseline) if cell.baseline else None
        delta = paired_difference(results, cell, base, seeds, PAIRED_METRIC[0]) if base else "-"
        rows.append([cell.row, cell.column, *values, delta])
        if relative and base:
            ri = [relative_improvement(results, cell, base, seeds, m) for m, _ in METRICS]
            rows.append([cell.row, "+RI", *ri, ""])
    return markdown_table(header, rows, "ll" + "r" * len(METRICS) + "l")


def differences(results, cells: list[Cell], seeds) -> dict[str, np.ndarray]:
    """Per cell with a baseline on the page (``row column``), its paired test NDCG@5
    difference per seed: what the table's Δ column shows."""
    by_key = {(c.row, c.column): c for c in cells}
    return {
        f"{cell.row} {cell.column}": _difference(
            results, cell, by_key[cell.baseline], seeds, PAIRED_METRIC[0]
        )
        for cell in cells
        if cell.baseline in by_key
    }


def weights_table(results, cells: list[Cell], seeds) -> list[str]:
    """The paper's Table 5, plus detection on ground truth when the dataset has it."""
    rows = []
    for cell in cells:
        cw = _own_task_weights(results, cell, seeds)
        if cw is None:
            continue
        rows.append(
            [
                f"{cell.row} {cell.column}",
                mean_std([c["original"]["mean"] for c in cw]),
                mean_std([c["corrupted"]["mean"] for c in cw]),
                mean_std([c["auc"] for c in cw]),
            ]
        )
    header = ["", "original", "corrupted", "AUC (corrupted vs original)"]
    lines = markdown_table(header, rows, "lrrr")
    detected = [(c, s) for c in cells for s in seeds if "noise_detection" in results[(c.key, s)]]
    if detected:
        detected_keys = {c.key for c, _ in detected}
        rows = []
        for cell in (c for c in cells if c.key in detected_keys):
            nd = [results[(cell.key, s)]["noise_detection"] for s in seeds]
            rows.append(
                [
                    f"{cell.row} {cell.column}",
                    mean_std([d["auc"] for d in nd]),
                    mean_std([d.get("length_matched_auc") for d in nd], missing="-"),
                    mean_std([d["spearman"] for d in nd]),
                    mean_std([d["noisy"]["mean"] for d in nd]),
                    mean_std([d["clean"]["mean"] for d in nd]),
                ]
            )
        header = [
            "",
            "detection AUC",
            "length-matched AUC",
            "Spearman",
            "weight, noisy",
            "weight, clean",
        ]
        lines += ["", *markdown_table(header, rows, "lrrrrr")]
    return lines


def _own_task_weights(results, cell: Cell, seeds) -> list[dict] | None:
    """Per seed, the weights the cell's runs gave original and corrupted copies of their
    sequences, and their AUC; None unless every run recorded them."""
    runs = [results[(cell.key, s)] for s in seeds]
    if not all("corruption_weights" in r for r in runs):
        return None
    return [r["corruption_weights"] for r in runs]


def weight_sentences(results, cells: list[Cell], seeds) -> list[str]:
    """Per cell with the weights of its own task, what the weights table shows."""
    sentences = []
    for cell in cells:
        cw = _own_task_weights(results, cell, seeds)
        if cw is not None:
            original = [c["original"]["mean"] for c in cw]
            corrupted = [c["corrupted"]["mean"] for c in cw]
            label = f"{cell.row} on {cell.column}"
            sentences.append(weights(label, original, corrupted, [c["auc"] for c in cw]))
    return sentences


def recovered_share(row_noisy: float, base_noisy: float, base_clean: float) -> float | None:
    """Share of the base model's noise-induced loss a row wins back; None when noise cost
    the base model nothing (a denominator <= 0)."""
    lost = base_clean - base_noisy
    return None if lost <= 0 else (row_noisy - base_noisy) / lost


def noise_induced_loss(results, base: Cell, clean: Cell, seeds) -> np.ndarray:
    """Per seed, the base model's NDCG@5 on clean data less its NDCG@5 on the noisy data."""
    m = PAIRED_METRIC[0]
    return np.subtract(_test(results, clean, seeds, m), _test(results, base, seeds, m))


def recovered_shares(results, cell: Cell, base: Cell, clean: Cell, seeds) -> np.ndarray:
    """Per seed, ``recovered_share`` of ``cell`` against ``base`` and the base model on clean
    data, on the same seed (nan where noise cost that seed's base model nothing)."""
    m = PAIRED_METRIC[0]
    runs = zip(*(_test(results, c, seeds, m) for c in (cell, base, clean)), strict=True)
    shares = [recovered_share(*values) for values in runs]
    return np.array([np.nan if s is None else s for s in shares])


def recovery_lines(results, cells: list[Cell], seeds) -> list[str]:
    """Per noisy row and denoiser, the recovered share of the noise-induced loss."""
    by_key = {(c.row, c.column): c for c in cells}
    clean = {c.model: c for c in cells if c.noise == 0 and c.column == "base"}
    rows = []
    for cell in cells:
        if cell.noise == 0 or cell.baseline is None or cell.model not in clean:
            continue
        base = by_key[cell.baseline]
        lost = noise_induced_loss(results, base, clean[cell.model], seeds)
        share = recovered_shares(results, cell, base, clean[cell.model], seeds)
        per_seed = ", ".join(number(x, 2, signed=True) for x in share)
        rows.append(
            [cell.row, mean_std(lost), cell.column, number(np.nanmean(share), 2, True), per_seed]
        )
    header = ["noisy row", f"base loss vs clean ({NDCG})", "denoiser", "recovered share"]
    return markdown_table([*header, "per seed"], rows, "lrlrl")


def plot_sweep(path: str, results, cells: list[Cell], seeds, title: str) -> None:
    """NDCG@5 of ATJT against the swept value, with the base model as a band."""
    plt = pyplot()
    m, label = PAIRED_METRIC
    swept = [c for c in cells if c.baseline]
    xs = [float(c.row.split("=")[1]) for c in swept]
    ys = np.array([_test(results, c, seeds, m) for c in swept])
    base = np.array(_test(results, cells[0], seeds, m))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.errorbar(
        xs,
        ys.mean(1),
        yerr=ys.std(1, ddof=1) if len(seeds) > 1 else None,
        marker="o",
        capsize=3,
        label="DCN + ATJT",
    )
    ax.axhline(base.mean(), color="grey", linestyle="--", label="DCN (base)")
    if len(seeds) > 1:
        ax.axhspan(
            base.mean() - base.std(ddof=1), base.mean() + base.std(ddof=1), color="grey", alpha=0.2
        )
    ax.set_xlabel(swept[0].row.split("=")[0])
    ax.set_ylabel(f"test {label}")
    ax.set_title(title)
    ax.legend()
    save_figure(fig, path, dpi=120)


def machines(runs: list[dict]) -> str:
    """Where the runs ran and on how many torch threads, with how many runs each."""
    counts = Counter(_machine(run) for run in runs)
    return "; ".join(f"{name} ({_runs(n)})" for name, n in counts.items())


def _machine(run: dict) -> str:
    threads = run.get("torch_threads")
    where = run.get("machine", "unrecorded")
    return f"{where}, {threads} torch thread{'s' * (threads != 1)}" if threads else where


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def code_line(runs: list[dict]) -> str:
    """The commits the runs' code came from, with how many runs each, and the dirty ones."""
    commits = Counter((run.get("code") or {}).get("commit", "unrecorded")[:10] for run in runs)
    dirty = sum(bool((run.get("code") or {}).get("dirty")) for run in runs)
    text = ", ".join(f"`{c}` ({_runs(n)})" for c, n in sorted(commits.items()))
    return f"- code: {text}; {dirty} from a tree with uncommitted changes to the package"


NOT_RUN = "- models not run here: "


def _run_notes(trained: list[dict]) -> list[str]:
    """Page lines for runs that fine-tuned another run's pretrained model or were resumed."""
    shared = [r for r in trained if r.get("pretrained_from")]
    resumed = [r for r in trained if r.get("resumed")]
    lines = []
    if shared:
        lines.append(
            f"- pretraining: {len(shared)} of the runs fine-tuned the pretrained model of the "
            "run of their seed that differs only in our keys (`pretrained_from`; the same model)"
        )
    if resumed:
        lines.append(
            f"- resumed: {len(resumed)} of the runs continued after a kill from their last "
            "validated epoch; their time counts only the resumed part"
        )
    return lines


def _models_not_run(name: str, cells) -> list[str]:
    """The experiment's models that this page lacks (it shows the models the command was
    given)."""
    missing, whole = models_lacking(name, {c.model for c in cells})
    return [f"{NOT_RUN}{', '.join(missing)} (of {whole})"] if missing else []


PAIRED_HEADER = [f"test {NDCG}", "std", "Δ vs baseline (paired)", "std", "seeds up", "seeds"]


def paired_figures(results, cell: Cell, base: Cell | None, seeds) -> list:
    """A summary's figures of one cell: mean and std of its test NDCG@5 over ``seeds``, and
    against its baseline paired by seed: the mean difference, its std and the seeds up
    (None without a baseline)."""
    m = PAIRED_METRIC[0]
    values = np.asarray(_test(results, cell, seeds, m), dtype=float)
    paired = [None, None, None]
    if base is not None:
        diff = values - np.asarray(_test(results, base, seeds, m), dtype=float)
        paired = [float(diff.mean()), spread(diff), int((diff > 0).sum())]
    return [float(values.mean()), spread(values), *paired, len(seeds)]


def page_figures(results, cells: list[Cell], seeds) -> dict:
    """Every cell's ``paired_figures``, as a summary's table."""
    by_key = {(c.row, c.column): c for c in cells}
    rows = [
        [c.row, c.column, *paired_figures(results, c, by_key.get(c.baseline), seeds)] for c in cells
    ]
    return figures(["row", "column", *PAIRED_HEADER], rows)


def tuned_note(name: str, cells, dataset: str) -> list[str]:
    """Where the tuned columns' parameters come from, or that they are still to come."""
    if name not in ("table2", "robustness"):
        return []
    tuned = sorted({c.column for c in cells if c.column in (TUNED_ATJT, TUNED_VARIANT)})
    if not tuned:
        return [
            f"- tuned columns ({TUNED_ATJT}, {TUNED_VARIANT}): pending, no search stored for "
            f"{dataset} yet (`python -m experiments tuning`)"
        ]
    families = "; ".join(f"{', '.join(m)} from the {s} search" for s, m in FAMILIES.items())
    return [
        f"- tuned columns ({', '.join(tuned)}): the best parameters of "
        f"[the tuning page](../tuning/{dataset}.md) for the model's family ({families})"
    ]


def setting_lines(
    budget: str,
    budget_text: str,
    extra: dict[str, Any],
    dataset_text: str,
    runs: list[dict],
    notes: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """A page's setting: budget, dataset, machine, time, run notes and the budget file, all
    read from the stored runs (a page written again from them is the same page)."""
    trained = [r for r in runs if "reused_from" not in r]
    # how the runs executed (threads) is on the machine line, read from the runs themselves
    extra = {k: v for k, v in extra.items() if k not in EXECUTION_ONLY}
    return [
        f"- budget: `{budget}` (`properties/budgets/{budget}.yaml`); "
        f"extra settings: {extra or '-'}",
        f"- dataset: {dataset_text}",
        f"- machine: {machines(runs)}",
        code_line(runs),
        f"- time: {sum(r.get('wall_seconds', 0) for r in trained) / 60:.1f} min of training"
        f" for the {len(trained)} runs trained here; {len(runs) - len(trained)} runs reused "
        "from other experiments with identical settings (a rerun of the command trains only the "
        "runs not stored)",
        *_run_notes(trained),
        *notes,
        "",
        "```yaml",
        budget_text.strip(),
        "```",
        "",
    ]


def write_page(path: str, name: str, cells, results, setting) -> None:
    """``results/<name>/<dataset>.md``: the cells' ``results`` of one ``Setting``."""
    dataset, seeds = setting.dataset, setting.seeds
    runs = list(results.values())
    stats = runs[0].get("dataset_stats", {})
    lines = [
        f"# {name} on {dataset}",
        "",
        *paragraph(
            weight_sentences(results, cells, seeds)
            if name == "table5"
            else versus_baseline(differences(results, cells, seeds))
        ),
        protocol() + " Cells are "
        f"mean ± std over {len(seeds)} seeds ({', '.join(map(str, seeds))}); Δ is paired by seed. "
        "The paper's absolute numbers are not reproducible (its split and metric definitions are "
        "unstated); this page re-runs its design under our protocol.",
        "",
        *setting_lines(
            setting.budget,
            setting.budget_text,
            setting.extra,
            str(stats or dataset),
            runs,
            [
                *_models_not_run(name, cells),
                *tuned_note(name, cells, dataset),
                *convergence_line(results, cells, seeds),
            ],
        ),
    ]
    relative = name == "table2"  # the paper's Table 2 has +RI rows
    lines += metrics_table(results, cells, seeds, relative=relative)
    if relative:
        lines += ["", RI_TEXT]
    if name in ("table5", "robustness"):
        lines += ["", *weights_table(results, cells, seeds)]
    if name == "robustness":
        lines += ["", *recovery_lines(results, cells, seeds)]
    if name in ("fig4", "table3"):
        png = os.path.splitext(path)[0] + ".png"
        plot_sweep(png, results, cells, seeds, f"{name} on {dataset}")
        lines += ["", f"![{name}]({os.path.basename(png)})"]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    summary = page_summary(
        name,
        dataset,
        len(cells) * len(seeds),
        len(results),
        page_figures(results, cells, seeds),
        models_lacking(name, {c.model for c in cells}),
    )
    write_summary(path, summary)
