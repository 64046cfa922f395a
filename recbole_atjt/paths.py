"""Where the project's own files live, whatever the working directory.

Our properties and the bundled dataset are package data, found inside the
package (``recbole_atjt/properties``, ``recbole_atjt/dataset``), so a wheel
install finds them as an editable checkout does. In the repository the
properties files sit in the package (top-level ``properties`` links there) and
the dataset files in the top-level ``dataset/`` (``recbole_atjt/dataset`` links
there); the wheel carries copies of both.
"""

import importlib.util
import os
from pathlib import Path

from recbole_atjt.errors import ATJTError

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout the package runs from (its scripts and tests); not meaningful for a wheel install.
PROJECT_ROOT = PACKAGE_DIR.parent
PROPERTIES_DIR = PACKAGE_DIR / "properties"
BUNDLED_DATA_DIR = PACKAGE_DIR / "dataset"
# An injected copy's file naming the dataset it was made from (read with that one's properties)
SOURCE_SUFFIX = ".source"
# RecBole's own bundled datasets (ml-100k), found without importing RecBole's heavy modules
RECBOLE_DATA_DIR = Path(importlib.util.find_spec("recbole").origin).parent / "dataset_example"


def properties_dir() -> Path:
    """Our properties directory; a one-line error when the installation lacks it."""
    if not (PROPERTIES_DIR / "overall.yaml").is_file():
        raise ATJTError(
            f"recbole_atjt's properties are missing: no {PROPERTIES_DIR / 'overall.yaml'} "
            "(a broken installation); reinstall the package (pip install recbole_atjt or "
            "pip install -e . in a checkout)"
        )
    return PROPERTIES_DIR


def bundled_datasets() -> list[str]:
    """Names of the datasets shipped in ``dataset/``."""
    if not BUNDLED_DATA_DIR.is_dir():
        return []
    return sorted(p.name for p in BUNDLED_DATA_DIR.iterdir() if (p / f"{p.name}.inter").is_file())


def dataset_source(dataset: str, data_path: str | None) -> str:
    """The folder holding ``<dataset>/<dataset>.inter``: ``data_path`` when given, else the
    first of our bundled datasets' folder and RecBole's that holds ``<dataset>/``."""
    if data_path:
        return data_path
    for folder in (BUNDLED_DATA_DIR, RECBOLE_DATA_DIR):
        if (folder / dataset).is_dir():
            return str(folder)
    shipped = sorted(
        {
            p.name
            for folder in (BUNDLED_DATA_DIR, RECBOLE_DATA_DIR)
            if folder.is_dir()
            for p in folder.iterdir()
            if (p / f"{p.name}.inter").is_file()
        }
    )
    raise ATJTError(
        f"--data_path: got none, and {dataset!r} does not ship with the install; allowed: a "
        f"folder holding {dataset}/{dataset}.inter, or none for a shipped dataset "
        f"({', '.join(shipped)})"
    )


def properties_dataset(dataset: str, settings: dict) -> str:
    """The dataset whose properties files ``dataset`` is read with: ``dataset_properties``
    where the user sets it, else the source an injected copy names in its ``.source`` file,
    else ``dataset`` itself."""
    if settings.get("dataset_properties"):
        return str(settings["dataset_properties"])
    folder = Path(settings.get("data_path") or "dataset") / dataset
    recorded = folder / f"{dataset}{SOURCE_SUFFIX}"
    if recorded.is_file():
        return recorded.read_text(encoding="utf-8").strip() or dataset
    return dataset


def property_files(model: str, dataset: str) -> list[Path]:
    """Our properties files, layered in this order over RecBole's (those that exist apply)."""
    root = properties_dir()
    return [
        root / "overall.yaml",
        root / "model" / f"{model}.yaml",
        root / "dataset" / f"{dataset}.yaml",
    ]


def existing_ancestor(path: str) -> str:
    """The deepest part of ``path`` (made absolute) that exists: ``path`` itself if it
    does; a file there means no folder can be made at ``path``."""
    existing = os.path.abspath(path)
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    return existing
