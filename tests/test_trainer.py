import numpy as np
import pytest
import torch
from recbole.trainer import Trainer
from recbole.utils import get_model, init_seed

from recbole_atjt.trainer.atjt_trainer import ATJTTrainer


def _fit(trainer_cls, config, train, net, epochs):
    train.generator.manual_seed(config["seed"])  # same shuffles for every trainer
    trainer = trainer_cls(config, net)
    trainer.epochs = epochs
    trainer.fit(train, None, verbose=False, saved=False)
    return trainer


@pytest.mark.parametrize("model", ["SASRec", "DIN"])
def test_none_mode_trains_exactly_like_stock_recbole(tiny, model):
    config, train, valid, _, ours = tiny(model, denoise="none")
    init_seed(config["seed"], config["reproducibility"])
    stock = get_model(model)(config, train._dataset)
    stock.load_state_dict(ours.state_dict())

    init_seed(config["seed"], config["reproducibility"])
    _fit(Trainer, config, train, stock, epochs=2)
    init_seed(config["seed"], config["reproducibility"])
    trainer = _fit(ATJTTrainer, config, train, ours, epochs=2)

    for (name, a), (_, b) in zip(
        stock.state_dict().items(), ours.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    assert trainer.denoiser is None
    # same parameters, same fixed candidates -> same metrics
    assert trainer.evaluate(valid, load_best_model=False) == Trainer(config, stock).evaluate(
        valid, load_best_model=False
    )


def _one_batch_loss(trainer, train, k=0):
    trainer.attach(train)
    loader = trainer.denoiser.data.loaders[k]
    batch = next(iter(loader)).to(trainer.device)
    from recbole_atjt.trainer.statistics import EpochStatistics

    return trainer._joint_loss(k, EpochStatistics(trainer.device), batch)


def _recognizer_grad_norm(trainer, k=0):
    grads = [p.grad for p in trainer.denoiser.recognizers[k].parameters() if p.grad is not None]
    return sum(float(g.abs().sum()) for g in grads)


@pytest.mark.parametrize("model", ["SASRec", "DIN"])
def test_gradient_of_recommender_loss_reaches_recognizer_only_when_joint(tiny, model):
    for mode, reaches in (("atjt", True), ("wat", True), ("dnr", False)):
        config, train, _, _, net = tiny(model, denoise=mode)
        trainer = ATJTTrainer(config, net)
        out = _one_batch_loss(trainer, train)
        loss_r = out[0] if isinstance(out, tuple) else out
        loss_r.backward()
        assert (_recognizer_grad_norm(trainer) > 0) is reaches, mode
        assert _recognizer_grad_norm(trainer, k=1) == 0  # only g_k takes part in round k


def test_atjt_loss_has_both_parts_and_alpha_scales_the_auxiliary_one(tiny):
    values = {}
    for alpha in (0.5, 2.0):
        config, train, _, _, net = tiny("SASRec", denoise="atjt", alpha=alpha)
        trainer = ATJTTrainer(config, net)
        torch.manual_seed(0)
        loss_r, scaled_d = _one_batch_loss(trainer, train)
        values[alpha] = (loss_r.item(), scaled_d.item())
    assert values[0.5][0] == pytest.approx(values[2.0][0], rel=1e-6)
    assert values[2.0][1] == pytest.approx(4 * values[0.5][1], rel=1e-5)


def test_wat_ignores_alpha(tiny):
    params = []
    for alpha in (0.0, 10.0):
        config, train, _, _, net = tiny("SASRec", denoise="wat", alpha=alpha)
        trainer = _fit(ATJTTrainer, config, train, net, epochs=1)
        params.append([p.detach().clone() for p in net.parameters()])
        params.append([p.detach().clone() for p in trainer.denoiser.recognizers.parameters()])
    assert all(torch.equal(a, b) for a, b in zip(params[0], params[2], strict=True))
    assert all(torch.equal(a, b) for a, b in zip(params[1], params[3], strict=True))


@pytest.mark.parametrize("mode", ["atjt", "dnr"])
def test_recognizer_k_never_trains_on_group_k(tiny, mode):
    config, train, _, _, net = tiny("DIN", denoise=mode, atjt_groups=3)
    trainer = ATJTTrainer(config, net)
    trainer.attach(train)
    data = trainer.denoiser.data
    seen = {k: [] for k in range(3)}
    original = data.auxiliary_batch

    def recording(k):
        idx, history, target = original(k)
        seen[k].append(idx.cpu().numpy())
        return idx, history, target

    def recording_split(k, share, generator):
        held, stream = split(k, share, generator)
        seen[k] += [held.cpu().numpy(), stream.indices.cpu().numpy()]
        return held, stream

    data.auxiliary_batch = recording
    split = data.holdout_split
    data.holdout_split = recording_split  # dnr: its pretraining data outside group k
    trainer.epochs = 1
    trainer.fit(train, None, verbose=False, saved=False)

    users = train._dataset.inter_feat[train._dataset.uid_field].numpy()
    for k in range(3):
        assert seen[k], f"recognizer {k} got no auxiliary batch"
        used = np.concatenate(seen[k])
        assert not np.isin(used, data.groups[k]).any()
        assert not set(users[used]) & set(users[data.groups[k]])


def test_weights_are_logged_and_not_all_equal(tiny):
    config, train, _, _, net = tiny("SASRec", denoise="atjt")
    trainer = _fit(ATJTTrainer, config, train, net, epochs=1)
    stats = trainer.epoch_statistics[0]
    assert 0 < stats["weight_mean"] < 1
    assert stats["weight_std"] > 0
    assert stats["loss_d"] > 0
    assert stats["loss_r"] != pytest.approx(stats["loss_r_unweighted"])


def test_checkpoint_round_trip_restores_recognizers_and_optimizers(tiny, tmp_path):
    config, train, valid, _, net = tiny("SASRec", denoise="atjt")
    trainer = ATJTTrainer(config, net)
    trainer.epochs = 1
    trainer.fit(train, valid, verbose=False, saved=True)
    path = trainer.saved_model_file

    init_seed(config["seed"] + 1, True)
    fresh_net = get_model("SASRec")(config, train._dataset)
    fresh = ATJTTrainer(config, fresh_net)
    fresh.resume_checkpoint(path)
    fresh.attach(train)
    assert fresh.start_epoch == 1
    for a, b in zip(
        trainer.model.state_dict().values(), fresh.model.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    old, new = trainer.denoiser, fresh.denoiser
    for a, b in zip(
        old.recognizers.state_dict().values(), new.recognizers.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)
    for o, n in zip(old.optimizers, new.optimizers, strict=True):
        for sa, sb in zip(
            o.state_dict()["state"].values(), n.state_dict()["state"].values(), strict=True
        ):
            assert torch.equal(sa["sum"], sb["sum"])  # Adagrad accumulators
    assert torch.equal(old.generator.get_state(), new.generator.get_state())
    # the restored trainer evaluates the best model from the same file
    assert fresh.evaluate(valid, model_file=path) == trainer.evaluate(valid, model_file=path)


def test_fixed_candidates_are_reused_and_leave_the_global_rng_alone(tiny):
    config, _, valid, _, net = tiny("SASRec", denoise="none")
    state = np.random.get_state()[1].copy()
    trainer = ATJTTrainer(config, net)
    first = trainer.evaluate(valid, load_best_model=False)
    second = trainer.evaluate(valid, load_best_model=False)
    assert first == second
    assert np.array_equal(np.random.get_state()[1], state)
    batch = next(iter(valid))[0]
    _, rows_per_user = torch.unique(batch[config["USER_ID_FIELD"]], return_counts=True)
    assert rows_per_user.tolist() == [101] * len(rows_per_user)  # true item + 100 negatives
