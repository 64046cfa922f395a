import pytest
import torch
from recbole.trainer import Trainer

from recbole_atjt.data.candidate_rows import _compact_columns
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.trainer.candidate_scores import compact_candidate_scores

NEG_INF = float("-inf")


def test_candidates_kept_in_item_order_duplicates_once_positive_mapped():
    # RecBole's matrix: user 0 has candidates {4, 1, 3} (item 3 drawn twice), user 1 {2, 5}
    row_idx = torch.tensor([0, 0, 0, 0, 1, 1])
    items = torch.tensor([4, 1, 3, 3, 5, 2])
    full = torch.full((2, 6), NEG_INF)
    full[0, 4], full[0, 1], full[0, 3] = 0.9, 0.2, 0.5
    full[1, 5], full[1, 2] = 0.1, 0.7
    positive_u, positive_i = torch.tensor([0, 1]), torch.tensor([4, 5])

    compact, columns = compact_candidate_scores(full, row_idx, items, positive_u, positive_i)

    expected = torch.tensor([[0.2, 0.5, 0.9, NEG_INF], [0.7, 0.1, NEG_INF, NEG_INF]])
    assert torch.equal(compact, expected)
    assert columns.tolist() == [2, 1]
    # the candidate count is still the first -inf after a descending sort
    assert torch.sort(compact, descending=True)[0].argmin(dim=1).tolist() == [3, 2]


def test_repeated_candidates_keep_the_score_recbole_writes_last():
    # user 0 has two positive rows (RecBole's rows: p0 p1, then n0 n1, then n0' n1'), user 1 one
    user_of_row = torch.tensor([0, 0, 1])
    candidates = torch.tensor([[5, 2, 9], [7, 9, 2], [4, 4, 1]])

    columns, width, writes = _compact_columns(user_of_row, candidates, n_items=10)

    # user 0's distinct candidates 2 5 7 9 -> columns 0..3; user 1's 1 4 -> 0 1
    assert columns.tolist() == [[1, 0, 3], [2, 3, 0], [1, 1, 0]]
    assert width == 5
    # item 2: row 0 copy 1 (position 2) and row 1 copy 2 (position 5) -> row 1 writes;
    # item 9: row 0 copy 2 (position 4) after row 1 copy 1 (position 3) -> row 0 writes;
    # item 4 twice for user 1: the second copy writes
    assert writes.tolist() == [[True, False, True], [True, False, True], [False, True, True]]


# sequential models with full_sort_predict encode each sequence once; DCN, DIN cannot.
# RS: several positives per user in a split (each with its own history).
LEAVE_ONE_OUT = {}
RANDOM_SPLIT = {"split": {"RS": [0.6, 0.2, 0.2]}, "order": "TO", "group_by": "user",
                "mode": "uni100"}  # fmt: skip


@pytest.mark.parametrize(
    ("model", "encodes_once", "eval_args"),
    [
        ("DCN", False, LEAVE_ONE_OUT),
        ("DIN", False, LEAVE_ONE_OUT),
        ("SASRec", True, LEAVE_ONE_OUT),
        ("S3Rec", True, LEAVE_ONE_OUT),
        ("FEARec", True, LEAVE_ONE_OUT),
        ("DCN", False, RANDOM_SPLIT),
        ("SASRec", True, RANDOM_SPLIT),
    ],
)
def test_metrics_equal_recbole_evaluation(tiny, model, encodes_once, eval_args):
    metrics = ["Hit", "NDCG", "MRR", "GAUC", "Precision"]
    config, train, valid, _, net = tiny(
        model, denoise="none", metrics=metrics, topk=[1, 5], eval_args=eval_args
    )
    if eval_args:
        assert valid.uid2items_num.max() > 1
    ours = ATJTTrainer(config, net)
    ours.fit(train, show_progress=False, saved=False)  # scores with structure, and ties unlikely
    stock = Trainer(config, net)

    got = ours.evaluate(valid, load_best_model=False)
    want = stock.evaluate(valid, load_best_model=False)

    assert set(got) == {"hit@1", "hit@5", "ndcg@1", "ndcg@5", "mrr@1", "mrr@5", "gauc",
                        "precision@1", "precision@5"}  # fmt: skip
    assert got == want
    assert 0 < got["gauc"] < 1 and got["hit@5"] > got["hit@1"]
    assert ours._encode_once is encodes_once
    assert valid.candidate_rows(config["device"]).n_users == len(valid.uid_list)  # the cache


def test_cached_rows_are_recbole_rows(tiny):
    # DCN: user, item (with its category feature joined) and history, 101 rows per positive
    config, _, valid, _, _ = tiny("DCN", denoise="none", eval_batch_size=1000)
    cached = valid.candidate_rows(config["device"])
    assert len(cached) > 1  # several chunks, each within eval_batch_size rows
    ours = [cached.expanded(chunk) for chunk in cached]
    assert max(len(inter) for inter in ours) <= 1000

    def row_set(interactions):
        fields = sorted(set(interactions[0].columns) - {config["LABEL_FIELD"]})
        return sorted(
            tuple(tuple(inter[f][i].reshape(-1).tolist()) for f in fields)
            for inter in interactions
            for i in range(len(inter))
        )

    recbole = [batch[0] for batch in valid]
    assert set(ours[0].columns) == set(recbole[0].columns) - {config["LABEL_FIELD"]}
    assert "category" in ours[0].columns
    assert row_set(ours) == row_set(recbole)


def test_item_metrics_keep_recbole_matrix(tiny):
    # ShannonEntropy reads the recommended item ids ("rec.items")
    metrics = {"metrics": ["Hit", "ShannonEntropy"], "valid_metric": "Hit@5"}
    config, _, valid, _, net = tiny("DCN", denoise="none", **metrics)
    got = ATJTTrainer(config, net).evaluate(valid, load_best_model=False)
    want = Trainer(config, net).evaluate(valid, load_best_model=False)
    assert got == want and got["shannonentropy@5"] > 0


def test_a_batch_transform_is_redrawn_every_pass_so_nothing_is_cached(tiny):
    # BERT4Rec's loaders mask items at random on every pass (RecBole's mask_itemseq)
    config, _, valid, _, net = tiny("BERT4Rec", denoise="none")
    assert config["transform"] == "mask_itemseq" and not valid.same_batches_every_pass
    ATJTTrainer(config, net).evaluate(valid, load_best_model=False)
    assert valid._candidate_rows == {}
    assert tiny("SASRec", denoise="none")[2].same_batches_every_pass
