"""How well the recognizers find noise.

Two measurements, under their own names:

* ``noise_detection`` (needs a ground-truth file ``<dataset>.noise``, as written
  by ``python -m recbole_atjt.noise inject`` or shipped with atjt-synth): every
  training sequence is weighted by the recognizer of its own group (the one
  that weighted it in training, eval mode). A sequence is *noisy* when its
  history holds an injected interaction. ``auc`` is the ROC AUC of
  ``1 - weight`` separating noisy from clean sequences (sequences whose
  *target* is injected are left out and reported apart); ``spearman`` is the
  rank correlation between weight and the injected share of the history.
  Clean histories are mostly short prefixes, so ``auc`` also measures history
  length: ``length_matched_auc`` compares noisy and clean sequences only within
  each exact history length (``buckets``) and averages, weighted by bucket size.
  ``target_auc`` (and ``target_length_matched_auc``) separate sequences whose
  target is injected from clean ones the same way.
* ``corruption_weights`` (the paper's Table 5, any dataset): the weights g_k
  gives to original and to artificially corrupted versions of the sequences of
  its own group, which it never saw as auxiliary data.

The measurements return dataclasses (:class:`NoiseDetection`,
:class:`CorruptionWeights`); their ``record()`` is the plain dict results.json
stores under those two keys, and :func:`describe` prints such records.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from recbole_atjt.data.corruption import corrupt_sequences
from recbole_atjt.data.ground_truth import ground_truth_path, load_ground_truth
from recbole_atjt.recognizer_plots import plot_weights
from recbole_atjt.rendering import number


def roc_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count 1/2);
    NaN where one class is absent (scikit-learn would raise)."""
    positive = positive.astype(bool)
    if positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, scores))


@dataclass(frozen=True)
class WeightSummary:
    """Count, mean and (population) std of some weights; NaN mean and std for none."""

    n: int
    mean: float
    std: float


def summary(w: np.ndarray) -> WeightSummary:
    """Count, mean and std of some weights (NaN for none)."""
    return WeightSummary(
        n=int(len(w)),
        mean=float(w.mean()) if len(w) else float("nan"),
        std=float(w.std()) if len(w) else float("nan"),
    )


def _history(dataset) -> np.ndarray:
    """The padded item-id histories of the training instances (0 = padding)."""
    iid = dataset.iid_field
    return dataset.inter_feat[iid + dataset.config["LIST_SUFFIX"]].numpy()


def history_lengths(dataset) -> np.ndarray:
    """Per training instance: the number of non-padding history items."""
    return (_history(dataset) > 0).sum(1)


def history_noise(dataset, truth: set[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Per training instance: injected share of the history, and whether the target is injected."""
    uid, iid = dataset.uid_field, dataset.iid_field
    users = dataset.id2token(uid, dataset.inter_feat[uid].numpy())
    history = _history(dataset)
    targets = dataset.id2token(iid, dataset.inter_feat[iid].numpy())
    item_tokens = dataset.field2id_token[iid]
    noisy_user_items: dict[str, set[str]] = {}
    for user, item in truth:
        noisy_user_items.setdefault(user, set()).add(item)
    share = np.zeros(len(users))
    target_noisy = np.zeros(len(users), dtype=bool)
    for n, user in enumerate(users):
        noisy = noisy_user_items.get(user)
        if not noisy:
            continue
        items = history[n][history[n] > 0]
        if len(items):
            share[n] = np.mean([item_tokens[i] in noisy for i in items])
        target_noisy[n] = targets[n] in noisy
    return share, target_noisy


@torch.no_grad()
def own_group_weights(denoiser, batch_size: int = 4096) -> np.ndarray:
    """Weight of every training instance under the recognizer of its own group."""
    data = denoiser.data
    weights = np.zeros(len(data.history))
    for k, idx in enumerate(data.groups):
        for start in range(0, len(idx), batch_size):
            part = torch.as_tensor(idx[start : start + batch_size], device=data.history.device)
            w = denoiser.weights(k, data.history[part], data.target[part])
            weights[idx[start : start + batch_size]] = w.cpu().numpy()
    return weights


@dataclass(frozen=True)
class Bucket:
    """One bucket of :func:`bucketed_auc`: its value, how many positives and negatives it
    holds, and their ROC AUC (None where one kind is absent)."""

    value: Any
    positive: int
    negative: int
    auc: float | None


def bucketed_auc(
    scores: np.ndarray, positive: np.ndarray, buckets: np.ndarray
) -> tuple[float, list[Bucket]]:
    """ROC AUC within each bucket, averaged over the buckets holding both kinds.

    The average is weighted by bucket size (positives plus negatives); NaN when no
    bucket holds both kinds. Also returns every bucket, by value in ascending order.
    """
    positive = positive.astype(bool)
    total, size, rows = 0.0, 0, []
    for value in np.unique(buckets):
        mask = buckets == value
        auc = roc_auc(scores[mask], positive[mask])
        n_pos = int(positive[mask].sum())
        n_neg = int(mask.sum()) - n_pos
        if not np.isnan(auc):
            total += auc * (n_pos + n_neg)
            size += n_pos + n_neg
        rows.append(Bucket(value.item(), n_pos, n_neg, None if np.isnan(auc) else auc))
    return (total / size if size else float("nan")), rows


@dataclass(frozen=True)
class LengthBucket:
    """The sequences of one history length: noisy and clean counts, and the AUC between
    them (None where one kind is absent)."""

    length: int
    noisy: int
    clean: int
    auc: float | None


@dataclass(frozen=True)
class NoiseDetection:
    """How well some weights find injected noise; the module docstring says what each
    figure measures. :meth:`record` is the form results.json stores."""

    auc: float
    spearman: float
    length_matched_auc: float
    buckets: list[LengthBucket]
    target_auc: float
    target_length_matched_auc: float
    noisy: WeightSummary
    clean: WeightSummary
    target_injected: WeightSummary

    def record(self) -> dict[str, Any]:
        return asdict(self)


def detect_noise(
    weights: np.ndarray, share: np.ndarray, target_noisy: np.ndarray, lengths: np.ndarray
) -> NoiseDetection:
    """Detection AUCs (raw, length-matched, of injected targets), Spearman, weight summaries.

    ``lengths`` is the number of non-padding history items of each sequence.
    """
    target_noisy = target_noisy.astype(bool)
    lengths = np.asarray(lengths)
    clean_target = ~target_noisy
    noisy = (share > 0) & clean_target
    clean = (share == 0) & clean_target
    w, s = weights[clean_target], share[clean_target]
    rho = spearmanr(w, s).statistic if len(np.unique(s)) > 1 else float("nan")
    matched, rows = bucketed_auc(1.0 - w, noisy[clean_target], lengths[clean_target])
    target_vs_clean = target_noisy | clean
    target_scores = 1.0 - weights[target_vs_clean]
    target_positive = target_noisy[target_vs_clean]
    target_matched, _ = bucketed_auc(target_scores, target_positive, lengths[target_vs_clean])
    return NoiseDetection(
        auc=roc_auc(1.0 - w, noisy[clean_target]),
        spearman=float(rho),
        length_matched_auc=matched,
        buckets=[LengthBucket(r.value, r.positive, r.negative, r.auc) for r in rows],
        target_auc=roc_auc(target_scores, target_positive),
        target_length_matched_auc=target_matched,
        noisy=summary(weights[noisy]),
        clean=summary(weights[clean]),
        target_injected=summary(weights[target_noisy]),
    )


def noise_detection(
    weights: np.ndarray, share: np.ndarray, target_noisy: np.ndarray, lengths: np.ndarray
) -> dict[str, Any]:
    """:func:`detect_noise` as results.json stores it, a plain dict."""
    return detect_noise(weights, share, target_noisy, lengths).record()


@dataclass(frozen=True)
class CorruptionWeights:
    """The weights of original and of corrupted copies of each group's own sequences, and
    the AUC between them (the own-task AUC). :meth:`record` is results.json's form."""

    original: WeightSummary
    corrupted: WeightSummary
    auc: float

    def record(self) -> dict[str, Any]:
        return asdict(self)


@torch.no_grad()
def corruption_weights(denoiser, config, batch_size: int = 4096) -> CorruptionWeights:
    """Weights of original vs corrupted versions of each group's own sequences (Table 5),
    corrupted as the run's auxiliary task corrupts (``corruption_target``,
    ``corruption_sampling``)."""
    data = denoiser.data
    generator = torch.Generator(device=data.history.device).manual_seed(config["seed"] + 1)
    original, corrupted = [], []
    for k, idx in enumerate(data.groups):
        for start in range(0, len(idx), batch_size):
            part = torch.as_tensor(idx[start : start + batch_size], device=data.history.device)
            history, target = data.history[part], data.target[part]
            noisy = corrupt_sequences(
                history,
                target,
                data.n_items,
                0.5,
                config["replace_count"],
                config["corruption_target"],
                generator,
                denoiser.item_weights,
            )
            w = denoiser.weights(k, noisy.history, noisy.target)
            original.append(w[noisy.labels == 1].cpu().numpy())
            corrupted.append(w[noisy.labels == 0].cpu().numpy())
    original_w, corrupted_w = np.concatenate(original), np.concatenate(corrupted)
    return CorruptionWeights(
        original=summary(original_w),
        corrupted=summary(corrupted_w),
        auc=roc_auc(
            np.concatenate([1 - original_w, 1 - corrupted_w]),
            np.r_[np.zeros(len(original_w)), np.ones(len(corrupted_w))],
        ),
    )


def report(trainer, train_data, config, run_dir: str) -> dict[str, Any]:
    """Both measurements for a finished denoised run; {} for ``denoise: none``."""
    denoiser = trainer.denoiser
    if denoiser is None:
        return {}
    result: dict[str, Any] = {"corruption_weights": corruption_weights(denoiser, config).record()}
    if denoiser.pretraining:  # dnr: held-out AUC of the auxiliary task per pass
        result["dnr_pretraining"] = denoiser.pretraining
    truth_file = ground_truth_path(config)
    if os.path.isfile(truth_file):
        dataset = train_data._dataset
        truth = load_ground_truth(truth_file, dataset.uid_field, dataset.iid_field)
        weights = own_group_weights(denoiser)
        share, target_noisy = history_noise(dataset, truth)
        lengths = history_lengths(dataset)
        detected = noise_detection(weights, share, target_noisy, lengths)
        result["noise_detection"] = {**detected, "ground_truth": truth_file}
        plot_weights(
            os.path.join(run_dir, "weights.png"),
            weights,
            share,
            target_noisy,
            f"{config['model']} on {config['dataset']} ({config['denoise']})",
        )
    return result


# (printed name, noise_detection key) of the weight summaries, in printed order
_KINDS = (("clean", "clean"), ("history-noisy", "noisy"), ("target-injected", "target_injected"))


def describe(denoising: dict[str, Any]) -> list[str]:
    """Human-readable lines for the ``noise_detection`` and ``corruption_weights`` of a result.

    Printed at the end of a run so the detection figures show without opening
    results.json; parts (or keys, from older results) that are missing are skipped.
    """
    lines = []
    nd = denoising.get("noise_detection")
    if nd:
        aucs = [f"AUC {number(nd.get('auc'), 3)}"]
        if "length_matched_auc" in nd:
            aucs.append(f"length-matched {number(nd['length_matched_auc'], 3)}")
        if "target_auc" in nd:
            target = f"target-injected vs clean {number(nd['target_auc'], 3)}"
            if "target_length_matched_auc" in nd:
                target += f" (length-matched {number(nd['target_length_matched_auc'], 3)})"
            aucs.append(target)
        parts = [(n, nd[k]) for n, k in _KINDS if k in nd]
        means = ", ".join(f"{n} {number(v.get('mean'), 2)}" for n, v in parts)
        counts = " / ".join(str(v.get("n")) for _, v in parts)
        line = f"noise detection (ground truth: {nd.get('ground_truth', '?')}): " + ", ".join(aucs)
        if parts:
            line += f" | mean weight {means} (n = {counts})"
        lines.append(line)
    cw = denoising.get("corruption_weights")
    if cw:
        line = (
            "own task (corrupted vs original copies of each group's sequences): "
            f"AUC {number(cw.get('auc'), 3)}"
        )
        parts = [(n, cw[n]) for n in ("original", "corrupted") if n in cw]
        if parts:
            line += " | mean weight " + ", ".join(
                f"{n} {number(v.get('mean'), 2)}" for n, v in parts
            )
        lines.append(line)
    pretraining = denoising.get("dnr_pretraining")
    if pretraining:
        held_out = " / ".join(
            f"{number(r['holdout_auc_per_pass'][r['passes_kept'] - 1], 3)} "
            f"after {r['passes_kept']} passes"
            for r in pretraining
        )
        lines.append(f"dnr pretraining, held-out AUC of each recognizer: {held_out}")
    return lines
