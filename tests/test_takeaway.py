"""The sentences pages open with, on small hand-made figures."""

from experiments.takeaway import (
    paragraph,
    partial,
    ranking,
    search_choice,
    shares_sentence,
    versus_baseline,
    weights,
)


def test_a_cell_up_on_every_seed_is_named_with_its_mean_and_the_others_are_sorted():
    sentences = versus_baseline(
        {"A": [0.01, 0.02, 0.03], "B": [-0.01, -0.02, -0.03], "C": [0.05, -0.01, 0.02]}
    )
    assert sentences == [
        "1 of 3 cells beat their baseline in test NDCG@5 on every one of 3 seeds: A (+0.0200).",
        "1 falls below it on every one of 3 seeds: B (-0.0200); the other 1 is above it on "
        "some seeds and not on others, within the seeds' noise: C (+0.0200).",
    ]


def test_no_cell_up_on_every_seed_is_said_and_the_largest_are_named_first():
    sentences = versus_baseline({"A": [-0.01, -0.01], "B": [-0.05, -0.03], "C": [-0.02, -0.02]})
    assert sentences[0] == "No cell of 3 beats its baseline in test NDCG@5 on every one of 2 seeds."
    assert sentences[1].startswith("3 fall below it on every one of 2 seeds: B (-0.0400), C")


def test_one_seed_says_that_it_cannot_tell_a_difference_from_noise():
    (sentence,) = versus_baseline({"A": [0.01]})
    assert "on the one seed" in sentence and "no difference here is told from noise" in sentence


def test_more_cells_than_shown_are_counted():
    sentences = versus_baseline({f"m{i}": [0.01 * (i + 1)] * 2 for i in range(5)})
    assert sentences[0].endswith("m4 (+0.0500), m3 (+0.0400), m2 (+0.0300) and 2 more.")


def test_no_differences_no_sentences():
    assert versus_baseline({}) == []
    assert paragraph(["", ""]) == []
    assert paragraph(["One.", "", "Two."]) == ["One. Two.", ""]


def test_partial_only_when_runs_are_missing():
    assert partial(3, 3) == ""
    assert partial(2, 4).startswith("Partial page: 2 of 4 planned runs stored")


def test_recovered_shares_best_first_and_the_target():
    text = shares_sentence({"cleaning": 0.25, "oracle": 0.75}, "the ceiling", target=0.5)
    assert text == (
        "Recovered share of the ceiling: oracle (+0.75), cleaning (+0.25). "
        "1 of 2 reach the target of 0.50."
    )
    assert shares_sentence({"cleaning": 0.25}, "the ceiling", 0.5).endswith(
        "None reaches the target of 0.50."
    )


def test_search_choice_names_the_method_with_the_higher_validation_score():
    text = search_choice({"DCN": {"atjt": 0.30, "variant": 0.32}, "SASRec": {"atjt": 0.2}})
    assert text == (
        "Best trial by validation NDCG@5, one seed each: on DCN, variant (0.3200) over atjt "
        "(0.3000, +0.0200)."
    )


def test_ranking_says_whether_the_chosen_row_still_ranks_first():
    ranked = [("v", 0.34, 2), ("w", 0.33, 2)]
    assert ranking("v", ranked, "the screening").startswith("`v` still ranks first of 2 rows")
    later = ranking("w", ranked, "the screening")
    assert "now ranks 2 of 2" in later and "-0.0100 below `v`" in later


def test_weights_of_original_above_corrupted_on_every_seed():
    text = weights("ATJT on DCN", [0.4, 0.5], [0.2, 0.3], [0.6, 0.7])
    assert text == (
        "ATJT on DCN weights original sequences above corrupted ones on every one of 2 seeds "
        "(mean 0.4500 against 0.2500); its recognizer tells them apart with AUC "
        "0.6500 ± 0.0707."
    )


def test_the_cleaning_page_opens_with_each_methods_share_of_the_ceiling_and_the_target():
    from experiments.cleaning import RECOGNIZER
    from experiments.cleaning_page import results_table, takeaway, target_lines
    from experiments.design import Cell

    noisy = "DCN 20% insert"

    def cell(row, column, noise=0.0):
        baseline = None if column == "base" else (row, "base")
        return Cell(row, column, "DCN", noise=noise, baseline=baseline, noise_mode="insert")

    cells = [
        cell("DCN clean", "base"),
        cell(noisy, "base", 0.2),
        cell(noisy, RECOGNIZER, 0.2),
        cell(noisy, "oracle weights", 0.2),
    ]
    # the clean base (the ceiling) 0.30, the noisy base 0.20: a gap of 0.10 on both seeds
    test = {"DCN clean|base": 0.30, f"{noisy}|base": 0.20}
    test |= {f"{noisy}|{RECOGNIZER}": 0.26, f"{noisy}|oracle weights": 0.21}
    results = {(key, s): {"test": {"ndcg@5": v}} for key, v in test.items() for s in (1, 2)}
    _, targets = target_lines(cells, results, [1, 2], "ml-100k")
    sentences = takeaway(cells, results, [1, 2], targets)
    assert sentences == [
        "",
        "Recovered share of the ceiling, median over the noisy rows each method ran on: "
        "recognizer cleaning on 1 row (+0.60), oracle weights on 1 row (+0.10).",
        "Recognizer cleaning reached its target, 0.50 of the ceiling gap, on 1 of the 1 noisy "
        "insert rows measured (DCN 20% insert).",
    ]
    # a row's share pools its seeds: seed 2's gap is 0.01 (its own share 1.00, seed 1's 0.60),
    # the row's (0.06 + 0.01) / (0.10 + 0.01) = 0.64, not the mean of 0.60 and 1.00
    results[("DCN clean|base", 2)] = {"test": {"ndcg@5": 0.21}}
    results[(f"{noisy}|{RECOGNIZER}", 2)] = {"test": {"ndcg@5": 0.21}}
    lines, pooled = target_lines(cells, results, [1, 2], "ml-100k")
    assert round(pooled["recovered_share_of_the_ceiling"][noisy], 4) == round(0.07 / 0.11, 4)
    # its gaps, 0.10 and 0.01 (mean 0.055, sample std 0.09 / sqrt 2 = 0.0636), are smaller
    # than their spread: the share it reaches is named as within seed noise
    gap_mean, gap_std = pooled["noisy_rows_with_a_gap_within_seed_noise"][noisy]
    assert round(gap_mean, 4) == 0.055 and round(gap_std, 4) == round(0.09 / 2**0.5, 4)
    assert not targets["noisy_rows_with_a_gap_within_seed_noise"]  # two gaps of 0.10
    assert f"{noisy} +0.64 (its gap +0.0550 ± 0.0636 is within seed noise)" in lines[0]
    assert takeaway(cells, results, [1, 2], pooled)[2].endswith(
        f"({noisy}, whose gap is within seed noise)."
    )
    # the results table marks both noisy rows' shares (recognizer cleaning and oracle weights)
    table = results_table(cells, results, [1, 2])
    row = next(line for line in table if line.startswith(f"| {noisy} | {RECOGNIZER} |"))
    assert "+0.64 of the clean base (+0.60, +1.00) §" in row
    assert table[-1].startswith("§ 2 rows' ceiling gap, ceiling - noisy base paired per seed")
    del results[(f"{noisy}|oracle weights", 2)]
    assert takeaway(cells, results, [1, 2], targets)[0].startswith("Partial page: 7 of 8")
