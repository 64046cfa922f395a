import csv
import shutil

import numpy as np
import pytest
from conftest import TINY

from recbole_atjt import run
from recbole_atjt.detection import describe, noise_detection, roc_auc
from recbole_atjt.errors import ATJTError
from recbole_atjt.noise import inject
from recbole_atjt.paths import BUNDLED_DATA_DIR


def _read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], rows[1:]


@pytest.fixture
def toy(tmp_path):
    """atjt-synth copied as 'toy', without its own ground truth."""
    folder = tmp_path / "toy"
    folder.mkdir()
    shutil.copyfile(BUNDLED_DATA_DIR / "atjt-synth/atjt-synth.inter", folder / "toy.inter")
    shutil.copyfile(BUNDLED_DATA_DIR / "atjt-synth/atjt-synth.item", folder / "toy.item")
    return tmp_path


def test_replace_injection_counts_and_ground_truth(toy):
    folder = inject(str(toy), "toy", ratio=0.1, seed=3)
    _, before = _read(toy / "toy" / "toy.inter")
    header, after = _read(f"{folder}/toy-noise10.inter")
    _, truth = _read(f"{folder}/toy-noise10.noise")
    assert header[0].startswith("user_id") and len(after) == len(before) == len(truth)
    assert (toy / "toy-noise10" / "toy-noise10.item").is_file()

    per_user = {}
    for row in before:
        per_user.setdefault(row[0], []).append(row)
    n_training = sum(len(rows) - 2 for rows in per_user.values())
    changed = [b[1] != a[1] for b, a in zip(before, after, strict=True)]
    marked = [float(t[3]) == 1.0 for t in truth]
    assert changed == marked  # the ground truth marks exactly the injected rows
    assert sum(changed) == round(0.1 * n_training)
    for b, a in zip(before, after, strict=True):
        assert (a[0], a[2]) == (b[0], b[2])  # users and timestamps kept
    originals = {u: {r[1] for r in rows} for u, rows in per_user.items()}
    position = {}
    for n, (b, a) in enumerate(zip(before, after, strict=True)):
        position[b[0]] = position.get(b[0], 0) + 1
        if changed[n]:
            assert a[1] not in originals[a[0]]  # an item the user never touched
            assert position[b[0]] <= len(per_user[b[0]]) - 2  # never a valid/test target


def test_steam_injection_marks_insertions_and_lists_deletions(toy):
    folder = inject(str(toy), "toy", ratio=0.2, seed=1, mode="steam", delete_ratio=0.1)
    name = "toy-steam20-10"
    _, after = _read(f"{folder}/{name}.inter")
    _, truth = _read(f"{folder}/{name}.noise")
    _, deleted = _read(f"{folder}/{name}.deleted")
    _, before = _read(toy / "toy" / "toy.inter")
    inserted = sum(float(t[3]) for t in truth)
    assert len(after) == len(before) + inserted - len(deleted)
    assert 0.1 < inserted / len(before) < 0.3 and 0.03 < len(deleted) / len(before) < 0.2
    last = {}
    for row in after:  # times stay strictly increasing within each user
        assert float(row[2]) > last.get(row[0], -np.inf)
        last[row[0]] = float(row[2])


def test_bad_injection_arguments(toy):
    with pytest.raises(ATJTError, match="--ratio"):
        inject(str(toy), "toy", ratio=1.5)
    with pytest.raises(ATJTError, match="no interaction file"):
        inject(str(toy), "missing", ratio=0.1)


def test_roc_auc_matches_hand_computation():
    scores = np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    positive = np.array([1, 0, 1, 0, 0])
    # pairs (pos, neg): (0.9 > all 3) = 3; (0.8 vs 0.8 tie = 0.5, > 0.3, > 0.1) = 2.5 -> 5.5 / 6
    assert roc_auc(scores, positive) == pytest.approx(5.5 / 6)
    assert np.isnan(roc_auc(scores, np.ones(5))) and np.isnan(roc_auc(scores, np.zeros(5)))


def test_detection_figures_match_hand_computation():
    weights = np.array([0.3, 0.2, 0.5, 0.6, 0.1])
    share = np.array([0, 0.5, 0, 0.25, 0])  # share of injected items in each history
    target_noisy = np.array([0, 0, 0, 0, 1])  # the last sequence's target was injected
    figures = noise_detection(weights, share, target_noisy, lengths=np.full(5, 3))
    # histories with a clean target: noisy {1, 3} scored 1-w = 0.8, 0.4; clean {0, 2}: 0.7, 0.5
    # pairs won by the noisy one: 0.8 > 0.7, 0.8 > 0.5; 0.4 wins none -> 2 / 4
    assert figures["auc"] == pytest.approx(0.5)
    assert figures["length_matched_auc"] == pytest.approx(0.5)  # one length: one bucket
    # injected target (1 - 0.1 = 0.9) against the clean sequences (0.7, 0.5): both won
    assert figures["target_auc"] == pytest.approx(1.0)
    assert figures["noisy"] == pytest.approx({"n": 2, "mean": 0.4, "std": 0.2})
    assert figures["clean"] == pytest.approx({"n": 2, "mean": 0.4, "std": 0.1})
    assert figures["target_injected"] == pytest.approx({"n": 1, "mean": 0.1, "std": 0.0})


def test_run_on_noisy_data_reports_detection(toy):
    folder = inject(str(toy), "toy", ratio=0.2, seed=0)
    settings = {
        **TINY,
        "data_path": str(toy),
        "run_dir": str(toy / "runs"),
        "epochs": 2,
        "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
    }
    results = run("SASRec", "toy-noise20", config_dict=settings)

    detection = results["noise_detection"]
    assert detection["ground_truth"] == f"{folder}/toy-noise20.noise"
    assert 0 <= detection["auc"] <= 1 and -1 <= detection["spearman"] <= 1
    assert detection["noisy"]["n"] > 0 and detection["clean"]["n"] > 0
    assert detection["target_injected"]["n"] > 0  # injected rows are also training targets
    for key in ("length_matched_auc", "target_auc", "target_length_matched_auc"):
        assert 0 <= detection[key] <= 1
    buckets = detection["buckets"]
    assert all(b["auc"] is None or 0 <= b["auc"] <= 1 for b in buckets)
    assert sum(b["noisy"] + b["clean"] for b in buckets) == (
        detection["noisy"]["n"] + detection["clean"]["n"]
    )
    assert len(describe(results)) == 2  # the lines printed at the end of a run
    table5 = results["corruption_weights"]
    assert table5["original"]["n"] > 0 and table5["corrupted"]["n"] > 0
    assert list((toy / "runs").glob("*/weights.png"))


def test_an_injected_copy_is_read_with_its_sources_properties(tmp_path):
    from recbole_atjt.config import ATJTConfig
    from recbole_atjt.paths import RECBOLE_DATA_DIR

    # RecBole's own ml-100k properties: features, normalized floats, DCN's rating label
    inject(str(RECBOLE_DATA_DIR), "ml-100k", 0.2, seed=3, out_path=str(tmp_path))
    assert (tmp_path / "ml-100k-noise20" / "ml-100k-noise20.source").read_text() == "ml-100k\n"
    source = ATJTConfig("DCN", "ml-100k", config_dict={"gpu_id": ""}).final_config_dict
    copy = ATJTConfig(
        "DCN", "ml-100k-noise20", config_dict={"gpu_id": "", "data_path": str(tmp_path)}
    ).final_config_dict
    assert copy["dataset_properties"] == "ml-100k" and copy["threshold"] == {"rating": 4}
    for key in ("load_col", "normalize_all", "threshold"):
        assert copy[key] == source[key], key
    assert copy["data_path"] == str(tmp_path / "ml-100k-noise20")  # its own files, though
    # named explicitly, the copy's own (absent) properties apply: RecBole's bare defaults
    bare = ATJTConfig(
        "DCN",
        "ml-100k-noise20",
        config_dict={"gpu_id": "", "data_path": str(tmp_path), "dataset_properties": "x"},
    ).final_config_dict
    assert bare["threshold"] is None and bare["load_col"] == {
        "inter": ["user_id", "item_id", "timestamp"]
    }

    # ours (atjt-synth.yaml loads the item categories), through a copy of a copy
    inject(str(BUNDLED_DATA_DIR), "atjt-synth", 0.1, out_path=str(tmp_path), name="first")
    inject(str(tmp_path), "first", 0.1, out_path=str(tmp_path), name="second")
    assert (tmp_path / "second" / "second.source").read_text() == "atjt-synth\n"
    second = ATJTConfig(
        "SASRec", "second", config_dict={"gpu_id": "", "data_path": str(tmp_path)}
    ).final_config_dict
    assert second["load_col"]["item"] == ["item_id", "category"]
