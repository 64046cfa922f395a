"""Every RecBole sequential model trains one tiny epoch with ATJT, or is refused up front
(the paper's six train in every mode in tests/test_end_to_end.py)."""

import pytest
import recbole.model.sequential_recommender as sequential
from conftest import REFUSED_MODELS, REPO_ROOT, other_models, recbole_models, trains_or_is_refused


@pytest.mark.parametrize("model", other_models(sequential))
def test_trains_with_atjt_or_is_refused_up_front(tmp_path, model):
    trains_or_is_refused(model, tmp_path)


def test_the_models_page_lists_what_the_tests_find():
    import recbole.model.context_aware_recommender as context_aware

    readme = (REPO_ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    for family, module in (("Sequential", sequential), ("Context-aware", context_aware)):
        trained = [m for m in recbole_models(module) if m not in REFUSED_MODELS]
        assert f"- {family}, trained ({len(trained)}): {', '.join(trained)}\n" in readme
    refused = readme[readme.index(f"- Refused ({len(REFUSED_MODELS)}):") :]
    refused = refused[: refused.index("\n\n")]
    for model in REFUSED_MODELS:
        assert f"  - {model}" in refused or f", {model}" in refused, model
