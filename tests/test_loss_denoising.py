import pytest
import torch
import torch.nn.functional as F
from conftest import DATASET, TINY

from recbole_atjt import run
from recbole_atjt.trainer.loss_denoising import rce_weights, tce_drop_rate, tce_weights


def test_tce_drop_rate_rises_linearly_then_stays():
    rates = [tce_drop_rate(e, 0.2, 5) for e in range(7)]
    assert rates == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2, 0.2, 0.2])


def test_tce_drops_the_highest_loss_positives_by_hand():
    rows = torch.tensor([5.0, 1.0, 4.0, 3.0, 2.0, 6.0])
    positive = torch.tensor([True, True, True, True, False, False])
    w = tce_weights(rows, positive, 0.5)  # floor(0.5 * 6) = 3 dropped: losses 5, 4, 3
    assert torch.equal(w, torch.tensor([0.0, 2.0, 0.0, 0.0, 2.0, 2.0]))
    assert (w * rows).mean() == pytest.approx((1.0 + 2.0 + 6.0) / 3)  # mean over kept rows
    # the negative with the highest loss (6.0) is never dropped
    assert torch.equal(tce_weights(rows, positive, 0.0), torch.ones(6))


def test_rce_weights_are_pred_to_the_beta_by_hand():
    logits = torch.tensor([0.3, -1.2, 2.0, 0.5])
    labels = torch.tensor([1.0, 1.0, 0.0, 0.0])
    rows = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    p = torch.sigmoid(logits)
    expected = torch.where(labels > 0, p**0.25, (1 - p) ** 0.25)
    assert torch.allclose(rce_weights(rows, 0.25, normalise=False), expected)
    ce_rows = torch.tensor([1.0, 3.0])  # CE: p_target = exp(-loss), kept on the loss scale
    w = rce_weights(ce_rows, 0.5, normalise=True)
    raw = torch.exp(-0.5 * ce_rows)
    assert torch.allclose(w, raw / raw.mean()) and w.mean() == pytest.approx(1.0)


@pytest.mark.parametrize("mode", ["tce", "rce"])
@pytest.mark.parametrize("model", ["SASRec", "DIN"])
def test_one_run_per_loss_mode(tmp_path, model, mode):
    settings = {
        **TINY,
        "denoise": mode,
        "epochs": 2,
        "num_gradual": 1,
        "drop_rate": 0.2,
        "beta": 0.5,
        "run_dir": str(tmp_path),
    }
    results = run(model, DATASET, config_dict=settings)
    assert 0 < results["test"]["gauc"] <= 1
    stats = results["denoising_per_epoch"][1]  # epoch 1: T-CE drops its full 20%
    assert stats["weight_std"] > 0
    assert stats["loss_r"] != pytest.approx(stats["loss_r_unweighted"], rel=1e-3)
