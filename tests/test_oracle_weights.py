"""denoise: oracle: weight 0 for a sequence whose target is injected (the dataset's .noise
file), 1 otherwise, batch mean 1, over all of a sequence's loss rows."""

import csv
import math

import pytest
import torch
from conftest import DATASET, TINY, build, check_metrics
from recbole.data.interaction import Interaction

from recbole_atjt import run
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import PACKAGE_DIR
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.trainer.loss_denoising import oracle_weights

NOISE_FILE = PACKAGE_DIR / "dataset" / DATASET / f"{DATASET}.noise"


def _injected_token_pairs() -> set[tuple[str, str]]:
    """The file's injected (user, item) token pairs, read here without the package's reader."""
    with open(NOISE_FILE, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header = [name.split(":")[0] for name in rows[0]]
    u, i, flag = header.index("user_id"), header.index("item_id"), header.index("is_noise")
    return {(r[u], r[i]) for r in rows[1:] if r and float(r[flag]) == 1.0}


def test_oracle_weights_by_hand():
    flags = torch.tensor([True, False, False, True])
    assert torch.equal(oracle_weights(flags), torch.tensor([0.0, 2.0, 2.0, 0.0]))
    one = oracle_weights(torch.tensor([False, True, False, False]))
    assert torch.allclose(one, torch.tensor([4 / 3, 0.0, 4 / 3, 4 / 3]))
    assert torch.equal(oracle_weights(torch.zeros(5, dtype=torch.bool)), torch.ones(5))
    everything = oracle_weights(torch.ones(3, dtype=torch.bool))  # no division by zero
    assert torch.equal(everything, torch.zeros(3)) and torch.isfinite(everything).all()


def test_a_sequences_weight_covers_its_sampled_negatives(tmp_path):
    config, train, _, _, net = build("DCN", tmp_path, denoise="oracle")
    oracle = ATJTTrainer(config, net).row_weighting
    n_items = train._dataset.item_num
    # injected: (user 1, item 5) and (user 4, item 8); times = 3: positives, then 2 negatives
    keys = torch.tensor([1 * n_items + 5, 4 * n_items + 8])
    oracle.injected = (keys, n_items, 3)
    users = torch.tensor([1, 2, 3, 4] * 3)
    items = torch.tensor([5, 6, 7, 8, 8, 5, 2, 3, 9, 9, 5, 5])  # negatives' items do not count
    batch = Interaction({config["USER_ID_FIELD"]: users, config["ITEM_ID_FIELD"]: items})
    w = oracle.row_weights(batch, 12)
    assert torch.equal(w, torch.tensor([0.0, 2.0, 2.0, 0.0] * 3))
    # a CE / BPR model: one loss row per sequence
    oracle.injected = (keys, n_items, 1)
    one_row = Interaction({"user_id": users[:4], "item_id": items[:4]})
    assert torch.equal(oracle.row_weights(one_row, 4), torch.tensor([0.0, 2, 2, 0]))
    with pytest.raises(ATJTError, match="per-row losses"):
        oracle.row_weights(one_row, 6)


@pytest.mark.parametrize(
    "model, settings", [("SASRec", {"loss_type": "BPR"}), ("DCN", {})], ids=["SASRec", "DCN"]
)
def test_one_epoch_gives_injected_targets_weight_zero(tmp_path, monkeypatch, model, settings):
    batches = []
    original = ATJTTrainer._loss_denoised_loss

    def recording(self, epoch_idx, statistics, interaction):
        loss = original(self, epoch_idx, statistics, interaction)
        batches.append(
            (
                interaction.to("cpu"),
                self._last_parts["row weights"].detach().cpu(),
                self._train_data.times,
                self._train_data._dataset,
            )
        )
        return loss

    monkeypatch.setattr(ATJTTrainer, "_loss_denoised_loss", recording)
    config = {**TINY, **settings, "denoise": "oracle", "run_dir": str(tmp_path)}
    results = run(model, DATASET, config_dict=config)
    check_metrics(results["test"])
    assert all(math.isfinite(v) for v in results["test"].values())
    assert results["denoising_per_epoch"][0]["weight_std"] > 0

    truth = _injected_token_pairs()
    n_injected = n_sequences = 0
    for interaction, w, times, dataset in batches:
        n = len(interaction) // times
        assert w.numel() == len(interaction)  # one loss row per row of the batch
        users = dataset.id2token(dataset.uid_field, interaction[dataset.uid_field][:n].numpy())
        items = dataset.id2token(dataset.iid_field, interaction[dataset.iid_field][:n].numpy())
        flags = torch.tensor([(u, i) in truth for u, i in zip(users, items, strict=True)])
        clean = (~flags).float()
        expected = clean * n / clean.sum() if clean.sum() else clean
        assert torch.allclose(w[:n], expected), "weight 0 exactly for the injected targets"
        assert torch.equal(w.reshape(times, n), w[:n].expand(times, n))  # negatives alike
        if "label" in interaction.interaction:  # pointwise: the positive rows come first
            assert torch.equal(interaction["label"], (torch.arange(len(interaction)) < n).float())
        n_injected += int(flags.sum())
        n_sequences += n
    assert n_sequences == len(batches[0][3])  # the whole training set, once
    assert 0 < n_injected < n_sequences


def test_a_dataset_without_ground_truth_is_refused(tmp_path):
    config = {**TINY, "denoise": "oracle", "run_dir": str(tmp_path)}
    with pytest.raises(ATJTError) as refused:
        run("SASRec", "ml-100k", config_dict=config)
    message = str(refused.value)
    assert message.startswith("config key 'denoise': got 'oracle'")
    assert "ml-100k.noise" in message and "\n" not in message
    assert list(tmp_path.iterdir()) == []  # no run folder left behind
