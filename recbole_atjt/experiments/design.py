"""The paper's experiments as grids of runs (SPEC 7).

An experiment is a list of cells; a cell is one configuration (row, column,
model, overrides, dataset variant) run once per seed. Each cell names the cell
it is compared with (its baseline), so differences are paired by seed. As in
the paper, the sweeps and the ablation (Fig. 4, Tables 3-5) use DCN only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAPER_MODELS = ("WideDeep", "DCN", "DIN", "SASRec", "S3Rec", "FEARec")
SWEEP_MODEL = "DCN"
NOISE_RATIOS = (0.1, 0.3, 0.5, 0.7, 0.9)
REPLACE_COUNTS = (1, 2, 3, 5, 10)
ABLATION_MODES = (
    ("base", "none"),
    ("WAT", "wat"),
    ("DNR", "dnr"),
    ("ATJT", "atjt"),
    ("T-CE", "tce"),
    ("R-CE", "rce"),
)
INJECTED_NOISE = (0.1, 0.2)


@dataclass(frozen=True)
class Cell:
    row: str
    column: str
    model: str
    overrides: dict[str, Any] = field(default_factory=dict)
    noise: float = 0.0  # share of injected training noise (robustness)
    baseline: tuple[str, str] | None = None  # (row, column) of the cell it is compared with

    @property
    def key(self) -> str:
        return f"{self.row}|{self.column}"


def table2(models: tuple[str, ...] = PAPER_MODELS) -> list[Cell]:
    """Six models, base vs +ATJT (Table 2)."""
    cells = []
    for model in models:
        cells.append(Cell(model, "base", model, {"denoise": "none"}))
        cells.append(Cell(model, "+ATJT", model, {"denoise": "atjt"}, baseline=(model, "base")))
    return cells


def _sweep(key: str, values) -> list[Cell]:
    base = Cell("base", "DCN", SWEEP_MODEL, {"denoise": "none"})
    return [base] + [
        Cell(
            f"{key}={v}",
            "DCN+ATJT",
            SWEEP_MODEL,
            {"denoise": "atjt", key: v},
            baseline=("base", "DCN"),
        )
        for v in values
    ]


def fig4() -> list[Cell]:
    """ATJT under every noise_ratio (Fig. 4)."""
    return _sweep("noise_ratio", NOISE_RATIOS)


def table3() -> list[Cell]:
    """ATJT under every replace_count (Table 3)."""
    return _sweep("replace_count", REPLACE_COUNTS)


def table4() -> list[Cell]:
    """Base / WAT / DNR / ATJT on DCN (Table 4), with the loss-based T-CE and R-CE."""
    return [
        Cell(
            label,
            "DCN",
            SWEEP_MODEL,
            {"denoise": mode},
            baseline=None if mode == "none" else ("base", "DCN"),
        )
        for label, mode in ABLATION_MODES
    ]


def table5() -> list[Cell]:
    """Weights of original vs corrupted sequences under ATJT on DCN (Table 5)."""
    return [Cell("ATJT", "DCN", SWEEP_MODEL, {"denoise": "atjt"})]


def robustness(model: str = SWEEP_MODEL) -> list[Cell]:
    """Clean vs injected noise, base vs ATJT."""
    cells = []
    for noise in (0.0, *INJECTED_NOISE):
        row = "clean" if noise == 0 else f"{round(noise * 100)}% injected"
        cells.append(Cell(row, "base", model, {"denoise": "none"}, noise=noise))
        cells.append(
            Cell(row, "+ATJT", model, {"denoise": "atjt"}, noise=noise, baseline=(row, "base"))
        )
    return cells


EXPERIMENTS = {
    "table2": table2,
    "fig4": fig4,
    "table3": table3,
    "table4": table4,
    "table5": table5,
    "robustness": robustness,
}
