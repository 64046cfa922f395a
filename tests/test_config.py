import logging
import sys
from pathlib import Path

import pytest
from conftest import tiny_config

from recbole_atjt.config import ATJTConfig
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import BUNDLED_DATA_DIR

BAD_VALUES = [
    ("denoise", "magic"),
    ("denoise", 3),
    ("atjt_groups", 1),
    ("atjt_groups", 2.5),
    ("atjt_groups", True),
    ("alpha", -0.1),
    ("alpha", "big"),
    ("noise_ratio", 0.0),
    ("noise_ratio", 1.0),
    ("noise_ratio", 1.5),
    ("replace_count", 0),
    ("replace_count", 1.5),
    ("noise_learning_rate", 0),
    ("noise_optimizer", "lbfgs"),
    ("noise_embedding_size", 0),
    ("noise_attention_hidden", [0]),
    ("noise_attention_hidden", 32),
    ("noise_output_hidden", ["a"]),
    ("noise_dropout", 1.0),
    ("noise_dropout", -0.5),
    ("dnr_pretrain_epochs", 0),
    ("weight_norm", "l2"),
    ("fixed_eval_candidates", "yes"),
    ("noise_sparse_gradient", "yes"),
    ("compile_recognizer", "auto"),
]


@pytest.mark.parametrize("key,value", BAD_VALUES)
def test_invalid_atjt_keys_are_rejected_naming_the_key(key, value):
    with pytest.raises(ATJTError) as err:
        ATJTConfig("SASRec", "ml-100k", config_dict={key: value})
    message = str(err.value)
    assert f"'{key}'" in message and "allowed" in message
    assert "\n" not in message


def test_defaults_follow_the_common_protocol():
    c = ATJTConfig("SASRec", "ml-100k")
    assert c["eval_args"]["split"] == {"LS": "valid_and_test"}
    assert c["eval_args"]["order"] == "TO"
    assert c["eval_args"]["mode"] == {"valid": "uni100", "test": "uni100"}
    assert c["metrics"] == ["Hit", "NDCG", "GAUC"]
    assert c["topk"] == [5, 10]
    assert c["valid_metric"] == "NDCG@5"
    assert c["denoise"] == "atjt" and c["atjt_groups"] == 2


def test_negative_sampling_follows_model_and_loss():
    ce = ATJTConfig("SASRec", "ml-100k", config_dict={"loss_type": "CE"})
    assert ce["train_neg_sample_args"]["distribution"] == "none"
    for model in ("SASRec", "S3Rec", "FEARec"):  # the paper's binary loss by default
        bpr = ATJTConfig(model, "ml-100k")
        assert bpr["loss_type"] == "BPR"
        assert bpr["train_neg_sample_args"]["distribution"] == "uniform"
        assert bpr["train_neg_sample_args"]["sample_num"] == 1
    din = ATJTConfig("DIN", "ml-100k")
    assert din["train_neg_sample_args"]["sample_num"] == 1


def test_user_values_override_ours_and_modes_are_normalised():
    metrics = {"metrics": ["Hit"], "valid_metric": "Hit@5"}  # a metric it computes
    c = ATJTConfig("SASRec", "ml-100k", config_dict={"denoise": "DNR", **metrics})
    assert c["denoise"] == "dnr" and c["metrics"] == ["Hit"]


def test_command_line_of_the_process_is_ignored(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["pytest", "--noise_ratio=7", "--learning_rate=3"])
    c = ATJTConfig("SASRec", "ml-100k")
    assert c["noise_ratio"] == 0.5 and c["learning_rate"] == 0.001
    assert sys.argv[1] == "--noise_ratio=7"


def test_bundled_dataset_found_without_data_path():
    c = ATJTConfig("SASRec", "atjt-synth")
    assert c["data_path"] == str(BUNDLED_DATA_DIR / "atjt-synth")


def test_ml100k_data_path_is_honoured(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    (folder / "ml-100k.inter").write_text("user_id:token\titem_id:token\n")
    c = ATJTConfig("SASRec", "ml-100k", config_dict={"data_path": str(tmp_path)})
    assert c["data_path"] == str(folder)


def test_fearec_needs_two_layers():
    with pytest.raises(ATJTError, match="'n_layers'.*FEARec"):
        ATJTConfig("FEARec", "ml-100k", config_dict={"n_layers": 1})


def test_unknown_datasets_load_the_time_column():
    c = ATJTConfig("SASRec", "some-new-dataset")
    assert c["load_col"] == {"inter": ["user_id", "item_id", "timestamp"]}
    assert ATJTConfig("SASRec", "ml-100k")["load_col"]["inter"][-1] == "timestamp"  # RecBole's own
    mine = ATJTConfig("SASRec", "x", config_dict={"load_col": {"inter": ["user_id", "item_id"]}})
    assert mine["load_col"] == {"inter": ["user_id", "item_id"]}


def _dataset_with_item_file(root, name: str, item_header: str):
    folder = root / name
    folder.mkdir()
    inter = "user_id:token\titem_id:token\ttimestamp:float\n1\t1\t1\n"
    (folder / f"{name}.inter").write_text(inter)
    (folder / f"{name}.item").write_text(f"{item_header}\n1\t3 4\n")


def test_s3rec_takes_the_datasets_own_item_attribute(tmp_path):
    """RecBole's 'class' is ml-100k's; other datasets name their attribute otherwise."""
    _dataset_with_item_file(tmp_path, "beauty-like", "item_id:token\tcategories:token_seq")
    config = ATJTConfig("S3Rec", "beauty-like", config_dict={"data_path": str(tmp_path)})
    assert config["item_attribute"] == "categories"
    assert config["load_col"]["item"] == ["item_id", "categories"]
    assert config["load_col"]["inter"] == ["user_id", "item_id", "timestamp"]
    with pytest.raises(ATJTError, match=r"'item_attribute': got 'genre'.*\['categories'\]"):
        ATJTConfig(
            "S3Rec",
            "beauty-like",
            config_dict={"data_path": str(tmp_path), "item_attribute": "genre"},
        )
    _dataset_with_item_file(tmp_path, "no-attribute", "item_id:token\tprice:float")
    with pytest.raises(ATJTError, match=r"got 'class'.*allowed: none: the file has no such"):
        ATJTConfig("S3Rec", "no-attribute", config_dict={"data_path": str(tmp_path)})


@pytest.mark.parametrize("model", ["FDSA", "GRU4RecF", "SASRecF"])
def test_feature_models_take_the_datasets_item_features(tmp_path, model, caplog):
    """RecBole's selected_features default names ml-100k's 'class' field."""
    # an earlier run in this process may have left RecBole's root logger at ERROR
    caplog.set_level(logging.WARNING)
    header = "item_id:token\tcategories:token_seq\tbrand:token\tprice:float"
    _dataset_with_item_file(tmp_path, "beauty-like", header)
    config = ATJTConfig(model, "beauty-like", config_dict={"data_path": str(tmp_path)})
    assert config["selected_features"] == ["categories", "brand"]  # token fields, not floats
    assert config["load_col"]["item"] == ["item_id", "categories", "brand"]
    assert "has no field ['class']; using ['categories', 'brand']" in caplog.text
    mine = {"data_path": str(tmp_path), "selected_features": ["brand"]}
    assert ATJTConfig(model, "beauty-like", config_dict=mine)["selected_features"] == ["brand"]
    wrong = {"data_path": str(tmp_path), "selected_features": ["brand", "genre"]}
    with pytest.raises(ATJTError, match=r"'selected_features': got 'genre'.*\['categories'"):
        ATJTConfig(model, "beauty-like", config_dict=wrong)
    (tmp_path / "beauty-like" / "beauty-like.item").unlink()
    with pytest.raises(ATJTError, match=r"'selected_features'.*beauty-like.item does not exist"):
        ATJTConfig(model, "beauty-like", config_dict={"data_path": str(tmp_path)})


def test_a_key_the_base_model_shares_with_ours_keeps_the_models_value(tiny):
    """FOSSIL reads `alpha` (its similarity exponent, 0.6 in RecBole), DIEN too (its
    auxiliary-loss weight, 1.0): our `alpha` (the auxiliary task's weight) must not reach them."""
    config, *_, net = tiny("FOSSIL")
    assert config["alpha"] == 1.0 and config["base_model_config"] == {"alpha": 0.6}
    assert net.alpha == 0.6
    config, *_, net = tiny("DIEN", alpha=3.0)
    assert config["alpha"] == 3.0 and net.alpha == 1.0
    config, *_, net = tiny("FOSSIL", base_model_config={"alpha": 0.5})
    assert config["alpha"] == 1.0 and net.alpha == 0.5
    assert tiny_config("SASRec", Path("."))["base_model_config"] == {}
    with pytest.raises(ATJTError, match="'base_model_config'"):
        tiny_config("FOSSIL", Path("."), base_model_config={"hidden_size": 8})


def test_eval_args_a_user_sets_replace_ours_key_by_key():
    """RecBole would replace the whole dict: {mode: full} alone meant a random 8:1:1 split."""
    ours = ATJTConfig("SASRec", "atjt-synth")["eval_args"]
    full = ATJTConfig("SASRec", "atjt-synth", config_dict={"eval_args": {"mode": "full"}})
    assert full["eval_args"]["mode"] == {"valid": "full", "test": "full"}
    for key in ("split", "order", "group_by"):
        assert full["eval_args"][key] == ours[key], key
    assert ours["split"] == {"LS": "valid_and_test"} and ours["order"] == "TO"


def test_a_sparse_gradient_is_refused_for_a_compiled_recognizer():
    with pytest.raises(ATJTError, match="'noise_sparse_gradient'.*compile_recognizer"):
        ATJTConfig(
            "SASRec",
            "ml-100k",
            config_dict={"noise_sparse_gradient": True, "compile_recognizer": True},
        )


def test_a_sparse_gradient_is_refused_for_an_optimizer_whose_update_it_would_change():
    with pytest.raises(ATJTError, match="'noise_sparse_gradient'.*'adam'"):
        ATJTConfig(
            "SASRec",
            "ml-100k",
            config_dict={"noise_sparse_gradient": True, "noise_optimizer": "adam"},
        )
