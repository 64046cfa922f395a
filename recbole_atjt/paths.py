"""Where the project's own files live, whatever the working directory."""

import importlib.util
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROPERTIES_DIR = PROJECT_ROOT / "properties"
BUNDLED_DATA_DIR = PROJECT_ROOT / "dataset"
# RecBole's own bundled datasets (ml-100k), found without importing RecBole's heavy modules
RECBOLE_DATA_DIR = Path(importlib.util.find_spec("recbole").origin).parent / "dataset_example"


def bundled_datasets() -> list[str]:
    """Names of the datasets shipped in ``dataset/``."""
    if not BUNDLED_DATA_DIR.is_dir():
        return []
    return sorted(p.name for p in BUNDLED_DATA_DIR.iterdir() if (p / f"{p.name}.inter").is_file())
