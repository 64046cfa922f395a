"""Each page's JSON summary, written beside its Markdown (``<out>/<name>/<dataset>.json``):
what the leaderboard shows of the page, so that it never reads a page's Markdown.

Every summary holds ``experiment``, ``dataset``, ``planned_runs``, ``stored_runs``,
``complete`` (every planned run stored), ``models_lacking`` (the experiment's models the page
leaves out, with ``models_of``: of which set) and ``figures``: a table, ``header`` and
``rows`` of numbers or text, that the leaderboard renders as it is. A page adds its own keys
(``unit``: what it plans and stores, where not runs).
"""

from __future__ import annotations

import glob
import json
import os
from typing import Any

README = "README.md"


def summary_path(page: str) -> str:
    """The summary beside the page ``<out>/<name>/<dataset>.md``."""
    return os.path.splitext(page)[0] + ".json"


def figures(header: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"header": header, "rows": rows}


def page_summary(
    name: str,
    dataset: str,
    planned_runs: int,
    stored_runs: int,
    table: dict[str, Any],
    models_lacking: tuple[list[str], str] = ([], ""),
    **own: Any,
) -> dict[str, Any]:
    """The summary of experiment ``name``'s page on ``dataset``."""
    lacking, of = models_lacking
    return {
        **own,
        "experiment": name,
        "dataset": dataset,
        "planned_runs": planned_runs,
        "stored_runs": stored_runs,
        "complete": stored_runs >= planned_runs,
        "models_lacking": list(lacking),
        "models_of": of,
        "figures": table,
    }


def write_summary(page: str, summary: dict[str, Any]) -> None:
    with open(summary_path(page), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1, sort_keys=True)


def read_summary(page: str) -> dict[str, Any] | None:
    """The summary of ``page``; None where the page has none."""
    try:
        with open(summary_path(page), encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def summaries(out: str, names) -> dict[str, dict[str, dict[str, Any]]]:
    """Every page summary of the experiments ``names`` under ``out``: experiment -> dataset
    -> summary, datasets in name order."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for name in names:
        for path in sorted(glob.glob(os.path.join(out, name, "*.json"))):
            summary = read_summary(path)
            if summary is not None:
                dataset = os.path.splitext(os.path.basename(path))[0]
                found.setdefault(name, {})[dataset] = summary
    return found


def has_summary(out: str, name: str, dataset: str) -> bool:
    """Whether experiment ``name`` wrote its page on ``dataset``."""
    return os.path.isfile(os.path.join(out, name, f"{dataset}.json"))


def static_folders(out: str) -> list[str]:
    """Every folder of ``out`` that holds a ``README.md`` saying what it keeps and no page
    summary (pages of earlier code, runs moved out of a page, pages that store no runs), by
    name."""
    kept = []
    for name in sorted(os.listdir(out)) if os.path.isdir(out) else []:
        folder = os.path.join(out, name)
        if os.path.isfile(os.path.join(folder, README)) and not glob.glob(
            os.path.join(folder, "*.json")
        ):
            kept.append(name)
    return kept
