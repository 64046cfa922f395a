"""The training set seen as G user-disjoint groups (paper Sec. 3.4.1, Fig. 2b).

For group k this offers the recommender's batches (RecBole's own collation and
negative sampling, restricted to group k) and a shuffled, cycling stream of
the instances *outside* group k for the recognizer's auxiliary task. The
auxiliary stream indexes the history and target tensors directly on the
training device: no second collation of any batch.
"""

from __future__ import annotations

import numpy as np
import torch
from recbole.data.dataloader import AbstractDataLoader

from recbole_atjt.data.partition import partition_by_user


class AuxiliaryStream:
    """Endless shuffled batches of instance indices drawn from ``indices``."""

    def __init__(self, indices: torch.Tensor, batch_size: int, generator: torch.Generator) -> None:
        self.indices = indices
        self.batch_size = min(batch_size, len(indices))
        self.generator = generator
        self._order = indices[:0]
        self._next = 0

    def __len__(self) -> int:
        """Batches in one pass over the indices."""
        return -(-len(self.indices) // self.batch_size)

    def next_batch(self) -> torch.Tensor:
        """The next ``batch_size`` indices; reshuffles when a pass is used up."""
        if self._next + self.batch_size > len(self._order):
            perm = torch.randperm(len(self.indices), generator=self.generator)
            self._order = self.indices[perm.to(self.indices.device)]
            self._next = 0
        batch = self._order[self._next : self._next + self.batch_size]
        self._next += self.batch_size
        return batch


class GroupedInstances:
    """(history, target) instances in user-disjoint groups, with one auxiliary stream per
    group k over the instances outside group k."""

    def __init__(
        self,
        history: torch.Tensor,
        target: torch.Tensor,
        users: np.ndarray,
        n_items: int,
        n_groups: int,
        seed: int,
        batch_size: int,
        device: torch.device,
    ) -> None:
        self.groups: list[np.ndarray] = partition_by_user(users, n_groups, seed)
        self.history = history.to(device)
        self.target = target.to(device)
        self.n_items = n_items
        self._stream_generator = torch.Generator().manual_seed(seed)
        everything = np.arange(len(users))
        self.streams = [
            AuxiliaryStream(
                torch.from_numpy(np.setdiff1d(everything, idx)).to(device),
                batch_size,
                self._stream_generator,
            )
            for idx in self.groups
        ]

    def holdout_split(
        self, k: int, share: float, generator: torch.Generator
    ) -> tuple[torch.Tensor, AuxiliaryStream]:
        """Instances outside group k split into a held-out slice and a stream of the rest."""
        indices = self.streams[k].indices
        order = torch.randperm(len(indices), generator=generator).to(indices.device)
        n_held = max(1, int(round(len(indices) * share)))
        rest = AuxiliaryStream(indices[order[n_held:]], self.streams[k].batch_size, generator)
        return indices[order[:n_held]], rest

    def auxiliary_batch(self, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(instance indices, histories, targets) of the next batch outside group k."""
        idx = self.streams[k].next_batch()
        return idx, self.history[idx], self.target[idx]


class GroupedTrainData(GroupedInstances):
    """User-disjoint groups of a RecBole training loader, plus auxiliary streams."""

    def __init__(
        self,
        train_data: AbstractDataLoader,
        n_groups: int,
        seed: int,
        history_field: str,
        target_field: str,
        device: torch.device,
    ) -> None:
        dataset = train_data._dataset
        super().__init__(
            dataset.inter_feat[history_field],
            dataset.inter_feat[target_field],
            dataset.inter_feat[dataset.uid_field].numpy(),
            dataset.item_num,
            n_groups,
            seed,
            train_data.config["train_batch_size"],
            device,
        )
        self.times: int = train_data.times  # loss rows per sequence
        self.loaders = []
        for k, idx in enumerate(self.groups):
            sub = dataset.copy(dataset.inter_feat[idx])
            loader = type(train_data)(train_data.config, sub, train_data._sampler, shuffle=True)
            loader.generator.manual_seed(seed + 1 + k)
            self.loaders.append(loader)

    def state(self) -> dict:
        """Shuffling state of the group loaders and auxiliary streams (for exact resume)."""
        return {
            "loaders": [loader.generator.get_state() for loader in self.loaders],
            "stream_generator": self._stream_generator.get_state(),
            "streams": [(stream._order.cpu(), stream._next) for stream in self.streams],
        }

    def restore(self, state: dict) -> None:
        for loader, saved in zip(self.loaders, state["loaders"], strict=True):
            loader.generator.set_state(saved)
        self._stream_generator.set_state(state["stream_generator"])
        for stream, (order, position) in zip(self.streams, state["streams"], strict=True):
            stream._order, stream._next = order.to(stream.indices.device), position
