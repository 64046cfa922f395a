from experiments.wording import METRIC_LABELS, metric_label, protocol


def test_protocol_names_split_ranking_and_epoch_then_the_pages_own_clauses():
    assert protocol() == (
        "Protocol: time-ordered leave-one-out; each user's true next item ranked against 100 "
        "fixed sampled items; test metrics of the epoch with the best validation NDCG@5."
    )
    assert protocol("seed 1 only").endswith("NDCG@5; seed 1 only.")


def test_metric_labels_of_the_result_keys():
    assert metric_label("ndcg@5") == "NDCG@5"
    assert metric_label("hit@5") == "HR@5"
    assert set(METRIC_LABELS) == {"ndcg@5", "hit@5", "gauc"}
