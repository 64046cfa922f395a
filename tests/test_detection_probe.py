"""Detection alone at several shares: the figures by hand, and the same removal as a real
cleaning run's."""

import numpy as np
import pytest
from conftest import DATASET

from experiments import cleaning
from experiments.detection_probe import RARITY, SHARES, detectors, probe, removal_figures


def test_removal_figures_by_hand():
    injected = np.array([True, False, True, True, False, False])
    # removed 0, 1, 2: two of them injected (precision 2/3), two of the three injected found
    assert removal_figures(injected, np.array([0, 1, 2])) == pytest.approx((2 / 3, 2 / 3))
    assert removal_figures(injected, np.array([], dtype=int)) == (0.0, 0.0)


def test_the_probe_removes_what_a_cleaning_run_with_the_same_share_removes(tmp_path):
    from experiments.defaults_digest import budget_file
    from recbole_atjt.cleaning.run import cleaned
    from recbole_atjt.config import ATJTConfig
    from recbole_atjt.data.preparation import load_dataset

    work = str(tmp_path / "data")
    found = probe(DATASET, None, work, 1, "smoke", cleaning.INSERT)
    assert set(found) == {(label, share) for label, _ in detectors() for share in SHARES}
    assert RARITY in {label for label, _ in detectors()}
    for label, _ in detectors():
        recalls = [found[(label, share)][1] for share in SHARES]
        assert recalls == sorted(recalls)  # a larger share removes a superset
    name = f"{DATASET}-insert20-seed1"
    settings = {"interaction_cleaning": "recognizer", "cleaning_share": 0.1, "seed": 1}
    settings.update({"data_path": work, "gpu_id": "", "checkpoint_dir": str(tmp_path / "c")})
    config = ATJTConfig("SASRec", name, [budget_file("smoke")], settings)
    _, report = cleaned(config, load_dataset(config))
    truth = report["ground_truth"]
    assert found[(cleaning.RECOGNIZER, 0.1)] == pytest.approx((truth["precision"], truth["recall"]))


def test_the_folder_readme_lists_its_pages_so_the_leaderboard_links_it(tmp_path):
    from experiments.detection_probe import _write_readme
    from experiments.summary import static_folders

    folder = tmp_path / "detection-probe"
    folder.mkdir()
    (folder / "ml-100k.md").write_text("# a page\n")
    _write_readme(str(folder))
    assert "- [ml-100k](ml-100k.md)" in (folder / "README.md").read_text().splitlines()
    assert static_folders(str(tmp_path)) == ["detection-probe"]
