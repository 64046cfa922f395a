"""Command line of run_recbole_atjt.py: our flags via argparse, the rest as RecBole keys."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from recbole_atjt.config_files import NO_PRESET, parse_overrides, read_config_file, run_inputs
from recbole_atjt.errors import ATJTError
from recbole_atjt.keys import KEYS, choices_text


def keys_help() -> str:
    """The help's closing list of our keys, from the key table: what each allows, its
    default."""
    lines = ["recbole_atjt keys (--key=value; docs/usage.md describes each):"]
    lines += [
        f"  {k.name}: {k.rule.allowed} (default {'~' if k.default is None else k.default})"
        for k in KEYS.values()
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run_recbole_atjt.py",
        description="Train a RecBole model with ATJT (or another denoise mode) and report "
        "AUC, HR@5 and NDCG@5.\nAny other --key=value is passed to RecBole's config.",
        epilog=keys_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", help="RecBole model name (default: from --config_files, else SASRec)")
    p.add_argument("--dataset", help="dataset name (default: from --config_files, else ml-100k)")
    p.add_argument(
        "--denoise",
        help=f"{choices_text('denoise')} (default: {KEYS['denoise'].default}; docs/modes.md)",
    )
    p.add_argument(
        "--interaction_cleaning",
        help=f"{choices_text('interaction_cleaning')}: remove the training interactions a "
        "detector judges noisy before training "
        f"(default: {KEYS['interaction_cleaning'].default}; docs/cleaning.md)",
    )
    p.add_argument("--config_files", help="YAML config files, separated by spaces or commas")
    p.add_argument("--data_path", help="folder that holds <dataset>/<dataset>.inter")
    p.add_argument(
        "--preset",
        help="settings file under properties/ (e.g. 'quick') layered below your config files; "
        "'none' for none. Default: 'quick' without --config_files, else none",
    )
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    p.add_argument("--evaluate", metavar="CHECKPOINT", help="score a saved checkpoint, no training")
    tuning = p.add_argument_group("tuning (Ray Tune; see docs/tuning.md)")
    tuning.add_argument(
        "--tune", metavar="SPACE", help="search-space file, e.g. properties/search/atjt.yaml"
    )
    tuning.add_argument("--num_samples", type=int, default=8, help="trials to sample (default 8)")
    tuning.add_argument("--tune_dir", help="search folder (trials.csv, best.yaml, Ray state)")
    p.add_argument(
        "--resume",
        nargs="?",
        const=True,
        metavar="PATH",
        help="continue a killed run from a checkpoint or run folder; with --tune, resume the "
        "search in PATH (default: --tune_dir)",
    )
    tuning.add_argument("--ray_address", help="address of an existing Ray cluster (default: local)")
    tuning.add_argument(
        "--cpus_per_trial", type=float, default=1, help="CPUs per trial (default 1)"
    )
    tuning.add_argument(
        "--gpus_per_trial", type=float, default=0, help="GPUs per trial (default 0)"
    )
    tuning.add_argument("--max_failures", type=int, default=2, help="retries of a failing trial")
    return p


def build_run_arguments(argv: list[str]) -> tuple[dict[str, Any], argparse.Namespace]:
    """(keyword arguments of :func:`recbole_atjt.run`, our parsed flags) from the command line:
    the model, dataset and files as ``run()`` resolves them (:func:`run_inputs`), the preset
    already applied."""
    args, extra = _parser().parse_known_args(argv)
    overrides = parse_overrides(extra)
    for key in ("denoise", "interaction_cleaning", "data_path"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    files = args.config_files.replace(",", " ").split() if args.config_files else []
    for path in files:
        try:
            read_config_file(path)
        except ATJTError as exc:
            raise SystemExit(f"error: --config_files: {exc}") from None
    try:
        inputs = run_inputs(args.model, args.dataset, files, args.preset)
    except ATJTError as exc:
        raise SystemExit(f"error: {exc}") from None
    run_kwargs = {
        **inputs._asdict(),
        "config_dict": overrides,
        "preset": NO_PRESET,  # applied above: the files hold it
    }
    return run_kwargs, args


def _train(run_kwargs: dict[str, Any]) -> None:
    from recbole_atjt.cleaning.run import describe as cleaning_lines
    from recbole_atjt.detection import describe
    from recbole_atjt.quick_start import run
    from recbole_atjt.run_dir import metrics_table

    results = run(**run_kwargs)
    print(metrics_table(results))
    for line in cleaning_lines(results):
        print(line)
    for line in describe(results):  # a denoised run's detection figures, not only in the file
        print(line)
    print(f"results: {results['run_dir']}/results.json")


def _evaluate(path: str) -> None:
    from recbole_atjt.evaluate import evaluate_checkpoint
    from recbole_atjt.run_dir import metrics_table

    print(metrics_table({"test": evaluate_checkpoint(path)}))


def _search(run_kwargs: dict[str, Any], args: argparse.Namespace) -> None:
    from recbole_atjt.tune import search

    tune_dir = args.resume if isinstance(args.resume, str) else args.tune_dir
    if not tune_dir:
        raise SystemExit("error: --tune_dir: required for a search (or --resume=DIR)")
    best = search(
        run_kwargs["model"],
        run_kwargs["dataset"],
        args.tune,
        tune_dir,
        num_samples=args.num_samples,
        config_file_list=run_kwargs["config_file_list"],
        config_dict=run_kwargs["config_dict"],
        resume=bool(args.resume),
        ray_address=args.ray_address,
        cpus_per_trial=args.cpus_per_trial,
        gpus_per_trial=args.gpus_per_trial,
        max_failures=args.max_failures,
    )
    import ray

    ray.shutdown()  # its log monitor forwards trial output no more: the summary comes last
    print(f"best parameters: {best['params']}")
    print(f"best validation: {best['valid']}")
    print(f"test of the best trial: {best['test']}")
    print(f"trials: {tune_dir}/trials.csv, best config: {tune_dir}/best.yaml")


def _refuse_settings_beside_a_stored_run(run_kwargs: dict[str, Any], args) -> None:
    """--evaluate and --resume (without --tune) take every setting from the checkpoint: any
    other setting given with them would be ignored, so it stops the command instead."""
    flag = "--evaluate" if args.evaluate else "--resume" if args.resume and not args.tune else None
    if flag is None:
        return
    given = [f"--{k}" for k in ("model", "dataset", "config_files", "preset") if getattr(args, k)]
    given += [f"--{key}" for key in run_kwargs["config_dict"]]
    if given:
        raise SystemExit(
            f"error: {flag}: got also {', '.join(given)}; allowed: {flag} alone (the run's "
            "saved config decides every setting; start a new run to change one)"
        )


def main(argv: list[str] | None = None) -> int:
    run_kwargs, args = build_run_arguments(sys.argv[1:] if argv is None else argv)
    _refuse_settings_beside_a_stored_run(run_kwargs, args)
    try:
        if args.evaluate:
            _evaluate(args.evaluate)
        elif args.tune:
            _search(run_kwargs, args)
        elif args.resume:
            if not isinstance(args.resume, str):
                raise SystemExit("error: --resume: give the checkpoint or run folder to continue")
            _train({"resume": args.resume})
        else:
            _train(run_kwargs)
    except Exception as exc:  # one line for users; --debug for the traceback
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0
