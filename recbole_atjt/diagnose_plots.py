"""Figures of ``python -m recbole_atjt.diagnose``: matplotlib with the Agg backend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_weight_against(
    path: str,
    weight: np.ndarray,
    features: Mapping[str, tuple[np.ndarray, bool]],
    binned: Mapping[str, Sequence[dict]],
    title: str,
) -> None:
    """One panel per feature: a hexbin of (feature, weight) and the binned mean weight.

    ``features`` maps a label to (values, log x-axis); ``binned`` holds the
    :func:`recbole_atjt.diagnose.binned_means` rows of each feature.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(features), figsize=(5 * len(features), 4), squeeze=False)
    for ax, (label, (x, log_x)) in zip(axes[0], features.items(), strict=True):
        if len(x):
            ax.hexbin(
                x,
                weight,
                gridsize=30,
                mincnt=1,
                cmap="Blues",
                bins="log",
                xscale="log" if log_x else "linear",
            )
        rows = binned[label]
        ax.plot(
            [r["x_mean"] for r in rows],
            [r["mean"] for r in rows],
            "o-",
            color="tab:red",
            label="binned mean",
        )
        ax.set_xlabel(label)
        ax.set_ylabel("recognizer weight (eval mode)")
        ax.legend(loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_modes(path: str, outputs: Mapping[tuple[str, str], np.ndarray], title: str) -> None:
    """Histograms of recognizer outputs, one panel per mode, own vs other groups overlaid.

    ``outputs`` maps (split, mode) to the pooled outputs, split in
    {"own", "other"} and mode in {"eval", "train"}.
    """
    plt = _pyplot()
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
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
