"""The noise recognizer g (paper Sec. 3.3.2 and 4.1.3).

A sequence-to-value model: attention over the history conditioned on the
target item, then an MLP on [h ; e_T] and a sigmoid. Its output is the
probability that the sequence is *clean*, used as the sequence's weight.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

# Optimizers (as RecBole builds them: no momentum, weight decay 0) that leave a parameter row and
# its state unchanged under a zero gradient: a sparse gradient updates what a dense one does.
SPARSE_EXACT_OPTIMIZERS = ("adagrad", "sgd")
# Catalogue size from which a CPU's sparse update is faster than the dense one (one thread,
# batch 512 x 20 positions: at 12,101 items dense is 0.35 ms per step faster, at 50,000
# sparse is 4 ms faster, at 200,000 51 ms).
SPARSE_MIN_ITEMS = 20_000


def sparse_gradient(
    setting, device: torch.device, optimizer: str, n_items: int, compiled: bool = False
) -> bool:
    """Whether the item embedding takes sparse gradients (the ``noise_sparse_gradient`` key;
    ``auto`` is dense for a compiled recognizer, whose graph has no sparse gradients)."""
    if setting is True or setting is False:
        return setting
    return (
        not compiled
        and device.type == "cpu"
        and optimizer.lower() in SPARSE_EXACT_OPTIMIZERS
        and n_items >= SPARSE_MIN_ITEMS
    )


def _mlp(sizes: Sequence[int], dropout: float) -> nn.Sequential:
    """Linear + PReLU + dropout per hidden layer, then a linear layer to one output."""
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [nn.Linear(n_in, n_out), nn.PReLU(), nn.Dropout(dropout)]
    layers.append(nn.Linear(sizes[-1], 1))
    return nn.Sequential(*layers)


class NoiseRecognizer(nn.Module):
    """Weights a (history, target) pair with a value in (0, 1).

    The paper normalises attention by the sum of raw MLP outputs, which can be
    zero or negative after PReLU; we use a softmax over the non-padding
    positions instead. A history with no items gets h = 0.

    ``compiled``: the logits run as one ``torch.compile`` graph over the padded
    [B, L] grid (fixed shapes; forward and backward fused), on any device.
    """

    def __init__(
        self,
        n_items: int,
        embedding_size: int = 32,
        attention_hidden: Sequence[int] = (32,),
        output_hidden: Sequence[int] = (256, 64),
        dropout: float = 0.5,
        sparse: bool = False,
        compiled: bool = False,
    ) -> None:
        super().__init__()
        self.compiled = compiled
        self.item_embedding = nn.Embedding(n_items, embedding_size, padding_idx=0, sparse=sparse)
        self.attention = _mlp([2 * embedding_size, *attention_hidden], dropout)
        self.output = _mlp([2 * embedding_size, *output_hidden], dropout)
        nn.init.normal_(self.item_embedding.weight, std=0.1)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    def forward(self, history: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``history`` [B, L] item ids (0 = padding), ``target`` [B] -> weights [B]."""
        return torch.sigmoid(self.logits(history, target))

    def logits(self, history: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The weights before the sigmoid (for a stable binary cross-entropy)."""
        if self.compiled:
            return _compiled_padded_logits()(self, history, target)
        # fixed shapes on a GPU (no host sync, padding is cheap there); on a CPU only the
        # real positions: most of a short-history batch is padding
        return self._logits(history, target, packed=not history.is_cuda)

    def _logits(self, history: torch.Tensor, target: torch.Tensor, packed: bool) -> torch.Tensor:
        e_target = self.item_embedding(target)  # [B, d]
        mask = history > 0
        pool = self._pool_packed if packed else self._pool_padded
        h = pool(history, mask, e_target)
        return self.output(torch.cat([h, e_target], dim=-1)).squeeze(-1)

    def _padded_logits(self, history: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self._logits(history, target, packed=False)

    def _pool_padded(self, history, mask, e_target) -> torch.Tensor:
        """h = sum_n a_n e_n over the [B, L] grid, padding masked out."""
        e_hist = self.item_embedding(history)  # [B, L, d]
        scores = self._attention_scores(e_hist, e_target.unsqueeze(1))  # [B, L]
        attn = torch.softmax(scores.masked_fill(~mask, -1e9), dim=-1) * mask
        return torch.bmm(attn.unsqueeze(1), e_hist).squeeze(1)  # [B, d]

    def _pool_packed(self, history, mask, e_target) -> torch.Tensor:
        """The same h, computed on the real positions alone (a softmax per row by scatter)."""
        rows, cols = mask.nonzero(as_tuple=True)
        e_real = self.item_embedding(history[rows, cols])  # [N, d]
        scores = self._attention_scores(e_real, e_target[rows])  # [N]
        grid = scores.new_full(history.shape, -1e9).index_put((rows, cols), scores)
        attn = torch.softmax(grid, dim=-1)[rows, cols]  # [N]
        h = e_target.new_zeros(e_target.shape)
        return h.index_add(0, rows, attn.unsqueeze(-1) * e_real)  # [B, d]

    def _attention_scores(self, e_items: torch.Tensor, e_target: torch.Tensor) -> torch.Tensor:
        """attention([e_n ; e_T]) for every item n, without building the pairs.

        The first linear layer splits as W [e_n ; e_T] + b = W_n e_n + (W_T e_T + b): the
        target's half is computed once per sequence instead of once per position.
        ``e_target`` broadcasts against ``e_items`` ([B, 1, d] with [B, L, d], or [N, d]).
        """
        first, rest = self.attention[0], self.attention[1:]
        d = e_items.shape[-1]
        per_target = F.linear(e_target, first.weight[:, d:], first.bias)
        hidden = F.linear(e_items, first.weight[:, :d]) + per_target
        return rest(hidden).squeeze(-1)

    @classmethod
    def from_config(cls, config, n_items: int, sparse: bool = False) -> NoiseRecognizer:
        """Build with the sizes of the ``noise_*`` config keys and ``compile_recognizer``;
        ``sparse``: the item embedding's gradient holds the rows a batch looked up only."""
        return cls(
            n_items,
            embedding_size=config["noise_embedding_size"],
            attention_hidden=config["noise_attention_hidden"],
            output_hidden=config["noise_output_hidden"],
            dropout=config["noise_dropout"],
            sparse=sparse,
            compiled=config["compile_recognizer"],
        )


@functools.cache
def _compiled_padded_logits():
    """One compiled function for every recognizer (their parameters are its inputs), made on
    first use so that an eager run never starts the compiler."""
    return torch.compile(NoiseRecognizer._padded_logits)
