"""One sampled-candidate (uni100) validation pass: stock RecBole, ours, and the model's floor.

    python benchmarks/eval_pass.py [--dataset amazon-beauty --data_path ../shared/datasets]
        [--models DCN DIN SASRec] [--passes 3] [--key=value ...]

Per model, in one process on one torch thread (``--torch_threads``), alternately
``--passes`` times each:

* ``stock``: RecBole's ``Trainer.evaluate`` (its loader collates 101 rows per
  user on every pass, its metrics rank rows as wide as the item set);
* ``ours``: ``ATJTTrainer.evaluate`` (candidates cached as tensors once, scored
  chunk by chunk into the compact matrix; ``recbole_atjt/data/candidate_rows.py``);
* ``floor``: the model's bare ``predict`` over the same (row, candidate)
  interactions built beforehand, no metrics: what any evaluation of these
  candidates with ``predict`` costs.

Prints the median seconds per pass, ours / floor, stock / ours, whether ours and
stock give identical metrics, the one-time cost of building the cache, its size
and the largest chunk's. (The first pass of ours also checks, on its first
chunk, whether a sequential model may score each sequence once against
``predict``: one chunk's ``predict``.) The last lines read
``ratio eval <model> ours/floor=<x> stock/ours=<y> same_metrics=<bool>``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import torch
from recbole.trainer import Trainer

from recbole_atjt.config import ATJTConfig
from recbole_atjt.config_files import parse_overrides
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.wiring import data_and_model


def megabytes(tensors) -> float:
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


def measure(model_name: str, dataset: str, settings: dict, passes: int) -> str:
    config = ATJTConfig(model_name, dataset, config_dict=settings)
    _, _, valid, _, model = data_and_model(config)
    started = time.perf_counter()
    cached = valid.candidate_rows(config["device"])
    build_seconds = time.perf_counter() - started
    prebuilt = [cached.expanded(chunk) for chunk in cached]
    trainers = {"stock": Trainer(config, model), "ours": ATJTTrainer(config, model)}

    def floor() -> None:
        with torch.no_grad():
            for interaction in prebuilt:
                model.predict(interaction)

    runs = {"stock": None, "ours": None, "floor": floor}
    seconds = {name: [] for name in runs}
    metrics = {}
    model.eval()
    for _ in range(passes):
        for name in runs:
            started = time.perf_counter()
            if name == "floor":
                floor()
            else:
                metrics[name] = trainers[name].evaluate(valid, load_best_model=False)
            if config["device"].type == "cuda":
                torch.cuda.synchronize()
            seconds[name].append(time.perf_counter() - started)
    median = {name: statistics.median(s) for name, s in seconds.items()}
    cache_mb = megabytes([*cached.rows.values(), cached.candidates, cached.columns, cached.writes])
    chunk_mb = max(megabytes(inter.interaction.values()) for inter in prebuilt)
    lines = [
        f"{model_name} on {dataset}: {cached.n_users} users, {len(cached)} chunks, "
        f"{passes} passes each, device {config['device']}, {torch.get_num_threads()} thread(s)",
        *(f"  {name:6s} {median[name]:8.2f} s per pass" for name in runs),
        f"  cache: built once in {build_seconds:.2f} s, {cache_mb:.1f} MB; "
        f"largest chunk {chunk_mb:.1f} MB (eval_batch_size {config['eval_batch_size']} rows)",
        f"  metrics: {dict(metrics['ours'])}",
        f"ratio eval {model_name} ours/floor={median['ours'] / median['floor']:.2f} "
        f"stock/ours={median['stock'] / median['ours']:.1f} "
        f"same_metrics={metrics['ours'] == metrics['stock']}",
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="ml-100k")
    p.add_argument("--data_path")
    p.add_argument("--models", nargs="+", default=["DCN", "DIN", "SASRec"])
    p.add_argument("--passes", type=int, default=3)
    args, rest = p.parse_known_args()
    settings = {
        "denoise": "none",
        "show_progress": False,
        "state": "WARNING",
        "seed": 2020,
        "torch_threads": 1,
    }
    if args.data_path:
        settings["data_path"] = args.data_path
    settings.update(parse_overrides(rest))
    torch.set_num_threads(settings["torch_threads"])
    reports = [measure(model, args.dataset, settings, args.passes) for model in args.models]
    print("\n\n".join(reports))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the whole run: {peak:.0f} MB")


if __name__ == "__main__":
    main()
