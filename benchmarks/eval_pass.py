"""One sampled-candidate (uni100) evaluation pass: stock RecBole ``Trainer`` vs ours.

    python benchmarks/eval_pass.py [--dataset amazon-beauty --data_path ../shared/datasets]
        [--model DCN] [--passes 3] [--key=value ...]

Both evaluate the same model on the same validation candidates, alternately,
``--passes`` times each; prints the median seconds per pass, the ratio, and
whether the metrics are identical. Ours ranks each user's candidates only
(``recbole_atjt/trainer/candidate_scores.py``); RecBole ranks rows as wide as
the item set. The last line reads ``ratio eval <model> time=<x> same_metrics=<bool>``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from recbole.trainer import Trainer

from recbole_atjt.config import ATJTConfig
from recbole_atjt.config_files import parse_overrides
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.wiring import data_and_model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="ml-100k")
    p.add_argument("--data_path")
    p.add_argument("--model", default="DCN")
    p.add_argument("--passes", type=int, default=3)
    args, rest = p.parse_known_args()
    settings = {"denoise": "none", "show_progress": False, "state": "WARNING", "seed": 2020}
    if args.data_path:
        settings["data_path"] = args.data_path
    settings.update(parse_overrides(rest))
    config = ATJTConfig(args.model, args.dataset, config_dict=settings)
    _, _, valid, _, model = data_and_model(config)
    trainers = {"stock": Trainer(config, model), "ours": ATJTTrainer(config, model)}
    seconds = {name: [] for name in trainers}
    metrics = {}
    for _ in range(args.passes):
        for name, trainer in trainers.items():
            started = time.perf_counter()
            metrics[name] = trainer.evaluate(valid, load_best_model=False)
            if config["device"].type == "cuda":
                torch.cuda.synchronize()
            seconds[name].append(time.perf_counter() - started)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    same = metrics["ours"] == metrics["stock"]
    print(f"{args.model} on {args.dataset}, {len(valid.uid_list)} users, {args.passes} passes each")
    for name in trainers:
        print(f"  {name:6s} {median[name]:7.2f} s per pass")
    print(f"  metrics: {dict(metrics['ours'])}")
    ratio = median["ours"] / median["stock"]
    print(f"ratio eval {args.model} time={ratio:.2f} same_metrics={same}")


if __name__ == "__main__":
    main()
