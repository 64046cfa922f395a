"""A user's settings as given: YAML config files and ``--key=value`` overrides.

Values on a command line are converted as RecBole's own command line does (numbers, lists,
booleans), without its ``eval``, and ``none`` / ``~`` / ``null`` mean None (a key set to ~ in
a YAML file can be given on the command line too).

:func:`run_inputs` is the one rule by which both the command line and ``run()`` turn what a
user gave into the model, dataset and config files of a run (the preset included).
"""

from __future__ import annotations

import ast
from typing import Any, NamedTuple

import yaml

from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import properties_dir

DEFAULT_MODEL = "SASRec"
DEFAULT_DATASET = "ml-100k"
DEFAULT_PRESET = "quick"  # without config files: a small model, a few epochs (minutes on a CPU)
NO_PRESET = "none"


class RunInputs(NamedTuple):
    model: str
    dataset: str
    config_file_list: list[str] | None


def run_inputs(
    model: str | None,
    dataset: str | None,
    config_file_list: list[str] | None,
    preset: str | None = None,
) -> RunInputs:
    """The model, dataset and config files of a run, from what the user gave.

    ``preset`` names a settings file under ``properties/`` layered below the user's files;
    by default ``quick`` when no config files are given, else none (``none``: RecBole's and
    our research defaults). The model and dataset are the ones given, else the last value in
    the files, else SASRec on ml-100k.
    """
    files = list(config_file_list or [])
    preset = preset or (NO_PRESET if files else DEFAULT_PRESET)
    if preset != NO_PRESET:
        preset_file = properties_dir() / f"{preset}.yaml"
        if not preset_file.is_file():
            names = sorted(p.stem for p in properties_dir().glob("*.yaml") if p.stem != "overall")
            raise ATJTError(f"--preset '{preset}': no file {preset_file}; allowed: {names} or none")
        files = [str(preset_file), *files]
    return RunInputs(
        model or _from_files(files, "model") or DEFAULT_MODEL,
        dataset or _from_files(files, "dataset") or DEFAULT_DATASET,
        files or None,
    )


def _from_files(files: list[str], key: str) -> Any:
    """The last value of ``key`` in the given YAML config files, if any."""
    value = None
    for path in files:
        value = read_config_file(path).get(key, value)
    return value


def read_config_file(path: str) -> dict[str, Any]:
    """The settings in ``path``; :class:`ATJTError` naming the file and the first problem."""
    try:
        with open(path, encoding="utf-8") as f:
            settings = yaml.safe_load(f)
    except OSError as exc:
        raise ATJTError(f"config file {path}: cannot read it: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ATJTError(
            f"config file {path}{where}: {problem}; allowed: YAML mapping keys to values"
        ) from None
    if settings is None:
        return {}
    if not isinstance(settings, dict):
        raise ATJTError(
            f"config file {path}: got {type(settings).__name__}; allowed: YAML mapping keys "
            "to values"
        )
    return settings


def _value(text: str) -> Any:
    """A command-line value as a Python value (see the module docstring)."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "~", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_overrides(extra: list[str]) -> dict[str, Any]:
    """Turn ``--key=value`` arguments into a config dict; anything else is an error."""
    overrides: dict[str, Any] = {}
    for arg in extra:
        if not arg.startswith("--") or "=" not in arg:
            raise SystemExit(f"error: unrecognised argument '{arg}'; allowed: --key=value")
        key, text = arg[2:].split("=", 1)
        overrides[key] = _value(text)
    return overrides
