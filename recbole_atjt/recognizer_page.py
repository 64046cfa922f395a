"""The Markdown page of ``python -m recbole_atjt.explain_recognizers``, written from an
:class:`~recbole_atjt.recognizer_measures.Explanation`."""

from __future__ import annotations

from typing import Any

import numpy as np

from recbole_atjt.recognizer_measures import Explanation, FeatureEffect, OutputSummary
from recbole_atjt.rendering import markdown_table, number

PAGE = "recognizers-explained.md"
FEATURES_PNG = "recognizers-weight-vs-features.png"
MODES_PNG = "recognizers-eval-vs-train.png"
DETECTION_PNG = "recognizers-detection.png"


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


def _edge(value: float) -> str:
    """A bin edge: whole numbers without decimals (counts, lengths)."""
    return str(int(value)) if float(value).is_integer() else number(value)


def own_task_lines(e: Explanation) -> list[str]:
    """Table of the recomputed own-task AUC and weights beside results.json's."""
    stored = e.stored_own_task or {}
    rows = [["AUC", number(e.own_task.auc), number(stored.get("auc"))]]
    for name in ("original", "corrupted"):
        mine = getattr(e.own_task, name)
        theirs = stored.get(name) or {}
        for part in ("mean", "std", "n"):
            rows.append([f"{name} {part}", number(getattr(mine, part)), number(theirs.get(part))])
    return markdown_table(["", "this checkpoint", "results.json"], rows)


def modes_lines(summaries: list[OutputSummary]) -> list[str]:
    """Mean / std / n of every (recognizer, split, mode)."""
    header = ["recognizer", "sequences", "mode", "mean", "std", "n"]
    rows = [
        [
            s.recognizer,
            "own group" if s.split == "own" else "other groups",
            s.mode,
            number(s.outputs.mean),
            number(s.outputs.std),
            s.outputs.n,
        ]
        for s in summaries
    ]
    return markdown_table(header, rows)


def feature_lines(features: list[FeatureEffect]) -> list[str]:
    """Spearman correlations, then the binned mean weights of each feature."""
    lines = markdown_table(
        ["feature", "Spearman rho with the weight", "sequences"],
        [[f.label, number(f.spearman), len(f.values)] for f in features],
    )
    for f in features:
        rows = [
            [
                _edge(b.lo) if b.lo == b.hi else f"{_edge(b.lo)} - {_edge(b.hi)}",
                b.n,
                number(b.mean),
                number(b.std),
            ]
            for b in f.bins
        ]
        lines += [
            "",
            f"**{f.label}**",
            "",
            *markdown_table(["bin", "n", "mean weight", "std"], rows),
        ]
    return lines


def detection_lines(e: Explanation) -> list[str]:
    """The noise-detection figures of the ground truth, or why there are none."""
    if e.detection is None:
        return [f"No ground-truth file ({e.ground_truth_file})."]
    measures = flatten_numbers(e.detection.figures.record())
    return [
        "`detection.noise_detection` on the raw eval-mode own-group weights "
        f"(ground truth: {e.detection.truth_file}).",
        "",
        *markdown_table(["measure", "value"], [[k, number(v)] for k, v in measures]),
        "",
        f"![detection]({DETECTION_PNG})",
    ]


def page_lines(e: Explanation) -> list[str]:
    """The whole page, one line per item."""
    run = e.run
    return [
        f"# Recognizers explained: {run.name}",
        "",
        f"{run.model} on {run.dataset}, denoise `{run.denoise}`, {run.groups} groups, seed "
        f"{run.seed}, weight_norm `{run.weight_norm}`, recognizer_mode "
        f"`{run.recognizer_mode}`; checkpoint `{run.checkpoint}` (epoch {run.checkpoint_epoch}; "
        f"the run trained to epoch {run.last_epoch}). {run.sequences} training sequences.",
        "",
        "## Own-task AUC",
        "",
        "Each recognizer on corrupted vs original copies of its own group's sequences "
        "(`detection.corruption_weights`; 0.5 = chance). results.json measured it with the "
        "recognizers at the end of training"
        + (
            "."
            if run.checkpoint_epoch == run.last_epoch
            else f", not at this checkpoint's epoch {run.checkpoint_epoch}."
        ),
        "",
        *own_task_lines(e),
        "",
        "## Eval vs train mode",
        "",
        "Raw outputs g_k(history, target). *own* = group k, the sequences g_k weights (never "
        "its auxiliary data); *other* = the other groups, g_k's auxiliary data in modes with an "
        f"auxiliary task (at most {e.max_sequences} per recognizer). Train mode has dropout on "
        "(the mode of the weights and of the auxiliary task when `recognizer_mode` is `train`; "
        "of the auxiliary task alone under `split`). Recognizer `all` pools the groups.",
        "",
        *modes_lines(e.output_summaries),
        "",
        f"![eval vs train]({MODES_PNG})",
        "",
        "## Weight against loss, popularity and history length",
        "",
        "Sequences of the group loaders' batches (at most "
        f"{e.max_batches} batches), each weighted in eval mode by its own group's recognizer. "
        "The loss is the base model's unweighted loss of the sequence (mean over its rows when "
        "sampled negatives add rows), in eval mode.",
        "",
        *feature_lines(e.features),
        "",
        f"![weight against features]({FEATURES_PNG})",
        "",
        "## Noise detection",
        "",
        *detection_lines(e),
    ]
