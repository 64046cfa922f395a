"""Words every page says the same way: the evaluation protocol and the metric labels.

The protocol is fixed by ``properties/overall.yaml`` (time-ordered leave-one-out, each
user's true item ranked against 100 sampled items, ``uni100``); the pages describe it
with these strings so that it reads the same on every page.
"""

from __future__ import annotations

# RecBole's result keys and the labels the pages print for them.
NDCG = "NDCG@5"
HR = "HR@5"
AUC = "AUC"
METRIC_LABELS = {"ndcg@5": NDCG, "hit@5": HR, "gauc": AUC}

# The metric every choice of the lab reads (on validation) and every table compares (on test).
SELECTION_METRIC = "ndcg@5"

SPLIT = "time-ordered leave-one-out"
RANKING = "each user's true next item ranked against 100 fixed sampled items"
CANDIDATES = "101 candidates"
EPOCH_CHOICE = f"test metrics of the epoch with the best validation {NDCG}"


def metric_label(key: str) -> str:
    """The printed label of a RecBole result key (``ndcg@5`` -> ``NDCG@5``)."""
    return METRIC_LABELS[key]


def protocol(*more: str) -> str:
    """The protocol sentence: split, ranking and the epoch whose test metrics are shown,
    then ``more`` clauses of the page's own, all separated by semicolons."""
    return "Protocol: " + "; ".join((SPLIT, RANKING, EPOCH_CHOICE, *more)) + "."
