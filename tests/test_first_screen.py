"""The first screen's verdict lines, on hand-made paired differences."""

from experiments.design import Cell
from experiments.first_screen import screen_lines, verdict_lines


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


def test_cleaning_cells_take_the_matrix_condition_of_their_noise_and_training():
    from experiments import cleaning
    from experiments.first_screen import condition_of

    chosen = {cleaning.RECOGNIZER: {"interaction_cleaning": "recognizer", "cleaning_share": 0.1}}
    conditions = {(c.row, c.column): condition_of(c) for c in cleaning.cells_for("ml-100k", chosen)}
    assert conditions[("DCN clean", "base")] == "clean, to early stopping"
    assert conditions[("SASRec 20% insert", "R-CE")] == "20% insert, to early stopping"
    assert (
        conditions[("BPR 20% insert, popular items", cleaning.RECOGNIZER)]
        == "20% insert, popular items, to early stopping"
    )
    # the replace rows share the robustness experiment's condition (and its base runs)
    assert conditions[("DIN 20% replace", "oracle cleaning")] == "20% injected"
    other = {(c.row, c.column): condition_of(c) for c in cleaning.cells_for("beauty", chosen)}
    assert other[("DCN clean", "base")] == "clean"
    assert other[("DCN 20% insert", cleaning.RECOGNIZER)] == "20% insert"
    table2 = Cell("DCN", "base", "DCN", {"denoise": "none"})
    assert condition_of(table2) == "clean"
