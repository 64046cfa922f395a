import random

import pytest
import torch
import torch.nn.functional as F
from recbole.model.loss import BPRLoss

from recbole_atjt.errors import ATJTError
from recbole_atjt.trainer.per_sequence_loss import (
    resolve_loss_attribute,
    row_losses,
    rows_per_sequence,
    weighted_loss,
)


def _first_batch(train, device):
    return next(iter(train)).to(device)


def _hand_rows(model, batch):
    """Per-row losses computed here from the model's own forward pass."""
    name = type(model).__name__
    if name == "SASRec":
        out = model.forward(batch[model.ITEM_SEQ], batch[model.ITEM_SEQ_LEN])
        if model.loss_type == "CE":
            logits = out @ model.item_embedding.weight.T
            return F.cross_entropy(logits, batch[model.POS_ITEM_ID], reduction="none")
        pos = (out * model.item_embedding(batch[model.POS_ITEM_ID])).sum(-1)
        neg = (out * model.item_embedding(batch[model.NEG_ITEM_ID])).sum(-1)
        return -torch.log(1e-10 + torch.sigmoid(pos - neg))
    logits = model.forward(
        batch[model.USER_ID],
        batch[model.ITEM_SEQ],
        batch[model.ITEM_SEQ_LEN],
        batch[model.POS_ITEM_ID],
    )
    return F.binary_cross_entropy_with_logits(logits, batch[model.LABEL_FIELD], reduction="none")


@pytest.mark.parametrize(
    "model,overrides", [("SASRec", {}), ("SASRec", {"loss_type": "BPR"}), ("DIN", {})]
)
def test_rows_match_model_loss_and_weighting_matches_hand_computation(tiny, model, overrides):
    config, train, _, _, net = tiny(model, **overrides)
    net.eval()  # no dropout: every forward pass is the same function
    batch = _first_batch(train, config["device"])
    attribute = resolve_loss_attribute(net)

    losses = row_losses(net, batch, attribute)
    assert losses.extra is None
    assert losses.rows.shape == (len(batch),)
    assert torch.allclose(losses.rows.mean(), net.calculate_loss(batch), atol=1e-6)

    hand = _hand_rows(net, batch)
    assert torch.allclose(losses.rows, hand, atol=1e-5)
    n_sequences = len(batch) // train.times
    w = torch.rand(n_sequences, generator=torch.Generator().manual_seed(0))
    repeats = rows_per_sequence(len(batch), n_sequences)
    assert repeats == train.times
    got = weighted_loss(losses, w.repeat(repeats))
    expected = sum(w[i % n_sequences] * hand[i] for i in range(len(batch))) / len(batch)
    assert torch.allclose(got, expected, atol=1e-5)
    assert not torch.allclose(got, losses.rows.mean())
    # the model's own loss module is back in place
    assert type(getattr(net, attribute)).__name__ in (
        "CrossEntropyLoss",
        "BPRLoss",
        "BCEWithLogitsLoss",
    )


def test_scalar_add_ons_stay_unweighted(tiny, monkeypatch):
    config, train, _, _, net = tiny("SASRec")
    net.eval()
    batch = _first_batch(train, config["device"])
    plain = net.calculate_loss
    reg = lambda: 0.25 * net.position_embedding.weight.norm()  # noqa: E731
    monkeypatch.setattr(net, "calculate_loss", lambda inter: plain(inter) + reg())

    losses = row_losses(net, batch, "loss_fct")
    assert torch.allclose(losses.extra, reg(), atol=1e-5)
    w = torch.full((len(batch),), 0.5)
    assert torch.allclose(weighted_loss(losses, w), 0.5 * losses.rows.mean() + reg(), atol=1e-5)


def test_contract_errors_are_clear(tiny):
    _, _, _, _, net = tiny("SASRec")
    with pytest.raises(ATJTError, match="'no_such_loss'"):
        resolve_loss_attribute(net, "no_such_loss")
    with pytest.raises(ATJTError, match="whole multiple"):
        rows_per_sequence(10, 3)


def _with_losses(**modules) -> torch.nn.Module:
    net = torch.nn.Module()
    for name, module in modules.items():
        setattr(net, name, module)
    return net


def test_the_only_loss_module_is_found_whatever_its_name():
    bpr, bce = BPRLoss(), torch.nn.BCEWithLogitsLoss()
    assert resolve_loss_attribute(_with_losses(bpr_loss=bpr, emb=torch.nn.Linear(2, 2))) == (
        "bpr_loss"
    )
    assert resolve_loss_attribute(_with_losses(loss_fn=bce)) == "loss_fn"
    # the usual names win over another loss module; a configured name wins over all
    assert resolve_loss_attribute(_with_losses(loss_fn=bce, loss_fct=bpr)) == "loss_fct"
    assert resolve_loss_attribute(_with_losses(a=bce, b=bpr), "b") == "b"
    with pytest.raises(ATJTError, match=r"found: \['a', 'b'\]"):
        resolve_loss_attribute(_with_losses(a=bce, b=bpr))
    with pytest.raises(ATJTError, match="found: none"):
        resolve_loss_attribute(_with_losses(layer=torch.nn.Linear(2, 2)))
    with pytest.raises(ATJTError, match=r"'c'.*found: \['a'\]"):
        resolve_loss_attribute(_with_losses(a=bce), "c")  # a configured name is never guessed


def test_in_place_add_ons_are_split_off(tiny):
    """FEARec adds its contrastive terms with ``loss += ...``: they must stay unweighted."""
    config, train, _, _, net = tiny("FEARec")
    net.eval()
    batch = _first_batch(train, config["device"])
    random.seed(3)
    losses = row_losses(net, batch, resolve_loss_attribute(net))
    random.seed(3)
    total = net.calculate_loss(batch)

    assert losses.extra is not None and losses.extra.item() > 0
    assert torch.allclose(losses.rows.mean() + losses.extra, total, atol=1e-5)
    w = torch.full((len(batch),), 0.5)
    expected = 0.5 * losses.rows.mean() + losses.extra
    assert torch.allclose(weighted_loss(losses, w), expected, atol=1e-5)
