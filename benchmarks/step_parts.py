"""Where one ATJT training step's time goes, against a stock RecBole step on the same batches.

    python benchmarks/step_parts.py [--model DIN] [--dataset amazon-beauty
        --data_path ../shared/datasets] [--batches 60] [--key=value ...]

One process, one torch thread (``--torch_threads``). Times ``--batches`` stock steps
(RecBole's loader batch, ``calculate_loss``, backward, optimizer step) and as many
``atjt`` steps of group 0 (its loader batch, the weighted loss with the recognizer's
weights and the auxiliary loss, backward, both optimizers), in alternating blocks of
ten after three untimed steps of each (``compile_recognizer`` compiles in the first),
and splits both steps into their parts, the ATJT one by timing the trainer's own
functions: the recognizer's weights and auxiliary loss (auxiliary batches, corruption,
and the forward: one pass for both where the mode allows), the recommender's per-row
loss (forward), backward (both losses at once) and the optimizer steps. The last line reads
``ratio step <model> atjt/stock=<x>``.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections import Counter

import torch

import recbole_atjt.trainer.atjt_trainer as atjt_trainer
from recbole_atjt.config import ATJTConfig
from recbole_atjt.config_files import parse_overrides
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer, StepTogether
from recbole_atjt.trainer.statistics import EpochStatistics
from recbole_atjt.wiring import data_and_model

BLOCK = 10
WARM_UP = 3


def timed(totals: Counter, name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        totals[name] += time.perf_counter() - started
        return result

    return wrapper


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="DIN")
    p.add_argument("--dataset", default="ml-100k")
    p.add_argument("--data_path")
    p.add_argument("--batches", type=int, default=60)
    args, rest = p.parse_known_args()
    settings = {"denoise": "atjt", "show_progress": False, "state": "WARNING", "torch_threads": 1}
    if args.data_path:
        settings["data_path"] = args.data_path
    settings.update(parse_overrides(rest))
    torch.set_num_threads(settings["torch_threads"])
    config = ATJTConfig(args.model, args.dataset, config_dict=settings)
    _, train, _, _, model = data_and_model(config)
    trainer = ATJTTrainer(config, model)
    trainer.attach(train)
    denoiser = trainer.denoiser
    parts: Counter = Counter()
    denoiser.weights_and_auxiliary_loss = timed(
        parts,
        "recognizer: weights and L_D (batches, corruption, forward)",
        denoiser.weights_and_auxiliary_loss,
    )
    atjt_trainer.row_losses = timed(
        parts, "recommender per-row loss, forward", atjt_trainer.row_losses
    )
    both = StepTogether(trainer.optimizer, denoiser.optimizers[0])
    stock_batches, atjt_batches = iter(train), iter(denoiser.data.loaders[0])

    stock_parts: Counter = Counter()

    def stock_step() -> None:
        trainer.optimizer.zero_grad()
        batch = next(stock_batches)
        started = time.perf_counter()
        loss = model.calculate_loss(batch)
        stock_parts["recommender loss, forward"] += time.perf_counter() - started
        started = time.perf_counter()
        loss.backward()
        stock_parts["backward"] += time.perf_counter() - started
        started = time.perf_counter()
        trainer.optimizer.step()
        stock_parts["optimizer step"] += time.perf_counter() - started

    def atjt_step() -> None:
        both.zero_grad()
        loss_r, loss_d = trainer._joint_loss(0, EpochStatistics(trainer.device), next(atjt_batches))
        started = time.perf_counter()
        (loss_r + loss_d).backward()
        parts["backward (both losses)"] += time.perf_counter() - started
        started = time.perf_counter()
        both.step()
        parts["optimizer steps (both)"] += time.perf_counter() - started

    for step in (stock_step, atjt_step):  # untimed
        for _ in range(WARM_UP):
            step()
    parts.clear()
    stock_parts.clear()
    seconds = {"stock": [], "atjt": []}
    done = 0
    while done < args.batches:
        for name, step in (("stock", stock_step), ("atjt", atjt_step)):
            for _ in range(BLOCK):
                started = time.perf_counter()
                step()
                seconds[name].append(time.perf_counter() - started)
        done += BLOCK
    ms = {name: 1000 * statistics.median(s) for name, s in seconds.items()}
    n = len(seconds["atjt"])
    print(f"{args.model} on {args.dataset}, {n} batches each, {torch.get_num_threads()} thread(s)")
    print(f"  stock step  {ms['stock']:7.1f} ms (median), of which (mean per batch):")
    for name, total in stock_parts.most_common():
        print(f"    {name:45s} {1000 * total / n:7.1f} ms")
    print(f"  atjt step   {ms['atjt']:7.1f} ms (median), of which (mean per batch):")
    for name, total in parts.most_common():
        print(f"    {name:45s} {1000 * total / n:7.1f} ms")
    print(f"ratio step {args.model} atjt/stock={ms['atjt'] / ms['stock']:.3f}")


if __name__ == "__main__":
    main()
