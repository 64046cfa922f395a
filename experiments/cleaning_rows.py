"""Per row of the cleaning experiment: its per-seed test NDCG@5 beside its base's and its
ceilings', over the seeds all of them ran on, and the shares of the ceiling gap it recovers."""

from __future__ import annotations

import numpy as np

from experiments.cleaning import CLEAN
from experiments.design import Cell
from experiments.wording import SELECTION_METRIC
from recbole_atjt.rendering import is_missing, mean_std, number, spread

METRIC = SELECTION_METRIC


def fmt_values(values, digits: int = 4, signed: bool = False) -> str:
    """mean ± std of the values present, a single one alone, "-" for none."""
    present = [float(v) for v in values if not is_missing(v) and np.isfinite(v)]
    if len(present) == 1:
        return number(present[0], digits, signed)
    return mean_std(present, digits, signed, missing="-")


def _ceiling(cell: Cell, by_key: dict[tuple[str, str], Cell]) -> tuple[Cell | None, str]:
    """The removal ceiling of a noisy cell's row, and its name."""
    if cell.noise_mode == "insert":
        return by_key.get((f"{cell.model} {CLEAN[0]}", "base")), "the clean base"
    return by_key.get((cell.row, "oracle cleaning")), "oracle cleaning"


class CellFigures:
    """Per-seed test NDCG@5 of a cell, its base and ceilings, over the seeds all have."""

    def __init__(self, cell: Cell, by_key, results, seeds) -> None:
        self.cell = cell
        base = by_key.get(cell.baseline) if cell.baseline else None
        ceiling, self.ceiling_name = _ceiling(cell, by_key) if cell.noise else (None, "")
        clean = by_key.get((f"{cell.model} {CLEAN[0]}", "base"))
        wanted = [c for c in (cell, base, ceiling, clean) if c is not None]
        self.seeds = [s for s in seeds if all((c.key, s) in results for c in wanted)]
        # measured on a seed where the row, its base and its ceilings all ran: a partial page
        # shows each row over the seeds it has so far (its Δ column counts them)
        self.measured = bool(self.seeds)
        # fewer seeds than the base row shows: its mean is not comparable with the base's
        self.fewer_seeds_than_base = base is not None and len(self.seeds) < sum(
            (base.key, s) in results for s in seeds
        )
        self.on_plateau = any(
            stopped_on_the_first_plateau(results[(cell.key, s)]) for s in self.seeds
        )

        def values(c):
            if c is None:
                return None
            return np.array([results[(c.key, s)]["test"][METRIC] for s in self.seeds])

        self.value = values(cell)
        self.base, self.ceiling, self.clean = values(base), values(ceiling), values(clean)

    def delta(self):
        return None if self.base is None else self.value - self.base

    def _share(self, top):
        if self.base is None or top is None or self.cell.noise == 0:
            return None
        gap = top - self.base
        return np.where(gap > 0, (self.value - self.base) / np.where(gap > 0, gap, 1), np.nan)

    def recovered(self):
        """Per seed: (row - noisy base) / (ceiling - noisy base)."""
        return self._share(self.ceiling)

    def clean_share(self):
        return self._share(self.clean)

    def _row_share(self, top) -> float | None:
        """The row's share over its seeds: mean (row - noisy base) / mean (top - noisy base),
        NaN where the top is on average not above the noisy base (a seed whose gap is tiny
        makes its own share explode; the pooled one stays readable)."""
        if self.base is None or top is None or self.cell.noise == 0:
            return None
        gap = float(np.mean(top - self.base))
        return float(np.mean(self.value - self.base)) / gap if gap > 0 else float("nan")

    def row_recovered(self) -> float | None:
        return self._row_share(self.ceiling)

    def gap_within_noise(self) -> tuple[float, float] | None:
        """(mean, std) of the ceiling gap, ceiling - noisy base paired per seed, where over two
        or more seeds it is positive on average but smaller than its own std: a share of such
        a gap says little, whichever way it falls."""
        if self.base is None or self.ceiling is None or self.cell.noise == 0:
            return None
        gap = self.ceiling - self.base
        if len(gap) > 1 and 0 < gap.mean() < spread(gap):
            return float(gap.mean()), spread(gap)
        return None

    def row_clean_share(self) -> float | None:
        return self._row_share(self.clean)


def row_figures(cells, results, seeds):
    """Every cell's :class:`CellFigures`, in the cells' order."""
    by_key = {(c.row, c.column): c for c in cells}
    for cell in cells:
        yield CellFigures(cell, by_key, results, seeds)


def finite(share: float | None) -> float | None:
    """A share, or None where there is none or its ceiling gap was not positive (NaN)."""
    return share if share is not None and np.isfinite(share) else None


def stopped_on_the_first_plateau(run: dict) -> bool:
    """Whether a run never beat its first validation before early stopping ended it: it
    stopped on the plateau it started on, so it measures when the stopping rule fired."""
    scores = [epoch[METRIC] for epoch in run.get("valid_per_epoch") or []]
    return len(scores) > 1 and int(np.argmax(scores)) == 0
