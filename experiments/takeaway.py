"""The sentences a page opens with: what its own figures say, computed from them.

Each function takes the figures a page shows (per-seed differences, searches' best scores,
recovered shares) and returns plain sentences; nothing here reads runs or writes files.
A difference counts as a result only when it has the same sign on every seed; one that
goes up on some seeds and not on others is called what it is, within the seeds' noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from experiments.wording import NDCG
from recbole_atjt.rendering import mean_std, number

SHOWN = 3  # cells named per sentence; the rest are counted


def _named(items: list[tuple[str, float]], digits: int = 4, shown: int = SHOWN) -> str:
    """``label (+0.0123)``, the first ``shown`` of them, then how many more."""
    first = items[:shown]
    text = ", ".join(f"{label} ({number(value, digits, signed=True)})" for label, value in first)
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")


def _verb(items, one: str, many: str) -> str:
    return one if len(items) == 1 else many


def _seeds(n: int) -> str:
    return "the one seed" if n == 1 else f"every one of {n} seeds"


def partial(stored: int, planned: int, unit: str = "runs") -> str:
    """A sentence saying the page shows part of its plan; empty when it shows all of it."""
    if stored >= planned:
        return ""
    return (
        f"Partial page: {stored} of {planned} planned {unit} stored; these sentences read only "
        "those."
    )


def versus_baseline(differences: Mapping[str, Sequence[float]], metric: str = NDCG) -> list[str]:
    """Two sentences on per-seed differences to a baseline (label -> one value per seed):
    the cells above it on every seed, largest first; then those below it on every seed and
    those up on some seeds only. No sentence when there are no differences."""
    if not differences:
        return []
    seeds = max(len(d) for d in differences.values())
    means = {label: float(np.mean(d)) for label, d in differences.items()}
    up = [label for label, d in differences.items() if all(x > 0 for x in d)]
    down = [label for label, d in differences.items() if all(x < 0 for x in d)]
    mixed = [label for label in differences if label not in up and label not in down]

    def ranked(labels, sign):
        return sorted(((lab, means[lab]) for lab in labels), key=lambda item: -sign * item[1])

    n = len(differences)
    if up:
        first = (
            f"{len(up)} of {n} cells beat their baseline in test {metric} on {_seeds(seeds)}: "
            f"{_named(ranked(up, 1))}."
        )
    else:
        first = f"No cell of {n} beats its baseline in test {metric} on {_seeds(seeds)}."
    if seeds == 1:
        first += " One seed gives no spread, so no difference here is told from noise."
    parts = []
    if down:
        parts.append(
            f"{len(down)} {_verb(down, 'falls', 'fall')} below it on {_seeds(seeds)}: "
            f"{_named(ranked(down, -1))}"
        )
    if mixed:
        parts.append(
            f"the other {len(mixed)} {_verb(mixed, 'is', 'are')} above it on some seeds and "
            f"not on others, within the seeds' noise: {_named(ranked(mixed, 1))}"
        )
    return [first, "; ".join(parts) + "."] if parts else [first]


def shares_sentence(shares: Mapping[str, float], of: str, target: float | None = None) -> str:
    """Recovered share per label (``of``: the whole it is a share of, and how it is summed
    up), every label, best first, and how many reached ``target``."""
    if not shares:
        return ""
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    text = f"Recovered share of {of}: {_named(ranked, 2, shown=len(ranked))}."
    if target is not None:
        reached = [label for label, share in ranked if share >= target]
        text += (
            f" {len(reached)} of {len(ranked)} reach the target of {number(target, 2)}."
            if reached
            else f" None reaches the target of {number(target, 2)}."
        )
    return text


def search_choice(best: Mapping[str, Mapping[str, float]]) -> str:
    """Per model, which method's best trial scored higher on validation (model -> method ->
    best validation score), with both scores."""
    parts = []
    for model, methods in best.items():
        if len(methods) < 2:
            continue
        (winner, high), *_, (loser, low) = sorted(methods.items(), key=lambda item: -item[1])
        parts.append(
            f"on {model}, {winner} ({number(high)}) over {loser} ({number(low)}, "
            f"{number(high - low, signed=True)})"
        )
    if not parts:
        return ""
    return f"Best trial by validation {NDCG}, one seed each: " + "; ".join(parts) + "."


def ranking(chosen: str, ranked: Sequence[tuple[str, float, int]], on: str) -> str:
    """Where ``chosen`` stands in a ranking of (row, mean score, runs), best first."""
    places = [row for row, _, _ in ranked]
    if chosen not in places:
        return f"`{chosen}` is not among the ranked rows of {on} yet."
    place = places.index(chosen)
    score = ranked[place][1]
    if place == 0:
        if len(ranked) == 1:
            return f"`{chosen}` is the only ranked row of {on}."
        runner_up, second = ranked[1][0], ranked[1][1]
        return (
            f"`{chosen}` still ranks first of {len(ranked)} rows of {on} by mean validation "
            f"{NDCG} ({number(score)}), {number(score - second, signed=True)} over "
            f"`{runner_up}`."
        )
    top, best = ranked[0][0], ranked[0][1]
    return (
        f"`{chosen}` now ranks {place + 1} of {len(ranked)} rows of {on} by mean validation "
        f"{NDCG} ({number(score)}), {number(score - best, signed=True)} below `{top}`: the "
        "tables' variant was chosen on an earlier ranking."
    )


def paragraph(sentences: Sequence[str]) -> list[str]:
    """The page lines of the takeaway: one paragraph and a blank line, nothing when empty."""
    text = " ".join(s for s in sentences if s)
    return [text, ""] if text else []


def weights(label: str, original: Sequence[float], corrupted: Sequence[float], auc) -> str:
    """Whether ``label`` weighted original sequences above corrupted ones on every seed,
    with the mean weights and the AUC that tells them apart (per-seed values each)."""
    gap = np.subtract(original, corrupted)
    seeds = len(gap)
    if all(gap > 0):
        side = f"above corrupted ones on {_seeds(seeds)}"
    elif all(gap < 0):
        side = f"below corrupted ones on {_seeds(seeds)}"
    else:
        side = "above corrupted ones on some seeds and not on others"
    return (
        f"{label} weights original sequences {side} (mean {number(float(np.mean(original)))} "
        f"against {number(float(np.mean(corrupted)))}); its recognizer tells them apart with "
        f"AUC {mean_std(auc)}."
    )
