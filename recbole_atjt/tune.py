"""Ray Tune search over ATJT's hyperparameters.

Each trial is one :func:`recbole_atjt.run` with validation only: it reports
the validation metrics after every epoch (ASHA stops weak trials early) and
never touches the test set. After the search, the best trial's best
checkpoint is scored on the test set once, and the search folder gets
``trials.csv`` (one row per trial) and ``best.yaml`` (a config file that
``run_recbole_atjt.py --config_files=DIR/best.yaml`` retrains).

Search-space files (``properties/search/*.yaml``) map a config key to one of

    key: {choice: [v1, v2, ...]}      # one of the values
    key: {uniform: [low, high]}       # a float, uniform in [low, high]
    key: {loguniform: [low, high]}    # a float, log-uniform in [low, high] (bounds as values)
    key: {randint: [low, high]}       # an integer in [low, high)
    key: {grid: [v1, v2, ...]}        # every value (each sample is crossed with the grid)
    key: value                        # fixed for every trial
"""

from __future__ import annotations

import csv
import glob
import logging
import os
from typing import Any

import yaml

from recbole_atjt.compat import set_numpy_aliases
from recbole_atjt.config import ATJTConfig
from recbole_atjt.data.preparation import check_inputs
from recbole_atjt.errors import ATJTError
from recbole_atjt.evaluate import evaluate_checkpoint
from recbole_atjt.modes import MODE_SPECIFIC_KEYS, mode
from recbole_atjt.quick_start import run

SAMPLERS = ("choice", "uniform", "loguniform", "randint", "grid")
EXPERIMENT = "search"
PARAM_PREFIX = "config/"
# Ray 2.6.3 imports pkg_resources, whose deprecation warning each Ray process would print.
RAY_WORKER_WARNINGS = "ignore:pkg_resources is deprecated:UserWarning"


def load_search_space(path: str) -> dict[str, Any]:
    """Read a search-space file into Ray Tune sampling objects (see the module docstring)."""
    from ray import tune

    try:
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f) or {}
    except OSError as exc:
        raise ATJTError(f"--tune: cannot read search-space file {path}: {exc.strerror}") from None
    if not isinstance(raw, dict) or not raw:
        raise ATJTError(f"--tune: {path} must map config keys to search domains")
    space: dict[str, Any] = {}
    for key, domain in raw.items():
        if not isinstance(domain, dict):
            space[key] = domain
            continue
        if len(domain) != 1 or next(iter(domain)) not in SAMPLERS:
            raise ATJTError(
                f"--tune: {path}, key '{key}': got {domain!r}; allowed: one of "
                f"{list(SAMPLERS)} with its arguments, or a fixed value"
            )
        kind, args = next(iter(domain.items()))
        if kind in ("choice", "grid"):
            if not isinstance(args, list) or not args:
                raise ATJTError(f"--tune: {path}, key '{key}': {kind} needs a non-empty list")
            space[key] = tune.choice(args) if kind == "choice" else tune.grid_search(args)
        else:
            if not isinstance(args, list) or len(args) != 2 or not args[0] < args[1]:
                raise ATJTError(
                    f"--tune: {path}, key '{key}': {kind} needs [low, high], low < high"
                )
            space[key] = getattr(tune, kind)(*args)
    return space


def _absolute(config_dict: dict[str, Any], files: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Trials run in their own folders: make every path absolute."""
    settings = dict(config_dict)
    for key in ("data_path", "pre_model_path"):
        if settings.get(key):
            settings[key] = os.path.abspath(settings[key])
    return settings, [os.path.abspath(f) for f in files]


def _trial(
    params: dict[str, Any], model: str, dataset: str, files: list[str], base: dict, metric: str
) -> None:
    """One trial: train with validation only, reporting after every epoch."""
    from ray.air import session

    cpus = int(session.get_trial_resources().required_resources.get("CPU", 1))
    settings = {
        **base,
        **params,
        "run_dir": session.get_trial_dir(),
        "show_progress": False,
        "torch_threads": max(cpus, 1),
    }

    def report(epoch: int, metrics: dict[str, float], checkpoint: str | None) -> None:
        session.report(
            {"valid_score": metrics[metric], "epoch": epoch, "checkpoint": checkpoint, **metrics}
        )

    run(model, dataset, files, settings, epoch_callback=report, evaluate_test=False)


def search(
    model: str,
    dataset: str,
    space_file: str,
    tune_dir: str,
    num_samples: int = 8,
    config_file_list: list[str] | None = None,
    config_dict: dict[str, Any] | None = None,
    resume: bool = False,
    ray_address: str | None = None,
    cpus_per_trial: float = 1,
    gpus_per_trial: float = 0,
    max_failures: int = 2,
    sample_seed: int | None = None,
) -> dict[str, Any]:
    """Run (or resume) a search; returns the best trial's parameters and metrics.

    ``sample_seed`` fixes the sampled points: two searches of one space with the same seed
    try the same parameters (a paired comparison of what they fix differently).
    """
    import ray
    from ray import air, tune
    from ray.tune.schedulers import ASHAScheduler
    from ray.tune.search.basic_variant import BasicVariantGenerator

    tune_dir = os.path.abspath(tune_dir)
    base, files = _absolute(config_dict or {}, config_file_list or [])
    space = load_search_space(space_file)
    # Every fixed key, and every value the space can take at its edges, is checked before Ray
    # starts: each choice and grid value and both ends of each range.
    point = _one_sample(space)
    probe = ATJTConfig(model, dataset, files, {**base, **point})
    check_inputs(probe)
    for key, value in _edge_values(space):
        try:
            ATJTConfig(model, dataset, files, {**base, **point, key: value})
        except ATJTError as exc:
            raise ATJTError(f"--tune: key '{key}' can take {value!r}, which fails: {exc}") from None
    _check_keys_matter(space, probe["denoise"])
    epochs = probe["epochs"]

    _quiet_ray_processes()
    ray.init(
        address=ray_address,
        include_dashboard=False,
        ignore_reinit_error=True,
        logging_level=logging.WARNING,
        runtime_env={
            "worker_process_setup_hook": set_numpy_aliases,
            "env_vars": {"PYTHONWARNINGS": os.environ["PYTHONWARNINGS"]},  # on a cluster too
        },
    )
    trainable = tune.with_resources(
        tune.with_parameters(
            _trial,
            model=model,
            dataset=dataset,
            files=files,
            base=base,
            metric=probe["valid_metric"].lower(),
        ),
        {"cpu": cpus_per_trial, "gpu": gpus_per_trial},
    )
    experiment = os.path.join(tune_dir, EXPERIMENT)
    if resume:
        if not tune.Tuner.can_restore(experiment):
            raise ATJTError(f"--resume: no search to resume in {tune_dir}")
        tuner = tune.Tuner.restore(experiment, trainable, resume_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            tune_config=tune.TuneConfig(
                metric="valid_score",
                mode="max",
                num_samples=num_samples,
                search_alg=BasicVariantGenerator(random_state=sample_seed),
                scheduler=ASHAScheduler(max_t=epochs, grace_period=1),
                trial_name_creator=_trial_name,
                trial_dirname_creator=_trial_name,
            ),
            run_config=air.RunConfig(
                name=EXPERIMENT,
                storage_path=tune_dir,
                failure_config=air.FailureConfig(max_failures=max_failures),
                verbose=1,
            ),
        )
    grid = tuner.fit()
    rows = [_row(result, list(space)) for result in grid]
    _write_trials(os.path.join(tune_dir, "trials.csv"), rows, list(space))
    if any(r["status"] == "INTERRUPTED" for r in rows):
        raise ATJTError(
            f"search interrupted before every trial finished; resume it with --resume={tune_dir}"
        )
    finished = [
        r for r in rows if r["status"] == "TERMINATED" and r["best_valid_score"] is not None
    ]
    if not finished:
        raise ATJTError(f"no trial of the search in {tune_dir} finished; see {experiment}")
    best = max(finished, key=lambda r: r["best_valid_score"])
    best_config = {"model": model, "dataset": dataset, **base, **best["params"]}
    best_config["torch_threads"] = best["torch_threads"]
    best_config.setdefault("seed", probe["seed"])
    best_config.pop("run_dir", None)
    test = evaluate_checkpoint(best["checkpoint"])
    _write_best(os.path.join(tune_dir, "best.yaml"), best_config, files, best, test)
    return {
        "params": best["params"],
        "valid": best["valid"],
        "test": test,
        "checkpoint": best["checkpoint"],
        "trials": rows,
    }


def _quiet_ray_processes() -> None:
    """Ray's processes (the raylet and its workers inherit this one's environment) import Ray,
    which imports pkg_resources and warns before any hook of ours runs: filter it there."""
    current = os.environ.get("PYTHONWARNINGS", "")
    if RAY_WORKER_WARNINGS not in current:
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [current, RAY_WORKER_WARNINGS]))


def _check_keys_matter(space: dict[str, Any], denoise: str) -> None:
    """Refuse to search a mode-specific key that no mode of the search reads."""
    modes = [mode(name) for name in _values(space.get("denoise"), denoise)]
    searched = [k for k, v in space.items() if hasattr(v, "sample") or isinstance(v, dict)]
    read = {k for m in modes for k in m.keys}
    ignored = [k for k in searched if k in MODE_SPECIFIC_KEYS and k not in read]
    if ignored:
        names = "/".join(m.name for m in modes)
        raise ATJTError(
            f"--tune: key '{ignored[0]}' has no effect with denoise '{names}'; allowed: "
            f"keys those modes read {sorted(read)} or the base model's"
        )


def _values(domain: Any, default: str) -> list[str]:
    """Every value a search domain of ``denoise`` takes (the run's own when not searched)."""
    if isinstance(domain, dict) and "grid_search" in domain:
        return [str(v).lower() for v in domain["grid_search"]]
    if hasattr(domain, "categories"):
        return [str(v).lower() for v in domain.categories]
    return [str(domain if isinstance(domain, str) else default).lower()]


def _trial_name(trial) -> str:
    return f"trial_{trial.trial_id}"


def _one_sample(space: dict[str, Any]) -> dict[str, Any]:
    """One point of the space (the first grid value), to check the keys up front."""
    point = {}
    for key, domain in space.items():
        if hasattr(domain, "sample"):
            point[key] = domain.sample()
        elif isinstance(domain, dict) and "grid_search" in domain:
            point[key] = domain["grid_search"][0]
        else:
            point[key] = domain
    return point


def _edge_values(space: dict[str, Any]) -> list[tuple[str, Any]]:
    """(key, value) for every value a choice or grid can take and both ends of each range."""
    edges = []
    for key, domain in space.items():
        if isinstance(domain, dict) and "grid_search" in domain:
            values = list(domain["grid_search"])
        elif hasattr(domain, "categories"):
            values = list(domain.categories)
        elif hasattr(domain, "lower") and hasattr(domain, "upper"):
            integer = type(domain).__name__ == "Integer"  # randint's upper end is excluded
            values = [domain.lower, domain.upper - 1 if integer else domain.upper]
        else:
            values = []
        edges += [(key, value) for value in values]
    return edges


def _row(result, keys: list[str]) -> dict[str, Any]:
    """One trial: its parameters, best validation metrics, epochs run, status."""
    params = {k: (result.config or {}).get(k) for k in keys}
    history = result.metrics_dataframe
    row: dict[str, Any] = {"trial": os.path.basename(result.path), "params": params}
    if history is None or history.empty or "valid_score" not in history:
        status = "ERROR" if result.error else "INTERRUPTED"
        row.update(status=status, best_valid_score=None, epochs=0, valid={}, checkpoint=None)
        return row
    best = history.loc[history["valid_score"].idxmax()]
    checkpoint = best.get("checkpoint")  # the best epoch's, as the trial reported it
    metric_names = [c for c in history.columns if "@" in c or c == "gauc"]
    row.update(
        status="ERROR" if result.error else _status(result),
        best_valid_score=float(best["valid_score"]),
        epochs=int(history["epoch"].max()) + 1,
        valid={m: float(best[m]) for m in metric_names},
        checkpoint=checkpoint if isinstance(checkpoint, str) else None,
        torch_threads=None,
    )
    config_files = glob.glob(os.path.join(result.path, "*", "config.yaml"))
    if config_files:
        with open(config_files[0], encoding="utf-8") as f:
            saved = yaml.safe_load(f) or {}  # empty while an interrupted trial writes it
        row["torch_threads"] = saved.get("torch_threads")
    return row


def _status(result) -> str:
    """TERMINATED: finished or stopped early by ASHA; INTERRUPTED: the search was stopped."""
    return "TERMINATED" if (result.metrics or {}).get("done") else "INTERRUPTED"


def _write_trials(path: str, rows: list[dict[str, Any]], keys: list[str]) -> None:
    metric_names = sorted({m for r in rows for m in r["valid"]})
    header = [
        "trial",
        "status",
        "epochs",
        "best_valid_score",
        *keys,
        *(f"valid_{m}" for m in metric_names),
    ]
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for r in rows:
            writer.writerow(
                [
                    r["trial"],
                    r["status"],
                    r["epochs"],
                    r["best_valid_score"],
                    *(r["params"][k] for k in keys),
                    *(r["valid"].get(m) for m in metric_names),
                ]
            )


def _write_best(path: str, config: dict, files: list[str], best: dict, test: dict) -> None:
    """A config file that retrains the best trial (file settings inlined)."""
    merged: dict[str, Any] = {}
    for file in files:
        with open(file, encoding="utf-8") as f:
            merged.update(yaml.safe_load(f) or {})
    merged.update(config)
    header = (
        f"# Best trial {best['trial']} of the search in {os.path.dirname(path)}\n"
        f"# validation: {best['valid']}\n# test (evaluated once, for this trial only): {test}\n"
        "# Retrain: python run_recbole_atjt.py --config_files=" + path + "\n"
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        yaml.safe_dump(merged, f, sort_keys=True)
