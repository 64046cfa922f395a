"""The diagnosis page's plots: screening NDCG@5 per row, and the ATJT rows' weights per epoch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from experiments.design import DIAGNOSIS_ROWS
from experiments.wording import NDCG, SELECTION_METRIC
from recbole_atjt.rendering import pyplot, save_figure

Columns = Mapping[str, Mapping[str, Mapping[str, Any]]]  # column -> row -> run


def plot_screening(path: str, title: str, runs: Columns) -> None:
    """Test NDCG@5 of every screening row, one dot per column, with the column's base as a
    dashed line; the axis spans the values, not from zero, so that rows a few thousandths
    apart stay apart. Columns with no stored run are left out."""
    plt = pyplot()
    rows = [r for r in DIAGNOSIS_ROWS if any(r in c for c in runs.values())]
    y = np.arange(len(rows))
    shown = {column: by_row for column, by_row in runs.items() if by_row}
    step = 0.5 / max(len(shown), 1)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.45 * len(rows)))
    for n, (column, by_row) in enumerate(shown.items()):
        color = f"C{n}"
        values = [
            by_row[r].get("test", {}).get(SELECTION_METRIC, np.nan) if r in by_row else np.nan
            for r in rows
        ]
        offset = (n - (len(shown) - 1) / 2) * step
        ax.plot(values, y + offset, "o", color=color, label=column)
        if "base" in by_row:
            base = by_row["base"].get("test", {}).get(SELECTION_METRIC, np.nan)
            ax.axvline(base, color=color, linestyle="--", linewidth=0.8)
    ax.set_yticks(y, rows)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel(f"test {NDCG} (dashed: the column's base)")
    ax.set_title(title)
    if shown:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / len(rows) - 0.04), ncol=2)
    save_figure(fig, path, dpi=120, crop=True, layout=False)


def _curve(run: Mapping[str, Any]) -> tuple[list[int], list[float]]:
    stats = [e for e in run.get("denoising_per_epoch") or [] if "weight_mean" in e]
    return [e["epoch"] for e in stats], [e["weight_mean"] for e in stats]


def plot_weights(path: str, title: str, runs: Columns, rows: list[str]) -> bool:
    """Mean training weight per epoch of ``rows``, one panel per column that logged weights,
    a row in the same colour in every panel and one legend beside them; False (and no file)
    when none of them logged weights."""
    curves = {
        column: {r: _curve(by_row[r]) for r in rows if r in by_row and _curve(by_row[r])[0]}
        for column, by_row in runs.items()
    }
    curves = {column: lines for column, lines in curves.items() if lines}
    if not curves:
        return False
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(curves), figsize=(6 * len(curves), 4), squeeze=False)
    colors = plt.get_cmap("tab20").colors  # more rows than the default cycle's 10 colours
    handles = {}
    for ax, (column, lines) in zip(axes[0], curves.items(), strict=True):
        for row, (epochs, means) in lines.items():
            color = colors[rows.index(row) % len(colors)]
            (handles[row],) = ax.plot(epochs, means, marker="o", color=color, label=row)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean weight")
        ax.set_title(f"{title}, {column}")
    ordered = [r for r in rows if r in handles]
    fig.legend([handles[r] for r in ordered], ordered, loc="center left", bbox_to_anchor=(1.0, 0.5))
    save_figure(fig, path, dpi=120, crop=True)
    return True
