"""python -m recbole_atjt.diagnose RUN_DIR: what a finished run's noise recognizers do.

Loads the recognizers and the base model of a run folder, rebuilds its data and
its (seeded) user-disjoint groups, and writes ``RUN_DIR/diagnosis.md`` with
PNGs beside it:

* the eval-mode weight of each training sequence (under its own group's
  recognizer) against the base model's unweighted loss of that sequence, the
  training count of its target item and the length of its history;
* eval-mode vs train-mode (dropout on) outputs of each recognizer on its own
  group (the sequences it weights, never its auxiliary data) and on the other
  groups (its auxiliary data, in modes with an auxiliary task);
* the own-task AUC (corrupted vs original copies of each group's sequences),
  beside the value the run stored in ``results.json``;
* with a ground-truth ``<dataset>.noise`` file, the noise-detection figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from tqdm import tqdm

from recbole_atjt import detection
from recbole_atjt.compat import load_checkpoint
from recbole_atjt.data.groups import GroupedTrainData
from recbole_atjt.diagnose_plots import plot_modes, plot_weight_against
from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import MODES
from recbole_atjt.threads import torch_threads
from recbole_atjt.trainer.denoiser import Denoiser
from recbole_atjt.trainer.per_sequence_loss import (
    resolve_loss_attribute,
    row_losses,
    rows_per_sequence,
)
from recbole_atjt.wiring import data_and_model

PAGE = "diagnosis.md"
FEATURES_PNG = "diagnosis-weight-vs-features.png"
MODES_PNG = "diagnosis-eval-vs-train.png"
DETECTION_PNG = "diagnosis-detection.png"
BATCH = 4096
MODES_WITH_RECOGNIZERS = tuple(name for name, m in MODES.items() if m.uses_recognizers)

# ---- the maths (pure) --------------------------------------------------------


def binned_means(x: np.ndarray, y: np.ndarray, n_bins: int = 10) -> list[dict[str, float]]:
    """Mean of ``y`` per bin of ``x``: quantile bins (equal counts, so skewed features stay
    readable), or one bin per value when ``x`` has at most ``n_bins`` distinct values or
    when one value holds so many that the quantiles collapse (history lengths at the cap)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if not len(x):
        return []
    values = np.unique(x)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)))
    if len(values) <= n_bins or (len(edges) - 1 < n_bins // 2 and len(values) <= 10 * n_bins):
        bin_of = np.searchsorted(values, x)
    else:
        bin_of = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    rows = []
    for b in np.unique(bin_of):
        mask = bin_of == b
        rows.append(
            {
                "lo": float(x[mask].min()),
                "hi": float(x[mask].max()),
                "x_mean": float(x[mask].mean()),
                **detection.summary(y[mask]),
            }
        )
    return rows


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Rank correlation; NaN when either side is constant."""
    if len(x) < 2 or len(np.unique(x)) < 2 or len(np.unique(y)) < 2:
        return math.nan
    return float(spearmanr(x, y).statistic)


def sequence_losses(rows: torch.Tensor, n_sequences: int) -> torch.Tensor:
    """Per-sequence loss: the mean of a sequence's rows (sampled negatives repeat the
    ``n_sequences`` sequences in order, so row ``j * n + i`` belongs to sequence ``i``)."""
    repeats = rows_per_sequence(rows.numel(), n_sequences)
    return rows.reshape(repeats, n_sequences).mean(0)


def flatten_numbers(result: dict[str, Any], prefix: str = "") -> list[tuple[str, float]]:
    """(dotted key, value) of every int / float in a nested dict, in order."""
    out: list[tuple[str, float]] = []
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += flatten_numbers(value, f"{name}.")
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            out.append((name, int(value)))
        elif isinstance(value, (float, np.floating)):
            out.append((name, float(value)))
    return out


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


# ---- measurements --------------------------------------------------------------


@torch.no_grad()
def recognizer_outputs(g: torch.nn.Module, data: GroupedTrainData, idx: np.ndarray, train: bool):
    """Raw outputs g(history, target) of the instances ``idx``, dropout on when ``train``."""
    g.train(train)
    out = []
    for start in range(0, len(idx), BATCH):
        part = torch.as_tensor(idx[start : start + BATCH], device=data.history.device)
        out.append(g(data.history[part], data.target[part]).cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


def own_group_outputs(denoiser: Denoiser) -> np.ndarray:
    """Eval-mode weight of every training instance under its own group's recognizer."""
    data = denoiser.data
    weights = np.zeros(len(data.history))
    for k, idx in enumerate(data.groups):
        weights[idx] = recognizer_outputs(denoiser.recognizers[k], data, idx, train=False)
    return weights


def mode_outputs(
    denoiser: Denoiser, own_eval: np.ndarray, max_sequences: int, seed: int
) -> dict[tuple[str, str, str], np.ndarray]:
    """Outputs keyed (recognizer, split, mode): each g_k on its own group and on up to
    ``max_sequences`` of the other groups' sequences, in eval and train mode; recognizer
    ``all`` pools them. Own-group eval outputs cover the whole group."""
    data = denoiser.data
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)  # the train-mode dropout masks
    everything = np.arange(len(data.history))
    out: dict[tuple[str, str, str], np.ndarray] = {}
    for k, own in enumerate(data.groups):
        g = denoiser.recognizers[k]
        other = np.setdiff1d(everything, own)
        own_part, other = (
            np.sort(rng.choice(s, max_sequences, replace=False)) if len(s) > max_sequences else s
            for s in (own, other)
        )
        out[str(k), "own", "eval"] = own_eval[own]
        out[str(k), "own", "train"] = recognizer_outputs(g, data, own_part, train=True)
        out[str(k), "other", "eval"] = recognizer_outputs(g, data, other, train=False)
        out[str(k), "other", "train"] = recognizer_outputs(g, data, other, train=True)
        g.eval()
    for split in ("own", "other"):
        for mode in ("eval", "train"):
            parts = [out[str(k), split, mode] for k in range(len(data.groups))]
            out["all", split, mode] = np.concatenate(parts)
    return out


@torch.no_grad()
def loss_sample(run: LoadedRun, max_batches: int, show_progress: bool) -> dict[str, np.ndarray]:
    """Per sequence of the group loaders' batches (at most ``max_batches`` in all): eval-mode
    weight, the base model's unweighted loss, target training count and history length."""
    config, denoiser = run.config, run.denoiser
    groups = denoiser.data
    history_field = config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]
    target_field = config["ITEM_ID_FIELD"]
    attribute = resolve_loss_attribute(run.model, config["loss_attribute"])
    dataset = run.train_data._dataset
    counts = np.bincount(dataset.inter_feat[target_field].numpy(), minlength=dataset.item_num)
    per_group = max(1, max_batches // denoiser.n_groups)
    total = sum(min(len(loader), per_group) for loader in groups.loaders)
    bar = tqdm(total=total, ncols=100, desc="Losses", disable=not show_progress)
    parts: dict[str, list[np.ndarray]] = {"weight": [], "loss": [], "popularity": [], "length": []}
    for k, loader in enumerate(groups.loaders):
        g = denoiser.recognizers[k].eval()
        for b, interaction in enumerate(loader):
            if b >= per_group:
                break
            interaction = interaction.to(config["device"])
            n = len(interaction) // groups.times
            history, target = interaction[history_field][:n], interaction[target_field][:n]
            rows = row_losses(run.model, interaction, attribute).rows
            parts["loss"].append(sequence_losses(rows, n).cpu().numpy())
            parts["weight"].append(g(history, target).cpu().numpy())
            parts["popularity"].append(counts[target.cpu().numpy()])
            parts["length"].append((history > 0).sum(1).cpu().numpy())
            bar.update()
    bar.close()
    return {key: np.concatenate(v) for key, v in parts.items()}


def ground_truth_detection(run: LoadedRun, own_eval: np.ndarray) -> tuple[dict, tuple] | None:
    """``detection.noise_detection`` on the raw own-group weights, when ground truth exists."""
    truth_file = detection.ground_truth_path(run.config)
    if not os.path.isfile(truth_file):
        return None
    dataset = run.train_data._dataset
    truth = detection.load_ground_truth(truth_file, dataset.uid_field, dataset.iid_field)
    share, target_noisy = detection.history_noise(dataset, truth)
    lengths = detection.history_lengths(dataset)
    return detection.noise_detection(own_eval, share, target_noisy, lengths), (share, target_noisy)


# ---- the page ------------------------------------------------------------------


def _f(value: float | None) -> str:
    """4 decimals; integers as they are; "n/a" for None or NaN."""
    if isinstance(value, (int, np.integer)):
        return str(value)
    return "n/a" if value is None or math.isnan(value) else f"{value:.4f}"


def _edge(value: float) -> str:
    """A bin edge: whole numbers without decimals (counts, lengths)."""
    return str(int(value)) if float(value).is_integer() else _f(value)


def own_task_lines(own_task: dict[str, Any], stored: dict[str, Any] | None) -> list[str]:
    """Table of the recomputed own-task AUC and weights beside results.json's."""
    stored = stored or {}

    def both(key: str, part: str | None = None) -> str:
        mine = own_task[key] if part is None else own_task[key][part]
        theirs = stored.get(key) if part is None else (stored.get(key) or {}).get(part)
        return f"| {_f(mine)} | {_f(theirs) if theirs is not None else 'n/a'} |"

    lines = ["| | this checkpoint | results.json |", "|---|---|---|"]
    lines.append(f"| AUC {both('auc')}")
    for name in ("original", "corrupted"):
        for part in ("mean", "std", "n"):
            lines.append(f"| {name} {part} {both(name, part)}")
    return lines


def modes_lines(outputs: dict[tuple[str, str, str], np.ndarray]) -> list[str]:
    """Mean / std / n of every (recognizer, split, mode)."""
    lines = [
        "| recognizer | sequences | mode | mean | std | n |",
        "|---|---|---|---|---|---|",
    ]
    for (k, split, mode), values in outputs.items():
        s = detection.summary(values)
        stats = f"{_f(s['mean'])} | {_f(s['std'])} | {s['n']}"
        where = "own group" if split == "own" else "other groups"
        lines.append(f"| {k} | {where} | {mode} | {stats} |")
    return lines


def feature_lines(
    sample: dict[str, np.ndarray], binned: dict[str, list[dict]], labels: dict[str, str]
) -> list[str]:
    """Spearman correlations, then the binned mean weights of each feature."""
    lines = ["| feature | Spearman rho with the weight | sequences |", "|---|---|---|"]
    for key, label in labels.items():
        rho = spearman(sample[key], sample["weight"])
        lines.append(f"| {label} | {_f(rho)} | {len(sample[key])} |")
    for key, label in labels.items():
        lines += ["", f"**{label}**", "", "| bin | n | mean weight | std |", "|---|---|---|---|"]
        for r in binned[key]:
            span = _edge(r["lo"]) if r["lo"] == r["hi"] else f"{_edge(r['lo'])} - {_edge(r['hi'])}"
            lines.append(f"| {span} | {r['n']} | {_f(r['mean'])} | {_f(r['std'])} |")
    return lines


def write_page(run: LoadedRun, max_batches: int, max_sequences: int, show_progress: bool) -> str:
    """Measure everything, write the PNGs and ``diagnosis.md``; returns the page's path."""
    config, denoiser, results = run.config, run.denoiser, run.results
    title = f"{config['model']} on {config['dataset']} ({config['denoise']})"
    own_eval = own_group_outputs(denoiser)
    outputs = mode_outputs(denoiser, own_eval, max_sequences, config["seed"])
    plot_modes(
        os.path.join(run.run_dir, MODES_PNG),
        {(s, m): v for (k, s, m), v in outputs.items() if k == "all"},
        title,
    )
    sample = loss_sample(run, max_batches, show_progress)
    labels = {
        "loss": "per-row loss of the base model",
        "popularity": "target popularity (training count)",
        "length": "history length",
    }
    binned = {key: binned_means(sample[key], sample["weight"]) for key in labels}
    popularity = sample["popularity"]
    log_pop = bool(len(popularity)) and popularity.max() > 10 * max(popularity.min(), 1)
    plot_weight_against(
        os.path.join(run.run_dir, FEATURES_PNG),
        sample["weight"],
        {
            labels["loss"]: (sample["loss"], False),
            labels["popularity"]: (popularity, log_pop),
            labels["length"]: (sample["length"], False),
        },
        {labels[key]: rows for key, rows in binned.items()},
        title,
    )
    own_task = detection.corruption_weights(denoiser, config)
    found = ground_truth_detection(run, own_eval)

    epoch = run.checkpoint.get("epoch")
    last = (results.get("epochs_run") or 0) - 1
    lines = [
        f"# Diagnosis: {os.path.basename(os.path.abspath(run.run_dir))}",
        "",
        f"{config['model']} on {config['dataset']}, denoise `{config['denoise']}`, "
        f"{denoiser.n_groups} groups, seed {config['seed']}, weight_norm "
        f"`{config['weight_norm']}`, recognizer_mode `{config['recognizer_mode']}`; "
        f"checkpoint `{os.path.basename(run.checkpoint_file)}` "
        f"(epoch {epoch}; the run trained to epoch {last}). {len(own_eval)} training sequences.",
        "",
        "## Own-task AUC",
        "",
        "Each recognizer on corrupted vs original copies of its own group's sequences "
        "(`detection.corruption_weights`; 0.5 = chance). results.json measured it with the "
        "recognizers at the end of training"
        + ("." if epoch == last else f", not at this checkpoint's epoch {epoch}."),
        "",
        *own_task_lines(own_task, results.get("corruption_weights")),
        "",
        "## Eval vs train mode",
        "",
        "Raw outputs g_k(history, target). *own* = group k, the sequences g_k weights (never "
        "its auxiliary data); *other* = the other groups, g_k's auxiliary data in modes with an "
        f"auxiliary task (at most {max_sequences} per recognizer). Train mode has dropout on "
        "(the mode of the weights and of the auxiliary task when `recognizer_mode` is `train`; "
        "of the auxiliary task alone under `split`). Recognizer `all` pools the groups.",
        "",
        *modes_lines(outputs),
        "",
        f"![eval vs train]({MODES_PNG})",
        "",
        "## Weight against loss, popularity and history length",
        "",
        "Sequences of the group loaders' batches (at most "
        f"{max_batches} batches), each weighted in eval mode by its own group's recognizer. "
        "The loss is the base model's unweighted loss of the sequence (mean over its rows when "
        "sampled negatives add rows), in eval mode.",
        "",
        *feature_lines(sample, binned, labels),
        "",
        f"![weight against features]({FEATURES_PNG})",
        "",
        "## Noise detection",
        "",
    ]
    if found is None:
        lines.append(f"No ground-truth file ({detection.ground_truth_path(config)}).")
    else:
        result, (share, target_noisy) = found
        detection.plot_weights(
            os.path.join(run.run_dir, DETECTION_PNG), own_eval, share, target_noisy, title
        )
        lines += [
            "`detection.noise_detection` on the raw eval-mode own-group weights "
            f"(ground truth: {detection.ground_truth_path(config)}).",
            "",
            "| measure | value |",
            "|---|---|",
            *(f"| {key} | {_f(value)} |" for key, value in flatten_numbers(result)),
            "",
            f"![detection]({DETECTION_PNG})",
        ]
    path = os.path.join(run.run_dir, PAGE)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m recbole_atjt.diagnose",
        description="Write RUN_DIR/diagnosis.md and PNGs: what a finished run's noise "
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
    print(f"diagnosis: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
