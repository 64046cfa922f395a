"""Evaluation candidates drawn once and reused (docs/experiments.md, "Evaluation protocol").

Stock RecBole redraws the 100 sampled negatives of every user on every
evaluation pass from the global RNG, so two epochs or two methods are scored on
different candidates. Here each user's negatives are drawn once, from a
generator seeded by ``seed`` alone (the global RNG is left untouched), and
reused by every pass: comparisons between epochs, modes and runs are paired.
``candidate_rows`` gives the passes those batches' tensors, built once per device.
"""

from __future__ import annotations

import numpy as np
import torch
from recbole.data.dataloader import NegSampleEvalDataLoader

from recbole_atjt.data.candidate_rows import CandidateRows


class FixedCandidateEvalDataLoader(NegSampleEvalDataLoader):
    """RecBole's sampled-negative evaluation loader with per-user cached negatives."""

    def __init__(self, config, dataset, sampler, negatives=None, shuffle=False) -> None:
        """``negatives``: every user's candidates, as another loader's :attr:`negatives`
        (a cleaned dataset is scored on the candidates of the uncleaned one); drawn here
        when None."""
        super().__init__(config, dataset, sampler, shuffle=shuffle)
        self._negatives: dict[int, torch.Tensor] = {}
        self._candidate_rows: dict[str, CandidateRows] = {}
        if negatives is not None:
            self._negatives = {int(uid): negatives[int(uid)] for uid in self.uid_list}
        elif self.neg_sample_args["distribution"] != "none":
            self._draw_all(config["seed"])

    @property
    def negatives(self) -> dict[int, torch.Tensor]:
        """Every user's sampled candidates, drawn once."""
        return self._negatives

    def _draw_all(self, seed: int) -> None:
        """Draw every user's negatives with the sampler, under a private RNG state."""
        saved = np.random.get_state()
        np.random.seed(seed)
        try:
            for uid in self.uid_list:
                rows = self._dataset[self.uid2index[uid]]
                self._negatives[int(uid)] = self._sampler.sample_by_user_ids(
                    rows[self.uid_field].numpy(), rows[self.iid_field].numpy(), self.neg_sample_num
                )
        finally:
            np.random.set_state(saved)

    def _neg_sampling(self, inter_feat):
        uid = int(inter_feat[self.uid_field][0])
        return self.sampling_func(inter_feat, self._negatives[uid])

    @property
    def same_batches_every_pass(self) -> bool:
        """Whether every pass builds the same batches: sampled candidates (drawn once here)
        and no batch transform (RecBole applies one, often random, on every pass)."""
        return bool(self._negatives) and self.config["transform"] is None

    def candidate_rows(self, device: torch.device) -> CandidateRows:
        """This split's rows and candidates as tensors on ``device``, built on first use."""
        if str(device) not in self._candidate_rows:
            self._candidate_rows[str(device)] = CandidateRows(self, device)
        return self._candidate_rows[str(device)]
