"""What a finished run's noise recognizers do, measured: numbers in dataclasses.

``python -m recbole_atjt.explain_recognizers`` gathers them into an
:class:`Explanation`; ``recognizer_page`` and ``recognizer_plots`` turn that into
Markdown and PNGs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from tqdm import tqdm

from recbole_atjt import detection
from recbole_atjt.data.groups import GroupedTrainData
from recbole_atjt.trainer.denoiser import Denoiser
from recbole_atjt.trainer.per_sequence_loss import (
    resolve_loss_attribute,
    row_losses,
    rows_per_sequence,
)

BATCH = 4096
# (key, label) of the sequence features the weights are set against, in page order
FEATURES = (
    ("loss", "per-row loss of the base model"),
    ("popularity", "target popularity (training count)"),
    ("length", "history length"),
)


# ---- the maths (pure) --------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    """The sequences whose feature lies in [lo, hi]: the feature's mean there and the
    count, mean and std of their weights."""

    lo: float
    hi: float
    x_mean: float
    n: int
    mean: float
    std: float


def binned_means(x: np.ndarray, y: np.ndarray, n_bins: int = 10) -> list[Bin]:
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
        weights = detection.summary(y[mask])
        rows.append(
            Bin(
                lo=float(x[mask].min()),
                hi=float(x[mask].max()),
                x_mean=float(x[mask].mean()),
                n=weights.n,
                mean=weights.mean,
                std=weights.std,
            )
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


# ---- recognizer outputs ------------------------------------------------------


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


@dataclass(frozen=True)
class OutputSummary:
    """The outputs of ``recognizer`` (its index, or ``all`` for the pooled groups) on its
    own group or the ``other`` groups (``split``), in ``eval`` or ``train`` mode."""

    recognizer: str
    split: str
    mode: str
    outputs: detection.WeightSummary


def summarize_outputs(outputs: dict[tuple[str, str, str], np.ndarray]) -> list[OutputSummary]:
    """Count, mean and std of every (recognizer, split, mode) of :func:`mode_outputs`."""
    return [
        OutputSummary(k, split, mode, detection.summary(values))
        for (k, split, mode), values in outputs.items()
    ]


# ---- weights against sequence features ----------------------------------------


@torch.no_grad()
def loss_sample(
    model: torch.nn.Module,
    denoiser: Denoiser,
    train_data: Any,
    config: Any,
    max_batches: int,
    show_progress: bool,
) -> dict[str, np.ndarray]:
    """Per sequence of the group loaders' batches (at most ``max_batches`` in all): eval-mode
    weight, the base model's unweighted loss, target training count and history length."""
    groups = denoiser.data
    history_field = config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]
    target_field = config["ITEM_ID_FIELD"]
    attribute = resolve_loss_attribute(model, config["loss_attribute"])
    dataset = train_data._dataset
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
            rows = row_losses(model, interaction, attribute).rows
            parts["loss"].append(sequence_losses(rows, n).cpu().numpy())
            parts["weight"].append(g(history, target).cpu().numpy())
            parts["popularity"].append(counts[target.cpu().numpy()])
            parts["length"].append((history > 0).sum(1).cpu().numpy())
            bar.update()
    bar.close()
    return {key: np.concatenate(v) for key, v in parts.items()}


@dataclass(frozen=True)
class FeatureEffect:
    """One sequence feature of the sampled sequences against their weights: the feature's
    ``values``, its Spearman correlation with the weights and the binned mean weights."""

    key: str
    label: str
    values: np.ndarray
    spearman: float
    bins: list[Bin]


def feature_effects(sample: dict[str, np.ndarray]) -> list[FeatureEffect]:
    """Every feature of :data:`FEATURES` in a :func:`loss_sample` against its weights."""
    weight = sample["weight"]
    return [
        FeatureEffect(
            key,
            label,
            sample[key],
            spearman(sample[key], weight),
            binned_means(sample[key], weight),
        )
        for key, label in FEATURES
    ]


# ---- ground truth -------------------------------------------------------------


@dataclass(frozen=True)
class GroundTruthDetection:
    """:func:`detection.detect_noise` on the own-group weights, and the ground truth it used:
    each sequence's injected history share and whether its target is injected."""

    truth_file: str
    figures: detection.NoiseDetection
    share: np.ndarray
    target_noisy: np.ndarray


def ground_truth_detection(
    config: Any, train_data: Any, own_eval: np.ndarray
) -> GroundTruthDetection | None:
    """Noise detection by the raw own-group weights, when a ground-truth file exists."""
    truth_file = detection.ground_truth_path(config)
    if not os.path.isfile(truth_file):
        return None
    dataset = train_data._dataset
    truth = detection.load_ground_truth(truth_file, dataset.uid_field, dataset.iid_field)
    share, target_noisy = detection.history_noise(dataset, truth)
    lengths = detection.history_lengths(dataset)
    figures = detection.detect_noise(own_eval, share, target_noisy, lengths)
    return GroundTruthDetection(truth_file, figures, share, target_noisy)


# ---- everything about one run -------------------------------------------------


@dataclass(frozen=True)
class RunDescription:
    """Which run and checkpoint the measurements are of."""

    name: str
    model: str
    dataset: str
    denoise: str
    groups: int
    seed: int
    weight_norm: str
    recognizer_mode: str
    checkpoint: str
    checkpoint_epoch: int | None
    last_epoch: int
    sequences: int


@dataclass(frozen=True)
class Explanation:
    """Every measurement of one run's recognizers, as the page and the figures show them.

    ``stored_own_task`` is results.json's ``corruption_weights`` (None if absent);
    ``outputs`` the raw :func:`mode_outputs` and ``output_summaries`` their statistics;
    ``weight`` the sampled sequences' weights that ``features`` are set against;
    ``own_weights`` every training sequence's eval-mode weight; ``detection`` None
    without a ground-truth file (``ground_truth_file``)."""

    run: RunDescription
    own_task: detection.CorruptionWeights
    stored_own_task: dict[str, Any] | None
    max_sequences: int
    outputs: dict[tuple[str, str, str], np.ndarray]
    output_summaries: list[OutputSummary]
    max_batches: int
    weight: np.ndarray
    features: list[FeatureEffect]
    own_weights: np.ndarray
    ground_truth_file: str
    detection: GroundTruthDetection | None
