"""Per-epoch training time and metrics of `none` vs `atjt` (G=2), in one process.

    python benchmarks/epoch_times.py [--dataset ml-100k] [--epochs 3] [--models SASRec DIN]
        [--modes none atjt ...] [--key=value ...]

Uses the quick preset (properties/quick.yaml) plus --epochs. Prints one row per
model and mode (median epoch seconds, ratio to `none`, test metrics) and writes
nothing but the usual run folders under --run_dir.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from recbole_atjt import run
from recbole_atjt.config_files import parse_overrides
from recbole_atjt.paths import PROPERTIES_DIR


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="ml-100k")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--models", nargs="+", default=["SASRec", "DIN"])
    p.add_argument("--modes", nargs="+", default=["none", "atjt"])
    p.add_argument("--run_dir", default=tempfile.mkdtemp(prefix="epoch-times-"))
    args, extra = p.parse_known_args()
    overrides = parse_overrides(extra)

    rows = []
    for model in args.models:
        base = None
        for mode in args.modes:
            results = run(
                model,
                args.dataset,
                config_file_list=[str(PROPERTIES_DIR / "quick.yaml")],
                config_dict={
                    "denoise": mode,
                    "epochs": args.epochs,
                    "stopping_step": args.epochs,
                    "show_progress": False,
                    "run_dir": args.run_dir,
                    **overrides,
                },
            )
            seconds = statistics.median(results["train_seconds_per_epoch"])
            base = base or seconds
            rows.append((model, mode, seconds, seconds / base, results["test"]))

    print(f"\n{'model':<9}{'mode':<6}{'s/epoch':>9}{'ratio':>7}{'AUC':>8}{'HR@5':>8}{'NDCG@5':>8}")
    for model, mode, seconds, ratio, test in rows:
        print(
            f"{model:<9}{mode:<6}{seconds:>9.2f}{ratio:>7.2f}"
            f"{test['gauc']:>8.4f}{test['hit@5']:>8.4f}{test['ndcg@5']:>8.4f}"
        )


if __name__ == "__main__":
    main()
