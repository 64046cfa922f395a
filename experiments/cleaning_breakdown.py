"""What recognizer cleaning's removals cost and could gain, per noisy row: the section of the
cleaning page that says why it reaches its target or misses it.

A rough linear account, from the row's own figures and the same model's clean-data row:

- gain: the injected interactions it removed can win back at most its recall times the
  ceiling gap (ceiling - noisy base; none where the ceiling is not above the base);
- cost: the real interactions it removed (removed share x (1 - precision), a share of the
  training interactions), each priced at what removing real interactions cost the same model
  on clean data, per share removed (clean Δ / clean removed share);
- estimate = gain + cost, shown beside the measured Δ;
- the precision at which gain and cost balance: with n the injected share of the training
  interactions, recall = precision x removed / n, so gain + cost >= 0 exactly when
  precision >= -rate / (gap / n - rate), rate being the clean cost per share removed
  (negative where removal cost), whatever share is removed.

Both parts assume every removed interaction of a kind is worth the same; the account says
which side is larger, not the exact Δ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.cleaning import RECOGNIZER
from experiments.cleaning_rows import row_figures
from experiments.wording import NDCG
from recbole_atjt.rendering import markdown_table, number, spread


def _cleaning(f, results) -> list[dict]:
    return [results[(f.cell.key, s)].get("cleaning") or {} for s in f.seeds]


def _mean(records: list[dict], key: str) -> float:
    return float(np.mean([r[key] for r in records]))


def clean_cost_per_share(figures, results) -> dict[str, float]:
    """Per model: its clean row's mean Δ under recognizer cleaning divided by the share of
    the (all real) training interactions it removed."""
    rates = {}
    for f in figures:
        if f.cell.column != RECOGNIZER or f.cell.noise or not f.measured or f.base is None:
            continue
        removed = _mean(_cleaning(f, results), "removed_share")
        if removed > 0:
            rates[f.cell.model] = float(f.delta().mean()) / removed
    return rates


def break_even_precision(rate: float | None, gap: float, injected: float) -> float | None:
    """The precision above which removing injected interactions wins back more than removing
    real ones costs (see the module's account); None without a clean rate or a positive gap,
    0 where removing real interactions did not cost on clean data."""
    if rate is None or gap <= 0:
        return None
    if rate >= 0:
        return 0.0
    return -rate / (gap / injected - rate)


def account(cells, results, seeds) -> dict[str, dict[str, Any]]:
    """Per noisy recognizer-cleaning row with ground truth: its removals and their account."""
    figures = list(row_figures(cells, results, seeds))
    rates = clean_cost_per_share(figures, results)
    rows: dict[str, dict[str, Any]] = {}
    for f in figures:
        if f.cell.column != RECOGNIZER or not f.cell.noise or not f.measured or f.base is None:
            continue
        records = _cleaning(f, results)
        truth = [c.get("ground_truth") or {} for c in records]
        if not all(truth) or f.ceiling is None:
            continue
        removed = _mean(records, "removed_share")
        precision, recall = _mean(truth, "precision"), _mean(truth, "recall")
        real_removed = removed * (1 - precision)
        gap = float(np.mean(f.ceiling - f.base))
        rate = rates.get(f.cell.model)
        cost = None if rate is None else rate * real_removed
        gain = recall * max(gap, 0.0)
        injected = _mean(truth, "injected") / _mean(records, "training_interactions")
        delta = f.delta()
        rows[f.cell.row] = {
            "removed_share": removed,
            "real_removed_share": real_removed,
            "precision": precision,
            "recall": recall,
            "interaction_auc": _mean(truth, "auc"),
            "rarity_auc": _mean(truth, "rarity_auc"),
            "spearman_with_rarity": _mean(truth, "spearman_with_rarity"),
            "ceiling_gap": gap,
            "gain_at_most": gain,
            "clean_cost_per_share": rate,
            "cost_of_real_removed": cost,
            "estimate": None if cost is None else gain + cost,
            "precision_to_break_even": break_even_precision(rate, gap, injected),
            "measured_delta": float(delta.mean()),
            "measured_delta_std": spread(delta),
            "seeds": len(f.seeds),
        }
    return rows


def _signed(x: float | None) -> str:
    return number(x, 4, signed=True)


def _table(rows: dict[str, dict[str, Any]]) -> tuple[str, list[str]]:
    """The lead sentence and the rows of the account's table."""
    header = [
        "row",
        "removed (share of training)",
        "precision (to break even)",
        "of it real (share of training)",
        "recall",
        "interaction AUC (rarity alone)",
        "Spearman with rarity",
        "ceiling gap",
        "gain at most (recall x gap)",
        "cost of the real removed (at the clean rate)",
        "estimate",
        "measured Δ",
    ]
    table = [
        [
            row,
            number(a["removed_share"], 3),
            f"{number(a['precision'], 3)} ({number(a['precision_to_break_even'], 3)})",
            number(a["real_removed_share"], 3),
            number(a["recall"], 3),
            f"{number(a['interaction_auc'], 3)} ({number(a['rarity_auc'], 3)})",
            number(a["spearman_with_rarity"], 2),
            _signed(a["ceiling_gap"]),
            _signed(a["gain_at_most"]),
            _signed(a["cost_of_real_removed"]),
            _signed(a["estimate"]),
            _signed(a["measured_delta"])
            + ("" if a["seeds"] < 2 else f" ± {number(a['measured_delta_std'])}"),
        ]
        for row, a in rows.items()
    ]
    return _lead(rows), markdown_table(header, table, "l" + "r" * 11)


def _range(values) -> str:
    values = list(values)
    low, high = number(min(values), 2), number(max(values), 2)
    return low if low == high else f"{low} to {high}"


def _lead(rows: dict[str, dict[str, Any]]) -> str:
    """How many rows' removals cost more than they can win, the precision they would need,
    and how the score follows rarity."""
    priced = {row: a for row, a in rows.items() if a["cost_of_real_removed"] is not None}
    outweighed = [
        row for row, a in priced.items() if -a["cost_of_real_removed"] >= a["gain_at_most"]
    ]
    needed = [a for a in priced.values() if a["precision_to_break_even"] is not None]
    lead = ""
    if priced:
        lead += (
            f"On {len(outweighed)} of the {len(priced)} noisy rows the real interactions it "
            "removes cost more, at the rate that removing real interactions cost the same model "
            "on clean data, than removing the injected ones it found could win back. "
        )
    if needed:
        wanted = _range(a["precision_to_break_even"] for a in needed)
        lead += (
            f"To break even it would need a precision of {wanted} on the rows with a gap to "
            f"win; it has {_range(a['precision'] for a in needed)}. "
        )
    estimated = [a for a in priced.values() if a["estimate"] is not None]
    if estimated:
        agree = sum(np.sign(a["estimate"]) == np.sign(a["measured_delta"]) for a in estimated)
        lead += f"The estimate has the measured Δ's sign on {agree} of {len(estimated)} rows. "
    lead += (
        "Its score ranks interactions as rarity does (Spearman "
        f"{_range(a['spearman_with_rarity'] for a in rows.values())})"
    )
    name = min(rows, key=lambda row: rows[row]["rarity_auc"])
    hardest = rows[name]
    best_precision = max(a["precision"] for a in rows.values())
    worst, best = (number(x, 3) for x in (hardest["precision"], best_precision))
    if worst == best:
        return lead + "."
    return lead + (
        f": where rarity alone separates the noise worst ({name}, AUC of rarity alone "
        f"{number(hardest['rarity_auc'], 3)}), its precision is {worst}, against {best} at "
        "its best."
    )


def breakdown_lines(cells, results, seeds, missed: bool) -> tuple[list[str], dict]:
    """The section (empty without a noisy recognizer-cleaning row) and its figures."""
    rows = account(cells, results, seeds)
    if not rows:
        return [], rows
    lead, table = _table(rows)
    title = (
        "Why recognizer cleaning misses its target"
        if missed
        else "What recognizer cleaning's removals cost and could gain"
    )
    lines = [
        f"## {title}",
        "",
        lead,
        "",
        "A rough linear account per noisy row, test " + NDCG + ": removing the injected "
        "interactions it found can win back at most its recall times the ceiling gap; the "
        "real interactions it removed (removed x (1 - precision), a share of the training "
        "interactions) are priced at what removing real interactions cost the same model on "
        "clean data, per share removed. The estimate, gain + cost, sits beside the measured "
        "Δ; it says which side is larger, not the exact Δ. Beside the precision, in brackets, "
        "the precision at which gain and cost would balance, whatever share is removed.",
        "",
        *table,
    ]
    return lines, rows
