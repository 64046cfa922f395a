"""Where the project's own files live, whatever the working directory."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROPERTIES_DIR = PROJECT_ROOT / "properties"
BUNDLED_DATA_DIR = PROJECT_ROOT / "dataset"


def bundled_datasets() -> list[str]:
    """Names of the datasets shipped in ``dataset/``."""
    if not BUNDLED_DATA_DIR.is_dir():
        return []
    return sorted(p.name for p in BUNDLED_DATA_DIR.iterdir() if (p / f"{p.name}.inter").is_file())
