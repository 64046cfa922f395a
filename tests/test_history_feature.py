import torch

from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.trainer.per_sequence_loss import row_losses


def test_context_models_get_the_history_as_a_token_seq_feature(tiny):
    config, train, valid, _, net = tiny("DCN", denoise="atjt")
    dataset = train._dataset
    assert "item_id_list" in net.token_seq_field_names
    assert "timestamp" not in dataset.field2type and "item_length" not in dataset.field2type
    assert dataset.num("item_id_list") == dataset.item_num  # shares the item vocabulary

    batch = next(iter(train))
    n = len(batch) // train.times
    history, label = batch["item_id_list"], batch["label"]
    # positives first, then their sampled negatives with the same history
    assert (label[:n] == 1).all() and (label[n:] == 0).all()
    assert torch.equal(history[:n], history[n:])
    # each history ends right before its target: the target is the user's next item
    lengths = (history[:n] > 0).sum(dim=1)
    assert (lengths > 0).all() and (lengths <= config["MAX_ITEM_LIST_LENGTH"]).all()

    # evaluation rows carry the same history feature
    eval_batch = next(iter(valid))[0]
    assert "item_id_list" in eval_batch.interaction


def test_dcn_regulariser_stays_unweighted(tiny):
    config, train, _, _, net = tiny("DCN", denoise="atjt")
    trainer = ATJTTrainer(config, net)
    trainer.attach(train)
    batch = next(iter(trainer.denoiser.data.loaders[0]))

    net.eval()
    losses = row_losses(net, batch, trainer.loss_attribute)
    expected_reg = net.reg_weight * net.reg_loss(net.cross_layer_w)
    assert torch.allclose(losses.extra, expected_reg, rtol=1e-4)
    assert losses.extra > 0
