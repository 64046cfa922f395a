"""Figures of the noise recognizers' weights: the end-of-run detection histogram and the
figures of ``python -m recbole_atjt.explain_recognizers``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from recbole_atjt.rendering import pyplot, save_figure

if TYPE_CHECKING:
    from recbole_atjt.recognizer_measures import FeatureEffect

# features drawn on a log x-axis when their values span more than a factor of 10
LOG_X_WHEN_WIDE = ("popularity",)


def plot_weights(
    path: str, weights: np.ndarray, share: np.ndarray, target_noisy: np.ndarray, title: str
) -> None:
    """Histogram of the weights of noisy vs clean training sequences."""
    plt = pyplot()
    clean_target = ~target_noisy
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(float(weights.min()), float(weights.max()) + 1e-9, 40)
    for mask, label in (
        ((share == 0) & clean_target, "clean history"),
        ((share > 0) & clean_target, "history with injected items"),
    ):
        ax.hist(
            weights[mask],
            bins=bins,
            alpha=0.6,
            density=True,
            label=f"{label} (n={int(mask.sum())})",
        )
    ax.set_xlabel("recognizer weight")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend()
    save_figure(fig, path, dpi=120)


def _log_x(feature: FeatureEffect) -> bool:
    x = feature.values
    return feature.key in LOG_X_WHEN_WIDE and bool(len(x)) and x.max() > 10 * max(x.min(), 1)


def plot_weight_against(
    path: str, weight: np.ndarray, features: Sequence[FeatureEffect], title: str
) -> None:
    """One panel per feature: a hexbin of (feature, weight) and the binned mean weight."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(features), figsize=(5 * len(features), 4), squeeze=False)
    for ax, feature in zip(axes[0], features, strict=True):
        if len(feature.values):
            ax.hexbin(
                feature.values,
                weight,
                gridsize=30,
                mincnt=1,
                cmap="Blues",
                bins="log",
                xscale="log" if _log_x(feature) else "linear",
            )
        ax.plot(
            [b.x_mean for b in feature.bins],
            [b.mean for b in feature.bins],
            "o-",
            color="tab:red",
            label="binned mean",
        )
        ax.set_xlabel(feature.label)
        ax.set_ylabel("recognizer weight (eval mode)")
        ax.legend(loc="best")
    fig.suptitle(title)
    save_figure(fig, path, dpi=110)


def plot_modes(path: str, outputs: Mapping[tuple[str, str], np.ndarray], title: str) -> None:
    """Histograms of recognizer outputs, one panel per mode, own vs other groups overlaid.

    ``outputs`` maps (split, mode) to the pooled outputs, split in
    {"own", "other"} and mode in {"eval", "train"}.
    """
    plt = pyplot()
    values = np.concatenate([v for v in outputs.values() if len(v)] or [np.zeros(1)])
    bins = np.linspace(float(values.min()), float(values.max()) + 1e-9, 40)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    labels = {"own": "own group", "other": "other groups"}
    for ax, mode in zip(axes, ("eval", "train"), strict=True):
        for split, label in labels.items():
            v = outputs.get((split, mode), np.zeros(0))
            if len(v):
                ax.hist(v, bins=bins, alpha=0.6, density=True, label=f"{label} (n={len(v)})")
        ax.set_title(f"{mode} mode" + (" (dropout on)" if mode == "train" else ""))
        ax.set_xlabel("recognizer output")
        ax.set_ylabel("density")
        ax.legend(loc="best", fontsize="small")
    fig.suptitle(title)
    save_figure(fig, path, dpi=110)
