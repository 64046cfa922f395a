import pytest
import torch
from recbole.trainer import Trainer

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


# sequential models with full_sort_predict encode each user's sequence once; DCN, DIN cannot
@pytest.mark.parametrize(
    ("model", "encodes_once"),
    [("DCN", False), ("DIN", False), ("SASRec", True), ("S3Rec", True), ("FEARec", True)],
)
def test_metrics_equal_recbole_evaluation(tiny, model, encodes_once):
    metrics = ["Hit", "NDCG", "MRR", "GAUC", "Precision"]
    config, train, valid, _, net = tiny(model, denoise="none", metrics=metrics, topk=[1, 5])
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


def test_item_metrics_keep_recbole_matrix(tiny):
    # ShannonEntropy reads the recommended item ids ("rec.items")
    config, _, valid, _, net = tiny("DCN", denoise="none", metrics=["Hit", "ShannonEntropy"])
    got = ATJTTrainer(config, net).evaluate(valid, load_best_model=False)
    want = Trainer(config, net).evaluate(valid, load_best_model=False)
    assert got == want and got["shannonentropy@5"] > 0
