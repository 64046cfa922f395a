import csv
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import TINY

from recbole_atjt import run
from recbole_atjt.detection import describe, noise_detection, roc_auc
from recbole_atjt.errors import ATJTError
from recbole_atjt.noise import inject
from recbole_atjt.paths import BUNDLED_DATA_DIR

HEADER = "user_id:token\titem_id:token\ttimestamp:float"


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
    folder = inject(str(toy), "toy", ratio=0.1, seed=3).folder
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
    folder = inject(str(toy), "toy", ratio=0.2, seed=1, mode="steam", delete_ratio=0.1).folder
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
    with pytest.raises(ATJTError, match="--dataset: got 'missing'"):
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
    folder = inject(str(toy), "toy", ratio=0.2, seed=0).folder
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


# --- insertion, item sampling, counts, the command line -------------------------------------

SYNTH = BUNDLED_DATA_DIR / "atjt-synth" / "atjt-synth.inter"
# atjt-synth: 8580 interactions of 400 users, each with 12 or more: 8580 - 2 * 400 training
SYNTH_ROWS, SYNTH_TRAINING = 8580, 7780


def _sha256(path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _time_order(rows, user=0, time=2):
    """Each user's rows in time order, file order breaking ties (RecBole's stable sort)."""
    per_user = {}
    for row in sorted(rows, key=lambda r: float(r[time])):  # sorted() is stable
        per_user.setdefault(row[user], []).append(row)
    return per_user


def _marked(folder, name):
    _, rows = _read(f"{folder}/{name}.inter")
    _, truth = _read(f"{folder}/{name}.noise")
    assert [r[:3] for r in rows] == [t[:3] for t in truth]  # one ground-truth row per row
    return rows, [float(t[3]) == 1.0 for t in truth]


def test_insert_keeps_every_real_interaction(tmp_path):
    done = inject(
        str(BUNDLED_DATA_DIR), "atjt-synth", 0.37, seed=4, mode="insert", out_path=str(tmp_path)
    )
    name = "atjt-synth-insert37"
    assert done.folder == str(tmp_path / name)
    assert (done.interactions, done.training) == (SYNTH_ROWS, SYNTH_TRAINING)
    # 0.37 * 7780 = 2878.6: rounded, not truncated
    assert done.injected == 2879 and done.deleted == 0
    _, source = _read(SYNTH)
    rows, marked = _marked(done.folder, name)
    assert sum(marked) == 2879 and len(rows) == SYNTH_ROWS + 2879
    real = [tuple(r) for r, m in zip(rows, marked, strict=True) if not m]
    assert sorted(real) == sorted(tuple(r) for r in source)  # the source, as a multiset

    before, after = _time_order(source), _time_order(rows)
    is_noise = {id(r): m for r, m in zip(rows, marked, strict=True)}
    assert set(before) == set(after)
    for user, history in after.items():
        assert history[-2:] == before[user][-2:]  # validation and test rows untouched
        assert not is_noise[id(history[0])]  # never before the first interaction
        had = {r[1] for r in before[user]}
        inserted = [r[1] for r in history if is_noise[id(r)]]
        assert not had & set(inserted) and len(set(inserted)) == len(inserted)
    # the real rows keep the source's file order; each insert follows its predecessor
    assert [tuple(r) for r, m in zip(rows, marked, strict=True) if not m] == [
        tuple(r) for r in source
    ]
    # about 2879 * 400 / 7780 = 148 inserts follow a user's last training interaction
    # (standard deviation about 12): the validation interaction is reachable
    after_last_training = 0
    for history in after.values():
        n = history.index(before[history[0][0]][-2]) - 1
        while is_noise[id(history[n])]:
            after_last_training, n = after_last_training + 1, n - 1
    assert 100 < after_last_training < 200


def test_an_insert_follows_its_predecessor_whatever_the_timestamp_precision(tmp_path):
    folder = tmp_path / "tiny"
    folder.mkdir()
    lines = [
        "user_id:token\titem_id:token\ttimestamp:float\trating:float",
        *("1\t10\t1\t5", "1\t11\t2\t4", "1\t12\t2\t3", "1\t13\t2\t2", "1\t14\t4\t1"),
        "1\t15\t5\t1",
        *("2\t20\t3\t1", "2\t21\t3\t2"),  # two interactions: no training one
        *("3\t30\t7\t1", "3\t31\t1\t2", "3\t32\t9\t3"),  # file order is not time order
        *("4\t40\t2\t1", "4\t41\t1\t1", "4\t42\t3\t1", "4\t43\t4\t1"),
    ]
    (folder / "tiny.inter").write_text("\n".join(lines) + "\n")
    # training (all but each user's last two in time order): user 1's 10-13, user 3's 31,
    # user 4's 41 and 40: 7, so round(0.8 * 7) = 6 inserts. A predecessor needs two rows
    # after it in the file with a timestamp no earlier: 10-13, 40 and 41 (42, 43 follow
    # both), not 31 (only 32 follows it; 30 comes before it in the file, so a coarser clock
    # that tied 31 with 30 would put 31 after 30, among the user's last two)
    predecessors = set()
    for seed in range(12):
        done = inject(str(tmp_path), "tiny", 0.8, seed=seed, mode="insert", name="copy")
        assert (done.interactions, done.training, done.injected) == (15, 7, 6)
        rows, marked = _marked(done.folder, "copy")
        assert len(rows) == 21 and sum(marked) == 6
        real = [r for r, m in zip(rows, marked, strict=True) if not m]
        assert ["\t".join(r) for r in real] == lines[1:]  # the file order, untouched
        for n, (row, m) in enumerate(zip(rows, marked, strict=True)):
            if not m:
                continue
            before = next(rows[k] for k in range(n - 1, -1, -1) if not marked[k])
            assert row[0] == before[0] and row[2] == before[2] and row[3] == before[3]
            assert row[1] not in {r[1] for r in rows if r[0] == row[0] and r is not row}
            predecessors.add(before[1])
    assert predecessors == {"10", "11", "12", "13", "40", "41"}


@pytest.mark.parametrize("dataset", ["atjt-synth", "ml-100k"])
def test_inserted_copy_keeps_recboles_validation_and_test_items(tmp_path, dataset):
    # ml-100k's timestamps, normalised and then compared as float32, tie for some users'
    # last interactions: RecBole keeps those in file order
    from recbole.data import create_dataset

    from recbole_atjt.config import ATJTConfig

    done = inject(None, dataset, 0.5, seed=2, mode="insert", out_path=str(tmp_path))

    def targets(name, **settings):
        dataset = create_dataset(ATJTConfig("SASRec", name, config_dict={**TINY, **settings}))
        train, valid, test = dataset.build()
        found = []
        for part in (valid, test):
            users = dataset.id2token(dataset.uid_field, part.inter_feat[dataset.uid_field])
            items = dataset.id2token(dataset.iid_field, part.inter_feat[dataset.iid_field])
            found.append(dict(zip(users.tolist(), items.tolist(), strict=True)))
        return found, len(train.inter_feat)

    (valid, test), n_train = targets(dataset)
    (noisy_valid, noisy_test), noisy_n_train = targets(
        f"{dataset}-insert50", data_path=str(tmp_path)
    )
    assert len(valid) == len(test) > 300
    assert noisy_valid == valid and noisy_test == test
    assert noisy_n_train == n_train + done.injected  # only training grew


@pytest.mark.parametrize("mode", ["replace", "insert", "steam"])
def test_popularity_sampling_follows_item_popularity(tmp_path, mode):
    from scipy.stats import spearmanr

    _, source = _read(SYNTH)
    popularity = {}
    for row in source:
        popularity[row[1]] = popularity.get(row[1], 0) + 1
    items = sorted(popularity, key=popularity.get)
    drawn = {}
    for sampling in ("uniform", "popularity"):
        counts = dict.fromkeys(items, 0)
        for seed in range(4):
            done = inject(
                str(BUNDLED_DATA_DIR),
                "atjt-synth",
                0.9,
                seed=seed,
                mode=mode,
                item_sampling=sampling,
                out_path=str(tmp_path),
                name="x",
            )
            assert done.item_sampling == sampling
            rows, marked = _marked(done.folder, "x")
            for row, m in zip(rows, marked, strict=True):
                counts[row[1]] += m
        drawn[sampling] = [counts[i] for i in items]
    for sampling, expected in (("uniform", (-1, 0.2)), ("popularity", (0.7, 1))):
        rho = spearmanr([popularity[i] for i in items], drawn[sampling]).statistic
        assert expected[0] < rho < expected[1], (sampling, rho)
    # the most popular tenth of the items (about twice the interactions of the least
    # popular tenth) is drawn about twice as often, not about as often
    tenth = len(items) // 10
    for sampling, low, high in (("uniform", 0.8, 1.1), ("popularity", 1.5, 2.2)):
        ratio = sum(drawn[sampling][-tenth:]) / sum(drawn[sampling][:tenth])
        assert low < ratio < high, (sampling, ratio)


def test_uniform_draws_are_the_ones_written_before(tmp_path):
    """Stored experiments rely on replace (and steam) copies being reproducible: these are
    the files of atjt-synth with seed 5 as the injection wrote them before insert mode and
    popularity sampling existed."""
    expected = {
        "atjt-synth-noise20": {
            "inter": "e426ea4aa52ade48d008c3db4dfe37af5644f2188323c39e18ab54cff768db5e",
            "noise": "21654cb43cfe02f2aeacf4fd3d8d42b067a202646cde3cd957e6898e34a9196a",
        },
        "atjt-synth-steam20-10": {
            "inter": "5bc23fc4102c5129ad13642d660d23c6b0c3778ac4bba8f62bcd8b35adbf0f17",
            "noise": "088adb5557a4bb10e272a3f3899413ce8070d2807222a5fe04cc9c81ff1a583a",
            "deleted": "19f778701fb272cf92c7da0d87fb880139cd7e572f250efd8b8dc5c029e6958c",
        },
    }
    for _ in range(2):  # written again over itself: the same files
        inject(str(BUNDLED_DATA_DIR), "atjt-synth", 0.2, seed=5, out_path=str(tmp_path))
        inject(
            str(BUNDLED_DATA_DIR),
            "atjt-synth",
            0.2,
            seed=5,
            mode="steam",
            delete_ratio=0.1,
            out_path=str(tmp_path),
        )
        for name, files in expected.items():
            for suffix, digest in files.items():
                assert _sha256(tmp_path / name / f"{name}.{suffix}") == digest, (name, suffix)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)


def test_popularity_draw_by_hand():
    from recbole_atjt.noise import _item_draw

    rows = [["u", "a"], ["u", "a"], ["u", "a"], ["v", "b"]]  # a: 3 rows, b: 1
    draw = _item_draw(rows, 1, "popularity", np.random.default_rng(0))
    share = sum(draw(set()) == "a" for _ in range(4000)) / 4000
    assert 0.72 < share < 0.78  # 3 / 4
    assert {draw({"a"}) for _ in range(50)} == {"b"}  # never a seen item
    with pytest.raises(ATJTError, match="every one of the 2 items"):
        draw({"a", "b"})


def test_command_prints_counts_and_finds_shipped_datasets(tmp_path, capsys, monkeypatch):
    from recbole_atjt.noise import main

    out = tmp_path / "out"
    args = ["inject", "--dataset=atjt-synth", "--ratio=0.3", "--mode=insert"]
    assert main([*args, "--item_sampling=popularity", f"--out_path={out}"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"wrote {out / 'atjt-synth-insert30-pop'}",
        "8580 interactions read, 7780 training, 2334 injected "
        "(mode insert, item sampling popularity)",
    ]
    assert (out / "atjt-synth-insert30-pop" / "atjt-synth-insert30-pop.source").read_text() == (
        "atjt-synth\n"
    )
    # round(0.1 * 7780) = 778 replaced; steam's counts are those of its files
    monkeypatch.chdir(tmp_path)  # without --out_path: the current directory
    assert main(["inject", "--dataset=atjt-synth", "--ratio=0.1"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "8580 interactions read, 7780 training, 778 injected (mode replace, item sampling uniform)"
    )
    assert (tmp_path / "atjt-synth-noise10" / "atjt-synth-noise10.inter").is_file()
    steam = ["inject", "--dataset=atjt-synth", "--ratio=0.2", "--mode=steam", "--seed=5"]
    assert main([*steam, "--delete_ratio=0.1"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == (
        "8580 interactions read, 7780 training, 1561 injected, 784 deleted "
        "(mode steam, item sampling uniform)"
    )
    _, truth = _read(tmp_path / "atjt-synth-steam20-10" / "atjt-synth-steam20-10.noise")
    _, deleted = _read(tmp_path / "atjt-synth-steam20-10" / "atjt-synth-steam20-10.deleted")
    assert (sum(float(t[3]) for t in truth), len(deleted)) == (1561, 784)


def test_bad_input_stops_with_one_line_and_writes_nothing(toy, capsys):
    from recbole_atjt.noise import main

    out = toy / "out"
    (toy / "taken").mkdir()
    (toy / "taken" / "other.inter").write_text("user_id:token\n")
    base = ["inject", f"--data_path={toy}", "--dataset=toy", f"--out_path={out}"]
    cases = {
        "--ratio: got 1.5": [*base, "--ratio=1.5", "--mode=insert"],
        "--ratio: got 0.0": [*base, "--ratio=0"],
        "--delete_ratio: got 1.0": [*base, "--ratio=0.1", "--mode=steam", "--delete_ratio=1"],
        "--delete_ratio: got 0.1": [*base, "--ratio=0.1", "--delete_ratio=0.1"],
        "--dataset: got 'nothing'": [*base[:2], "--dataset=nothing", "--ratio=0.1"],
        "--data_path: got none": ["inject", "--dataset=toy", "--ratio=0.1"],
        "--data_path: got '": ["inject", f"--data_path={toy}/no", "--dataset=toy", "--ratio=.1"],
        "--name: got 'taken'": [*base[:3], "--ratio=0.1", f"--out_path={toy}", "--name=taken"],
        "--name: got 'toy'": [*base[:3], "--ratio=0.1", "--name=toy"],  # the source itself
    }
    before = _refused_in_one_line_writing_nothing(cases, toy, capsys)
    with pytest.raises(SystemExit) as refused:  # argparse's choices
        main([*base, "--ratio=0.1", "--item_sampling=rare"])
    assert refused.value.code == 2 and not out.exists()
    command = [sys.executable, "-m", "recbole_atjt.noise", *cases["--ratio: got 1.5"]]
    done = subprocess.run(command, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "error: --ratio: got 1.5; allowed: a number in (0, 1) for --mode=insert"
    ]
    assert sorted(p.relative_to(toy) for p in toy.rglob("*")) == before


def test_a_failed_write_leaves_nothing_behind(toy, monkeypatch, capsys):
    from recbole_atjt import noise

    out = toy / "new" / "deeper"
    assert (
        noise.main(
            ["inject", f"--data_path={toy}", "--dataset=toy", "--ratio=0.1", f"--out_path={toy}"]
        )
        == 0
    )
    kept = {p.name: p.read_bytes() for p in (toy / "toy-noise10").iterdir()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(noise.shutil, "copyfile", broken)  # fails after .inter and .noise
    for where in (out, toy):
        argv = [
            "inject",
            f"--data_path={toy}",
            "--dataset=toy",
            "--ratio=0.2",
            "--seed=9",
            f"--out_path={where}",
            "--name=toy-noise10",
        ]
        assert noise.main(argv) == 1
        assert capsys.readouterr().err.splitlines()[-1] == "error: disk full"
    assert not (toy / "new").exists()  # the folders this call created, removed
    assert sorted(p.name for p in toy.iterdir()) == ["toy", "toy-noise10"]  # no staging left
    # the copy written before is the same
    assert {p.name: p.read_bytes() for p in (toy / "toy-noise10").iterdir()} == kept


def test_inputs_the_injection_cannot_honour_are_refused_and_write_nothing(toy, capsys):
    (toy / "few").mkdir()  # every user has two interactions: the validation and test targets
    rows = [f"{u}\t{u % 7 + k + 1}\t{k}" for u in range(1, 30) for k in range(2)]
    (toy / "few" / "few.inter").write_text("\n".join([HEADER, *rows]) + "\n")
    (toy / "short").mkdir()
    (toy / "short" / "short.inter").write_text(f"{HEADER}\n1\t2\t3\n1\t3\n")
    base = ["inject", f"--data_path={toy}", "--dataset=toy"]
    inter = toy / "toy" / "toy.inter"
    cases = {
        "--seed: got -1; allowed: an integer >= 0": [*base, "--ratio=0.1", "--seed=-1"],
        "--ratio: got 1e-05; allowed: a number in (0, 1) that injects at least one of the 7780": [
            *base,
            "--ratio=0.00001",
        ],
        "--dataset: got 'few'; allowed: a dataset where some user has three": [
            *base[:2],
            "--dataset=few",
            "--ratio=0.1",
        ],
        f"--out_path: got '{toy / 'toy'}'; allowed: a folder outside the source": [
            *base,
            "--ratio=0.1",
            f"--out_path={toy / 'toy'}",
        ],
        f"--out_path: got '{toy / 'toy' / 'sub'}'; allowed: a folder outside the source": [
            *base,
            "--ratio=0.1",
            f"--out_path={toy / 'toy' / 'sub'}",
        ],
        f"--out_path: got '{inter}'; allowed: a folder ({inter} is a file)": [
            *base,
            "--ratio=0.1",
            f"--out_path={inter}",
        ],
        f"{toy / 'short' / 'short.inter'}, line 3: 2 fields; allowed: 3": [
            *base[:2],
            "--dataset=short",
            "--ratio=0.5",
        ],
    }
    _refused_in_one_line_writing_nothing(cases, toy, capsys)


def _refused_in_one_line_writing_nothing(cases, toy, capsys):
    """Each argv of ``cases`` exits 1 with one error line that starts with its key and
    leaves the files under ``toy`` as they were; returns those files."""
    from recbole_atjt.noise import main

    before = sorted(p.relative_to(toy) for p in toy.rglob("*"))
    for start, argv in cases.items():
        assert main(argv) == 1, start
        printed = capsys.readouterr()
        assert printed.out == "" and printed.err.startswith(f"error: {start}"), printed.err
        assert printed.err.count("\n") == 1 and "; allowed: " in printed.err
        assert sorted(p.relative_to(toy) for p in toy.rglob("*")) == before, start
    return before


@pytest.mark.parametrize(
    "mode,ratio,sampling,delete,tag",
    [
        ("replace", 0.1, "uniform", 0.0, "noise10"),
        ("insert", 0.2, "popularity", 0.0, "insert20-pop"),
        ("replace", 0.125, "uniform", 0.0, "noise12p5"),
        ("replace", 0.004, "uniform", 0.0, "noise0p4"),
        ("steam", 0.07, "uniform", 0.3, "steam7-30"),
    ],
)
def test_a_copy_is_named_by_its_exact_shares(mode, ratio, sampling, delete, tag):
    from recbole_atjt.noise import copy_tag

    assert copy_tag(mode, ratio, sampling, delete) == tag


def test_two_ratios_that_round_alike_write_two_copies(toy):
    low = inject(str(toy), "toy", ratio=0.12, seed=3).folder
    high = inject(str(toy), "toy", ratio=0.124, seed=3).folder
    _, a = _read(f"{low}/{low.rsplit('/', 1)[-1]}.noise")
    _, b = _read(f"{high}/{high.rsplit('/', 1)[-1]}.noise")
    assert low.endswith("toy-noise12") and high.endswith("toy-noise12p4")
    marked = [sum(r[-1] == "1.0" for r in rows) for rows in (a, b)]
    training = len(a) - 2 * len({r[0] for r in a})  # validation and test rows are never marked
    assert marked == [round(0.12 * training), round(0.124 * training)]
