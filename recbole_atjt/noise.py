"""Noise injection with ground truth (docs/algorithm.md, "After training").

    python -m recbole_atjt.noise inject --data_path=P --dataset=D --ratio=0.1 --seed=S

writes the dataset ``D-noise10`` (beside D, or under ``--out_path``): exactly
``round(ratio * n)`` of the ``n`` training interactions (every interaction but
each user's last two, which are the validation and test targets) are replaced
by uniformly random items that user never interacted with (timestamps kept),
plus ``D-noise10.noise`` marking every interaction (``is_noise`` 1 for the
injected ones). ``.item`` and ``.user`` files are copied under the new name, and
``D-noise10.source`` names D: the copy is read with D's properties files (RecBole's
and ours; for ml-100k its features and rating threshold), as D itself is.

``--mode=steam`` corrupts in the style of STEAM (Lin et al., WWW 2023): each
training interaction is independently kept, deleted (``--delete_ratio``), or
preceded by an inserted random item (``--ratio``), which gets a timestamp
between its neighbours. Inserted rows are marked in ``.noise``; deleted ones
are listed in ``.deleted``.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
from collections.abc import Sequence

import numpy as np

from recbole_atjt.data.checks import field_names
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import SOURCE_SUFFIX, properties_dataset


def _read_inter(path: str) -> tuple[list[str], list[list[str]]]:
    if not os.path.isfile(path):
        raise ATJTError(f"no interaction file {path}")
    with open(path, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.reader(f, delimiter="\t") if row]
    if len(rows) < 2:
        raise ATJTError(f"{path}: no interactions")
    return rows[0], rows[1:]


def _column(header: list[str], name: str, path: str) -> int:
    names = field_names(header)
    if name not in names:
        raise ATJTError(f"{path}: no column '{name}' in header {names}")
    return names.index(name)


def _by_user(rows, u: int, t: int) -> dict[str, list[int]]:
    """Row indices of each user, in time order (file order breaks ties)."""
    users: dict[str, list[int]] = {}
    for n, row in enumerate(rows):
        users.setdefault(row[u], []).append(n)
    for idx in users.values():
        idx.sort(key=lambda n: float(rows[n][t]))
    return users


def _random_unseen(rng, items: np.ndarray, seen: set[str]) -> str:
    while True:
        item = items[rng.integers(len(items))]
        if item not in seen:
            return str(item)


def replace_noise(rows, u: int, i: int, t: int, ratio: float, rng) -> list[bool]:
    """Replace round(ratio * n) training interactions in place; returns the noise mask."""
    users = _by_user(rows, u, t)
    candidates = [n for idx in users.values() for n in idx[:-2]]
    chosen = rng.choice(len(candidates), size=round(ratio * len(candidates)), replace=False)
    items = np.unique([row[i] for row in rows])
    seen = {user: {rows[n][i] for n in idx} for user, idx in users.items()}
    mask = [False] * len(rows)
    for c in np.sort(chosen):
        n = candidates[c]
        new = _random_unseen(rng, items, seen[rows[n][u]])
        seen[rows[n][u]].add(new)
        rows[n][i] = new
        mask[n] = True
    return mask


def steam_noise(rows, u: int, i: int, t: int, insert_ratio: float, delete_ratio: float, rng):
    """Keep / delete / insert-before each training interaction; returns (rows, mask, deleted)."""
    users = _by_user(rows, u, t)
    items = np.unique([row[i] for row in rows])
    out, mask, deleted = [], [], []
    for idx in users.values():
        seen = {rows[n][i] for n in idx}
        previous = None
        for pos, n in enumerate(idx):
            row = rows[n]
            training = pos < len(idx) - 2
            if training and rng.random() < insert_ratio:
                stamp = float(row[t]) if previous is None else (previous + float(row[t])) / 2
                new = list(row)
                new[i] = _random_unseen(rng, items, seen)
                new[t] = repr(stamp - 1e-3) if previous is None else repr(stamp)
                seen.add(new[i])
                out.append(new)
                mask.append(True)
            if training and rng.random() < delete_ratio:
                deleted.append(row)
                previous = float(row[t])
                continue
            out.append(row)
            mask.append(False)
            previous = float(row[t])
    return out, mask, deleted


def _write(path: str, header: Sequence[str], rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def inject(
    data_path: str,
    dataset: str,
    ratio: float,
    seed: int = 2020,
    mode: str = "replace",
    delete_ratio: float = 0.0,
    out_path: str | None = None,
    name: str | None = None,
    user_field: str = "user_id",
    item_field: str = "item_id",
    time_field: str = "timestamp",
) -> str:
    """Write the noisy copy of ``dataset``; returns its folder."""
    if not 0 < ratio < 1 and not (mode == "steam" and ratio == 0 and delete_ratio > 0):
        raise ATJTError(f"--ratio: got {ratio}; allowed: a number in (0, 1)")
    if mode not in ("replace", "steam"):
        raise ATJTError(f"--mode: got {mode!r}; allowed: 'replace' or 'steam'")
    source = os.path.join(data_path, dataset)
    inter_path = os.path.join(source, f"{dataset}.inter")
    header, rows = _read_inter(inter_path)
    u, i, t = (_column(header, c, inter_path) for c in (user_field, item_field, time_field))
    rng = np.random.default_rng(seed)
    tag = (
        f"noise{round(ratio * 100)}"
        if mode == "replace"
        else (f"steam{round(ratio * 100)}-{round(delete_ratio * 100)}")
    )
    name = name or f"{dataset}-{tag}"
    target = os.path.join(out_path or data_path, name)
    os.makedirs(target, exist_ok=True)
    deleted: list = []
    if mode == "replace":
        mask = replace_noise(rows, u, i, t, ratio, rng)
    else:
        rows, mask, deleted = steam_noise(rows, u, i, t, ratio, delete_ratio, rng)
    _write(os.path.join(target, f"{name}.inter"), header, rows)
    keys = [header[u], header[i], header[t]]
    _write(
        os.path.join(target, f"{name}.noise"),
        [*keys, "is_noise:float"],
        ([r[u], r[i], r[t], "1.0" if m else "0.0"] for r, m in zip(rows, mask, strict=True)),
    )
    if mode == "steam":
        _write(os.path.join(target, f"{name}.deleted"), keys, ([r[u], r[i], r[t]] for r in deleted))
    with open(os.path.join(target, f"{name}{SOURCE_SUFFIX}"), "w", encoding="utf-8") as f:
        f.write(f"{properties_dataset(dataset, {'data_path': data_path})}\n")
    for suffix in ("item", "user"):
        side = os.path.join(source, f"{dataset}.{suffix}")
        if os.path.isfile(side):
            shutil.copyfile(side, os.path.join(target, f"{name}.{suffix}"))
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recbole_atjt.noise", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("inject", help="write a noisy copy of a dataset with ground truth")
    q.add_argument("--data_path", required=True, help="folder holding <dataset>/<dataset>.inter")
    q.add_argument("--dataset", required=True)
    q.add_argument(
        "--ratio",
        type=float,
        required=True,
        help="replace: share of training interactions replaced; steam: insert chance",
    )
    q.add_argument("--seed", type=int, default=2020)
    q.add_argument("--mode", default="replace", choices=["replace", "steam"])
    q.add_argument("--delete_ratio", type=float, default=0.0, help="steam: deletion chance")
    q.add_argument("--out_path", help="where to write (default: --data_path)")
    q.add_argument("--name", help="name of the new dataset (default: <dataset>-noise<percent>)")
    args = p.parse_args(argv)
    try:
        folder = inject(
            args.data_path,
            args.dataset,
            args.ratio,
            args.seed,
            args.mode,
            args.delete_ratio,
            args.out_path,
            args.name,
        )
    except (ATJTError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
