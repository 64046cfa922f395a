"""The key table as documentation: the key table of docs/usage.md, and the check that
``properties/overall.yaml``'s values and comments agree with :data:`recbole_atjt.keys.KEYS`.

``python -m recbole_atjt.key_docs docs/usage.md`` rewrites the page's table; a test keeps
the page and ``overall.yaml`` equal to the table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from recbole_atjt.keys import ALL_MODES, KEYS, REWEIGHTING_MODES, Key, Rule
from recbole_atjt.rendering import markdown_table

# ---- docs/usage.md ----------------------------------------------------------------------

TABLE_BEGIN = "<!-- key table: written by recbole_atjt.key_docs; edit recbole_atjt/keys.py -->"
TABLE_END = "<!-- end of the key table -->"


def _markdown_value(value: Any) -> str:
    return "`~`" if value is None else f"`{value}`"


def _allowed_markdown(rule: Rule) -> str:
    if rule.names:
        return ", ".join(f"`{v}`" for v in rule.values)
    return rule.allowed.replace("~", "`~`")


def readers_text(key: Key) -> str:
    """Who reads the key, in words: its modes, then its cleanings."""
    if key.modes == ALL_MODES:
        modes = "all modes" if not key.cleanings else ""
    elif key.modes == REWEIGHTING_MODES:
        modes = "every mode but `none`"
    else:
        modes = ", ".join(f"`{m}`" for m in key.modes)
    cleanings = ", ".join(f"`{c}`" for c in key.cleanings)
    cleanings = f"interaction_cleaning {cleanings}" if cleanings else ""
    return "; ".join(part for part in (modes, cleanings) if part)


def key_table() -> str:
    """The key table of docs/usage.md, with its markers (a test keeps the page equal)."""
    header = ["key", "type", "allowed", "default", "read by", "meaning"]
    rows = [
        [
            f"`{k.name}`",
            k.type,
            _allowed_markdown(k.rule),
            _markdown_value(k.default),
            readers_text(k),
            k.doc,
        ]
        for k in KEYS.values()
    ]
    return "\n".join([TABLE_BEGIN, "", *markdown_table(header, rows), "", TABLE_END])


# ---- properties/overall.yaml ------------------------------------------------------------

# A top-level line: the key, its value, then the comment "(type) text".
_OVERALL_LINE = re.compile(r"^(\w+):\s*(.*?)\s*#\s*\(([^)]*)\)\s*(.*)$")
_RANGE_IN = re.compile(r"Range in (\[[^\]]*\])")


def overall_yaml_mismatches(path: Path, recbole_keys: set[str]) -> list[str]:
    """Where ``path`` (our overall.yaml) disagrees with :data:`KEYS`, one line each: a key
    missing or not ours, a default, a comment's type tag, its ``Range in [...]`` list, or a
    range the comment does not name. ``recbole_keys`` are RecBole's own keys (they may be
    set there too)."""
    text = path.read_text(encoding="utf-8")
    values = yaml.safe_load(text)
    comments = {m[1]: (m[3], m[4]) for m in map(_OVERALL_LINE.match, text.splitlines()) if m}
    problems = [f"{name}: not in the file" for name in KEYS if name not in values]
    problems += [
        f"{name}: neither ours nor RecBole's"
        for name in values
        if name not in KEYS and name not in recbole_keys
    ]
    for key in KEYS.values():
        if key.name not in values:
            continue
        value = values[key.name]
        if value != key.default or type(value) is not type(key.default):
            problems.append(f"{key.name}: default {value!r} in the file, {key.default!r} here")
        type_tag, comment = comments.get(key.name, (None, ""))
        if type_tag != key.type:
            problems.append(f"{key.name}: comment's type ({type_tag}), here ({key.type})")
        problems += _comment_mismatches(key, comment)
    return problems


def _comment_mismatches(key: Key, comment: str) -> list[str]:
    problems = []
    listed = _RANGE_IN.search(comment)
    if listed and (key.rule.values is None or ast.literal_eval(listed[1]) != [*key.rule.values]):
        problems.append(f"{key.name}: comment's Range in {listed[1]}, here {key.rule.values}")
    if key.rule.names and not listed:
        problems.append(f"{key.name}: comment names no Range in {list(key.rule.values)}")
    if key.rule.bounds and key.rule.bounds not in comment:
        problems.append(f"{key.name}: comment does not name the range {key.rule.bounds}")
    return problems


def with_key_table(page: str) -> str:
    """``page`` with the text between the table's markers replaced by :func:`key_table`."""
    begin, end = page.index(TABLE_BEGIN), page.index(TABLE_END) + len(TABLE_END)
    return page[:begin] + key_table() + page[end:]


if __name__ == "__main__":  # python -m recbole_atjt.key_docs docs/usage.md: rewrite the table
    import sys

    page_file = Path(sys.argv[1])
    page_file.write_text(with_key_table(page_file.read_text(encoding="utf-8")), encoding="utf-8")
