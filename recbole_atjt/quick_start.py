"""``run()``: config, data, model and trainer wired together, like RecBole's ``run_recbole``."""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from typing import Any

import torch
from recbole.data.dataset import SequentialDataset
from recbole.utils import dict2str, init_logger

from recbole_atjt import detection
from recbole_atjt.compat import load_checkpoint
from recbole_atjt.config import ATJTConfig, check_resumable
from recbole_atjt.config_files import run_inputs
from recbole_atjt.data.preparation import check_inputs
from recbole_atjt.run_dir import (
    attach_log_file,
    code_version,
    latest_checkpoint,
    make_run_dir,
    plain,
    write_config,
    write_results,
)
from recbole_atjt.threads import torch_threads
from recbole_atjt.trainer.atjt_trainer import ATJTTrainer
from recbole_atjt.wiring import data_and_model


def resolve_config(
    model: str | None = None,
    dataset: str | None = None,
    config_file_list: list[str] | None = None,
    config_dict: dict[str, Any] | None = None,
    preset: str | None = None,
) -> ATJTConfig:
    """The configuration :func:`run` trains with for these inputs (and the command line for
    the same ones): see :func:`recbole_atjt.config_files.run_inputs`."""
    return ATJTConfig(*run_inputs(model, dataset, config_file_list, preset), config_dict)


def run(
    model: str | None = None,
    dataset: str | None = None,
    config_file_list: list[str] | None = None,
    config_dict: dict[str, Any] | None = None,
    saved: bool = True,
    epoch_callback: Callable[[int, dict[str, float], str | None], None] | None = None,
    evaluate_test: bool = True,
    resume: str | None = None,
    preset: str | None = None,
) -> dict[str, Any]:
    """Train and test one model with the configured ``denoise`` mode; returns the results.

    The model, dataset and config files resolve as on the command line
    (:func:`recbole_atjt.config_files.run_inputs`): without config files the ``quick``
    preset lies below ``config_dict`` (``preset="none"``: the research defaults), and the
    model and dataset default to SASRec on ml-100k.

    The run's folder (``results["run_dir"]``) holds ``config.yaml``,
    ``results.json``, ``run.log`` and the best checkpoint. ``epoch_callback``
    receives every validation result (epoch, metrics, the best epoch's checkpoint file, or
    None with ``saved=False``); with
    ``evaluate_test=False`` the test set is never touched (model selection).
    ``resume`` (a checkpoint, or a run folder for its latest checkpoint)
    continues that run exactly, with its own saved configuration.
    """
    if resume:
        checkpoint_file = latest_checkpoint(resume)
        config = load_checkpoint(checkpoint_file, map_location="cpu")["config"]
        check_resumable(config, checkpoint_file)
        run_dir = config["checkpoint_dir"]
    else:
        config = resolve_config(model, dataset, config_file_list, config_dict, preset)
        check_inputs(config)
        run_dir = make_run_dir(config)
        config["checkpoint_dir"] = run_dir
    code = code_version()  # before training: the code that trains, not what is there after
    torch.set_num_threads(torch_threads(config["torch_threads"]))
    init_logger(config)
    log_handler = attach_log_file(run_dir, config["state"])
    logger = logging.getLogger()
    # A run refused before training (the checks that need the data or the model) leaves no
    # folder behind; one that trained keeps it, whatever happens later.
    refused_before_training = not resume
    try:
        logger.info(sys.argv)
        logger.info(config)
        write_config(run_dir, config)
        show = config["show_progress"]
        dataset_obj, train_data, valid_data, test_data, model_obj = data_and_model(config, show)
        logger.info(dataset_obj)
        logger.info(model_obj)
        trainer = ATJTTrainer(config, model_obj)
        if resume:
            trainer.resume_checkpoint(checkpoint_file)

        callback = None
        if epoch_callback is not None:

            def callback(epoch: int, _score: float) -> None:
                checkpoint = trainer.saved_model_file if saved else None
                epoch_callback(epoch, trainer.valid_history[-1][1], checkpoint)

        refused_before_training = False
        best_score, best_valid = trainer.fit(
            train_data, valid_data, saved=saved, show_progress=show, callback_fn=callback
        )
        test_result = (
            trainer.evaluate(test_data, load_best_model=saved, show_progress=show)
            if evaluate_test
            else None
        )
        denoising = detection.report(trainer, train_data, config, run_dir)
        results = plain(
            {
                "model": config["model"],
                "dataset": config["dataset"],
                "denoise": config["denoise"],
                "seed": config["seed"],
                "interaction_cleaning": config["interaction_cleaning"],
                "dataset_stats": {
                    "users": dataset_obj.user_num - 1,
                    "items": dataset_obj.item_num - 1,
                    "interactions": _interactions(dataset_obj),
                },
                "valid_metric": config["valid_metric"],
                "best_valid_score": best_score,
                "valid": dict(best_valid or {}),
                "test": dict(test_result or {}),
                "epochs_run": len(trainer.epoch_seconds),
                "train_seconds_per_epoch": trainer.epoch_seconds,
                "valid_seconds_per_epoch": trainer.valid_seconds,
                "valid_per_epoch": [
                    {"epoch": epoch, **metrics} for epoch, metrics in trainer.valid_history
                ],
                "torch_threads": torch.get_num_threads(),
                "denoising_per_epoch": [
                    {"epoch": epoch, **stats}
                    for epoch, stats in sorted(trainer.epoch_statistics.items())
                ],
                **({"cleaning": dataset_obj.cleaning} if dataset_obj.cleaning else {}),
                **denoising,
                "checkpoint": trainer.saved_model_file if saved else None,
                "code": code,
                "run_dir": run_dir,
            }
        )
        write_results(run_dir, results)
        if evaluate_test:
            logger.info(f"test result: {dict2str(results['test'])}")
        return results
    except BaseException:
        if refused_before_training:
            logger.removeHandler(log_handler)
            log_handler.close()
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    finally:
        logger.removeHandler(log_handler)
        log_handler.close()


def _interactions(dataset) -> int:
    """Interactions the model trained and was evaluated on (after any cleaning)."""
    if isinstance(dataset, SequentialDataset):
        return dataset.inter_num + dataset.user_num - 1  # an instance per interaction but firsts
    return dataset.inter_num
