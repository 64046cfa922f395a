"""Bad datasets and command lines: one line naming the file (and line) or flag, exit 1."""

import logging
import shutil
import subprocess
import sys

import pytest
from conftest import MAIN_SCRIPT, TINY

from recbole_atjt import run
from recbole_atjt.cli import main
from recbole_atjt.config import ATJTConfig
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import BUNDLED_DATA_DIR

GOOD = (BUNDLED_DATA_DIR / "atjt-synth" / "atjt-synth.inter").read_text().splitlines()
HEADER = "user_id:token\titem_id:token\ttimestamp:float"

BAD_FILES = {
    "empty file": ("", "is empty"),
    "header only": (HEADER + "\n", "no interactions"),
    "missing time column": ("user_id:token\titem_id:token\n1\t2\n", "no column 'timestamp'"),
    "missing user column": ("item_id:token\ttimestamp:float\n2\t1\n", "no column 'user_id'"),
    "missing item column": ("user_id:token\ttimestamp:float\n1\t1\n", "no column 'item_id'"),
    "unknown column type": ("user_id:token\titem_id:int\ttimestamp:float\n", "item_id:int"),
    "duplicated column": (HEADER + "\titem_id:token\n", "appears twice"),
    "short row": ("\n".join([*GOOD[:5], "7\t12", *GOOD[5:9]]) + "\n", "line 6: 2 fields"),
    "unparsable number": ("\n".join([*GOOD[:3], "1\t5\tyesterday"]) + "\n", "line 4: 'yesterday'"),
    "duplicated header": ("\n".join([*GOOD[:4], GOOD[0], *GOOD[4:8]]) + "\n", "line 5: repeats"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_malformed_interaction_files_are_refused_naming_file_and_line(tmp_path, case):
    text, expected = BAD_FILES[case]
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "bad.inter").write_text(text)
    with pytest.raises(ATJTError) as err:
        run(
            "SASRec",
            "bad",
            config_dict={**TINY, "data_path": str(tmp_path), "run_dir": str(tmp_path / "runs")},
        )
    message = str(err.value)
    assert expected in message and "bad.inter" in message and "\n" not in message
    assert not list((tmp_path / "runs").glob("*/results.json"))


def test_missing_dataset_folder_and_file(tmp_path):
    settings = {**TINY, "data_path": str(tmp_path), "run_dir": str(tmp_path / "runs")}
    with pytest.raises(ATJTError, match="does not exist"):
        run("SASRec", "nowhere", config_dict=settings)
    (tmp_path / "nofile").mkdir()
    with pytest.raises(ATJTError, match=r"nofile\.inter does not exist"):
        run("SASRec", "nofile", config_dict=settings)


def test_unknown_model_and_unsupported_groups(tmp_path):
    with pytest.raises(ATJTError, match="'Magic' is not a RecBole model"):
        ATJTConfig("Magic", "ml-100k")
    with pytest.raises(ATJTError, match=r"'atjt_groups'.*\(400\)"):
        run(
            "SASRec",
            "atjt-synth",
            config_dict={**TINY, "atjt_groups": 401, "run_dir": str(tmp_path)},
        )
    assert list(tmp_path.iterdir()) == []  # refused after loading the data: no run folder


def test_a_model_refused_by_the_loss_contract_leaves_no_run_folder(tmp_path):
    with pytest.raises(ATJTError, match="no per-row loss module"):
        run(
            "SASRec",
            "atjt-synth",
            config_dict={**TINY, "loss_attribute": "no_such_loss", "run_dir": str(tmp_path)},
        )
    assert list(tmp_path.iterdir()) == []


def test_replace_count_beyond_the_history_length_is_clipped_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        ATJTConfig("SASRec", "ml-100k", config_dict={"replace_count": 60})
    assert "'replace_count' (60) exceeds MAX_ITEM_LIST_LENGTH (50)" in caplog.text


@pytest.mark.parametrize(
    "argv,expected",
    [
        (["--epochs"], "allowed: --key=value"),
        (["stray"], "unrecognised argument 'stray'"),
        (["--resume"], "--resume: give the checkpoint"),
        (
            ["--resume=saved/r", "--epochs=30"],
            "--resume: got also --epochs; allowed: --resume alone",
        ),
        (["--evaluate=r.pth", "--model=DIN", "--denoise=atjt"], "got also --model, --denoise"),
        (["--preset=nope"], "--preset 'nope'"),
        (["--config_files=/no/such.yaml"], "config file /no/such.yaml: cannot read it"),
        (["--tune=properties/search/atjt.yaml"], "--tune_dir: required"),
    ],
)
def test_command_line_misuse(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert expected in str(exit_info.value)
    assert exit_info.value.code != 0


def test_cli_exits_nonzero_without_traceback_unless_debug(tmp_path):
    script = MAIN_SCRIPT
    args = [
        sys.executable,
        script,
        "--dataset=nowhere",
        f"--data_path={tmp_path}",
        f"--run_dir={tmp_path / 'saved'}",
    ]
    quiet = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 1
    assert quiet.stderr.strip().startswith("error: ATJTError:") and "Traceback" not in quiet.stderr
    assert quiet.stderr.count("\n") == 1  # one line
    assert not (tmp_path / "saved").exists()  # no run folder for a refused run
    loud = subprocess.run([*args, "--debug"], capture_output=True, text=True, timeout=120)
    assert loud.returncode == 1 and "Traceback" in loud.stderr
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize(
    "key,value",
    [
        ("MAX_ITEM_LIST_LENGTH", 0),
        ("train_batch_size", 0),
        ("eval_batch_size", -5),
        ("epochs", -1),
        ("epochs", 0),
        ("learning_rate", 0),
        ("weight_decay", -0.1),
        ("stopping_step", 0),
        ("seed", 1.5),
    ],
)
def test_recbole_keys_a_run_depends_on_are_checked_up_front(key, value):
    with pytest.raises(ATJTError) as err:
        ATJTConfig("SASRec", "atjt-synth", config_dict={key: value})
    assert str(err.value).startswith(f"config key '{key}': got {value!r}; allowed: ")


@pytest.mark.parametrize("count", [0, -2, 1.5])
def test_sampled_negatives_need_a_count_of_at_least_one(count):
    negatives = {"distribution": "uniform", "sample_num": count}
    with pytest.raises(ATJTError) as err:
        ATJTConfig("DIN", "atjt-synth", config_dict={"train_neg_sample_args": negatives})
    assert f"'train_neg_sample_args': got sample_num {count!r}; allowed: an integer >= 1" in str(
        err.value
    )
    kept = {"distribution": "uniform", "sample_num": 3}
    config = ATJTConfig("DIN", "atjt-synth", config_dict={"train_neg_sample_args": kept})
    assert config["train_neg_sample_args"]["sample_num"] == 3


@pytest.mark.parametrize("loss", ["FOO", "bpr"])
def test_a_loss_type_recbole_cannot_build_training_data_for_is_refused_up_front(loss):
    with pytest.raises(ATJTError) as err:
        ATJTConfig("SASRec", "atjt-synth", config_dict={"loss_type": loss})
    assert str(err.value).startswith(
        f"config key 'loss_type': got {loss!r}; allowed for SASRec: 'BPR' (a binary loss"
    )
    config = ATJTConfig("SASRec", "atjt-synth", config_dict={"loss_type": "BPR"})
    assert config["loss_type"] == "BPR"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("epochs: [1, 2\n", "line 2"),  # unclosed list: the parser stops on the next line
        ("epochs: 1\n  bad: indentation: here\n", "line 2"),
        ("- epochs\n- 3\n", "got list"),
    ],
)
def test_malformed_config_files_are_one_line_naming_the_file(tmp_path, text, expected, capsys):
    path = tmp_path / "my.yaml"
    path.write_text(text)
    with pytest.raises(ATJTError) as err:
        ATJTConfig("SASRec", "atjt-synth", config_file_list=[str(path)])
    assert str(path) in str(err.value) and expected in str(err.value)
    assert "\n" not in str(err.value)
    with pytest.raises(SystemExit) as exit_:  # the command line reads the files first
        main([f"--config_files={path}"])
    assert str(exit_.value).startswith(f"error: --config_files: config file {path}")


@pytest.mark.parametrize("denoise", ["atjt", "dnr", "odnr", "wat"])
def test_dynamic_negatives_are_refused_up_front_in_recognizer_modes(denoise):
    negatives = {"distribution": "uniform", "sample_num": 1, "dynamic": True}
    with pytest.raises(ATJTError, match="'train_neg_sample_args': dynamic negatives"):
        ATJTConfig(
            "DIN",
            "atjt-synth",
            config_dict={"denoise": denoise, "train_neg_sample_args": negatives},
        )
    config = ATJTConfig(
        "DIN", "atjt-synth", config_dict={"denoise": "none", "train_neg_sample_args": negatives}
    )
    assert config["train_neg_sample_args"]["dynamic"] is True  # base RecBole runs keep them


def _dataset(folder, name: str, rows) -> None:
    """An atomic dataset ``folder/name/name.inter`` of (user, item, time) rows."""
    (folder / name).mkdir()
    lines = [HEADER, *(f"{u}\t{i}\t{t}" for u, i, t in rows)]
    (folder / name / f"{name}.inter").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "per_user,model,empty",
    [
        (1, "SASRec", "training"),  # no instance at all: RecBole failed inside torch
        (2, "SASRec", "validation"),  # trained, then exited 0 with empty metrics
        (3, "SASRec", "validation"),  # trained, scored the test set, never validated
        (2, "BPR", "validation"),  # a general model: every interaction is an instance
    ],
)
def test_a_split_that_leaves_a_set_empty_is_refused_before_training(
    tmp_path, per_user, model, empty
):
    _dataset(
        tmp_path, "few", [(u, (u + k) % 30 + 1, k) for u in range(1, 40) for k in range(per_user)]
    )
    settings = {**TINY, "data_path": str(tmp_path), "run_dir": str(tmp_path / "runs")}
    if model == "BPR":
        settings["denoise"] = "none"
    with pytest.raises(ATJTError) as err:
        run(model, "few", config_dict=settings)
    message = str(err.value)
    assert message.startswith("dataset 'few': eval_args split {'LS': 'valid_and_test'}")
    assert f"leaves the {empty} set empty" in message and "allowed: " in message
    assert "\n" not in message and list((tmp_path / "runs").iterdir()) == []


@pytest.mark.parametrize(
    "rows,expected",
    [
        ([(u, 1, k) for u in range(1, 20) for k in range(5)], "1 item; allowed: "),
        ([(u, k + 1, k) for u in range(1, 20) for k in range(10)], "all 10 items"),
    ],
    ids=["one item", "a user with every item"],
)
def test_a_dataset_without_negatives_to_sample_is_refused_instead_of_hanging(
    tmp_path, rows, expected
):
    _dataset(tmp_path, "narrow", rows)
    args = [
        sys.executable,
        MAIN_SCRIPT,
        "--dataset=narrow",
        f"--data_path={tmp_path}",
        f"--run_dir={tmp_path / 'runs'}",
        "--epochs=1",
        "--state=ERROR",  # no log lines on stderr
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)  # it hung
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("error: ATJTError: dataset 'narrow': ")
    assert expected in done.stderr and "allowed: " in done.stderr
    assert list((tmp_path / "runs").iterdir()) == []  # no run folder


def test_a_validation_metric_the_evaluation_does_not_compute_is_refused_up_front(tmp_path):
    for value in ("mrr@5", "ndcg@20"):  # RecBole failed on it after the first epoch
        with pytest.raises(ATJTError) as err:
            run(
                "SASRec",
                "atjt-synth",
                config_dict={**TINY, "valid_metric": value, "run_dir": str(tmp_path)},
            )
        assert str(err.value).startswith(f"config key 'valid_metric': got '{value}'; allowed: ")
        assert "'ndcg@5'" in str(err.value) and "'gauc'" in str(err.value)
    assert list(tmp_path.iterdir()) == []
    ATJTConfig("SASRec", "atjt-synth", config_dict={"valid_metric": "GAUC"})  # computed
    ATJTConfig("SASRec", "atjt-synth", config_dict={"topk": [20], "valid_metric": "Hit@20"})


@pytest.mark.parametrize(
    "noise,expected",
    [
        ("user_id:token\titem_id:token\n1\t2\n", "header needs user_id, item_id and is_noise"),
        (f"{HEADER}\tis_noise:float\n1\t251\t1\t0.0\n1\t191\n", "line 3: 2 fields"),
        (f"{HEADER}\tis_noise:float\n1\t251\t1\tyes\n", "line 2: 'yes' in column is_noise"),
    ],
)
@pytest.mark.parametrize("denoise", ["atjt", "oracle"])
def test_a_malformed_ground_truth_file_stops_the_run_before_training(
    tmp_path, noise, expected, denoise
):
    (tmp_path / "gt").mkdir()
    shutil.copyfile(BUNDLED_DATA_DIR / "atjt-synth" / "atjt-synth.inter", tmp_path / "gt/gt.inter")
    (tmp_path / "gt" / "gt.noise").write_text(noise)
    settings = {
        **TINY,
        "denoise": denoise,
        "data_path": str(tmp_path),
        "run_dir": str(tmp_path / "runs"),
    }
    with pytest.raises(ATJTError) as err:  # it was read after training, leaving the run folder
        run("SASRec", "gt", config_dict=settings)
    assert str(err.value).startswith(str(tmp_path / "gt" / "gt.noise"))
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "runs").exists()


def test_a_run_folder_path_through_a_file_is_refused_naming_run_dir(tmp_path):
    (tmp_path / "afile").write_text("")
    for run_dir in (tmp_path / "afile", tmp_path / "afile" / "deeper"):
        with pytest.raises(ATJTError) as err:
            run("SASRec", "atjt-synth", config_dict={**TINY, "run_dir": str(run_dir)})
        assert str(err.value) == (
            f"config key 'run_dir': got {str(run_dir)!r}; allowed: a folder path "
            f"({tmp_path / 'afile'} is a file)"
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
