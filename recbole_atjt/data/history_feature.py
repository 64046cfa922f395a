"""The user's history as an item feature for context-aware models (paper Sec. 4.1.3).

RecBole's context-aware models (WideDeep, DCN, ...) embed every interaction
field they are given; they have no notion of a history. This dataset builds
RecBole's sequential instances (the history before each interaction, at most
``MAX_ITEM_LIST_LENGTH`` items, as the ``token_seq`` field ``item_id_list``
sharing the item vocabulary) and then hides every other interaction field
(time, length, ratings) from the model. The models themselves are unchanged;
corruption then acts on ``item_id_list`` exactly as for sequential models.
"""

from __future__ import annotations

from recbole.data.dataset import SequentialDataset


class HistoryFeatureDataset(SequentialDataset):
    """Sequential instances whose only interaction features are user, item and history."""

    def _change_feat_format(self) -> None:
        super()._change_feat_format()
        self.field2id_token[self.item_id_list_field] = self.field2id_token[self.iid_field]

    def build(self) -> list[SequentialDataset]:
        built = super().build()  # splits by time, so the time column is needed until here
        keep = {self.uid_field, self.iid_field, self.item_id_list_field}
        hidden = [f for f in self.inter_feat.columns if f not in keep]
        for field in hidden:
            for part in built:
                part.inter_feat.drop(column=field)
            self._del_col(self.inter_feat, field)
        return built
