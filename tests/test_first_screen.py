"""The first screen's verdict lines, on hand-made paired differences."""

from recbole_atjt.experiments.first_screen import screen_lines, verdict_lines


def test_verdict_names_the_cells_up_on_every_seed_and_counts_those_down():
    diffs = {
        ("clean", "ml-100k", "DCN", "+ATJT"): [-0.01, -0.02, -0.005],  # down on every seed
        ("clean", "ml-100k", "DCN", "R-CE"): [0.01, -0.02, 0.005],  # mixed
        ("clean", "ml-100k", "SASRec", "DNR"): [0.02],  # one seed: not counted
        ("20% injected", "ml-100k", "SASRec", "+ATJT"): [0.004, 0.001, 0.002],
        ("20% injected", "ml-100k", "SASRec", "DNR"): [0.004, 0.003],
        ("20% injected", "ml-100k", "DCN", "DNR"): [0.004, 0.0],  # a tie is not up
    }
    columns = [("ml-100k", "DCN"), ("ml-100k", "SASRec")]
    lines = verdict_lines(diffs, columns, ["+ATJT", "DNR", "R-CE"])
    assert lines == [
        "- clean: up on every seed: no method on any model. Down on every seed: 1 of the 2 "
        "cells of 2 seeds or more.",
        "- 20% injected: up on every seed: +ATJT, DNR on SASRec, ml-100k. Down on every seed: "
        "0 of the 3 cells of 2 seeds or more.",
    ]
    page = "\n".join(screen_lines(diffs))
    assert page.index("- clean: up on every seed") < page.index("**clean**")
