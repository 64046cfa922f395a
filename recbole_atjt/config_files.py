"""Reading a user's YAML config file, with one-line errors for a missing or malformed one."""

from __future__ import annotations

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
