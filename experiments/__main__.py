"""python -m experiments <name> --datasets D [D ...] --seeds 3 --budget cpu

Names: table2, fig4, table3, table4, table5, robustness, diagnosis (staged: screening,
target corruption, confirmation; see experiments/diagnosis.py), tuning (Ray Tune
searches for the tuned rows, --trials each; see experiments/tuning.py),
cleaning-screening and cleaning (interaction cleaning against ceilings from ground truth; the
screening picks each detector's share on validation, one seed; see
experiments/cleaning.py), and leaderboard (which only rebuilds results/README.md
from the summaries of the pages already written and the stored runs).

--plan trains nothing: it prints what the experiment still has to train and about how long
that takes. --stored_only trains nothing: it writes the page from the runs (and searches)
already stored; diagnosis and cleaning write a partial page while other commands still train,
the other experiments need every run of the page stored.
"""

from __future__ import annotations

import argparse
import os
import sys

from experiments.defaults_digest import budget_file
from experiments.design import (
    DIAGNOSIS_MODELS,
    DIAGNOSIS_ROWS,
    EXPERIMENTS,
    PAPER_MODELS,
    ROBUSTNESS_MODELS,
    robustness,
    table2,
)
from experiments.diagnosis import run_diagnosis, write_diagnosis_page
from experiments.leaderboard import write_leaderboard
from experiments.plan import plan_lines
from experiments.report import write_page
from experiments.runner import Setting, run_cells
from experiments.store import checked_results, stored_results
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import dataset_source


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m experiments",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", choices=[*EXPERIMENTS, *STAGED, "leaderboard"])
    p.add_argument("--datasets", nargs="+", default=["ml-100k"])
    p.add_argument("--data_path", help="folder holding <dataset>/ (e.g. ../shared/datasets)")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (2020, 2021, ...)")
    p.add_argument("--budget", default="cpu", help="smoke | cpu | full (properties/budgets/)")
    p.add_argument(
        "--models",
        nargs="+",
        help=f"table2 (default: {' '.join(PAPER_MODELS)}), robustness (default: "
        f"{' '.join(ROBUSTNESS_MODELS)}) and diagnosis (default: {' '.join(DIAGNOSIS_MODELS)}) "
        "only",
    )
    p.add_argument(
        "--rows",
        nargs="+",
        choices=DIAGNOSIS_ROWS,
        default=list(DIAGNOSIS_ROWS),
        metavar="ROW",
        help="diagnosis only: run only these rows (quote each; default all): "
        + "; ".join(f"'{r}'" for r in DIAGNOSIS_ROWS)
        + ". Stage 2 needs an alpha_scale=loss row; confirmation takes what ran",
    )
    p.add_argument(
        "--columns",
        nargs="+",
        metavar="COLUMN",
        help="cleaning only: train only these columns (quote each; default all), e.g. 'base' "
        "'recognizer cleaning' first, the rest later; the page still plans every column",
    )
    p.add_argument(
        "--stored_only",
        action="store_true",
        help="train nothing; write the page from the runs stored under "
        "<out>/<name>/runs/<dataset>/ (tuning: the searches stored). diagnosis and cleaning: "
        "cells without a stored run show 'not run yet', a stage whose choice lacks some of its "
        "runs is listed as pending, and the header counts the stored of the planned runs; the "
        "other experiments refuse while a run of the page is not stored",
    )
    p.add_argument(
        "--plan",
        action="store_true",
        help="train nothing: print how many of the experiment's runs are stored, to copy from "
        "other experiments and to train, and the hours the ones to train should take (the "
        "median time of stored runs of the same model and denoiser); not for diagnosis, tuning",
    )
    p.add_argument("--trials", type=int, default=16, help="tuning only: trials per search")
    p.add_argument("--out", default="results", help="results folder")
    p.add_argument("--work_dir", default="saved/experiment-data", help="run folders, injected data")
    args, extra_args = p.parse_known_args(argv)

    from recbole_atjt.config_files import parse_overrides

    extra = parse_overrides(extra_args)
    if args.plan and args.name in ("diagnosis", "tuning", "leaderboard"):
        p.error(f"--plan: not for {args.name}")
    if args.name == "leaderboard":
        print(f"wrote {write_leaderboard(args.out)}")
        return 0
    _check_arguments(args)
    seeds = [2020 + s for s in range(args.seeds)]
    budget_file(args.budget)  # an unknown budget stops here, naming the ones there are
    if args.name == "diagnosis":
        return _diagnosis(args, seeds, extra)
    if args.name == "tuning":
        return _tuning(args, seeds, extra)
    if args.name in CLEANING:
        return _cleaning(args, seeds, extra)
    for dataset in args.datasets:
        cells = _cells(args, dataset)
        setting = _setting(args, dataset, seeds, extra)
        if args.plan:
            print("\n".join(plan_lines(args.name, cells, setting)), end="\n\n")
            continue
        results = (
            _stored_page_runs(args.name, cells, setting)
            if args.stored_only
            else run_cells(args.name, cells, setting)
        )
        page = f"{args.out}/{args.name}/{dataset}.md"
        write_page(page, args.name, cells, results, setting)
        print(f"wrote {page}")
    if not args.plan:
        write_leaderboard(args.out)
    return 0


def _stored_page_runs(name: str, cells: list, setting: Setting) -> dict:
    """Every run of the page, read from the store; refused while one is not stored."""
    results = checked_results(
        setting.out_dir,
        name,
        cells,
        setting.dataset,
        setting.seeds,
        setting.budget,
        setting.extra,
    )
    planned = len(cells) * len(setting.seeds)
    if len(results) < planned:
        raise SystemExit(
            f"error: --stored_only: {name} on {setting.dataset}: {planned - len(results)} of "
            f"its {planned} runs are not stored; run it without --stored_only to train them"
        )
    return results


CLEANING = ("cleaning-screening", "cleaning")
STAGED = ("diagnosis", "tuning", *CLEANING)


def _experiment_models(name: str) -> tuple[str, ...]:
    """The models experiment ``name`` trains, of which ``--models`` picks some (none: the
    experiment takes no --models)."""
    from experiments import cleaning

    return {
        "table2": PAPER_MODELS,
        "robustness": ROBUSTNESS_MODELS,
        "diagnosis": DIAGNOSIS_MODELS,
        "cleaning-screening": cleaning.SCREENING_MODELS,
        "cleaning": cleaning.MODELS,
    }.get(name, ())


def _cleaning_columns(name: str) -> list[str]:
    """Every column the cleaning experiment ``name`` can train, in its order."""
    from experiments import cleaning

    if name == "cleaning-screening":
        return list(dict.fromkeys(c.column for c in cleaning.screening()))
    return list(cleaning.ALL_COLUMNS)


def _check_arguments(args: argparse.Namespace) -> None:
    """Refuse, before anything is written or trained, what the command cannot honour."""
    if args.seeds < 1:
        raise SystemExit(f"error: --seeds: got {args.seeds}; allowed: an integer >= 1")
    if args.name == "tuning" and args.trials < 1:
        raise SystemExit(f"error: --trials: got {args.trials}; allowed: an integer >= 1")
    models = _experiment_models(args.name)
    if args.models and not models:
        raise SystemExit(
            f"error: --models: {args.name} runs its own models; allowed: --models with "
            "table2, robustness, diagnosis, cleaning-screening or cleaning only"
        )
    for model in args.models or ():
        if model not in models:
            raise SystemExit(
                f"error: --models: got {model!r}; allowed: models of {args.name}: "
                f"{' '.join(models)}"
            )
    if args.columns and args.name not in CLEANING:
        raise SystemExit(
            f"error: --columns: {args.name} trains every column; allowed: --columns with "
            "cleaning-screening or cleaning only"
        )
    for column in args.columns or ():
        if column not in _cleaning_columns(args.name):
            raise SystemExit(
                f"error: --columns: got {column!r}; allowed: columns of {args.name}: "
                + "; ".join(f"'{c}'" for c in _cleaning_columns(args.name))
            )
    if args.plan or args.stored_only:
        return  # they read stored runs only, not the datasets
    for dataset in args.datasets:
        try:
            folder = dataset_source(dataset, args.data_path)
        except ATJTError as exc:
            raise SystemExit(f"error: --datasets: {exc}") from None
        inter = os.path.join(folder, dataset, f"{dataset}.inter")
        if dataset != "ml-100k" and not os.path.isfile(inter):  # ml-100k: RecBole's copy
            raise SystemExit(
                f"error: --datasets: got {dataset!r}; allowed: a dataset of --data_path "
                f"{folder} (no interaction file {inter})"
            )


def _cleaning(args: argparse.Namespace, seeds: list[int], extra: dict) -> int:
    """The screening of the cleaning settings (one seed), or the cleaning experiment with the
    settings the screening on ml-100k chose; pages from every stored run."""
    from experiments import cleaning
    from experiments.cleaning_page import write_cleaning_page
    from experiments.cleaning_screening_page import write_screening_page

    def of_models(cells):
        return [
            c
            for c in cells
            if (not args.models or c.model in args.models)
            and (not args.columns or c.column in args.columns)
        ]

    chosen = cleaning.chosen_settings(cleaning.stored_screening(args.out))
    for dataset in args.datasets:
        if args.name == "cleaning-screening":
            cells = cleaning.screening()
            setting = _setting(args, dataset, list(cleaning.SCREENING_SEEDS), extra)
        else:
            cells = cleaning.cells_for(dataset, chosen)
            setting = _setting(args, dataset, seeds, extra)
        if args.plan:
            print("\n".join(plan_lines(args.name, of_models(cells), setting)), end="\n\n")
            continue
        if not args.stored_only:
            run_cells(args.name, of_models(cells), setting, keep_failures=True)
        page = f"{args.out}/{args.name}/{dataset}.md"
        os.makedirs(os.path.dirname(page), exist_ok=True)
        results = stored_results(args.out, args.name, cells, dataset, setting.seeds)
        if args.name == "cleaning-screening":
            write_screening_page(page, cells, results, setting)
        else:
            screening_page = f"../cleaning-screening/{cleaning.SCREENING_DATASET}.md"
            write_cleaning_page(page, cells, results, setting, chosen, screening_page)
        print(f"wrote {page}")
    if not args.plan:  # a plan writes nothing
        write_leaderboard(args.out)
    return 0


def _cells(args: argparse.Namespace, dataset: str) -> list:
    """The experiment's cells on ``dataset``; tuned columns take the stored searches'
    parameters (``tuning``) and are left out until those are stored."""
    from experiments.tuning import tuned_overrides

    def tuned(model: str, method: str) -> dict | None:
        return tuned_overrides(args.out, dataset, model, method)

    if args.name == "table2":
        return table2(tuple(args.models or PAPER_MODELS), tuned)
    if args.name == "robustness":
        return robustness(tuple(args.models or ROBUSTNESS_MODELS), tuned)
    return EXPERIMENTS[args.name]()


def _setting(args: argparse.Namespace, dataset: str, seeds: list[int], extra: dict) -> Setting:
    return Setting(dataset, seeds, args.budget, args.out, args.data_path, args.work_dir, extra)


def _diagnosis(args: argparse.Namespace, seeds: list[int], extra: dict) -> int:
    models = tuple(args.models or DIAGNOSIS_MODELS)
    for dataset in args.datasets:
        setting = _setting(args, dataset, seeds, extra)
        d = run_diagnosis(
            setting, models=models, rows=tuple(args.rows), stored_only=args.stored_only
        )
        page = f"{args.out}/diagnosis/{dataset}.md"
        write_diagnosis_page(page, d, setting)
        partial = f" ({len(d.results)} of {d.planned_runs} planned runs stored)"
        print(f"wrote {page}" + (partial if args.stored_only else ""))
    write_leaderboard(args.out)
    return 0


def _tuning(args: argparse.Namespace, seeds: list[int], extra: dict) -> int:
    from experiments.tuning import run_searches
    from experiments.tuning_page import write_tuning_page

    for dataset in args.datasets:
        if not args.stored_only:
            run_searches(_setting(args, dataset, seeds, extra), args.trials)
        page = f"{args.out}/tuning/{dataset}.md"
        if write_tuning_page(page, args.out, dataset):
            print(f"wrote {page}")
    write_leaderboard(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
