"""Forward+backward FLOPs per training sequence, and the floor they set for ATJT's cost.

    python benchmarks/flops.py [--dataset amazon-beauty --data_path ../shared/datasets]
        [--models SASRec DIN] [--key=value ...]

Counts, with torch's ``FlopCounterMode`` (matrix products, convolutions and attention;
element-wise work is not counted), one training batch of group 0 of an ``atjt`` trainer:

- R: the recommender's ``calculate_loss`` and its backward, per sequence of the batch
  (a pointwise model's batch holds each sequence once as a positive row, plus its
  sampled negatives);
- g: the recognizer's forward and backward on those sequences' histories and targets.

Each recommender batch of B sequences costs, in ``atjt``, the recognizer g_k on those B
(the weights, with gradient) and G-1 auxiliary batches of B sequences, so per sequence
``floor = R + G * g`` and the best ``atjt`` can do against stock training is
``floor ratio = 1 + G * g / R``. ``bench_overhead.py`` prints the measured time ratio
beside it. The last lines read ``floor <model> G=<G> ratio=<x> recommender=<R>
recognizer=<g>`` (FLOPs per sequence).
"""

from __future__ import annotations

import argparse

from bench_overhead import bench_settings, build_mode
from torch.utils.flop_counter import FlopCounterMode

GROUP_COUNTS = (2, 4)


def _counted(step) -> int:
    with FlopCounterMode(display=False) as counter:
        step().backward()
    return counter.get_total_flops()


def flops_per_sequence(model: str, dataset: str, settings: dict) -> tuple[float, float]:
    """(recommender, recognizer) forward+backward FLOPs per training sequence."""
    config, _, trainer = build_mode(model, dataset, "atjt-G2", settings)
    data = trainer.denoiser.data
    batch = next(iter(data.loaders[0])).to(config["device"])
    label = config["LABEL_FIELD"]
    pointwise = label in batch.interaction
    sequences = int((batch[label] > 0.5).sum()) if pointwise else len(batch)
    trainer.model.train()
    recommender = _counted(lambda: trainer.model.calculate_loss(batch))
    positives = batch[batch[label] > 0.5] if pointwise else batch
    history, target = positives[trainer.history_field], positives[trainer.target_field]
    g = trainer.denoiser.recognizers[0]
    recognizer = _counted(lambda: g(history, target).sum())
    return recommender / sequences, recognizer / sequences


def floor_ratio(recommender: float, recognizer: float, groups: int) -> float:
    """ATJT's FLOPs per training sequence over stock training's (see the module docstring)."""
    return 1 + groups * recognizer / recommender


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="amazon-beauty")
    p.add_argument("--data_path", default="../shared/datasets")
    p.add_argument("--models", nargs="+", default=["SASRec", "DIN"])
    args, extra = p.parse_known_args()
    settings = bench_settings(args.data_path, extra)
    lines = []
    for model in args.models:
        recommender, recognizer = flops_per_sequence(model, args.dataset, settings)
        print(f"{model} on {args.dataset}: per training sequence, forward + backward")
        print(f"  recommender {recommender / 1e6:10.3f} MFLOP")
        print(f"  recognizer  {recognizer / 1e6:10.3f} MFLOP")
        for groups in GROUP_COUNTS:
            ratio = floor_ratio(recommender, recognizer, groups)
            lines.append(
                f"floor {model} G={groups} ratio={ratio:.3f} recommender={recommender:.0f} "
                f"recognizer={recognizer:.0f}"
            )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
