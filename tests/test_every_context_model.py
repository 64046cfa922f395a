"""Every RecBole context-aware model trains one tiny epoch with ATJT, or is refused up front
(the paper's six train in every mode in tests/test_end_to_end.py)."""

import pytest
import recbole.model.context_aware_recommender as context_aware
from conftest import other_models, trains_or_is_refused


@pytest.mark.parametrize("model", other_models(context_aware))
def test_trains_with_atjt_or_is_refused_up_front(tmp_path, model):
    trains_or_is_refused(model, tmp_path)
