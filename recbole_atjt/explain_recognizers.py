"""python -m recbole_atjt.explain_recognizers RUN_DIR: what a finished run's noise
recognizers do, explained on a page in the run folder.

Loads the recognizers and the base model of a run folder, rebuilds its data and
its (seeded) user-disjoint groups, and writes ``RUN_DIR/recognizers-explained.md``
with PNGs beside it:

* the eval-mode weight of each training sequence (under its own group's
  recognizer) against the base model's unweighted loss of that sequence, the
  training count of its target item and the length of its history;
* eval-mode vs train-mode (dropout on) outputs of each recognizer on its own
  group (the sequences it weights, never its auxiliary data) and on the other
  groups (its auxiliary data, in modes with an auxiliary task);
* the own-task AUC (corrupted vs original copies of each group's sequences),
  beside the value the run stored in ``results.json``;
* with a ground-truth ``<dataset>.noise`` file, the noise-detection figures.

The numbers come from ``recognizer_measures`` (an :class:`Explanation`), the
page from ``recognizer_page``, the figures from ``recognizer_plots``.
``python -m recbole_atjt.diagnose`` is the same command under its former name.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

import torch

from recbole_atjt import detection
from recbole_atjt.compat import load_checkpoint
from recbole_atjt.data.groups import GroupedTrainData
from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import MODES
from recbole_atjt.recognizer_measures import (
    Explanation,
    RunDescription,
    feature_effects,
    ground_truth_detection,
    loss_sample,
    mode_outputs,
    own_group_outputs,
    summarize_outputs,
)
from recbole_atjt.recognizer_page import DETECTION_PNG, FEATURES_PNG, MODES_PNG, PAGE, page_lines
from recbole_atjt.recognizer_plots import plot_modes, plot_weight_against, plot_weights
from recbole_atjt.threads import torch_threads
from recbole_atjt.trainer.denoiser import Denoiser
from recbole_atjt.wiring import data_and_model

MODES_WITH_RECOGNIZERS = tuple(name for name, m in MODES.items() if m.uses_recognizers)

# ---- loading a run -------------------------------------------------------------


@dataclass
class LoadedRun:
    run_dir: str
    checkpoint_file: str
    checkpoint: dict[str, Any]
    results: dict[str, Any]
    config: Any
    train_data: Any
    model: torch.nn.Module
    denoiser: Denoiser


def find_checkpoint(run_dir: str, which: str, results: dict[str, Any]) -> str:
    """``best`` (results.json's checkpoint), ``latest`` or a path to a .pth file."""
    if which not in ("best", "latest"):
        path = which
    elif which == "latest":
        path = os.path.join(run_dir, f"{results.get('model')}-latest.pth")
    else:
        # inside the folder, where the run wrote it (the folder may have been moved or copied)
        path = os.path.join(run_dir, os.path.basename(results.get("checkpoint") or ""))
    if not os.path.isfile(path):
        raise ATJTError(f"--checkpoint: no checkpoint file {path}; allowed: best, latest or a path")
    if os.path.realpath(os.path.dirname(os.path.abspath(path))) != os.path.realpath(run_dir):
        # the page goes into run_dir, beside that run's results.json
        raise ATJTError(
            f"--checkpoint: got {which!r}, a file outside the run folder {run_dir}; allowed: "
            "best, latest or a .pth file of that run (in its folder)"
        )
    return path


def load_run(run_dir: str, which: str = "best") -> LoadedRun:
    """The run's recognizers, base model, data and groups, rebuilt as in training."""
    results_file = os.path.join(run_dir, "results.json")
    if not os.path.isfile(results_file):
        raise ATJTError(f"{run_dir} is not a finished run folder (no results.json)")
    with open(results_file, encoding="utf-8") as f:
        results = json.load(f)
    path = find_checkpoint(run_dir, which, results)
    checkpoint = load_checkpoint(path, map_location="cpu")
    if not isinstance(checkpoint, dict) or "config" not in checkpoint:
        raise ATJTError(f"{path} is not a recbole_atjt training checkpoint")
    config = checkpoint["config"]
    if checkpoint.get("atjt") is None:
        raise ATJTError(
            f"run {run_dir} (denoise: {config['denoise']}) has no noise recognizers; "
            f"allowed: a run folder of denoise {', '.join(MODES_WITH_RECOGNIZERS)}"
        )
    if torch.device(config["device"]).type == "cuda" and not torch.cuda.is_available():
        config["device"] = torch.device("cpu")
    torch.set_num_threads(torch_threads(config["torch_threads"]))
    _, train_data, _, _, model = data_and_model(config)
    model.load_state_dict(checkpoint["state_dict"])
    model.load_other_parameter(checkpoint.get("other_parameter"))
    model.eval()
    groups = GroupedTrainData(
        train_data,
        config["atjt_groups"],
        config["seed"],
        config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"],
        config["ITEM_ID_FIELD"],
        config["device"],
    )
    denoiser = Denoiser(config, groups)
    # the recognizers only: the training RNG states may come from another device type
    denoiser.recognizers.load_state_dict(checkpoint["atjt"]["recognizers"])
    return LoadedRun(run_dir, path, checkpoint, results, config, train_data, model, denoiser)


# ---- measuring, then writing ----------------------------------------------------


def explain(
    run: LoadedRun, max_batches: int, max_sequences: int, show_progress: bool
) -> Explanation:
    """Every measurement of the run's recognizers, always in this order so that a page is
    reproducible (the train-mode dropout masks are seeded; later steps may draw from the
    random states the earlier ones leave)."""
    config, denoiser, results = run.config, run.denoiser, run.results
    own_eval = own_group_outputs(denoiser)
    outputs = mode_outputs(denoiser, own_eval, max_sequences, config["seed"])
    sample = loss_sample(run.model, denoiser, run.train_data, config, max_batches, show_progress)
    features = feature_effects(sample)
    own_task = detection.corruption_weights(denoiser, config)
    found = ground_truth_detection(config, run.train_data, own_eval)
    description = RunDescription(
        name=os.path.basename(os.path.abspath(run.run_dir)),
        model=config["model"],
        dataset=config["dataset"],
        denoise=config["denoise"],
        groups=denoiser.n_groups,
        seed=config["seed"],
        weight_norm=config["weight_norm"],
        recognizer_mode=config["recognizer_mode"],
        checkpoint=os.path.basename(run.checkpoint_file),
        checkpoint_epoch=run.checkpoint.get("epoch"),
        last_epoch=(results.get("epochs_run") or 0) - 1,
        sequences=len(own_eval),
    )
    return Explanation(
        run=description,
        own_task=own_task,
        stored_own_task=results.get("corruption_weights"),
        max_sequences=max_sequences,
        outputs=outputs,
        output_summaries=summarize_outputs(outputs),
        max_batches=max_batches,
        weight=sample["weight"],
        features=features,
        own_weights=own_eval,
        ground_truth_file=detection.ground_truth_path(config),
        detection=found,
    )


def write_figures(e: Explanation, run_dir: str) -> None:
    """The PNGs the page shows, into ``run_dir``."""
    title = f"{e.run.model} on {e.run.dataset} ({e.run.denoise})"
    pooled = {(split, mode): v for (k, split, mode), v in e.outputs.items() if k == "all"}
    plot_modes(os.path.join(run_dir, MODES_PNG), pooled, title)
    plot_weight_against(os.path.join(run_dir, FEATURES_PNG), e.weight, e.features, title)
    if e.detection is not None:
        found = e.detection
        path = os.path.join(run_dir, DETECTION_PNG)
        plot_weights(path, e.own_weights, found.share, found.target_noisy, title)


def write_page(run: LoadedRun, max_batches: int, max_sequences: int, show_progress: bool) -> str:
    """Measure everything, write the PNGs and the page; returns the page's path."""
    explanation = explain(run, max_batches, max_sequences, show_progress)
    write_figures(explanation, run.run_dir)
    path = os.path.join(run.run_dir, PAGE)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(page_lines(explanation)) + "\n")
    return path


def main(
    argv: list[str] | None = None, prog: str = "python -m recbole_atjt.explain_recognizers"
) -> int:
    p = argparse.ArgumentParser(
        prog=prog,
        description=f"Write RUN_DIR/{PAGE} and PNGs: what a finished run's noise "
        "recognizers weight, and how well they do their own task.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a finished run folder (results.json)")
    p.add_argument(
        "--checkpoint", default="best", help="best (default), latest, or a .pth file of the run"
    )
    p.add_argument("--max_batches", type=int, default=2000, help="loss batches in all")
    p.add_argument(
        "--max_sequences", type=int, default=50000, help="other-group sequences per recognizer"
    )
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.max_batches < 1 or args.max_sequences < 1:
            raise ATJTError("--max_batches, --max_sequences: allowed: positive integers")
        run = load_run(args.run_dir, args.checkpoint)
        path = write_page(run, args.max_batches, args.max_sequences, sys.stderr.isatty())
    except Exception as exc:  # one line for users; --debug for the traceback
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ATJTError) else 1
    print(f"recognizers explained: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
