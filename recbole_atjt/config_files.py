"""A user's settings as given: YAML config files and ``--key=value`` overrides.

Values on a command line are converted as RecBole's own command line does (numbers, lists,
booleans), without its ``eval``, and ``none`` / ``~`` / ``null`` mean None (a key set to ~ in
a YAML file can be given on the command line too).
"""

from __future__ import annotations

import ast
from typing import Any

import yaml

from recbole_atjt.errors import ATJTError


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
