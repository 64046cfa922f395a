"""Synthesis of noisy sequences for the recognizer's auxiliary task (paper Sec. 3.3.1)."""

from __future__ import annotations

from typing import NamedTuple

import torch


class Corrupted(NamedTuple):
    """A batch after corruption."""

    history: torch.Tensor  # [B, L] item ids, 0 = padding
    labels: torch.Tensor  # [B] float: 1 original, 0 corrupted
    changed: torch.Tensor  # [B, L] bool: positions whose item was replaced


def _ranks(scores: torch.Tensor) -> torch.Tensor:
    """Rank of every entry along the last dimension (0 = smallest)."""
    return scores.argsort(dim=-1).argsort(dim=-1)


def corrupt_histories(
    history: torch.Tensor,
    n_items: int,
    noise_ratio: float,
    replace_count: int,
    generator: torch.Generator | None = None,
) -> Corrupted:
    """Corrupt ``floor(noise_ratio * n + 0.5)`` of the ``n`` sequences that have a history.

    In each chosen sequence, ``min(replace_count, length)`` distinct non-padding
    positions get a uniformly random item id in ``[1, n_items)`` other than the
    one they held. Fully vectorised, no host synchronisation; ``history`` is not
    modified.
    """
    if n_items < 3:
        raise ValueError("corruption needs at least two real items (n_items >= 3)")
    device = history.device
    mask = history > 0
    eligible = mask.any(dim=1)
    n_chosen = torch.floor(eligible.sum() * noise_ratio + 0.5)

    # Rank eligible rows in random order; the first n_chosen of them are corrupted.
    row_scores = torch.rand(history.shape[0], device=device, generator=generator)
    row_scores = row_scores.masked_fill(~eligible, 2.0)
    chosen = _ranks(row_scores) < n_chosen

    # Within a chosen row, the replace_count random real positions are replaced.
    pos_scores = torch.rand(history.shape, device=device, generator=generator)
    pos_scores = pos_scores.masked_fill(~mask, 2.0)
    changed = (_ranks(pos_scores) < replace_count) & mask & chosen.unsqueeze(1)

    # Uniform over the n_items - 2 real items other than the current one.
    draw = torch.randint(1, n_items - 1, history.shape, device=device, generator=generator)
    other = draw + (draw >= history).long()
    corrupted = torch.where(changed, other, history)
    return Corrupted(corrupted, (~chosen).float(), changed)
