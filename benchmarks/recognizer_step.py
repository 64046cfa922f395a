"""One recognizer step of ``atjt`` alone: separate or fused passes, dense or sparse gradients.

    python benchmarks/recognizer_step.py [--items 3000 12101 50000 200000] [--batch 512]
        [--length 20] [--groups 2] [--steps 100]

A step is what the trainer asks of g_k per recommender batch: its weights on the batch
and its auxiliary loss on G-1 batches of the same size, one backward and one Adagrad
step. ``separate`` runs the weights and each auxiliary batch through g_k one after the
other; ``fused`` runs them as one batch (what ``atjt`` does). ``dense`` / ``sparse`` is
the item embedding's gradient (``noise_sparse_gradient``). Histories have uniformly
random lengths in [1, length]; one torch thread; the four variants alternate step by
step. Prints the median milliseconds per step and, last, lines
``ratio recognizer items=<n> <variant>=<x>`` relative to ``separate dense``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from recbole_atjt.model.recognizer import NoiseRecognizer

VARIANTS = [("separate", False), ("fused", False), ("separate", True), ("fused", True)]


def random_batch(n_items: int, batch: int, length: int, generator: torch.Generator):
    lengths = torch.randint(1, length + 1, (batch,), generator=generator)
    items = torch.randint(1, n_items, (batch, length), generator=generator)
    history = items * (torch.arange(length) < lengths.unsqueeze(1))
    return history, torch.randint(1, n_items, (batch,), generator=generator)


def step(g, optimizer, batches, fused: bool) -> None:
    (history, target), auxiliary = batches[0], batches[1:]
    labels = torch.ones(len(target))
    optimizer.zero_grad()
    if fused:
        logits = g.logits(torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches]))
        weight_logits, *aux_logits = logits.split(len(target))
    else:
        weight_logits = g.logits(history, target)
        aux_logits = [g.logits(h, t) for h, t in auxiliary]
    loss = torch.sigmoid(weight_logits).sum()
    loss = loss + sum(F.binary_cross_entropy_with_logits(a, labels) for a in aux_logits)
    loss.backward()
    optimizer.step()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, nargs="+", default=[3000, 12101, 50000, 200000])
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--length", type=int, default=20)
    p.add_argument("--groups", type=int, default=2)
    p.add_argument("--steps", type=int, default=100)
    args = p.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    print(
        f"recognizer step: batch {args.batch}, G={args.groups}, histories of 1-{args.length} "
        f"items, {args.steps} steps per variant, 1 thread"
    )
    ratios = []
    for n_items in args.items:
        models = {}
        for fused, sparse in VARIANTS:
            torch.manual_seed(0)
            g = NoiseRecognizer(n_items, 32, [32], [256, 64], sparse=sparse).eval()
            models[fused, sparse] = (g, torch.optim.Adagrad(g.parameters(), lr=0.01))
        seconds = {v: [] for v in VARIANTS}
        for i in range(args.steps + 10):
            batches = [
                random_batch(n_items, args.batch, args.length, generator)
                for _ in range(args.groups)
            ]
            for variant in VARIANTS:
                started = time.perf_counter()
                step(*models[variant], batches, fused=variant[0] == "fused")
                if i >= 10:  # warm-up
                    seconds[variant].append(time.perf_counter() - started)
        ms = {v: 1000 * statistics.median(s) for v, s in seconds.items()}
        base = ms["separate", False]
        cells = "  ".join(
            f"{kind} {'sparse' if sparse else 'dense'} {ms[kind, sparse]:6.2f}"
            for kind, sparse in VARIANTS
        )
        print(f"  {n_items:7d} items (ms per step): {cells}")
        for kind, sparse in VARIANTS:
            name = f"{kind}-{'sparse' if sparse else 'dense'}"
            ratios.append(f"ratio recognizer items={n_items} {name}={ms[kind, sparse] / base:.3f}")
    print("\n".join(ratios))


if __name__ == "__main__":
    main()
