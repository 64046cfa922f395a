"""Sampled-candidate evaluation on a score matrix one column per candidate, not per item.

RecBole scores a uni100 batch into a (users x all items) matrix of -inf with the
101 candidates filled in, then sorts and ranks whole rows for every metric: on
amazon-beauty (12,101 items) that sort is two thirds of an evaluation pass. The
metrics only need each user's distinct candidates in item order and where the
positive sits among them, so this keeps exactly those columns (padded with -inf,
as RecBole's rows are, so the candidate count is still the first -inf) and maps
the positives to their columns. Hit, NDCG, MRR, GAUC and the other rank metrics
are unchanged; metrics that report item ids ("rec.items": coverage, popularity)
keep RecBole's matrix.

RecBole also scores a sequential model's candidates with ``predict``, one row
per (user, candidate): the sequence encoder runs 101 times per user. Where the
model has ``full_sort_predict``, ``per_user_scores`` encodes each user's
sequence once and reads the candidates' scores from its row
(``SampledCandidateEvaluation`` checks on its first batch that they match ``predict``).

With fixed candidates (``FixedCandidateEvalDataLoader``) and no batch transform
(BERT4Rec's masking, the crop and reorder augmentations: RecBole redraws them on
every pass) a pass does not go through RecBole's loader at all: the split's rows
and candidates are built once as tensors on the device
(``recbole_atjt/data/candidate_rows.py``) and every pass scores them chunk by
chunk straight into the compact matrix.
"""

from __future__ import annotations

import torch
from recbole.model.abstract_recommender import AbstractRecommender, SequentialRecommender
from recbole.trainer import Trainer
from recbole.utils import EvaluatorType

from recbole_atjt.compat import Collector
from recbole_atjt.data.candidate_rows import CandidateChunk, key_columns
from recbole_atjt.data.fixed_candidates import FixedCandidateEvalDataLoader


def per_user_scores(model, interaction, row_idx: torch.Tensor) -> torch.Tensor:
    """(users x items) scores of a uni100 batch, encoding each user's sequence once.

    ``row_idx`` (each row's user within the batch) is on the interaction's device.
    """
    position = torch.arange(len(row_idx), device=row_idx.device)
    first = torch.full((int(row_idx.max()) + 1,), len(row_idx), device=row_idx.device)
    first.scatter_reduce_(0, row_idx, position, reduce="amin")  # each user's first row
    return model.full_sort_predict(interaction[first])


def scores_all_items(model) -> bool:
    """Whether the model is sequential and has its own ``full_sort_predict``."""
    return isinstance(model, SequentialRecommender) and (
        type(model).full_sort_predict is not AbstractRecommender.full_sort_predict
    )


def same_scores(ours: torch.Tensor, predicted: torch.Tensor) -> bool:
    """Equal up to the rounding of a different order of operations."""
    return torch.allclose(ours, predicted, rtol=1e-4, atol=1e-5)


def matches_predict(model, interaction, row_idx: torch.Tensor, items: torch.Tensor) -> bool:
    """Whether ``per_user_scores`` gives this batch ``predict``'s scores (up to rounding)."""
    if not scores_all_items(model):
        return False
    ours = per_user_scores(model, interaction, row_idx)[row_idx, items]
    return same_scores(ours, model.predict(interaction))


def compact_candidate_scores(
    scores: torch.Tensor,
    row_idx: torch.Tensor,
    items: torch.Tensor,
    positive_u: torch.Tensor,
    positive_i: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(candidate score matrix, positive columns) from RecBole's (users x items) matrix.

    Row ``u`` holds user ``u``'s distinct candidates in ascending item id, then
    -inf; there is at least one -inf column.
    """
    device = scores.device
    n_rows, n_items = scores.shape
    row_idx, items = row_idx.to(device), items.to(device)
    keys = torch.unique(row_idx * n_items + items)  # sorted: by user, then item
    rows, cand_items = keys // n_items, keys % n_items
    columns, per_row = key_columns(keys, n_items, n_rows)
    compact = torch.full(
        (n_rows, int(per_row.max()) + 1), -torch.inf, dtype=scores.dtype, device=device
    )
    compact[rows, columns] = scores[rows, cand_items]
    positive_keys = positive_u.to(device) * n_items + positive_i.to(device)
    return compact, columns[torch.searchsorted(keys, positive_keys)].to(positive_i.device)


class SampledCandidateEvaluation(Trainer):
    """RecBole's ``Trainer`` with sampled-candidate evaluation on the compact score matrix
    (and each sequence encoded once where the model allows); training is untouched."""

    def __init__(self, config, model) -> None:
        super().__init__(config, model)
        self.eval_collector = Collector(config)  # RecBole's, moving only tensors to the CPU
        self._encode_once: bool | None = None  # decided on the first evaluation batch

    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        """RecBole's evaluation; fixed candidates are scored from their cached tensors."""
        if (
            isinstance(eval_data, FixedCandidateEvalDataLoader)
            and eval_data.same_batches_every_pass
            and self._ranks_candidates()
        ):
            eval_data = eval_data.candidate_rows(self.device)
        return super().evaluate(eval_data, load_best_model, model_file, show_progress)

    def _ranks_candidates(self) -> bool:
        """Ranking metrics that need no item ids: the compact matrix gives RecBole's values."""
        return self.config["eval_type"] == EvaluatorType.RANKING and not (
            self.eval_collector.register.need("rec.items")
        )

    def _neg_sample_batch_eval(self, batched_data):
        """Scores of sampled candidates, ranked over the candidates only; a sequential model
        encodes each user's sequence once instead of once per candidate."""
        if isinstance(batched_data, CandidateChunk):
            return self._chunk_scores(batched_data)
        if self.config["eval_type"] != EvaluatorType.RANKING or self.eval_collector.register.need(
            "rec.items"
        ):
            return super()._neg_sample_batch_eval(batched_data)
        interaction, row_idx, positive_u, positive_i = batched_data
        interaction, rows = interaction.to(self.device), row_idx.to(self.device)
        items = interaction[self.config["ITEM_ID_FIELD"]]
        if self._encode_once is None:
            self._encode_once = matches_predict(self.model, interaction, rows, items)
        if self._encode_once:
            scores = per_user_scores(self.model, interaction, rows)
        else:
            interaction, scores, positive_u, positive_i = super()._neg_sample_batch_eval(
                batched_data
            )
        scores, positive_i = compact_candidate_scores(scores, rows, items, positive_u, positive_i)
        return interaction, scores, positive_u, positive_i

    def _chunk_scores(self, chunk: CandidateChunk):
        """(no interaction, compact scores, positive users, positive columns) of a cached chunk."""
        rows = chunk.rows
        if self._encode_once is None:  # decided on the first chunk, as on the first batch
            scores = self._predicted_chunk_scores(chunk)
            self._encode_once = scores_all_items(self.model) and same_scores(
                self._per_row_chunk_scores(chunk), scores
            )
        elif self._encode_once:
            scores = self._per_row_chunk_scores(chunk)
        else:
            scores = self._predicted_chunk_scores(chunk)
        users = rows.user_of_row[chunk.row_start : chunk.row_stop] - chunk.user_start
        columns = rows.columns[chunk.row_start : chunk.row_stop]
        compact = torch.full(
            (chunk.user_stop - chunk.user_start, rows.width),
            -torch.inf,
            dtype=scores.dtype,
            device=scores.device,
        )
        writes = rows.writes[chunk.row_start : chunk.row_stop]
        compact[users.unsqueeze(1).expand_as(columns)[writes], columns[writes]] = scores[writes]
        return None, compact, users, columns[:, 0]

    def _predicted_chunk_scores(self, chunk: CandidateChunk) -> torch.Tensor:
        """(rows x candidates) scores from ``predict``, one interaction per candidate."""
        return self.model.predict(chunk.rows.expanded(chunk)).view(len(chunk), -1)

    def _per_row_chunk_scores(self, chunk: CandidateChunk) -> torch.Tensor:
        """(rows x candidates) scores read from each row's all-item scores."""
        rows = chunk.rows
        every_item = self.model.full_sort_predict(rows.positive_rows(chunk))
        candidates = rows.candidates[chunk.row_start : chunk.row_stop]
        return every_item.view(len(chunk), -1).gather(1, candidates)
