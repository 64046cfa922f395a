import json
import os

import pytest
from conftest import DATASET, PAPER_MODELS, TESTING_CHECKOUT, TINY, check_metrics

from recbole_atjt import run
from recbole_atjt.cli import build_run_arguments, main
from recbole_atjt.errors import ATJTError
from recbole_atjt.modes import JOINT, MEAN_CLIPPED, MODES
from recbole_atjt.threads import FEW_CORES, default_torch_threads, torch_threads


@pytest.mark.parametrize("mode", [m for m in MODES if MODES[m].uses_recognizers or m == "none"])
@pytest.mark.parametrize("model", PAPER_MODELS)
def test_one_epoch_in_every_mode(tmp_path, model, mode):
    settings = {**TINY, "denoise": mode, "run_dir": str(tmp_path)}
    results = run(model, DATASET, config_dict=settings)

    check_metrics(results["valid"])
    check_metrics(results["test"])
    assert results["epochs_run"] == 1 and len(results["train_seconds_per_epoch"]) == 1
    (valid_seconds,) = results["valid_seconds_per_epoch"]
    assert valid_seconds > 0
    run_dir = results["run_dir"]
    assert os.path.basename(run_dir).startswith(f"{model}-{DATASET}-{mode}-")
    for name in ("config.yaml", "results.json", "run.log"):
        assert os.path.isfile(os.path.join(run_dir, name))
    assert os.path.isfile(results["checkpoint"])
    with open(os.path.join(run_dir, "results.json")) as f:
        saved = json.load(f)
    assert saved["test"] == pytest.approx(results["test"])
    # the configured metrics, as RecBole names them (the ranking AUC stays "gauc" in files)
    assert set(saved["test"]) == {"hit@5", "hit@10", "ndcg@5", "ndcg@10", "gauc"}
    if TESTING_CHECKOUT:
        assert len(saved["code"]["commit"]) == 40  # the code that trained it
    else:
        assert saved["code"] is None  # an installed wheel has no commit to record
    if mode == "none":
        assert results["denoising_per_epoch"] == []
    else:
        stats = results["denoising_per_epoch"][0]
        # the recommender's loss was really weighted: unequal weights, a different loss
        if MODES[mode].normalisation == MEAN_CLIPPED:  # batch mean 1 before the clip
            assert stats["weight_mean"] == pytest.approx(1.0, abs=0.1)
        else:
            assert 0 < stats["weight_mean"] < 1
        assert stats["weight_std"] > 0
        assert stats["loss_r"] != pytest.approx(stats["loss_r_unweighted"], rel=1e-7)
        assert ("loss_d" in stats) == (MODES[mode].auxiliary_task == JOINT)


def test_cli_passes_flags_and_overrides_to_run():
    kwargs, args = build_run_arguments(
        ["--model=DIN", "--denoise=wat", "--epochs=3", "--alpha=0.5", "--gpu_id=''", "--debug"]
    )
    assert kwargs["model"] == "DIN" and args.debug
    assert kwargs["config_dict"] == {"epochs": 3, "alpha": 0.5, "gpu_id": "", "denoise": "wat"}
    assert kwargs["config_file_list"][0].endswith("quick.yaml")  # default preset


def test_cli_reports_a_bad_key_in_one_line(capsys, tmp_path):
    code = main(["--dataset", DATASET, "--noise_ratio=2", f"--run_dir={tmp_path}"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0 and "'noise_ratio'" in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())  # nothing written for a failed run


def test_general_recommenders_are_refused_up_front(tmp_path):
    with pytest.raises(ATJTError, match="BPR is a general recommender") as err:
        run("BPR", DATASET, config_dict={**TINY, "run_dir": str(tmp_path)})
    assert "\n" not in str(err.value)


def test_s3rec_with_a_pretrained_model_only_fine_tunes(tmp_path):
    settings = {**TINY, "run_dir": str(tmp_path), "denoise": "none"}
    settings["state"] = "INFO"  # the log is checked below
    first = run("S3Rec", DATASET, config_dict=settings)
    pretrained = os.path.join(first["run_dir"], "S3Rec-pretrained.pth")
    assert os.path.isfile(pretrained)

    second = run("S3Rec", DATASET, config_dict={**settings, "pre_model_path": pretrained})
    assert not os.path.exists(os.path.join(second["run_dir"], "S3Rec-pretrained.pth"))
    with open(os.path.join(second["run_dir"], "run.log")) as f:
        log = f.read()
    assert f"Load pretrained model from {pretrained}" in log and "pretraining for" not in log


def test_s3rec_runs_on_a_dataset_whose_attribute_is_not_class(tmp_path):
    """amazon-beauty's shape: no properties file, the attribute is called 'categories'."""
    from recbole_atjt.paths import BUNDLED_DATA_DIR

    name = "synth-categories"
    folder = tmp_path / "data" / name
    folder.mkdir(parents=True)
    source = BUNDLED_DATA_DIR / DATASET
    (folder / f"{name}.inter").write_text((source / f"{DATASET}.inter").read_text())
    items = (source / f"{DATASET}.item").read_text()
    items = items.replace("category:token_seq", "categories:token_seq")
    (folder / f"{name}.item").write_text(items)
    settings = {**TINY, "run_dir": str(tmp_path / "runs"), "denoise": "atjt"}
    results = run("S3Rec", name, config_dict={**settings, "data_path": str(tmp_path / "data")})
    check_metrics(results["test"])


def test_help_lists_every_denoise_mode_and_detector(capsys):
    from recbole_atjt.validation import INTERACTION_CLEANINGS

    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert " | ".join(MODES) in text and "odnr" in text and "oracle" in text
    assert " | ".join(INTERACTION_CLEANINGS) in text


def test_interaction_cleaning_is_a_flag_of_the_command_line():
    run_kwargs, _ = build_run_arguments(["--interaction_cleaning", "cooccurrence"])
    assert run_kwargs["config_dict"]["interaction_cleaning"] == "cooccurrence"


def test_each_rounds_progress_bar_names_its_epoch_and_group(tmp_path, capsys):
    settings = {**TINY, "denoise": "atjt", "show_progress": True, "run_dir": str(tmp_path)}
    run("SASRec", DATASET, config_dict=settings)
    err = capsys.readouterr().err
    assert "Train 0, group 1/2" in err and "Train 0, group 2/2" in err


@pytest.mark.parametrize(
    "argv,api",
    [
        (["--epochs=1"], {"config_dict": {"epochs": 1}}),
        (
            ["--model=DIN", "--dataset=atjt-synth", "--denoise=none", "--epochs=2"],
            {
                "model": "DIN",
                "dataset": "atjt-synth",
                "config_dict": {"denoise": "none", "epochs": 2},
            },
        ),
        (
            ["--preset=none", "--model=DCN", "--learning_rate=0.01"],
            {"model": "DCN", "preset": "none", "config_dict": {"learning_rate": 0.01}},
        ),
    ],
)
def test_the_api_and_the_command_line_resolve_the_same_configuration(tmp_path, argv, api):
    from recbole_atjt.quick_start import resolve_config

    cli_kwargs, _ = build_run_arguments(argv)
    cli_kwargs = {k: v for k, v in cli_kwargs.items() if k != "config_dict"}
    shared = {"gpu_id": "", "checkpoint_dir": str(tmp_path)}
    from_cli = resolve_config(**cli_kwargs, config_dict={**dict(api["config_dict"]), **shared})
    from_api = resolve_config(
        **{k: v for k, v in api.items() if k != "config_dict"},
        config_dict={**api["config_dict"], **shared},
    )
    assert from_cli.final_config_dict == from_api.final_config_dict
    if "preset" not in api:  # the quick preset, not RecBole's research sizes
        assert from_api["MAX_ITEM_LIST_LENGTH"] == 20 and from_api["train_batch_size"] == 512


def test_run_applies_the_quick_preset_as_the_command_line_does(tmp_path):
    settings = {"gpu_id": "", "epochs": 1, "denoise": "none", "run_dir": str(tmp_path)}
    settings.update(state="ERROR", show_progress=False)
    results = run("SASRec", DATASET, config_dict=settings)
    with open(os.path.join(results["run_dir"], "config.yaml"), encoding="utf-8") as f:
        config = f.read()
    assert "MAX_ITEM_LIST_LENGTH: 20" in config and "hidden_size: 32" in config
    # torch_threads left unset: one thread on a machine of few cores, recorded in the results
    if os.cpu_count() <= FEW_CORES:
        assert results["torch_threads"] == 1


def test_the_default_thread_count_leaves_busy_cores_alone():
    assert default_torch_threads(cores=2, load=0.0) == 1  # few cores: one thread, idle or not
    assert default_torch_threads(cores=4, load=3.0) == 1
    assert default_torch_threads(cores=16, load=0.2) == 16  # an idle machine: every core
    assert default_torch_threads(cores=16, load=5.6) == 10  # 6 cores busy elsewhere
    assert default_torch_threads(cores=16, load=40.0) == 1
    assert torch_threads(3) == 3  # a count the configuration sets is kept
