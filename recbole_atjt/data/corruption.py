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


CORRUPTION_SAMPLINGS = ("uniform", "popularity")


def popularity_weights(targets: torch.Tensor, n_items: int) -> torch.Tensor:
    """``corruption_sampling: popularity``: each item id's number of training interactions,
    counted as how often it is a training target; ``[n_items]`` int64 on ``targets``' device,
    padding id 0 counting 0.

    At least two items must have interactions, else the one that has them could never be
    replaced (it would hold all the mass).
    """
    counts = torch.bincount(targets.reshape(-1).long(), minlength=n_items)[:n_items].clone()
    counts[0] = 0
    if int((counts > 0).sum()) < 2:
        raise ValueError(
            "corruption_sampling popularity needs at least two items with training interactions"
        )
    return counts


def _other_items(
    items: torch.Tensor, n_items: int, generator, item_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """For every entry, a random real item in ``[1, n_items)`` other than it: uniformly, or
    with ``item_weights`` (integer counts) in proportion to the other items' counts."""
    if item_weights is not None:
        return _weighted_other_items(items, item_weights, generator)
    draw = torch.randint(1, n_items - 1, items.shape, device=items.device, generator=generator)
    return draw + (draw >= items).long()


def _weighted_other_items(items: torch.Tensor, counts: torch.Tensor, generator) -> torch.Tensor:
    """Item j != i with probability ``counts[j] / (sum(counts) - counts[i])`` for entry i.

    One draw from that distribution directly, not by rejection: an integer ``u`` uniform in
    ``[0, total - counts[i])`` is read on the cumulative counts with item i's stretch cut
    out (``u`` past the start of it moves on by ``counts[i]``). Exact in integers, no
    redraws and no host synchronisation; a count of 0 (padding) is never drawn.
    """
    cumulative = counts.cumsum(0)
    own = counts[items]
    others = cumulative[-1] - own  # > 0 whenever two items have counts
    u = torch.rand(items.shape, dtype=torch.float64, device=items.device, generator=generator)
    u = torch.minimum((u * others).floor().long(), others - 1)  # float rounding stays inside
    u = u + own * (u >= cumulative[items] - own)
    return torch.searchsorted(cumulative, u, right=True)


def _replace_positions(
    history: torch.Tensor,
    rows: torch.Tensor,
    replace_count: int,
    n_items: int,
    generator,
    item_weights: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``min(replace_count, length)`` random real positions of each chosen row replaced."""
    mask = history > 0
    pos_scores = torch.rand(history.shape, device=history.device, generator=generator)
    pos_scores = pos_scores.masked_fill(~mask, 2.0)
    changed = (_ranks(pos_scores) < replace_count) & mask & rows.unsqueeze(1)
    new = _other_items(history, n_items, generator, item_weights)
    return torch.where(changed, new, history), changed


def _check_items(n_items: int, item_weights: torch.Tensor | None = None) -> None:
    if n_items < 3:
        raise ValueError("corruption needs at least two real items (n_items >= 3)")
    if item_weights is not None and (
        item_weights.shape != (n_items,)
        or item_weights.is_floating_point()
        or item_weights.is_complex()
    ):
        raise ValueError(
            f"item_weights: got a {item_weights.dtype} tensor of shape "
            f"{tuple(item_weights.shape)}; allowed: integer counts of shape ({n_items},), "
            "as popularity_weights gives"
        )


def corrupt_histories(
    history: torch.Tensor,
    n_items: int,
    noise_ratio: float,
    replace_count: int,
    generator: torch.Generator | None = None,
    item_weights: torch.Tensor | None = None,
) -> Corrupted:
    """Corrupt ``floor(noise_ratio * n + 0.5)`` of the ``n`` sequences that have a history.

    In each chosen sequence, ``min(replace_count, length)`` distinct non-padding
    positions get a random item id in ``[1, n_items)`` other than the one they
    held: uniformly, or with ``item_weights`` (:func:`popularity_weights`) in
    proportion to the items' counts. Fully vectorised, no host synchronisation;
    ``history`` is not modified.
    """
    _check_items(n_items, item_weights)
    ranks, n_chosen = _choose_rows((history > 0).any(dim=1), noise_ratio, generator)
    chosen = ranks < n_chosen
    corrupted, changed = _replace_positions(
        history, chosen, replace_count, n_items, generator, item_weights
    )
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
    item_weights: torch.Tensor | None = None,
) -> CorruptedSequences:
    """The auxiliary task's corruption of (history, target) pairs.

    ``history``: as :func:`corrupt_histories` (the paper). ``target``:
    ``floor(noise_ratio * n + 0.5)`` of all ``n`` rows get a random other target
    item. ``both``: of the rows with a history, that many are chosen; the first
    half of them (rounded up, in random order) get history corruption, the
    others a new target. Replacements are uniform over the other items, or with
    ``item_weights`` in proportion to their counts. Inputs are not modified.
    """
    if corruption_target not in CORRUPTION_TARGETS:
        raise ValueError(
            f"corruption_target: got {corruption_target!r}; allowed: {CORRUPTION_TARGETS}"
        )
    if corruption_target == "history":
        out = corrupt_histories(
            history, n_items, noise_ratio, replace_count, generator, item_weights
        )
        unchanged = torch.zeros_like(target, dtype=torch.bool)
        return CorruptedSequences(out.history, target, out.labels, out.changed, unchanged)
    _check_items(n_items, item_weights)
    has_history = (history > 0).any(dim=1)
    eligible = has_history if corruption_target == "both" else torch.ones_like(has_history)
    ranks, n_chosen = _choose_rows(eligible, noise_ratio, generator)
    chosen = ranks < n_chosen
    history_rows = ranks < torch.ceil(n_chosen / 2) if corruption_target == "both" else ~chosen
    history_rows = history_rows & chosen
    target_rows = chosen & ~history_rows
    corrupted, changed = _replace_positions(
        history, history_rows, replace_count, n_items, generator, item_weights
    )
    new_target = _other_items(target, n_items, generator, item_weights)
    new_target = torch.where(target_rows, new_target, target)
    return CorruptedSequences(corrupted, new_target, (~chosen).float(), changed, target_rows)
