"""python -m recbole_atjt.experiments <name> --datasets D [D ...] --seeds 3 --budget cpu

Names: table2, fig4, table3, table4, table5, robustness, and leaderboard
(which only rebuilds results/README.md from the pages already written).
"""

from __future__ import annotations

import argparse
import sys
import time

from recbole_atjt.experiments.design import EXPERIMENTS, PAPER_MODELS, table2
from recbole_atjt.experiments.leaderboard import write_leaderboard
from recbole_atjt.experiments.report import write_page
from recbole_atjt.experiments.runner import budget_file, run_cells


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recbole_atjt.experiments", description=__doc__)
    p.add_argument("name", choices=[*EXPERIMENTS, "leaderboard"])
    p.add_argument("--datasets", nargs="+", default=["ml-100k"])
    p.add_argument("--data_path", help="folder holding <dataset>/ (e.g. ../shared/datasets)")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (2020, 2021, ...)")
    p.add_argument("--budget", default="cpu", help="smoke | cpu | full (properties/budgets/)")
    p.add_argument("--models", nargs="+", default=list(PAPER_MODELS), help="table2 only")
    p.add_argument("--out", default="results", help="results folder")
    p.add_argument("--work_dir", default="saved/experiment-data", help="run folders, injected data")
    args, extra_args = p.parse_known_args(argv)

    from recbole_atjt.cli import parse_overrides

    extra = parse_overrides(extra_args)
    if args.name == "leaderboard":
        print(f"wrote {write_leaderboard(args.out)}")
        return 0
    cells = table2(tuple(args.models)) if args.name == "table2" else EXPERIMENTS[args.name]()
    seeds = [2020 + s for s in range(args.seeds)]
    with open(budget_file(args.budget), encoding="utf-8") as f:
        budget_text = f.read()
    for dataset in args.datasets:
        started = time.time()
        results = run_cells(
            args.name,
            cells,
            dataset,
            seeds,
            args.budget,
            args.out,
            args.data_path,
            args.work_dir,
            extra,
        )
        page = f"{args.out}/{args.name}/{dataset}.md"
        write_page(
            page,
            args.name,
            dataset,
            cells,
            results,
            seeds,
            args.budget,
            budget_text,
            time.time() - started,
            extra,
        )
        print(f"wrote {page}")
    write_leaderboard(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
