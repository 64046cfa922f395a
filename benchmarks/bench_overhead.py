"""Training-time and memory overhead of our trainer against stock RecBole, in one process.

    python benchmarks/bench_overhead.py [--dataset amazon-beauty --data_path ../shared/datasets]
        [--models SASRec DIN] [--epochs 3] [--key=value ...]

For each model: stock RecBole ``Trainer``, our trainer with ``denoise=none``,
``atjt`` with G=2 and with G=4, each with its own model built from one seed.
Epochs are interleaved (stock, none, atjt2, atjt4, stock, ...) so that machine
drift hits every mode alike. Per mode: the median train seconds per epoch and
the peak memory while training (CUDA: max allocated during the epoch; CPU:
the resident set's peak during the epoch minus its size just before it,
sampled every 5 ms, i.e. what one epoch of that mode adds), and both as ratios
to stock. The last lines read ``ratio <model> <mode> time=<x> rss=<y>``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time

import psutil
import torch
from recbole.trainer import Trainer
from recbole.utils import get_model, init_seed

from recbole_atjt.cli import parse_overrides
from recbole_atjt.config import ATJTConfig
from recbole_atjt.data.preparation import prepare_data
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer

MODES = (
    ("stock", "none", Trainer),
    ("none", "none", ATJTTrainer),
    ("atjt-G2", "atjt", ATJTTrainer),
    ("atjt-G4", "atjt", ATJTTrainer),
)


class PeakMemory:
    """Peak memory while a block runs: CUDA max allocated, else sampled process RSS."""

    def __init__(self, device: torch.device) -> None:
        self.device, self.peak, self._stop = device, 0, threading.Event()

    def __enter__(self):
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            self._process = psutil.Process()
            self.start = self.peak = self._process.memory_info().rss
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            self.peak = torch.cuda.max_memory_allocated(self.device)
        else:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak - self.start, 1)


def build(model: str, dataset: str, mode: str, groups: int, settings: dict, trainer_cls):
    config = ATJTConfig(
        model, dataset, config_dict={**settings, "denoise": mode, "atjt_groups": groups}
    )
    init_seed(config["seed"], config["reproducibility"])
    _, train, _, _ = prepare_data(config)
    init_seed(config["seed"], config["reproducibility"])
    net = get_model(model)(config, train._dataset).to(config["device"])
    trainer = trainer_cls(config, net)
    if isinstance(trainer, ATJTTrainer):
        trainer.attach(train)
    return config, train, trainer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="amazon-beauty")
    p.add_argument("--data_path", default="../shared/datasets")
    p.add_argument("--models", nargs="+", default=["SASRec", "DIN"])
    p.add_argument("--epochs", type=int, default=3)
    args, extra = p.parse_known_args()
    settings = {
        "data_path": args.data_path,
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "show_progress": False,
        "state": "WARNING",
        "checkpoint_dir": tempfile.mkdtemp(prefix="bench-"),
        **parse_overrides(extra),
    }
    ratios = []
    for model in args.models:
        runs = {}
        for label, mode, trainer_cls in MODES:
            groups = 4 if label.endswith("G4") else 2
            runs[label] = build(model, args.dataset, mode, groups, settings, trainer_cls)
        seconds = {label: [] for label in runs}
        peaks = {label: 0 for label in runs}
        for epoch in range(args.epochs):
            for label, (config, train, trainer) in runs.items():
                with PeakMemory(config["device"]) as memory:
                    start = time.perf_counter()
                    trainer._train_epoch(train, epoch)
                    seconds[label].append(time.perf_counter() - start)
                peaks[label] = max(peaks[label], memory.peak)
        device = runs["stock"][0]["device"]
        growth = peaks
        stock_s = statistics.median(seconds["stock"])
        print(f"\n{model} on {args.dataset}, {args.epochs} epochs per mode, device {device}")
        print(
            f"{'mode':<9}{'s/epoch (median)':>18}{'time ratio':>12}{'peak MB':>10}{'mem ratio':>11}"
        )
        for label in runs:
            med = statistics.median(seconds[label])
            print(
                f"{label:<9}{med:>18.2f}{med / stock_s:>12.2f}{growth[label] / 2**20:>10.1f}"
                f"{growth[label] / growth['stock']:>11.2f}"
            )
            ratios.append((model, label, med / stock_s, growth[label] / growth["stock"]))
    for model, label, time_ratio, rss_ratio in ratios:
        print(f"ratio {model} {label} time={time_ratio:.3f} rss={rss_ratio:.3f}")


if __name__ == "__main__":
    main()
