"""What interaction cleaning costs against training the base model, in one process.

    python benchmarks/cleaning_cost.py [--dataset amazon-beauty --data_path ../shared/datasets]
        [--models SASRec DCN] [--budget cpu] [--torch_threads 1] [--key=value ...]

Per model: the data preparation and full training of the base model (the budget's epochs,
early stopping as configured), then the same data prepared with
``interaction_cleaning: recognizer``, whose cost is the recognizers' pretraining and scoring,
the removal, and RecBole's rebuild of the cleaned data (the second load of the data that
keeps the evaluation candidates of the uncleaned one included). The cleaned model is not
trained: its training costs what the base model's does. The last lines read
``ratio <model> cleaning/training=<x> (cleaning <s> s, training <t> s over <n> epochs)``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import torch

from recbole_atjt.config import ATJTConfig
from recbole_atjt.config_files import parse_overrides
from recbole_atjt.data.preparation import prepare_data
from recbole_atjt.paths import PROPERTIES_DIR
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.wiring import data_and_model


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--dataset", default="ml-100k")
    p.add_argument("--data_path")
    p.add_argument("--models", nargs="+", default=["SASRec", "DCN"])
    p.add_argument("--budget", default="cpu")
    p.add_argument("--torch_threads", type=int, default=1)
    args, extra = p.parse_known_args(argv)
    torch.set_num_threads(args.torch_threads)
    settings = {"state": "WARNING", "show_progress": False, **parse_overrides(extra)}
    if args.data_path:
        settings["data_path"] = args.data_path
    ratios = []
    for model in args.models:
        work = tempfile.mkdtemp()
        base = ATJTConfig(
            model,
            args.dataset,
            [str(PROPERTIES_DIR / "budgets" / f"{args.budget}.yaml")],
            {**settings, "denoise": "none", "checkpoint_dir": work},
        )
        start = time.perf_counter()
        _, train, valid, _, net = data_and_model(base)
        prepared = time.perf_counter() - start
        trainer = ATJTTrainer(base, net)
        trainer.fit(train, valid, saved=False)
        training = sum(trainer.epoch_seconds) + sum(trainer.valid_seconds)
        cleaned = ATJTConfig(
            model,
            args.dataset,
            [str(PROPERTIES_DIR / "budgets" / f"{args.budget}.yaml")],
            {
                **settings,
                "denoise": "none",
                "interaction_cleaning": "recognizer",
                "checkpoint_dir": tempfile.mkdtemp(),
            },
        )
        start = time.perf_counter()
        dataset, *_ = prepare_data(cleaned)
        cleaning = time.perf_counter() - start - prepared  # beyond a plain preparation
        report = dataset.cleaning
        print(
            f"{model}: preparation {prepared:.1f} s, training {training:.1f} s over "
            f"{len(trainer.epoch_seconds)} epochs; cleaning {cleaning:.1f} s beyond preparation "
            f"(detection {report['seconds']:.1f} s; removed {report['removed']} of "
            f"{report['training_interactions']})",
            flush=True,
        )
        ratios.append(
            f"ratio {model} cleaning/training={cleaning / training:.3f} (cleaning {cleaning:.1f} "
            f"s, training {training:.1f} s over {len(trainer.epoch_seconds)} epochs)"
        )
    print("\n".join(ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
