"""The results front page's opening sentences, on hand-made matrices of paired differences."""

from experiments.recommendation import method_records, recommendation_lines

CONDITIONS = [("clean", False), ("20% injected", True), ("20% insert", True)]


def _text(diffs) -> str:
    lines = recommendation_lines(diffs, CONDITIONS)
    assert lines[:2] == ["## What to use", ""]
    return lines[2]


def test_a_method_up_on_every_seed_in_most_cells_is_recommended_with_its_figures():
    diffs = {
        ("20% injected", "ml-100k", "DCN", "R-CE"): [0.002, 0.004, 0.003],  # mean +0.003
        ("20% injected", "ml-100k", "DIN", "R-CE"): [0.001, 0.002, 0.003],  # mean +0.002
        ("20% injected", "ml-100k", "SASRec", "R-CE"): [-0.001, 0.002, 0.002],  # +0.001
        ("20% injected", "ml-100k", "DCN", "T-CE"): [0.010, -0.001, 0.003],  # +0.004
    }
    text = _text(diffs)
    # T-CE has the higher average but is up on every seed in none of its cells.
    assert text == (
        "Under 20% injected noise, use R-CE: it averaged +0.0020 test NDCG@5 over 3 "
        "model-dataset cells, from +0.0010 to +0.0030, and went up on every seed in 2."
    )


def test_without_a_winner_the_base_model_is_kept_and_the_closest_method_named():
    diffs = {
        ("clean", "ml-100k", "DCN", "+ATJT"): [-0.01, -0.02],
        ("clean", "ml-100k", "DCN", "R-CE"): [0.001, -0.002],
        ("clean", "amazon-beauty", "DCN", "R-CE"): [0.002, 0.004],
    }
    text = _text(diffs)
    assert text.startswith("On clean data, keep the base model: no method went up")
    # R-CE: cell means -0.0005 and +0.0030, average +0.00125, up on every seed in 1 of 2.
    assert "the closest, R-CE, averaged +0.0013 test NDCG@5 over 2 model-dataset cells, " in text
    assert "from -0.0005 to +0.0030, and went up on every seed in 1." in text


def test_ceilings_are_never_recommended_and_single_seeds_are_only_pointers():
    diffs = {
        ("20% insert", "ml-100k", "DCN", "oracle weights"): [0.02],
        ("20% insert", "ml-100k", "DCN", "recognizer cleaning"): [0.004],
        ("20% insert", "ml-100k", "DIN", "recognizer cleaning"): [0.006],
    }
    assert [r.method for r in method_records(diffs, {"20% insert"}, 1)] == ["recognizer cleaning"]
    assert _text(diffs) == (
        "Best method with one seed so far, a pointer and not evidence: 20% insert, "
        "recognizer cleaning +0.0050 over 2 cells."
    )


def test_no_differences_give_no_opening():
    assert recommendation_lines({}, CONDITIONS) == []
