"""Command line of run_recbole_atjt.py: our flags via argparse, the rest as RecBole keys."""

from __future__ import annotations

import argparse
import ast
import sys
from typing import Any

from recbole_atjt.paths import PROPERTIES_DIR


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="run_recbole_atjt.py",
        description="Train a RecBole model with ATJT (or another denoise mode) and report "
        "AUC, HR@5 and NDCG@5. Any other --key=value is passed to RecBole's config.",
    )
    p.add_argument("--model", default="SASRec", help="RecBole model name (default: SASRec)")
    p.add_argument("--dataset", default="ml-100k", help="dataset name (default: ml-100k)")
    p.add_argument("--denoise", help="none | atjt | dnr | wat (default from properties: atjt)")
    p.add_argument("--config_files", help="YAML config files, separated by spaces or commas")
    p.add_argument("--data_path", help="folder that holds <dataset>/<dataset>.inter")
    p.add_argument(
        "--preset",
        help="settings file under properties/ (e.g. 'quick') layered below your config files; "
        "'none' for none. Default: 'quick' without --config_files, else none",
    )
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p


def _value(text: str) -> Any:
    """RecBole-style conversion of a command-line value."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "~", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_overrides(extra: list[str]) -> dict[str, Any]:
    """Turn ``--key=value`` arguments into a config dict; anything else is an error."""
    overrides: dict[str, Any] = {}
    for arg in extra:
        if not arg.startswith("--") or "=" not in arg:
            raise SystemExit(f"error: unrecognised argument '{arg}'; allowed: --key=value")
        key, text = arg[2:].split("=", 1)
        overrides[key] = _value(text)
    return overrides


def build_run_arguments(argv: list[str]) -> tuple[dict[str, Any], bool]:
    """(keyword arguments of :func:`recbole_atjt.run`, debug flag) from the command line."""
    args, extra = _parser().parse_known_args(argv)
    overrides = parse_overrides(extra)
    for key in ("denoise", "data_path"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    files = args.config_files.replace(",", " ").split() if args.config_files else []
    preset = args.preset or ("none" if files else "quick")
    if preset != "none":
        preset_file = PROPERTIES_DIR / f"{preset}.yaml"
        if not preset_file.is_file():
            raise SystemExit(f"error: --preset '{preset}': no file {preset_file}")
        files = [str(preset_file), *files]
    run_kwargs = {
        "model": args.model,
        "dataset": args.dataset,
        "config_file_list": files or None,
        "config_dict": overrides,
    }
    return run_kwargs, args.debug


def main(argv: list[str] | None = None) -> int:
    run_kwargs, debug = build_run_arguments(sys.argv[1:] if argv is None else argv)
    from recbole_atjt.quick_start import run  # heavy imports after argument checks
    from recbole_atjt.run_dir import metrics_table

    try:
        results = run(**run_kwargs)
    except Exception as exc:  # one line for users; --debug for the traceback
        if debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(metrics_table(results))
    print(f"results: {results['run_dir']}/results.json")
    return 0
