"""One loss per training row from an unchanged RecBole model.

The model's main loss module (``loss_fct`` / ``loss``, or its only one) is swapped, for one
``calculate_loss`` call, for a ``reduction='none'`` twin that also records its
output. The row vector's mean equals the model's own loss exactly; whatever
``calculate_loss`` adds on top (DCN's regulariser, FEARec's contrastive terms)
is recovered as ``total.mean() - rows.mean()`` and stays unweighted. The twin
hands the model a copy of the rows it records, so a model that adds its terms
in place (FEARec's ``loss += ...``) cannot change the recorded rows.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import NamedTuple

import torch
from recbole.model.loss import BPRLoss
from torch import nn
from torch.nn.modules.loss import _Loss

from recbole_atjt.errors import ATJTError

DEFAULT_ATTRIBUTES = ("loss_fct", "loss")


class RowLosses(NamedTuple):
    """A batch's loss split into its per-row part and its unweighted add-ons."""

    rows: torch.Tensor  # [N], one entry per row of the interaction
    extra: torch.Tensor | None  # scalar add-ons of calculate_loss, or None

    def unweighted(self) -> torch.Tensor:
        """The model's own loss: what calculate_loss returns without weights."""
        loss = self.rows.mean()
        return loss if self.extra is None else loss + self.extra


def is_loss(value: object) -> bool:
    """A loss module we can take per row: a torch loss, RecBole's BPRLoss, or a torch
    loss function that takes ``reduction`` (RepeatNet's ``F.nll_loss``)."""
    if isinstance(value, (BPRLoss, _Loss)):
        return True
    if isinstance(value, nn.Module) or not callable(value):
        return False
    try:
        return "reduction" in inspect.signature(value).parameters
    except (TypeError, ValueError):
        return False


class _RecordingTwin(nn.Module):
    """Computes the wrapped loss per row and remembers what it returned."""

    def __init__(self, original: nn.Module | Callable[..., torch.Tensor]) -> None:
        super().__init__()
        if isinstance(original, BPRLoss):
            self.gamma = original.gamma
            self.per_row = self._bpr
        elif not isinstance(original, nn.Module):
            self.per_row = functools.partial(original, reduction="none")
        else:
            twin = copy.copy(original)
            twin.reduction = "none"
            self.per_row = twin
        self.outputs: list[torch.Tensor] = []
        self.handed: list[tuple[torch.Tensor, int]] = []  # copies given out, their versions

    def untouched_output(self, total: torch.Tensor) -> bool:
        """Whether ``total`` is the one copy handed out, never modified in place."""
        if len(self.handed) != 1:
            return False
        handed, version = self.handed[0]
        return total is handed and total._version == version

    def _bpr(self, pos_score: torch.Tensor, neg_score: torch.Tensor) -> torch.Tensor:
        return -torch.log(self.gamma + torch.sigmoid(pos_score - neg_score))

    def forward(self, *args, **kwargs) -> torch.Tensor:
        out = self.per_row(*args, **kwargs)
        self.outputs.append(out)
        handed = out.clone()  # the model may add to it in place
        self.handed.append((handed, handed._version))
        return handed


def resolve_loss_attribute(model: nn.Module, configured: str | None = None) -> str:
    """Name of the model attribute holding its main loss; checks the contract up front.

    ``configured`` (config key ``loss_attribute``) wins; else ``loss_fct`` / ``loss``; else
    the model's one loss module, whatever its name (TransRec's ``bpr_loss``, KD_DAGFM's
    ``loss_fn``). None, or several, is refused naming them.
    """
    found = [n for n, m in model.named_children() if is_loss(m)]
    names = (configured,) if configured else DEFAULT_ATTRIBUTES
    for name in names:
        if is_loss(getattr(model, name, None)):
            return name
    if not configured and len(found) == 1:
        return found[0]
    raise ATJTError(
        f"model {type(model).__name__}: no per-row loss module at "
        f"{' / '.join(repr(n) for n in names)} (loss modules found: {found or 'none'}); "
        "allowed: a torch loss (module or function) with a 'reduction', or RecBole's "
        "BPRLoss, named with config key 'loss_attribute'"
    )


@contextlib.contextmanager
def _swapped(model: nn.Module, attribute: str) -> Iterator[_RecordingTwin]:
    original = getattr(model, attribute)
    twin = _RecordingTwin(original)
    # a loss function is a plain attribute: swapping it in must not register a child module
    assign = setattr if isinstance(original, nn.Module) else object.__setattr__
    assign(model, attribute, twin)
    try:
        yield twin
    finally:
        assign(model, attribute, original)


def row_losses(model: nn.Module, interaction, attribute: str) -> RowLosses:
    """Run ``model.calculate_loss`` once and return its per-row loss and add-ons."""
    with _swapped(model, attribute) as twin:
        out = model.calculate_loss(interaction)
    if not twin.outputs:
        raise ATJTError(
            f"model {type(model).__name__}: calculate_loss never called '{attribute}'; "
            "allowed: a model whose main loss goes through that module"
        )
    rows = twin.outputs[0] if len(twin.outputs) == 1 else sum(twin.outputs)
    rows = rows.reshape(-1)
    total = sum(out) if isinstance(out, tuple) else out
    if twin.untouched_output(total):
        return RowLosses(rows, None)
    return RowLosses(rows, total.mean() - rows.mean())


def weighted_loss(losses: RowLosses, row_weights: torch.Tensor) -> torch.Tensor:
    """L_R = mean_i(w_i * loss_i) + unweighted add-ons (paper eq. 1)."""
    loss = (row_weights * losses.rows).mean()
    return loss if losses.extra is None else loss + losses.extra


def rows_per_sequence(n_rows: int, n_sequences: int) -> int:
    """How many loss rows each sequence owns (1 + sampled negatives, or 1)."""
    if n_sequences == 0 or n_rows % n_sequences:
        raise ATJTError(
            f"the model returned {n_rows} per-row losses for {n_sequences} sequences; "
            "allowed: a whole multiple (one row per sequence and per sampled negative)"
        )
    return n_rows // n_sequences
