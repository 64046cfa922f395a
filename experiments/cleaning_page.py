"""The cleaning page ``results/cleaning/<dataset>.md``, with a JSON summary beside it,
written from stored runs."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from experiments import cleaning
from experiments.cleaning import RECOGNIZER
from experiments.cleaning_breakdown import breakdown_lines
from experiments.cleaning_rows import finite, fmt_values, row_figures
from experiments.diagnosis import PARTIAL_PAGE
from experiments.report import PAIRED_HEADER, setting_lines
from experiments.summary import figures, page_summary, write_summary
from experiments.takeaway import paragraph, partial, shares_sentence
from experiments.wording import NDCG, RANKING
from recbole_atjt.rendering import markdown_table, number, spread

NAME = "cleaning"
TARGET_SHARE = 0.5  # the recovered share of the ceiling recognizer cleaning aims at
TARGET_ROWS = 4  # on this many of the 6 noisy insert rows of DCN, DIN and SASRec


def _full_grid() -> str:
    """The datasets of the full grid, read when a page is written (the grid is a setting)."""
    return ", ".join(cleaning.FULL_GRID_DATASETS)


def _seeds_text(values) -> str:
    """Per seed; n/a where the ceiling is not above the noisy base (nothing to recover)."""
    return ", ".join(number(v, 2, signed=True) for v in values)


def _share_text(share: float | None) -> str:
    return number(finite(share), 2, signed=True)


PLATEAU_MARK = "‡"


def plateau_rows(cells, results, seeds) -> list[str]:
    """'row / method' of every measured row with a run that stopped on its first plateau."""
    return [
        f"{f.cell.row} / {f.cell.column}"
        for f in row_figures(cells, results, seeds)
        if f.on_plateau
    ]


NOISY_GAP_MARK = "§"


def _footnote(mark: str, count: int, rows: tuple[str, str], text: str) -> list[str]:
    """The lines under the table that explain a mark carried by ``count`` rows (none: none);
    ``rows`` is the subject, singular and plural."""
    if not count:
        return []
    return ["", f"{mark} {count} {rows[count != 1]} {text}"]


def results_table(cells, results, seeds) -> list[str]:
    plateau = noisy_gap = 0  # rows marked
    header = [
        "row",
        "method",
        f"test {NDCG}",
        "Δ vs base (paired)",
        "recovered share of the ceiling (per seed)",
        "share of the clean gap",
    ]
    rows = []
    for f in row_figures(cells, results, seeds):
        cell = f.cell
        if not f.measured:
            ran = any((cell.key, seed) in results for seed in seeds)
            waiting = "ran; its base or ceiling not yet" if ran else "not run yet"
            rows.append([cell.row, cell.column, waiting, "", "", ""])
            continue
        delta = f.delta()
        delta_text = "-"
        if delta is not None and len(delta):
            up = f"{int((delta > 0).sum())}/{len(delta)} up"
            delta_text = f"{fmt_values(delta, signed=True)} ({up})"
        recovered, clean = f.recovered(), f.clean_share()
        share_text = clean_text = "-"
        if recovered is not None and len(recovered):
            share_text = (
                f"{_share_text(f.row_recovered())} of {f.ceiling_name} ({_seeds_text(recovered)})"
            )
            if f.gap_within_noise():
                share_text += f" {NOISY_GAP_MARK}"
                noisy_gap += 1
        elif cell.noise and cell.baseline:
            share_text = f"pending: {f.ceiling_name} not run"
        if clean is not None and len(clean):
            clean_text = _share_text(f.row_clean_share())
        value = fmt_values(f.value)
        if f.fewer_seeds_than_base:
            plural = "s" if len(f.seeds) > 1 else ""
            value += f" (base on seed{plural} {', '.join(map(str, f.seeds))}: {fmt_values(f.base)})"
        if f.on_plateau:
            value += f" {PLATEAU_MARK}"
            plateau += 1
        rows.append([cell.row, cell.column, value, delta_text, share_text, clean_text])
    table = markdown_table(header, rows, "llrllr")
    table += _footnote(
        NOISY_GAP_MARK,
        noisy_gap,
        ("row's", "rows'"),
        "ceiling gap, ceiling - noisy base paired per seed, is smaller than its std over the "
        "seeds: the share says little, whichever way it falls.",
    )
    table += _footnote(
        PLATEAU_MARK,
        plateau,
        ("row has", "rows have"),
        f"a run that never beat its first epoch's validation {NDCG} before early stopping "
        "ended it: it stopped on the plateau it started on, so the row measures when the "
        "stopping rule fired, not the method.",
    )
    return table


def _cleaning_runs(cells, results, seeds):
    for cell in cells:
        runs = [results.get((cell.key, s)) for s in seeds]
        runs = [r for r in runs if r and r.get("cleaning")]
        if runs:
            yield cell, runs


def detection_table(cells, results, seeds) -> list[str]:
    """What each cleaning row removed, and, with ground truth, how well it found the noise."""
    header = [
        "row",
        "method",
        "removed (share of training)",
        "interaction AUC",
        "AUC of rarity alone",
        "Spearman with rarity",
        "precision",
        "recall",
        "users losing some",
        "items losing some",
        "items left in training",
    ]
    rows = []
    for cell, runs in _cleaning_runs(cells, results, seeds):
        c = [r["cleaning"] for r in runs]
        truth = [x.get("ground_truth") or {} for x in c]
        items = f"{np.mean([x['items_left_in_training'] for x in c]):.0f} of "
        items += f"{np.mean([x['items_in_training'] for x in c]):.0f}"
        rows.append(
            [
                cell.row,
                cell.column,
                fmt_values([x["removed_share"] for x in c], 3),
                *(fmt_values([t.get(k) for t in truth], 3) for k in ("auc", "rarity_auc")),
                fmt_values([t.get("spearman_with_rarity") for t in truth], 2),
                *(fmt_values([t.get(k) for t in truth], 3) for k in ("precision", "recall")),
                f"{np.mean([x['users_losing_interactions'] for x in c]):.0f}",
                f"{np.mean([x['items_losing_interactions'] for x in c]):.0f}",
                items,
            ]
        )
    return markdown_table(header, rows, "ll" + "r" * 9)


def _within_noise_note(gap: tuple[float, float] | None) -> str:
    """ " (its gap +m ± s is within seed noise)" for a gap within seed noise, else nothing."""
    if gap is None:
        return ""
    return f" (its gap {number(gap[0], signed=True)} ± {number(gap[1])} is within seed noise)"


def missed_target(targets: dict[str, Any]) -> bool:
    """Whether recognizer cleaning missed either target on the rows measured so far."""
    reached = len(targets["noisy_rows_reaching_the_target"])
    within = len(targets["clean_rows_within_one_std"])
    return reached < TARGET_ROWS or within < len(targets["clean_delta_and_std"])


def target_lines(cells, results, seeds, dataset: str) -> tuple[list[str], dict[str, Any]]:
    """Recognizer cleaning against its target: >= 50% of the ceiling gap on the noisy
    insert rows of DCN, DIN and SASRec (:data:`TARGET_ROWS` of the 6 on a full-grid dataset);
    on clean data never more than one paired std below base. Every measured row's figure is
    listed, so a miss says by how much."""
    noisy: dict[str, float] = {}  # row -> recovered share of the ceiling, pooled over seeds
    no_gap: list[str] = []  # rows whose ceiling is on average not above the noisy base
    noisy_gap: dict[str, tuple[float, float]] = {}  # row -> its gap within seed noise
    clean: dict[str, tuple[float, float]] = {}  # row -> (mean paired delta, its std)
    for f in row_figures(cells, results, seeds):
        cell = f.cell
        if cell.column != RECOGNIZER or cell.model not in ("DCN", "DIN", "SASRec"):
            continue
        if not f.measured or f.base is None:
            continue
        if cell.noise and cell.noise_mode == "insert":
            share = f.row_recovered()
            if finite(share) is not None:
                noisy[cell.row] = share
                if gap := f.gap_within_noise():
                    noisy_gap[cell.row] = gap
            elif share is not None:
                no_gap.append(cell.row)
        elif not cell.noise:
            delta = f.delta()
            clean[cell.row] = (float(delta.mean()), spread(delta))
    reached = [row for row, share in noisy.items() if share >= TARGET_SHARE]
    within = [row for row, (mean, std) in clean.items() if mean >= -std]
    summary = {
        "recovered_share_of_the_ceiling": noisy,
        "noisy_rows_reaching_the_target": reached,
        "clean_delta_and_std": clean,
        "clean_rows_within_one_std": within,
        "noisy_rows_without_a_gap": no_gap,
        "noisy_rows_with_a_gap_within_seed_noise": noisy_gap,
    }
    noisy_text = "; ".join(
        f"{row} {number(x, 2, signed=True)}{_within_noise_note(noisy_gap.get(row))}"
        for row, x in noisy.items()
    )
    clean_text = "; ".join(
        f"{row} {number(mean, signed=True)} ± {number(std)}" for row, (mean, std) in clean.items()
    )
    where = (
        f"the noisy insert rows of DCN, DIN and SASRec ({TARGET_ROWS} of the 6)"
        if dataset in cleaning.FULL_GRID_DATASETS
        else f"the noisy insert rows (the target is set on {_full_grid()}; here for reference)"
    )
    lines = [
        f"- target: recognizer cleaning recovers >= {TARGET_SHARE:.0%} of the ceiling gap on "
        f"{where}: "
        f"{len(reached)} of {len(noisy)} measured ({noisy_text or 'none yet'})"
        + (
            f"; no gap to recover, the ceiling on average not above the noisy base: "
            f"{'; '.join(no_gap)}"
            if no_gap
            else ""
        ),
        f"- target: on clean data never more than one paired std below base: {len(within)} of "
        f"{len(clean)} measured (Δ test {NDCG}: {clean_text or 'none yet'})",
    ]
    return lines, summary


def takeaway(cells, results, seeds, targets: dict[str, Any]) -> list[str]:
    """Per method, the median of its rows' recovered shares of the ceiling over the noisy
    rows it ran on; then how many measured rows reached recognizer cleaning's target."""
    shares: dict[str, list[float]] = defaultdict(list)
    for f in row_figures(cells, results, seeds):
        if not f.cell.noise or not f.cell.baseline or not f.measured:
            continue
        share = finite(f.row_recovered())
        if share is not None:
            shares[f.cell.column].append(share)
    medians = {
        f"{method} on {len(v)} {'row' if len(v) == 1 else 'rows'}": float(np.median(v))
        for method, v in shares.items()
    }
    measured = targets["recovered_share_of_the_ceiling"]
    reached = targets["noisy_rows_reaching_the_target"]
    noisy_gap = targets["noisy_rows_with_a_gap_within_seed_noise"]
    target = ""
    if measured:
        named = [
            row + (", whose gap is within seed noise" if row in noisy_gap else "")
            for row in reached
        ]
        target = (
            f"Recognizer cleaning reached its target, {number(TARGET_SHARE, 2)} of the "
            f"ceiling gap, on {len(reached)} of the {len(measured)} noisy insert rows measured"
            + (f" ({'; '.join(named)})." if reached else ".")
        )
    of = "the ceiling, median over the noisy rows each method ran on"
    if len(seeds) == 1:
        of += " (one seed: no spread to tell a share from noise)"
    return [partial(len(results), len(cells) * len(seeds)), shares_sentence(medians, of), target]


def _backticked(settings: dict[str, Any]) -> str:
    return ", ".join(f"`{k}: {v}`" for k, v in settings.items())


def settings_text(chosen: dict[str, dict[str, Any]]) -> str:
    if not chosen:
        return "pending"
    return "; ".join(
        f"{row}: " + _backticked({k: v for k, v in settings.items() if k != "denoise"})
        for row, settings in chosen.items()
    )


def write_cleaning_page(path: str, cells, results, setting, chosen, screening_page: str):
    """The Markdown page and its JSON summary (``<path>.json`` beside it)."""
    seeds, dataset = setting.seeds, setting.dataset
    runs = list(results.values())
    planned = len(cells) * len(seeds)
    verdict, targets = target_lines(cells, results, seeds, dataset)
    lines = [
        f"# Interaction cleaning on {dataset}",
        "",
        *paragraph(takeaway(cells, results, seeds, targets)),
        *verdict,
        f"- runs stored: {len(results)} of {planned} planned"
        + ("" if len(results) == planned else f" ({PARTIAL_PAGE}: the rest still train)"),
        "",
        "Training interactions judged noisy are removed from the dataset before RecBole builds "
        "its instances, so the model's training targets and its histories at training and at "
        "evaluation lose them (`interaction_cleaning`). Each noisy row is compared with two "
        "ceilings from the ground truth: removal (under insert noise the clean dataset itself; "
        "under replace noise `interaction_cleaning: oracle`) and reweighting "
        "(`denoise: oracle`). **Recovered share of the ceiling** = (method - noisy base) / "
        "(ceiling - noisy base), per seed in brackets, with the removal ceiling named; before "
        "them the row's, mean (method - noisy base) / mean (ceiling - noisy base) over its "
        "seeds, n/a where the ceiling is on average not above the noisy base; the share of the "
        f"clean base's gap is beside it. Test {NDCG}, mean ± std over seeds "
        f"({', '.join(map(str, seeds))}); {RANKING}, the epoch chosen on validation {NDCG}. "
        "A row that has run on fewer seeds than its base so far gives its base's mean on "
        "those seeds beside its own.",
        "",
        f"- cleaning settings (chosen on validation {NDCG} by the screening, [its page]"
        f"({screening_page})): {settings_text(chosen)}",
        *setting_lines(
            setting.budget,
            setting.budget_text,
            setting.extra,
            dataset,
            runs,
            [
                f"- settings per row: {_full_grid()}'s insert conditions train to early stopping "
                f"({_backticked(cleaning.CONVERGE)}); replace rows and other datasets use the "
                "budget as it is (their bases are the robustness page's runs)"
                + "".join(
                    f"; {model}: {_backticked(settings)}"
                    for model, settings in cleaning.MODEL_SETTINGS.items()
                    if any(cell.model == model for cell in cells)
                ),
            ],
        ),
        f"## Test {NDCG}",
        "",
        *results_table(cells, results, seeds),
        "",
        "## What cleaning removed",
        "",
        "Interaction AUC: the detector's noise score separating injected from real training "
        "interactions. Beside it, the AUC of rarity alone (an interaction scored by how few "
        "training interactions its item has) and the rank correlation of the detector's score "
        "with rarity: a detector that only learned that rare items are noise matches rarity, "
        "scores well under uniformly drawn noise, fails under popular noise, and removes rare "
        "items' interactions (compare the items losing some and the items left).",
        "",
        *detection_table(cells, results, seeds),
        "",
    ]
    why, account = breakdown_lines(cells, results, seeds, missed_target(targets))
    lines += [*why, ""] if why else []
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    table = cleaning_figures(cells, results, seeds)
    own = {
        **targets,
        "cleaning_settings": chosen,
        "seeds": list(seeds),
        "rows_stopped_on_the_first_plateau": plateau_rows(cells, results, seeds),
        "recognizer_cleaning_account": account,
    }
    write_summary(path, page_summary(NAME, dataset, planned, len(results), table, **own))


def cleaning_figures(cells, results, seeds) -> dict:
    """Every measured row, as a summary's table: test NDCG@5, the difference to base paired
    by seed, and the row's recovered share of the ceiling (pooled over its seeds)."""
    rows = []
    for f in row_figures(cells, results, seeds):
        if not f.measured:
            continue
        delta = f.delta()
        paired = [None, None, None]
        if delta is not None and len(delta):
            paired = [float(delta.mean()), spread(delta), int((delta > 0).sum())]
        value = [float(f.value.mean()), spread(f.value)]
        rows.append(
            [f.cell.row, f.cell.column, *value, *paired, len(f.seeds), finite(f.row_recovered())]
        )
    return figures(["row", "method", *PAIRED_HEADER, "recovered share of the ceiling"], rows)
