"""Score a saved checkpoint without training."""

from __future__ import annotations

import logging
from typing import Any

from recbole_atjt.compat import load_checkpoint
from recbole_atjt.errors import ATJTError
from recbole_atjt.run_dir import plain
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.wiring import data_and_model


def evaluate_checkpoint(path: str, split: str = "test") -> dict[str, Any]:
    """Metrics of the model saved in ``path`` on ``split`` ('valid' or 'test').

    The data, split and evaluation candidates are rebuilt from the config saved
    in the checkpoint, so the numbers are those the run itself would report.
    """
    try:
        checkpoint = load_checkpoint(path, map_location="cpu")
    except (OSError, RuntimeError) as exc:
        raise ATJTError(f"cannot read checkpoint {path}: {exc}") from None
    config = checkpoint.get("config") if isinstance(checkpoint, dict) else None
    if config is None or "state_dict" not in checkpoint:
        raise ATJTError(f"{path} is not a recbole_atjt / RecBole training checkpoint")
    _, _, valid_data, test_data, model = data_and_model(config)
    trainer = ATJTTrainer(config, model)
    data = {"valid": valid_data, "test": test_data}[split]
    logging.getLogger().info(f"Evaluating {path} on the {split} set")
    return plain(dict(trainer.evaluate(data, load_best_model=True, model_file=path)))
