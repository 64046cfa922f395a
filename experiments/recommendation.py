"""The results front page's opening: which method to use on clean data and which under
noise, with the size of the evidence, in a few plain sentences computed from the matrix of
paired differences (never typed by hand).

A cell is one method on one model and dataset under one condition; its figure is the mean
over seeds of the paired Δ test NDCG@5 against the base model. A method is recommended over
the base model only where it went up on every seed in most of its cells of at least
``EVIDENCE_SEEDS`` seeds and gained on average; otherwise the sentence says to keep the base
model and names the closest method, with its average and range. Conditions whose cells all
have fewer seeds are named as pointers, not evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from experiments.cleaning import ORACLE_CLEANING, ORACLE_WEIGHTS
from recbole_atjt.rendering import number

EVIDENCE_SEEDS = 2  # seeds a cell needs to count as evidence
# Rows built from the ground truth: ceilings that bound the methods, not methods to use.
CEILINGS = frozenset({ORACLE_WEIGHTS[0], ORACLE_CLEANING[0]})


@dataclass(frozen=True)
class MethodRecord:
    """One method's cells under one group of conditions."""

    method: str
    means: tuple[float, ...]  # per cell: mean over seeds of the paired difference
    up_every_seed: int  # cells whose every seed went up
    seeds: int  # the fewest seeds of any of its cells

    @property
    def average(self) -> float:
        return float(np.mean(self.means))

    @property
    def helps(self) -> bool:
        """Gains on average, and up on every seed in more than half of its cells."""
        return self.average > 0 and 2 * self.up_every_seed > len(self.means)


def method_records(diffs: dict, conditions: set[str], min_seeds: int) -> list[MethodRecord]:
    """Every method's record (the ceilings left out) over the cells of ``conditions`` with
    at least ``min_seeds`` seeds, best average first (ties: the method named first)."""
    cells: dict[str, list[np.ndarray]] = defaultdict(list)
    for (condition, _, _, method), values in diffs.items():
        usable = method not in CEILINGS and len(values) >= min_seeds
        if condition in conditions and usable:
            cells[method].append(np.asarray(values, dtype=np.float64))
    records = [
        MethodRecord(
            method,
            tuple(float(v.mean()) for v in found),
            sum(bool((v > 0).all()) for v in found),
            min(len(v) for v in found),
        )
        for method, found in sorted(cells.items())
    ]
    return sorted(records, key=lambda r: -r.average)


def _evidence(record: MethodRecord) -> str:
    """'averaged +0.0011 test NDCG@5 over 6 model-dataset cells, from -0.0027 to +0.0084,
    and went up on every seed in 1'."""
    cells = len(record.means)
    low, high = (number(f(record.means), signed=True) for f in (min, max))
    span = f", from {low} to {high}," if cells > 1 else ""
    return (
        f"averaged {number(record.average, signed=True)} test NDCG@5 over {cells} "
        f"model-dataset cell{'s' * (cells != 1)}{span} and went up on every seed in "
        f"{record.up_every_seed}"
    )


def _advice(where: str, records: list[MethodRecord]) -> str:
    best = records[0]
    helping = [r for r in records if r.helps]
    if helping:
        chosen = helping[0]
        return f"{where}, use {chosen.method}: it {_evidence(chosen)}."
    return (
        f"{where}, keep the base model: no method went up on every seed in most of its "
        f"cells; the closest, {best.method}, {_evidence(best)}."
    )


def recommendation_lines(diffs: dict, conditions: list[tuple[str, bool]]) -> list[str]:
    """The opening sentences: one for clean data, one per noisy condition with evidence,
    and one naming the conditions that have only single-seed cells so far.
    ``conditions`` lists (label, whether noisy) in the matrix's order."""
    clean = {label for label, noisy in conditions if not noisy}
    sentences = []
    clean_records = method_records(diffs, clean, EVIDENCE_SEEDS)
    if clean_records:
        sentences.append(_advice("On clean data", clean_records))
    pointers = []
    for label, noisy in conditions:
        records = method_records(diffs, {label}, EVIDENCE_SEEDS)
        if records and noisy:
            sentences.append(_advice(f"Under {label} noise", records))
        single = method_records(diffs, {label}, 1)
        if single and not records:
            best = single[0]
            pointers.append(
                f"{label}, {best.method} {number(best.average, signed=True)} over "
                f"{len(best.means)} cells"
            )
    if pointers:
        sentences.append(
            "Best method with one seed so far, a pointer and not evidence: "
            + "; ".join(pointers)
            + "."
        )
    if not sentences:
        return []
    return ["## What to use", "", " ".join(sentences), ""]
