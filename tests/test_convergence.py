"""Which runs the epoch cap stopped while they still improved, on hand-made runs."""

from experiments.convergence import at_cap, best_epoch, convergence_line
from experiments.design import Cell


def _run(scores: list[float], epochs: int | None = None) -> dict:
    settings = {} if epochs is None else {"epochs": epochs}
    return {
        "valid_metric": "NDCG@5",
        "valid_per_epoch": [{"epoch": e, "ndcg@5": s} for e, s in enumerate(scores)],
        "run_key": {"budget": "smoke", "settings": settings},
    }


def test_best_epoch_and_cap():
    assert best_epoch(_run([0.1, 0.3, 0.3, 0.2])) == 1  # the first of equal scores
    assert at_cap(_run([0.1, 0.2, 0.3]), 3)
    assert not at_cap(_run([0.1, 0.3, 0.2]), 3)  # best before the last epoch
    assert not at_cap(_run([0.1, 0.2]), 3)  # early stopping ended it


def test_line_counts_per_row_and_the_baselines():
    base = Cell("DCN", "base", "DCN", {})
    atjt = Cell("DCN", "+ATJT", "DCN", {}, baseline=("DCN", "base"))
    sas = Cell("SASRec", "+ATJT", "SASRec", {}, baseline=("SASRec", "base"))
    sas_base = Cell("SASRec", "base", "SASRec", {})
    results = {
        (base.key, 1): _run([0.1, 0.2, 0.3], epochs=3),  # at the cap
        (base.key, 2): _run([0.1, 0.3, 0.2], epochs=3),
        (atjt.key, 1): _run([0.1, 0.2], epochs=3),  # stopped early
        (atjt.key, 2): _run([0.1, 0.2, 0.4], epochs=3),  # at the cap
        (sas_base.key, 1): _run([0.3, 0.2, 0.1], epochs=3),
        (sas.key, 1): _run([0.3, 0.2, 0.1], epochs=3),  # seed 2 of SASRec not stored
    }
    (line,) = convergence_line(results, [base, atjt, sas_base, sas], [1, 2])
    assert line == (
        "- convergence (3 epochs at most): runs still improving when the cap stopped them "
        "(best validation at the last epoch): DCN 2/4 (baselines 1/3); runs ended by early "
        "stopping: DCN 1/4"
    )
