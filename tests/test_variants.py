"""The denoising variants: weight normalisation, alpha scaling, online DNR, resets, modes."""

import numpy as np
import pytest
import torch
from conftest import TINY

from recbole_atjt import detection, run
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.trainer.denoiser import Denoiser
from recbole_atjt.trainer.per_sequence_loss import row_losses, rows_per_sequence, weighted_loss
from recbole_atjt.trainer.statistics import EpochStatistics

SIX_MODELS = ["WideDeep", "DCN", "DIN", "SASRec", "S3Rec", "FEARec"]
VARIANTS = {
    "alpha_scale": {"denoise": "atjt", "alpha_scale": "loss", "alpha": 5.0},
    "self": {"denoise": "atjt", "weight_norm": "self"},
    "reset": {"denoise": "atjt", "recognizer_reset": "round"},
    "target": {"denoise": "atjt", "corruption_target": "both"},
}  # the modes themselves (odnr, dnr, ...) run on every model in test_end_to_end.py


def _trainer(tiny, model, **overrides):
    config, train, _, _, net = tiny(model, **overrides)
    trainer = ATJTTrainer(config, net)
    trainer.attach(train)
    return trainer, train


def _batch(trainer, k=0):
    loader = trainer.denoiser.data.loaders[k]
    return next(iter(loader)).to(trainer.device)


def _sequences(trainer, batch):
    n = len(batch) // trainer.denoiser.data.times
    return n, batch[trainer.history_field][:n], batch[trainer.target_field][:n]


@pytest.mark.parametrize("model", SIX_MODELS)
def test_every_variant_trains_every_model(tmp_path, model):
    """One epoch per variant: weights vary, and the weighted loss is not the unweighted one."""
    for name, overrides in VARIANTS.items():
        settings = {**TINY, **overrides, "run_dir": str(tmp_path / name)}
        results = run(model, "atjt-synth", config_dict=settings, saved=False)
        stats = results["denoising_per_epoch"][0]
        assert stats["weight_std"] > 0, name
        if name != "self":  # weights of batch mean 1: L_R moves by cov(w, loss) alone, which
            # one tiny epoch can leave below float32 rounding (the normalisation has its own test)
            assert stats["loss_r"] != pytest.approx(stats["loss_r_unweighted"], rel=1e-7), name
        assert np.isfinite([v for k, v in stats.items() if k != "epoch"]).all(), name
        assert 0 <= results["test"]["ndcg@5"] <= 1, name
        if model == "DCN":  # its regulariser is an unweighted add-on, logged apart
            assert stats["loss_addons"] > 0, name


def test_weight_norm_self_keeps_the_batch_mean_and_removes_the_global_push(tiny):
    trainer, _ = _trainer(tiny, "DIN", denoise="atjt", weight_norm="self")
    batch = _batch(trainer)
    n, history, target = _sequences(trainer, batch)
    denoiser = trainer.denoiser
    denoiser.recognizers[0].eval()
    raw = denoiser.recognizers[0](history, target)  # eval-mode output, with gradient
    w = denoiser.training_weights(0, history, target)
    assert torch.allclose(w, raw / raw.mean(), atol=1e-6)
    assert w.mean().item() == pytest.approx(1.0, abs=1e-6)

    losses = row_losses(trainer.model, batch, trainer.loss_attribute)
    repeats = rows_per_sequence(losses.rows.numel(), n)
    loss_r = weighted_loss(losses, (raw / raw.mean()).repeat(repeats))
    (grad,) = torch.autograd.grad(loss_r, raw)
    # Euler: L_R is invariant to scaling every weight, so sum_i w_i dL_R/dw_i = 0
    assert (raw * grad).sum().item() == pytest.approx(0.0, abs=1e-6)
    # hand computation: dL/dw_j = (s_j - sum_i w_i s_i / sum_i w_i) / (N * mean(w)),
    # s_j being sequence j's summed row losses and N the number of rows
    rows = losses.rows.detach().reshape(repeats, n)
    s = rows.sum(0)
    r = raw.detach()
    hand = (s - (r * s).sum() / r.sum()) / (losses.rows.numel() * r.mean())
    assert torch.allclose(grad, hand, atol=1e-6)


def test_alpha_scale_loss_multiplies_alpha_by_the_running_row_loss(tiny):
    trainer, _ = _trainer(tiny, "SASRec", denoise="atjt", alpha=2.0, alpha_scale="loss")
    statistics = EpochStatistics(trainer.device)
    batch = _batch(trainer)
    torch.manual_seed(0)
    _, scaled_d = trainer._joint_loss(0, statistics, batch)
    first_rows = trainer.denoiser.loss_average.item()
    torch.manual_seed(0)
    plain_trainer, _ = _trainer(tiny, "SASRec", denoise="atjt", alpha=2.0)
    _, plain_d = plain_trainer._joint_loss(0, EpochStatistics(trainer.device), batch)
    assert scaled_d.item() == pytest.approx(plain_d.item() * first_rows, rel=1e-5)
    # the moving average: 0.9 * previous + 0.1 * this batch's mean row loss
    second = _batch(trainer, k=1)
    rows = row_losses(trainer.model, second, trainer.loss_attribute).rows.mean().item()
    trainer._joint_loss(1, statistics, second)
    assert trainer.denoiser.loss_average.item() == pytest.approx(
        0.9 * first_rows + 0.1 * rows, rel=1e-4
    )


def test_odnr_weights_are_detached_normalised_and_clipped(tiny):
    trainer, _ = _trainer(tiny, "DIN", denoise="odnr", weight_min=0.5, weight_max=1.2)
    batch = _batch(trainer)
    _, history, target = _sequences(trainer, batch)
    w = trainer.denoiser.training_weights(0, history, target)
    assert not w.requires_grad
    raw = trainer.denoiser.weights(0, history, target)
    assert torch.allclose(w, (raw / raw.mean()).clamp(0.5, 1.2), atol=1e-6)
    loss_r, scaled_d = trainer._joint_loss(0, EpochStatistics(trainer.device), batch)
    recognizer = list(trainer.denoiser.recognizers[0].parameters())
    assert all(g is None for g in torch.autograd.grad(loss_r, recognizer, allow_unused=True))
    assert any(g is not None for g in torch.autograd.grad(scaled_d, recognizer, allow_unused=True))


def test_recognizer_reset_round_reinitialises_each_round(tiny):
    trainer, train = _trainer(tiny, "SASRec", denoise="atjt", recognizer_reset="round")
    denoiser = trainer.denoiser
    resets, reset = [], denoiser.reset

    def recording_reset(k):
        before = [p.detach().clone() for p in denoiser.recognizers[k].parameters()]
        reset(k)
        after = list(denoiser.recognizers[k].parameters())
        resets.append((k, any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))))

    denoiser.reset = recording_reset
    trainer.epochs = 2
    trainer.fit(train, None, verbose=False, saved=False)
    # every round of every epoch starts from fresh parameters
    assert resets == [(0, True), (1, True)] * 2
    for k in range(denoiser.n_groups):
        optimizer = denoiser.optimizers[k]
        params = list(denoiser.recognizers[k].parameters())
        assert optimizer.param_groups[0]["params"][0] is params[0]
        # the new optimizer stepped during its round (a stale one would leave these at 0)
        assert any((s["sum"] > 0).any() for s in optimizer.state_dict()["state"].values())


@pytest.mark.parametrize("recognizer_mode,same", [("eval", True), ("train", False)])
def test_recognizer_mode_decides_dropout_of_the_training_weights(tiny, recognizer_mode, same):
    trainer, _ = _trainer(tiny, "SASRec", denoise="atjt", recognizer_mode=recognizer_mode)
    _, history, target = _sequences(trainer, _batch(trainer))
    a = trainer.denoiser.training_weights(0, history, target)
    b = trainer.denoiser.training_weights(0, history, target)
    assert torch.equal(a, b) is same


def test_dnr_pretrains_until_the_held_out_auc_stops_improving(tiny):
    trainer, _ = _trainer(tiny, "SASRec", denoise="dnr", dnr_pretrain_epochs=4)
    records = trainer.denoiser.pretrain(4)
    assert len(records) == trainer.denoiser.n_groups
    for record in records:
        aucs = record["holdout_auc_per_pass"]
        assert 1 <= len(aucs) <= 4
        # every pass but the last improved; the last did not, unless the cap was reached
        assert all(b > a for a, b in zip(aucs[:-2], aucs[1:-1], strict=True))
        assert len(aucs) == 4 or len(aucs) == 1 or aucs[-1] <= max(aucs[:-1])
        assert aucs[record["passes_kept"] - 1] == max(aucs)
    assert trainer.denoiser.pretrained
    lines = detection.describe({"dnr_pretraining": records})
    assert f"{max(records[0]['holdout_auc_per_pass']):.3f}" in lines[0]


def _recognizer_pass(trainer, batch, fused_state=None):
    """(weights, L_D, gradients, logits calls) of g_0 on one recommender batch of group 0."""
    denoiser = trainer.denoiser
    g = denoiser.recognizers[0]
    if fused_state is not None:
        g.load_state_dict(fused_state)
    calls = []
    logits = g.logits
    g.logits = lambda *args: calls.append(1) or logits(*args)
    _, history, target = _sequences(trainer, batch)
    w, loss_d = denoiser.weights_and_auxiliary_loss(0, history, target)
    (w.square().sum() + loss_d).backward()
    assert g.item_embedding.weight.grad.is_sparse is denoiser.sparse_gradient
    grads = [p.grad.to_dense() for p in g.parameters()]
    return w.detach(), loss_d.detach(), grads, len(calls)


@pytest.mark.parametrize("model,sparse", [("SASRec", False), ("DIN", True)])
def test_one_fused_recognizer_pass_equals_the_separate_passes(tiny, model, sparse, monkeypatch):
    """Weights, L_D over G-1 = 2 auxiliary batches, and g_0's gradients: the same values."""
    settings = {"denoise": "atjt", "atjt_groups": 3, "noise_sparse_gradient": sparse}
    trainer, _ = _trainer(tiny, model, **settings)
    assert trainer.denoiser.fuses_passes
    state = {k: v.clone() for k, v in trainer.denoiser.recognizers[0].state_dict().items()}
    fused = _recognizer_pass(trainer, _batch(trainer))
    monkeypatch.setattr(Denoiser, "fuses_passes", property(lambda self: False))
    trainer, _ = _trainer(tiny, model, **settings)
    separate = _recognizer_pass(trainer, _batch(trainer), state)
    assert (fused[3], separate[3]) == (1, 3)  # one forward instead of weights + two batches
    assert torch.allclose(fused[0], separate[0], atol=1e-6)
    assert fused[1].item() == pytest.approx(separate[1].item(), rel=1e-5)
    for a, b in zip(fused[2], separate[2], strict=True):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize(
    "overrides", [{"denoise": "odnr"}, {"denoise": "atjt", "recognizer_mode": "split"}]
)
def test_passes_stay_separate_where_their_mode_or_gradient_differs(tiny, overrides):
    trainer, _ = _trainer(tiny, "SASRec", **overrides)
    assert not trainer.denoiser.fuses_passes


def test_a_compiled_recognizer_trains_to_the_eager_metrics(tmp_path):
    """compile_recognizer: one graph over the padded grid instead of eager's packed positions,
    so only float rounding differs: weights to 1e-5, a metric by at most two of 400 users."""
    settings = {**TINY, "denoise": "atjt", "epochs": 2, "run_dir": str(tmp_path)}
    eager = run("DIN", "atjt-synth", config_dict=settings)
    compiled = run("DIN", "atjt-synth", config_dict={**settings, "compile_recognizer": True})
    for split in ("valid", "test"):
        for metric, value in eager[split].items():
            assert compiled[split][metric] == pytest.approx(value, abs=0.005), (split, metric)
    for a, b in zip(compiled["denoising_per_epoch"], eager["denoising_per_epoch"], strict=True):
        assert a["weight_mean"] == pytest.approx(b["weight_mean"], rel=1e-5)
