import pytest
import torch

from recbole_atjt.model.recognizer import SPARSE_MIN_ITEMS, NoiseRecognizer, sparse_gradient


def test_output_in_unit_interval_and_sizes_from_arguments():
    torch.manual_seed(0)
    g = NoiseRecognizer(20, embedding_size=8, attention_hidden=[4], output_hidden=[16, 8])
    g.eval()
    history = torch.tensor([[1, 2, 3, 0], [0, 0, 0, 0], [5, 0, 0, 0]])
    w = g(history, torch.tensor([4, 6, 7]))
    assert w.shape == (3,)
    assert ((w > 0) & (w < 1)).all()
    assert g.attention[0].in_features == 16 and g.attention[0].out_features == 4
    assert [m.out_features for m in g.output if isinstance(m, torch.nn.Linear)] == [16, 8, 1]


def test_padding_is_ignored():
    torch.manual_seed(0)
    g = NoiseRecognizer(20, embedding_size=8).eval()
    a = g(torch.tensor([[1, 2, 0, 0]]), torch.tensor([3]))
    b = g(torch.tensor([[1, 2, 0, 0, 0, 0, 0]]), torch.tensor([3]))
    assert torch.allclose(a, b)


def test_eval_mode_is_deterministic_and_train_mode_uses_dropout():
    torch.manual_seed(0)
    g = NoiseRecognizer(20, embedding_size=8, dropout=0.5)
    history, target = torch.randint(1, 20, (64, 5)), torch.randint(1, 20, (64,))
    g.eval()
    assert torch.equal(g(history, target), g(history, target))
    g.train()
    assert not torch.equal(g(history, target), g(history, target))


def test_split_attention_equals_the_mlp_on_concatenated_pairs():
    torch.manual_seed(0)
    g = NoiseRecognizer(30, embedding_size=8, attention_hidden=[6, 4]).eval()
    history, target = torch.randint(0, 30, (5, 7)), torch.randint(1, 30, (5,))
    e_hist, e_target = g.item_embedding(history), g.item_embedding(target)
    pairs = torch.cat([e_hist, e_target.unsqueeze(1).expand_as(e_hist)], dim=-1)
    assert torch.allclose(
        g._attention_scores(e_hist, e_target.unsqueeze(1)),
        g.attention(pairs).squeeze(-1),
        atol=1e-6,
    )


def test_packed_and_padded_pooling_agree_in_value_and_gradient():
    """The CPU path (real positions only) computes the GPU path's h exactly."""
    torch.manual_seed(0)
    g = NoiseRecognizer(30, embedding_size=8, attention_hidden=[6]).eval()
    history = torch.tensor([[3, 4, 5, 0, 0], [0, 0, 0, 0, 0], [7, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
    mask = history > 0
    results = []
    for pool in (g._pool_padded, g._pool_packed):
        g.zero_grad()
        e_target = g.item_embedding(torch.tensor([9, 8, 7, 6]))
        h = pool(history, mask, e_target)
        (h * torch.arange(1.0, 9.0)).sum().backward()
        results.append((h.detach(), g.item_embedding.weight.grad.clone()))
    (h_padded, grad_padded), (h_packed, grad_packed) = results
    assert torch.allclose(h_padded, h_packed, atol=1e-6)
    assert torch.allclose(grad_padded, grad_packed, atol=1e-6)
    assert torch.equal(h_packed[1], torch.zeros(8))  # no history: h = 0
    # one real item: all attention on it, h is its embedding
    assert torch.allclose(h_packed[2], g.item_embedding.weight[7], atol=1e-6)


def _adagrad_steps(g: NoiseRecognizer, batches) -> torch.Tensor:
    """The item embedding after Adagrad steps on the embedding alone.

    (The attention's biases have a gradient of zero up to rounding, since a softmax ignores
    a shift, and Adagrad turns such rounding into full steps: the other layers stay fixed.)
    """
    optimizer = torch.optim.Adagrad([g.item_embedding.weight], lr=0.01)
    for history, target in batches:
        optimizer.zero_grad()
        g.logits(history, target).sum().backward()
        optimizer.step()
    return g.item_embedding.weight.detach()


def test_sparse_embedding_gradient_takes_the_same_adagrad_steps_as_the_dense_one():
    torch.manual_seed(0)
    dense = NoiseRecognizer(50, embedding_size=8).eval()
    sparse = NoiseRecognizer(50, embedding_size=8, sparse=True).eval()
    sparse.load_state_dict(dense.state_dict())
    # items 1-19 only: most rows never get a gradient, and stay as they were
    batches = [(torch.randint(0, 20, (16, 6)), torch.randint(1, 20, (16,))) for _ in range(3)]
    before = dense.item_embedding.weight.detach().clone()
    after_dense, after_sparse = _adagrad_steps(dense, batches), _adagrad_steps(sparse, batches)
    assert sparse.item_embedding.weight.grad.is_sparse
    assert torch.allclose(after_dense, after_sparse, atol=1e-6)
    assert torch.equal(after_sparse[20:], before[20:])
    assert ((after_sparse[1:20] - before[1:20]).abs().amax(dim=1) > 1e-3).all()


CPU, CUDA = torch.device("cpu"), torch.device("cuda")


@pytest.mark.parametrize(
    "setting,device,optimizer,n_items,sparse",
    [
        ("auto", CPU, "adagrad", SPARSE_MIN_ITEMS, True),
        ("auto", CPU, "SGD", SPARSE_MIN_ITEMS, True),
        ("auto", CPU, "adagrad", SPARSE_MIN_ITEMS - 1, False),  # small catalogue: dense is faster
        ("auto", CPU, "adam", 10 * SPARSE_MIN_ITEMS, False),  # would change adam's update
        ("auto", CUDA, "adagrad", 10 * SPARSE_MIN_ITEMS, False),
        (True, CPU, "adagrad", 10, True),
        (False, CPU, "adagrad", 10 * SPARSE_MIN_ITEMS, False),
    ],
)
def test_sparse_gradient_setting(setting, device, optimizer, n_items, sparse):
    assert sparse_gradient(setting, device, optimizer, n_items) is sparse


def test_auto_keeps_a_compiled_recognizers_gradient_dense():
    assert not sparse_gradient("auto", CPU, "adagrad", 10 * SPARSE_MIN_ITEMS, compiled=True)


def test_the_compiled_recognizer_computes_the_eager_logits_and_gradients():
    """One graph over the padded grid: the eager (packed, on a CPU) values up to rounding,
    with gradient and without."""
    torch.manual_seed(0)
    eager = NoiseRecognizer(40, embedding_size=8, attention_hidden=[6]).eval()
    compiled = NoiseRecognizer(40, embedding_size=8, attention_hidden=[6], compiled=True).eval()
    compiled.load_state_dict(eager.state_dict())
    history = torch.randint(1, 40, (32, 7)) * (torch.rand(32, 7) < 0.6)  # padding anywhere
    history[0] = 0  # an empty history
    target = torch.randint(1, 40, (32,))
    for g in (eager, compiled):
        g.logits(history, target).square().sum().backward()
    with torch.no_grad():
        assert torch.allclose(compiled(history, target), eager(history, target), atol=1e-6)
    for a, b in zip(compiled.parameters(), eager.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, atol=1e-5)
    assert eager.item_embedding.weight.grad.abs().sum() > 0
