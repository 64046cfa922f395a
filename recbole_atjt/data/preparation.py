"""Dataset loading and splitting: RecBole's, with fixed evaluation candidates."""

from __future__ import annotations

from recbole.data import create_dataset, data_preparation
from recbole.data.dataloader import NegSampleEvalDataLoader

from recbole_atjt.data.fixed_candidates import FixedCandidateEvalDataLoader
from recbole_atjt.errors import ATJTError


def prepare_data(config):
    """Return ``(dataset, train_data, valid_data, test_data)``.

    Stock ``create_dataset`` and ``data_preparation`` (so the global RNG is
    consumed exactly as in a stock run); sampled-negative evaluation loaders are
    then rebuilt with fixed candidates when ``fixed_eval_candidates`` is on.
    """
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    if config["fixed_eval_candidates"]:
        valid_data, test_data = (_fixed(config, loader) for loader in (valid_data, test_data))
    _check_groups(config, train_data)
    return dataset, train_data, valid_data, test_data


def _fixed(config, loader):
    if type(loader) is not NegSampleEvalDataLoader:
        return loader  # full ranking: no sampled candidates to fix
    return FixedCandidateEvalDataLoader(config, loader._dataset, loader._sampler)


def _check_groups(config, train_data) -> None:
    if config["denoise"] == "none":
        return
    dataset = train_data._dataset
    n_users = len(set(dataset.inter_feat[dataset.uid_field].tolist()))
    if config["atjt_groups"] > n_users:
        raise ATJTError(
            f"config key 'atjt_groups': got {config['atjt_groups']}; allowed: an integer "
            f"from 2 to the number of training users ({n_users})"
        )
