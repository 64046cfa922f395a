"""Building base models (recbole_atjt/pretrain.py). S3Rec's pretrain stage does not depend
on our keys, so runs that differ only in them (base and +ATJT of one seed) can share one
pretrained model (the experiments do)."""

import torch
from conftest import tiny_config
from recbole.utils import init_seed

from recbole_atjt.data.preparation import prepare_data
from recbole_atjt.pretrain import build_model, pretrain


def _pretrained_weights(tmp_path, name, **overrides):
    config = tiny_config(
        "S3Rec", tmp_path, pretrain_epochs=1, checkpoint_dir=str(tmp_path / name), **overrides
    )
    init_seed(config["seed"], config["reproducibility"])  # as run() does
    _, train, _, _ = prepare_data(config)
    path = pretrain(config, train, show_progress=False)
    return torch.load(path, map_location="cpu", weights_only=False)["state_dict"]


def test_pretraining_is_the_same_whatever_our_keys_say(tmp_path):
    base = _pretrained_weights(tmp_path, "base", denoise="none")
    atjt = _pretrained_weights(
        tmp_path, "atjt", denoise="atjt", alpha=2.0, noise_ratio=0.3, replace_count=2
    )
    assert base.keys() == atjt.keys()
    assert all(torch.equal(base[k], atjt[k]) for k in base)

    # and the comparison can fail: another seed pretrains another model
    other = _pretrained_weights(tmp_path, "other", denoise="none", seed=8)
    assert not all(torch.equal(base[k], other[k]) for k in base)


def test_pretraining_reads_none_of_the_keys_runs_may_differ_in_and_share_it(tmp_path):
    """Every config key S3Rec's pretrain stage reads (model, trainer, saving), recorded: none
    of those the experiments let differ between runs sharing one pretrained model."""
    from recbole.config import Config

    from experiments.runner import PRETRAINING_IGNORES

    config = tiny_config("S3Rec", tmp_path, pretrain_epochs=1, checkpoint_dir=str(tmp_path))
    init_seed(config["seed"], config["reproducibility"])
    _, train, _, _ = prepare_data(config)
    read, original = set(), Config.__getitem__

    def recording(self, key):
        read.add(key)
        return original(self, key)

    Config.__getitem__ = recording
    try:
        pretrain(config, train, show_progress=False)
    finally:
        Config.__getitem__ = original
    assert {"pretrain_epochs", "learning_rate", "seed"} <= read  # the recording works
    assert not read & PRETRAINING_IGNORES, sorted(read & PRETRAINING_IGNORES)


def test_building_a_model_prints_nothing(tiny, capsys):
    config, train, *_ = tiny("FEARec")  # RecBole's FEARec prints its modes when built
    capsys.readouterr()
    build_model(config, train)
    assert capsys.readouterr().out == ""
