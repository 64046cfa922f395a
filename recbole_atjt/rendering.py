"""Numbers as text, Markdown tables and matplotlib figures, for every page and plot.

Measuring code returns numbers; the code that writes a page or a figure turns them
into text or pixels with these helpers, so that a missing value, a mean ± std or a
saved figure looks the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

MISSING = "n/a"


def is_missing(value: Any) -> bool:
    """None, or a float that is NaN."""
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def number(value: Any, digits: int = 4, signed: bool = False, missing: str = MISSING) -> str:
    """``value`` with ``digits`` decimals (a leading + on positives when ``signed``);
    integers as they are; ``missing`` for None or NaN."""
    if is_missing(value):
        return missing
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return f"{int(value):+d}" if signed else str(int(value))
    return f"{float(value):{'+' if signed else ''}.{digits}f}"


def spread(values: Sequence[float]) -> float:
    """Sample standard deviation (one degree of freedom), 0 for a single value."""
    a = np.asarray(values, dtype=np.float64)
    return float(a.std(ddof=1)) if len(a) > 1 else 0.0


def mean_std(
    values: Iterable[Any],
    digits: int = 4,
    signed: bool = False,
    unit: str = "",
    missing: str = MISSING,
) -> str:
    """``mean ± std`` of the values (sample std, 0 for one value), each followed by
    ``unit`` (e.g. "%"), the mean with a leading + when ``signed``; ``missing`` when
    there are no values or one of them is None or NaN."""
    values = list(values)
    if not values or any(is_missing(v) for v in values):
        return missing
    a = np.asarray(values, dtype=np.float64)
    return f"{number(float(a.mean()), digits, signed)}{unit} ± {number(spread(a), digits)}{unit}"


def table_row(cells: Iterable[Any]) -> str:
    """One Markdown table row; an empty cell is a single space (``| | a |``)."""
    return "|" + "|".join(f" {cell} " if str(cell) else " " for cell in cells) + "|"


def markdown_table(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], align: str = ""
) -> list[str]:
    """The lines of a Markdown table: the header, its rule, then one line per row.

    Cells are written as they are (format numbers with :func:`number` first).
    ``align`` holds one letter per column, ``l`` or ``r`` (right-aligned, for figures);
    columns it does not reach are left as Markdown leaves them."""
    if set(align) - {"l", "r"} or len(align) > len(header):
        raise ValueError(f"align: got {align!r}; allowed: up to {len(header)} letters l or r")
    rule = "".join("---:|" if a == "r" else "---|" for a in align.ljust(len(header), "l"))
    return [table_row(header), "|" + rule, *(table_row(r) for r in rows)]


def pyplot():
    """``matplotlib.pyplot`` on the Agg backend (files only, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str, dpi: int, crop: bool = False, layout: bool = True) -> None:
    """Write the figure to ``path`` and free it: laid out tightly first unless ``layout``
    is False; with ``crop`` the file is cut to what is drawn (a legend outside the axes
    stays in)."""
    if layout:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi, **({"bbox_inches": "tight"} if crop else {}))
    pyplot().close(fig)
