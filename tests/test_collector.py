from collections import Counter

import torch
from conftest import tiny_config
from recbole.evaluator import Evaluator

from recbole_atjt.compat import Collector
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer

ITEM_METRICS = ["ItemCoverage", "AveragePopularity", "GiniIndex", "TailPercentage"]


def test_item_count_metrics_by_hand(tmp_path):
    metrics = ["ItemCoverage", "AveragePopularity"]
    config = tiny_config(
        "SASRec", tmp_path, metrics=metrics, topk=[2], valid_metric="ItemCoverage@2"
    )
    collector = Collector(config)
    collector.data_struct.set("data.num_items", 5)
    collector.data_struct.set("data.count_items", Counter({1: 4, 2: 2, 3: 1}))
    evaluator = Evaluator(config)

    collector.data_struct.update_tensor("rec.items", torch.tensor([[1, 2], [2, 3]]))
    first = evaluator.evaluate(collector.get_data_struct())
    # items {1, 2, 3} of 5; popularity per user (4 + 2) / 2 and (2 + 1) / 2, mean 2.25
    assert first == {"itemcoverage@2": 0.6, "averagepopularity@2": 2.25}

    # the next evaluation sees only its own recommendations, and the item counts again
    collector.data_struct.update_tensor("rec.items", torch.tensor([[3, 3]]))
    second = evaluator.evaluate(collector.get_data_struct())
    assert second == {"itemcoverage@2": 0.2, "averagepopularity@2": 1.0}


def test_trainer_reports_item_count_metrics(tiny):
    config, train, valid, test, net = tiny("DCN", denoise="none", metrics=["NDCG", *ITEM_METRICS])
    trainer = ATJTTrainer(config, net)
    trainer.fit(train, valid, show_progress=False, saved=False)  # evaluates valid once
    got = trainer.evaluate(test, load_best_model=False)
    assert 0 < got["itemcoverage@5"] <= 1 and got["averagepopularity@5"] > 0
    assert 0 <= got["giniindex@5"] <= 1 and 0 <= got["tailpercentage@5"] <= 1
