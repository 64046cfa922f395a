"""Operators dispatched per training batch: stock RecBole vs our trainer, by mode.

    python benchmarks/ops_per_batch.py [--dataset atjt-synth] [--models SASRec DIN]

Counts the top-level aten operators of one profiled epoch (the ones Python
dispatches outside any profiler scope: the forward passes, losses, corruption
and bookkeeping; autograd's backward and the optimizers' own operators are not
counted) and divides by the recommender's optimizer steps. On a GPU each
operator is at least one kernel launch, so where a batch is launch-bound
(small models on a fast card) these counts, not FLOPs, predict the time ratio.
Deterministic: it does not depend on how busy the machine is.
"""

from __future__ import annotations

import argparse
import tempfile

from bench_overhead import MODE_NAMES, build_mode
from torch.profiler import ProfilerActivity, profile

from recbole_atjt.config_files import parse_overrides


def ops_per_batch(model: str, dataset: str, label: str, settings: dict) -> float:
    _, train, trainer = build_mode(model, dataset, label, settings)
    trainer._train_epoch(train, 0)  # warm-up: lazy state, first-call paths
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        trainer._train_epoch(train, 1)
    events = prof.events()
    steps = sum(1 for e in events if e.name.startswith("Optimizer.step#") and "Adam" in e.name)
    top_level = sum(1 for e in events if e.name.startswith("aten::") and e.cpu_parent is None)
    return top_level / max(steps, 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="atjt-synth")
    p.add_argument("--models", nargs="+", default=["SASRec", "DIN"])
    args, extra = p.parse_known_args()
    settings = {
        "show_progress": False,
        "state": "WARNING",
        "checkpoint_dir": tempfile.mkdtemp(prefix="ops-"),
        "gpu_id": "",
        **parse_overrides(extra),
    }
    for model in args.models:
        counts = {m: ops_per_batch(model, args.dataset, m, settings) for m in MODE_NAMES}
        for label, n in counts.items():
            print(f"ops {model} {label} per_batch={n:.0f} ratio={n / counts['stock']:.2f}")


if __name__ == "__main__":
    main()
