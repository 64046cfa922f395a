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


def _choose_rows(eligible: torch.Tensor, noise_ratio: float, generator) -> torch.Tensor:
    """Random ranks of the rows, eligible ones first, and how many of them are chosen."""
    n_chosen = torch.floor(eligible.sum() * noise_ratio + 0.5)
    row_scores = torch.rand(eligible.shape[0], device=eligible.device, generator=generator)
    row_scores = row_scores.masked_fill(~eligible, 2.0)
    return _ranks(row_scores), n_chosen


def _other_items(items: torch.Tensor, n_items: int, generator) -> torch.Tensor:
    """For every entry, a uniformly random real item in ``[1, n_items)`` other than it."""
    draw = torch.randint(1, n_items - 1, items.shape, device=items.device, generator=generator)
    return draw + (draw >= items).long()


def _replace_positions(
    history: torch.Tensor, rows: torch.Tensor, replace_count: int, n_items: int, generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """``min(replace_count, length)`` random real positions of each chosen row replaced."""
    mask = history > 0
    pos_scores = torch.rand(history.shape, device=history.device, generator=generator)
    pos_scores = pos_scores.masked_fill(~mask, 2.0)
    changed = (_ranks(pos_scores) < replace_count) & mask & rows.unsqueeze(1)
    return torch.where(changed, _other_items(history, n_items, generator), history), changed


def _check_items(n_items: int) -> None:
    if n_items < 3:
        raise ValueError("corruption needs at least two real items (n_items >= 3)")


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
    _check_items(n_items)
    ranks, n_chosen = _choose_rows((history > 0).any(dim=1), noise_ratio, generator)
    chosen = ranks < n_chosen
    corrupted, changed = _replace_positions(history, chosen, replace_count, n_items, generator)
    return Corrupted(corrupted, (~chosen).float(), changed)


CORRUPTION_TARGETS = ("history", "target", "both")


class CorruptedSequences(NamedTuple):
    """A batch of (history, target) pairs after corruption."""

    history: torch.Tensor  # [B, L] item ids, 0 = padding
    target: torch.Tensor  # [B] item ids
    labels: torch.Tensor  # [B] float: 1 original, 0 corrupted
    changed: torch.Tensor  # [B, L] bool: history positions whose item was replaced
    target_changed: torch.Tensor  # [B] bool: rows whose target was replaced


def corrupt_sequences(
    history: torch.Tensor,
    target: torch.Tensor,
    n_items: int,
    noise_ratio: float,
    replace_count: int,
    corruption_target: str = "history",
    generator: torch.Generator | None = None,
) -> CorruptedSequences:
    """The auxiliary task's corruption of (history, target) pairs.

    ``history``: as :func:`corrupt_histories` (the paper). ``target``:
    ``floor(noise_ratio * n + 0.5)`` of all ``n`` rows get a uniformly random
    other target item. ``both``: of the rows with a history, that many are
    chosen; the first half of them (rounded up, in random order) get history
    corruption, the others a new target. Inputs are not modified.
    """
    if corruption_target not in CORRUPTION_TARGETS:
        raise ValueError(
            f"corruption_target: got {corruption_target!r}; allowed: {CORRUPTION_TARGETS}"
        )
    if corruption_target == "history":
        out = corrupt_histories(history, n_items, noise_ratio, replace_count, generator)
        unchanged = torch.zeros_like(target, dtype=torch.bool)
        return CorruptedSequences(out.history, target, out.labels, out.changed, unchanged)
    _check_items(n_items)
    has_history = (history > 0).any(dim=1)
    eligible = has_history if corruption_target == "both" else torch.ones_like(has_history)
    ranks, n_chosen = _choose_rows(eligible, noise_ratio, generator)
    chosen = ranks < n_chosen
    history_rows = ranks < torch.ceil(n_chosen / 2) if corruption_target == "both" else ~chosen
    history_rows = history_rows & chosen
    target_rows = chosen & ~history_rows
    corrupted, changed = _replace_positions(
        history, history_rows, replace_count, n_items, generator
    )
    new_target = torch.where(target_rows, _other_items(target, n_items, generator), target)
    return CorruptedSequences(corrupted, new_target, (~chosen).float(), changed, target_rows)
