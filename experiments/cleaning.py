"""Interaction cleaning measured against ceilings from ground truth.

Two ceilings, each the best a family of denoisers can do:

* removal: the model trained without the injected interactions. Under ``insert`` noise
  (random items added, nothing real lost) that is the clean dataset itself; under
  ``replace`` noise (real interactions lost too) it is ``interaction_cleaning: oracle``;
* reweighting: ``denoise: oracle``, weight 0 on every sequence whose target is injected.

A row's **recovered share of the ceiling** is (row - noisy base) / (ceiling - noisy base),
per seed, in test NDCG@5; the share of the clean base's gap is shown beside it.

The experiment runs in two steps. ``cleaning-screening`` (one seed, DCN and SASRec, both
insert conditions) trains every variant of each cleaning row (co-occurrence; the recognizer
trained on uniform or on popularity-drawn target corruption) at every share of
:data:`SCREENING_SHARES`; each row takes the variant and share with the best mean
*validation* NDCG@5 there. ``cleaning`` then runs every model and condition with those
settings (its cleaning rows wait for the screening).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.design import PAPER_ATJT, Cell
from experiments.store import stored_results

# ml-100k: every run trains to early stopping, so no difference comes from an epoch cap.
CONVERGE = {"epochs": 50, "stopping_step": 5}
FULL_GRID_DATASETS = ("ml-100k",)  # every model and condition; elsewhere SASRec and DCN
MODELS = ("DCN", "DIN", "SASRec", "GRU4Rec", "BPR")
GENERAL_MODELS = ("BPR",)  # no sequences to weight: base and cleaning rows only
ATJT_MODELS = ("DCN", "SASRec")  # also recognizer cleaning + ATJT
REPLACE_MODELS = ("DCN", "DIN", "SASRec")
# GRU4Rec as SASRec's own properties: a binary loss with one sampled negative (the paper's
# loss). At RecBole's learning rate (0.001) it sat on a plateau (about 0.14 validation
# NDCG@5) for 6-7 epochs, and patience 5 stopped 9 of its 14 seed-2020 runs there. At 0.003
# it left the plateau at epoch 3 (clean ml-100k, seed 2020: validation 0.344 by epoch 27;
# the noisy runs that escaped at 0.001 peaked near 0.31).
MODEL_SETTINGS: dict[str, dict[str, Any]] = {
    "GRU4Rec": {"loss_type": "BPR", "learning_rate": 0.003}
}
SCREENING_MODELS = ("DCN", "SASRec")
# 0.2 was screened too, on DCN's two cells and SASRec's uniform one: last on validation in
# all nine of its runs (docs/cleaning.md), so SASRec's popular-items cell did not train it.
SCREENING_SHARES = (0.05, 0.1)
SCREENING_SEEDS = (2020,)
SCREENING_DATASET = "ml-100k"  # every dataset's cleaning rows take the choice made here
COOCCURRENCE = "co-occurrence cleaning"
RECOGNIZER = "recognizer cleaning"
# Each cleaning row's screened variants: (label, settings besides the share).
VARIANTS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    COOCCURRENCE: ((COOCCURRENCE, {"interaction_cleaning": "cooccurrence"}),),
    RECOGNIZER: (
        (RECOGNIZER, {"interaction_cleaning": "recognizer"}),
        # popularity-drawn corruption is a harder task: at the default learning rate (0.01)
        # the recognizers' held-out AUC stayed at 0.48-0.50 and the gain rule stopped them
        # after 2-3 passes; at 0.1 it rose to 0.75 in 8 passes (ml-100k, 20% insert)
        (
            f"{RECOGNIZER}, popular corruption",
            {
                "interaction_cleaning": "recognizer",
                "cleaning_corruption_sampling": "popularity",
                "cleaning_learning_rate": 0.1,
            },
        ),
    ),
}

# (label, noise share, how it is injected, how its items are drawn)
CLEAN = ("clean", 0.0, "insert", "uniform")
INSERT = ("20% insert", 0.2, "insert", "uniform")
INSERT_POPULAR = ("20% insert, popular items", 0.2, "insert", "popularity")
REPLACE = ("20% replace", 0.2, "replace", "uniform")

BASE = ("base", {"denoise": "none"})
# The columns the cleaning pages add to the leaderboard's matrix, in its order.
COLUMNS = (
    "oracle weights",
    "oracle cleaning",
    COOCCURRENCE,
    RECOGNIZER,
    f"{RECOGNIZER} + ATJT",
)
ORACLE_WEIGHTS = ("oracle weights", {"denoise": "oracle"})
ORACLE_CLEANING = ("oracle cleaning", {"denoise": "none", "interaction_cleaning": "oracle"})
RCE = ("R-CE", {"denoise": "rce"})
# Every column of the cleaning experiment (``--columns`` picks some).
ALL_COLUMNS = (BASE[0], *COLUMNS, RCE[0])


def _cleaning(settings: dict[str, Any], share: float) -> dict[str, Any]:
    return {"denoise": "none", **settings, "cleaning_share": share}


def candidates() -> list[tuple[str, str, dict[str, Any]]]:
    """(cleaning row, screening column, settings) of every screened variant and share."""
    return [
        (row, f"{label}, share {share}", _cleaning(settings, share))
        for row, variants in VARIANTS.items()
        for label, settings in variants
        for share in SCREENING_SHARES
    ]


def _cell(model, condition, label, overrides, extra) -> Cell:
    name, noise, mode, sampling = condition
    row = f"{model} {name}"
    return Cell(
        row,
        label,
        model,
        {**overrides, **MODEL_SETTINGS.get(model, {}), **extra},
        noise=noise,
        baseline=None if label == "base" else (row, "base"),
        noise_mode=mode,
        item_sampling=sampling,
    )


def screening() -> list[Cell]:
    """Each cleaning variant at each share, DCN and SASRec, both insert conditions (one
    seed)."""
    cells = []
    for model in SCREENING_MODELS:
        for condition in (INSERT, INSERT_POPULAR):
            cells.append(_cell(model, condition, *BASE, CONVERGE))
            cells += [
                _cell(model, condition, column, settings, CONVERGE)
                for _, column, settings in candidates()
            ]
    return cells


def chosen_settings(results: dict[tuple[str, int], dict]) -> dict[str, dict[str, Any]]:
    """Per cleaning row, the settings of the screened variant and share with the best mean
    validation NDCG@5 over the screening cells; a row some of whose screening runs are
    missing is left out."""
    cells = screening()
    chosen = {}
    for row in VARIANTS:
        means = {}
        for candidate_row, column, settings in candidates():
            if candidate_row != row:
                continue
            keys = [c.key for c in cells if c.column == column]
            scores = [
                run["best_valid_score"]
                for (key, _), run in results.items()
                if key in keys and run.get("best_valid_score") is not None
            ]
            if len(scores) < len(keys):
                break
            means[column] = (float(np.mean(scores)), settings)
        else:
            best = max(means.values(), key=lambda pair: pair[0])
            chosen[row] = best[1]
    return chosen


def stored_screening(out: str) -> dict[tuple[str, int], dict]:
    """The screening runs stored (on :data:`SCREENING_DATASET`, whose choice every dataset
    takes), by (cell key, seed)."""
    return stored_results(
        out, "cleaning-screening", screening(), SCREENING_DATASET, SCREENING_SEEDS
    )


def cells_for(dataset: str, chosen: dict[str, dict[str, Any]]) -> list[Cell]:
    """The cleaning experiment on ``dataset``: ml-100k to early stopping (five models, clean
    and both insert conditions) and at the cpu budget under replace noise (beside the
    robustness rows, whose runs it shares); any other dataset at the cpu budget (SASRec and
    DCN, clean and uniform insert). Cleaning rows wait for their ``chosen`` settings."""
    cleaning = [(row, chosen[row]) for row in VARIANTS if row in chosen]
    recognizer = [(row, settings) for row, settings in cleaning if row == RECOGNIZER]
    with_atjt = [(f"{label} + ATJT", {**o, **PAPER_ATJT}) for label, o in recognizer]
    cells = []
    if dataset not in FULL_GRID_DATASETS:
        for model in ("DCN", "SASRec"):
            for condition in (CLEAN, INSERT):
                rows = [BASE, *recognizer, RCE]
                cells += [_cell(model, condition, label, o, {}) for label, o in rows]
        return cells
    for model in MODELS:
        for condition in (CLEAN, INSERT, INSERT_POPULAR):
            rows = [BASE]
            if condition is not CLEAN and model not in GENERAL_MODELS:
                rows.append(ORACLE_WEIGHTS)
            rows += cleaning
            if model not in GENERAL_MODELS:
                rows.append(RCE)
            if model in ATJT_MODELS:
                rows += with_atjt
            cells += [_cell(model, condition, label, o, CONVERGE) for label, o in rows]
    for model in REPLACE_MODELS:
        rows = [BASE, ORACLE_CLEANING, ORACLE_WEIGHTS, *recognizer]
        cells += [_cell(model, REPLACE, label, o, {}) for label, o in rows]
    return cells
