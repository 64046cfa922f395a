"""Atomic-file checks before RecBole reads a dataset.

RecBole reports a malformed file deep inside pandas, or not at all (a short
row silently becomes NaN). These checks name the file, the line and what is
allowed, and cost one pass over the interaction file.
"""

from __future__ import annotations

import os

from recbole_atjt.errors import ATJTError

FEATURE_TYPES = ("token", "token_seq", "float", "float_seq")


def field_names(header: list[str]) -> list[str]:
    """The field names of an atomic header's columns (``name:type`` -> ``name``)."""
    return [column.partition(":")[0] for column in header]


def _header(path: str, line: str, separator: str) -> list[tuple[str, str]]:
    columns = []
    for column in line.rstrip("\r\n").split(separator):
        name, _, kind = column.partition(":")
        if not name or kind not in FEATURE_TYPES:
            raise ATJTError(
                f"{path}, line 1: column '{column}'; allowed: name:type with type in "
                f"{list(FEATURE_TYPES)}"
            )
        columns.append((name, kind))
    names = [n for n, _ in columns]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ATJTError(f"{path}, line 1: column {duplicated[0]} appears twice")
    return columns


def atomic_header(path: str, separator: str = "\t") -> list[tuple[str, str]]:
    """The ``(name, type)`` columns of an atomic file's header line."""
    with open(path, encoding="utf-8") as f:
        return _header(path, f.readline(), separator)


def check_interactions(config) -> None:
    """Raise :class:`ATJTError` for the first problem of ``<dataset>.inter``."""
    folder, dataset = config["data_path"], config["dataset"]
    if not os.path.isdir(folder):
        raise ATJTError(
            f"dataset folder {folder} does not exist; allowed: data_path holding "
            f"{dataset}/{dataset}.inter"
        )
    path = os.path.join(folder, f"{dataset}.inter")
    if not os.path.isfile(path):
        raise ATJTError(f"{path} does not exist; allowed: a RecBole atomic .inter file")
    wanted = {
        config[key]: f" (config key '{key}')"
        for key in ("USER_ID_FIELD", "ITEM_ID_FIELD", "TIME_FIELD")
    }
    check_interaction_file(path, config["field_separator"] or "\t", wanted)


def check_interaction_file(path: str, separator: str, wanted: dict[str, str]) -> None:
    """Raise :class:`ATJTError` for the first problem of the atomic interaction file at
    ``path``; ``wanted`` maps each column it must have to what names it (``" (config key
    'TIME_FIELD')"``, or "")."""
    with open(path, encoding="utf-8") as f:
        first = f.readline()
        if not first.strip():
            raise ATJTError(f"{path} is empty; allowed: a header line and interactions")
        columns = _header(path, first, separator)
        names = [n for n, _ in columns]
        for field, named_by in wanted.items():
            if field not in names:
                raise ATJTError(f"{path}, line 1: no column '{field}'{named_by}; columns: {names}")
        floats = [n for n, (_, kind) in enumerate(columns) if kind == "float"]
        rows = 0
        for number, line in enumerate(f, start=2):
            if not line.strip():
                continue
            if line == first:
                raise ATJTError(f"{path}, line {number}: repeats the header line")
            values = line.rstrip("\r\n").split(separator)
            if len(values) != len(columns):
                raise ATJTError(
                    f"{path}, line {number}: {len(values)} fields; allowed: {len(columns)} "
                    f"separated by {separator!r}"
                )
            for n in floats:
                try:
                    float(values[n])
                except ValueError:
                    raise ATJTError(
                        f"{path}, line {number}: '{values[n]}' in float column "
                        f"{columns[n][0]}; allowed: a number"
                    ) from None
            rows += 1
    if rows == 0:
        raise ATJTError(f"{path} has a header but no interactions")
