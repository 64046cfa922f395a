"""Training-time and memory overhead of our trainer against stock RecBole, in one process.

    python benchmarks/bench_overhead.py [--dataset amazon-beauty --data_path ../shared/datasets]
        [--models SASRec DIN] [--epochs 3] [--key=value ...]

For each model: stock RecBole ``Trainer``, our trainer with ``denoise=none``,
``atjt`` with G=2 and with G=4, each with its own model built from one seed.
Epochs are interleaved (stock, none, atjt2, atjt4, stock, ...) so that machine
drift hits every mode alike. Per mode: the median train seconds per epoch and
the peak memory of training (CUDA: max allocated during an epoch, in this
process; CPU: the peak resident set during one epoch, sampled every 5 ms, in a
fresh process per mode, so that no mode reuses memory another one freed), and
both as ratios to stock; beside the time ratio, the mode's FLOP floor
(``flops.py``: the recommender's and the recognizers' forward+backward FLOPs per
sequence) and measured / floor. The last lines read
``ratio <model> <mode> time=<x> floor=<f> measured/floor=<m> rss=<y>``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import psutil
import torch
from recbole.trainer import Trainer

from recbole_atjt.config import ATJTConfig
from recbole_atjt.config_files import parse_overrides
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.wiring import data_and_model

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
            self.peak = self._process.memory_info().rss
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


def build(model: str, dataset: str, mode: str, groups: int, settings: dict, trainer_cls):
    config = ATJTConfig(
        model, dataset, config_dict={**settings, "denoise": mode, "atjt_groups": groups}
    )
    _, train, _, _, net = data_and_model(config)
    trainer = trainer_cls(config, net)
    if isinstance(trainer, ATJTTrainer):
        trainer.attach(train)
    return config, train, trainer


MODE_NAMES = [label for label, _, _ in MODES]


def bench_settings(data_path: str, extra: list[str]) -> dict:
    """Quiet runs of the dataset's users, items and times, plus the ``--key=value`` given."""
    return {
        "data_path": data_path,
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "show_progress": False,
        "state": "WARNING",
        "checkpoint_dir": tempfile.mkdtemp(prefix="bench-"),
        **parse_overrides(extra),
    }


def build_mode(model: str, dataset: str, label: str, settings: dict):
    _, mode, trainer_cls = MODES[MODE_NAMES.index(label)]
    groups = 4 if label.endswith("G4") else 2
    return build(model, dataset, mode, groups, settings, trainer_cls)


def fresh_process_peak(model: str, label: str) -> int:
    """Peak RSS (bytes) of one epoch of ``label`` in a new process with this one's arguments."""
    argv = [sys.executable, __file__, *sys.argv[1:], "--memory_of", model, label]
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="amazon-beauty")
    p.add_argument("--data_path", default="../shared/datasets")
    p.add_argument("--models", nargs="+", default=["SASRec", "DIN"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--memory_of", nargs=2, metavar=("MODEL", "MODE"), help=argparse.SUPPRESS)
    args, extra = p.parse_known_args()
    settings = bench_settings(args.data_path, extra)
    if settings.get("torch_threads"):  # --torch_threads=1: the experiments' setting
        torch.set_num_threads(settings["torch_threads"])
    if args.memory_of:  # child: one epoch of one mode, print its peak memory
        model, label = args.memory_of
        config, train, trainer = build_mode(model, args.dataset, label, settings)
        with PeakMemory(config["device"]) as memory:
            trainer._train_epoch(train, 0)
        print(json.dumps({"peak": memory.peak}))
        return
    ratios = []
    for model in args.models:
        runs = {label: build_mode(model, args.dataset, label, settings) for label in MODE_NAMES}
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
        if device.type != "cuda":
            del runs
            peaks = {label: fresh_process_peak(model, label) for label in MODE_NAMES}
        stock_s = statistics.median(seconds["stock"])
        print(f"\n{model} on {args.dataset}, {args.epochs} epochs per mode, device {device}")
        floors = _floors(model, args.dataset, settings)
        print(
            f"{'mode':<9}{'s/epoch (median)':>18}{'time ratio':>12}{'FLOP floor':>12}"
            f"{'measured/floor':>16}{'peak MB':>10}{'mem ratio':>11}"
        )
        for label in MODE_NAMES:
            med = statistics.median(seconds[label])
            floor = floors[label]
            print(
                f"{label:<9}{med:>18.2f}{med / stock_s:>12.2f}{floor:>12.3f}"
                f"{med / stock_s / floor:>16.2f}{peaks[label] / 2**20:>10.1f}"
                f"{peaks[label] / peaks['stock']:>11.2f}"
            )
            ratios.append((model, label, med / stock_s, floor, peaks[label] / peaks["stock"]))
    for model, label, time_ratio, floor, rss_ratio in ratios:
        print(
            f"ratio {model} {label} time={time_ratio:.3f} floor={floor:.3f} "
            f"measured/floor={time_ratio / floor:.3f} rss={rss_ratio:.3f}"
        )


def _floors(model: str, dataset: str, settings: dict) -> dict[str, float]:
    """Each mode's FLOP floor against stock training (benchmarks/flops.py)."""
    from flops import floor_ratio, flops_per_sequence

    recommender, recognizer = flops_per_sequence(model, dataset, settings)
    return {
        label: floor_ratio(recommender, recognizer, int(label[-1])) if "-G" in label else 1.0
        for label in MODE_NAMES
    }


if __name__ == "__main__":
    main()
