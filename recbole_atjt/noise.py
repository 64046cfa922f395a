"""Noise injection with ground truth (docs/noise.md; docs/algorithm.md, "After training").

    python -m recbole_atjt.noise inject --data_path=P --dataset=D --ratio=0.1 --seed=S

writes the dataset ``D-noise10`` (beside D, or under ``--out_path``): exactly
``round(ratio * n)`` of the ``n`` training interactions (every interaction but
each user's last two, which are the validation and test targets) are replaced
by random items that user never interacted with (timestamps kept), plus
``D-noise10.noise`` marking every interaction (``is_noise`` 1 for the injected
ones). ``.item`` and ``.user`` files are copied under the new name, and
``D-noise10.source`` names D: the copy is read with D's properties files
(RecBole's and ours; for ml-100k its features and rating threshold), as D itself is.

``--mode=insert`` adds ``round(ratio * n)`` random items and changes nothing real
(``D-insert10``): each copies a training interaction's row (its *predecessor*, drawn
uniformly) but for its item, keeps the predecessor's timestamp, and is written right after
it, the real rows keeping their file order. A stable sort by time at any precision (RecBole
sorts float32 values, normalised for ml-100k) then puts it right after its predecessor and
leaves the real rows in D's order, so every user keeps D's validation and test interactions.

``--mode=steam`` corrupts in the style of STEAM (Lin et al., WWW 2023): each
training interaction is independently kept, deleted (``--delete_ratio``), or
preceded by an inserted random item (``--ratio``), which gets a timestamp
between its neighbours. Inserted rows are marked in ``.noise``; deleted ones
are listed in ``.deleted``.

``--item_sampling=popularity`` draws every injected item with probability
proportional to its number of interactions in D (name suffix ``-pop``) instead
of uniformly over D's items; either way never an item the user already has.
Without ``--data_path`` D is one that ships with the install (atjt-synth,
ml-100k) and the copy goes under ``--out_path`` (default: the current directory).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from recbole_atjt.data.checks import check_interaction_file, field_names
from recbole_atjt.errors import ATJTError
from recbole_atjt.paths import (
    SOURCE_SUFFIX,
    dataset_source,
    existing_ancestor,
    properties_dataset,
)

MODES = ("replace", "insert", "steam")
ITEM_SAMPLINGS = ("uniform", "popularity")
# The files of a noisy copy, <name>/<name>.<suffix>: a folder holding only these, with
# its .source, is a copy written before and may be overwritten under the same name.
COPY_SUFFIXES = ("inter", "noise", "deleted", SOURCE_SUFFIX.lstrip("."), "item", "user")


@dataclass(frozen=True)
class Injection:
    """What :func:`inject` wrote: the copy's folder, how it was made, and its counts."""

    folder: str
    mode: str
    item_sampling: str
    interactions: int  # rows of the source's .inter file
    training: int  # its training interactions: all but each user's last two
    injected: int  # rows of the copy marked is_noise 1
    deleted: int  # real rows left out (steam's deletions; 0 in the other modes)

    def counts(self) -> str:
        """The one line the command prints after the folder."""
        line = (
            f"{self.interactions} interactions read, {self.training} training, "
            f"{self.injected} injected"
        )
        if self.mode == "steam":
            line += f", {self.deleted} deleted"
        return f"{line} (mode {self.mode}, item sampling {self.item_sampling})"


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


def _training_count(rows, u: int) -> int:
    """Training interactions: every interaction but each user's last two."""
    return sum(max(n - 2, 0) for n in Counter(row[u] for row in rows).values())


def _item_draw(rows, i: int, sampling: str, rng) -> Callable[[set[str]], str]:
    """A draw of one item outside ``seen`` among the items of ``rows``: uniform, or with
    probability proportional to the item's number of rows (``popularity``). Rows are
    counted now, before any of them is changed."""
    items, counts = np.unique([row[i] for row in rows], return_counts=True)
    if sampling == "uniform":

        def pick():
            return items[rng.integers(len(items))]

    else:
        cumulative = np.cumsum(counts)

        def pick():
            return items[np.searchsorted(cumulative, rng.integers(cumulative[-1]), side="right")]

    def draw(seen: set[str]) -> str:
        if len(seen) >= len(items):  # seen only holds items of rows
            raise ATJTError(
                f"a user has interacted with (or been given) every one of the {len(items)} "
                "items: none is left to inject; allowed: a lower --ratio"
            )
        while True:
            item = pick()
            if item not in seen:
                return str(item)

    return draw


def replace_noise(
    rows, u: int, i: int, t: int, ratio: float, rng, sampling: str = "uniform"
) -> list[bool]:
    """Replace round(ratio * n) training interactions in place; returns the noise mask."""
    users = _by_user(rows, u, t)
    candidates = [n for idx in users.values() for n in idx[:-2]]
    chosen = rng.choice(len(candidates), size=round(ratio * len(candidates)), replace=False)
    draw = _item_draw(rows, i, sampling, rng)
    seen = {user: {rows[n][i] for n in idx} for user, idx in users.items()}
    mask = [False] * len(rows)
    for c in np.sort(chosen):
        n = candidates[c]
        new = draw(seen[rows[n][u]])
        seen[rows[n][u]].add(new)
        rows[n][i] = new
        mask[n] = True
    return mask


def _safe_predecessors(rows, idx: list[int], t: int) -> list[int]:
    """The rows of one user (``idx``, in time order) that stay before the user's last two
    however precisely a reader sorts timestamps: two rows or more come after them in the file
    with a timestamp no earlier (a stable sort keeps those after them under any rounding)."""
    later: list[float] = []  # timestamps of the rows after the current one in the file, sorted
    safe = set()
    for n in sorted(idx, reverse=True):
        stamp = float(rows[n][t])
        if len(later) - bisect.bisect_left(later, stamp) >= 2:
            safe.add(n)
        bisect.insort(later, stamp)
    return [n for n in idx if n in safe]


def insert_noise(rows, u: int, i: int, t: int, ratio: float, rng, sampling: str = "uniform"):
    """Insert round(ratio * n) random items (n: the training interactions) right after
    training interactions; returns (rows, mask), the real rows in their file order.

    Each insert copies a *predecessor* with an item its user never had, the predecessor's own
    timestamp, and is written right after it (after earlier inserts on the same one). A stable
    sort by time, at any precision (RecBole sorts float32 values, normalised for some
    datasets), then puts it right after its predecessor and keeps the real rows' order, so the
    predecessors are the training interactions that stay before the user's last two under any
    such sort (:func:`_safe_predecessors`; nearly all of them), each equally likely, several
    inserts allowed on one. Every user keeps the source's validation and test interactions."""
    users = _by_user(rows, u, t)
    draw = _item_draw(rows, i, sampling, rng)
    n_training = sum(max(len(idx) - 2, 0) for idx in users.values())
    predecessors = [n for idx in users.values() for n in _safe_predecessors(rows, idx, t)]
    size = round(ratio * n_training)
    chosen = rng.integers(len(predecessors), size=size) if size else np.empty(0, dtype=int)
    counts = np.bincount(chosen, minlength=len(predecessors))
    inserts = dict(zip(predecessors, counts, strict=True))
    seen = {user: {rows[n][i] for n in idx} for user, idx in users.items()}
    out, mask = [], []
    for n, row in enumerate(rows):
        out.append(row)
        mask.append(False)
        for _ in range(inserts.get(n, 0)):
            new = list(row)
            new[i] = draw(seen[row[u]])
            seen[row[u]].add(new[i])
            out.append(new)
            mask.append(True)
    return out, mask


def steam_noise(
    rows,
    u: int,
    i: int,
    t: int,
    insert_ratio: float,
    delete_ratio: float,
    rng,
    sampling: str = "uniform",
):
    """Keep / delete / insert-before each training interaction; returns (rows, mask, deleted)."""
    users = _by_user(rows, u, t)
    draw = _item_draw(rows, i, sampling, rng)
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
                new[i] = draw(seen)
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


def _check_arguments(mode: str, item_sampling: str, ratio: float, delete_ratio, seed) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ATJTError(f"--seed: got {seed!r}; allowed: an integer >= 0")
    if mode not in MODES:
        raise ATJTError(f"--mode: got {mode!r}; allowed: one of {', '.join(MODES)}")
    if item_sampling not in ITEM_SAMPLINGS:
        raise ATJTError(
            f"--item_sampling: got {item_sampling!r}; allowed: one of {', '.join(ITEM_SAMPLINGS)}"
        )
    if delete_ratio is not None and mode != "steam":
        raise ATJTError(f"--delete_ratio: got {delete_ratio}; allowed: only with --mode=steam")
    delete = delete_ratio or 0.0
    if not 0 <= delete < 1:
        raise ATJTError(f"--delete_ratio: got {delete_ratio}; allowed: a number in [0, 1)")
    if mode == "steam":
        if not (0 < ratio < 1 or (ratio == 0 and delete > 0)):
            raise ATJTError(
                f"--ratio: got {ratio}; allowed: a number in (0, 1) for --mode=steam, "
                "or 0 with a --delete_ratio above 0"
            )
    elif not 0 < ratio < 1:
        raise ATJTError(f"--ratio: got {ratio}; allowed: a number in (0, 1) for --mode={mode}")


def _check_target(target: str, name: str, source: str) -> None:
    """Refuse a target that is not a new folder or a noisy copy written before as ``name``."""
    if name in ("", ".", "..") or os.sep in name or (os.altsep and os.altsep in name):
        raise ATJTError(f"--name: got {name!r}; allowed: a folder name, without separators")
    if not os.path.lexists(target):
        return
    if not os.path.isdir(target):
        raise ATJTError(f"--name: got {name!r}; allowed: a name that is not a file ({target})")
    if os.path.realpath(target) == os.path.realpath(source):
        raise ATJTError(f"--name: got {name!r}; allowed: another folder than the source {source}")
    entries = sorted(os.listdir(target))
    ours = {f"{name}.{suffix}" for suffix in COPY_SUFFIXES}
    foreign = [e for e in entries if e not in ours or not os.path.isfile(os.path.join(target, e))]
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise ATJTError(
            f"--name: got {name!r}; allowed: a new folder or a noisy copy written before under "
            f"this name ({target} holds other files: {shown})"
        )
    if entries and f"{name}{SOURCE_SUFFIX}" not in entries:
        raise ATJTError(
            f"--name: got {name!r}; allowed: a new folder or a noisy copy written before under "
            f"this name ({target} has no {name}{SOURCE_SUFFIX}: not a complete noisy copy)"
        )


def _check_out_path(out_path: str, source: str) -> None:
    """Refuse an output folder that is a file, or the source dataset's folder (or inside it:
    the copy would become part of the dataset it was made from)."""
    existing = existing_ancestor(out_path)
    if not os.path.isdir(existing):
        raise ATJTError(f"--out_path: got {out_path!r}; allowed: a folder ({existing} is a file)")
    inside = os.path.join(os.path.realpath(existing), os.path.relpath(out_path, existing))
    source = os.path.realpath(source)
    if os.path.commonpath([os.path.normpath(inside), source]) == source:
        raise ATJTError(
            f"--out_path: got {out_path!r}; allowed: a folder outside the source dataset's "
            f"folder {source}"
        )


def percent(share: float) -> str:
    """``share`` in percent for a name: 0.2 -> 20, 0.125 -> 12p5, 0.004 -> 0p4 (never
    rounded, so that two shares never name one copy)."""
    return f"{share * 100:.10g}".replace(".", "p")


def copy_tag(mode: str, ratio: float, item_sampling: str = "uniform", delete: float = 0.0) -> str:
    """The noisy copy's name part: noise20 (replaced), insert20, steam20-10, ... and -pop
    for popularity-drawn items."""
    kind = {"replace": "noise", "insert": "insert", "steam": "steam"}[mode]
    tag = f"{kind}{percent(ratio)}"
    if mode == "steam":
        tag += f"-{percent(delete)}"
    return tag + ("-pop" if item_sampling == "popularity" else "")


def _check_injectable(mode: str, ratio: float, training: int, dataset: str, path: str) -> None:
    """Refuse a dataset without training interactions, or a ratio that injects nothing."""
    if training == 0:
        raise ATJTError(
            f"--dataset: got {dataset!r}; allowed: a dataset where some user has three "
            f"interactions or more ({path} has no training interaction: each user's last two "
            "are the validation and test targets)"
        )
    if mode != "steam" and round(ratio * training) == 0:
        raise ATJTError(
            f"--ratio: got {ratio}; allowed: a number in (0, 1) that injects at least one of "
            f"the {training} training interactions (round(ratio * {training}) is 0)"
        )


def _first_missing(folder: str) -> str | None:
    """The outermost folder of ``folder``'s path that does not exist yet (None: all do)."""
    missing = None
    folder = os.path.abspath(folder)
    while not os.path.lexists(folder):
        missing = folder
        folder = os.path.dirname(folder)
    return missing


def inject(
    data_path: str | None,
    dataset: str,
    ratio: float,
    seed: int = 2020,
    mode: str = "replace",
    delete_ratio: float | None = None,
    out_path: str | None = None,
    name: str | None = None,
    item_sampling: str = "uniform",
    user_field: str = "user_id",
    item_field: str = "item_id",
    time_field: str = "timestamp",
) -> Injection:
    """Write the noisy copy of ``dataset``; returns its folder and counts.

    ``data_path`` None: a dataset that ships with the install, copied under ``out_path``
    (default: the current directory). Every argument is checked before anything is
    written, and a write that fails leaves nothing behind."""
    _check_arguments(mode, item_sampling, ratio, delete_ratio, seed)
    if not data_path:
        out_path = out_path or os.getcwd()
    data_path = dataset_source(dataset, data_path)
    if not os.path.isdir(data_path):
        raise ATJTError(f"--data_path: got {data_path!r}; allowed: an existing folder")
    source = os.path.join(data_path, dataset)
    inter_path = os.path.join(source, f"{dataset}.inter")
    if not os.path.isfile(inter_path):
        raise ATJTError(
            f"--dataset: got {dataset!r}; allowed: a dataset of --data_path {data_path} "
            f"(no interaction file {inter_path})"
        )
    delete = delete_ratio or 0.0
    name = name or f"{dataset}-{copy_tag(mode, ratio, item_sampling, delete)}"
    target = os.path.join(out_path or data_path, name)
    if out_path:
        _check_out_path(out_path, source)
    _check_target(target, name, source)

    check_interaction_file(
        inter_path, "\t", dict.fromkeys((user_field, item_field, time_field), "")
    )
    header, rows = _read_inter(inter_path)
    u, i, t = (_column(header, c, inter_path) for c in (user_field, item_field, time_field))
    interactions, training = len(rows), _training_count(rows, u)
    _check_injectable(mode, ratio, training, dataset, inter_path)
    rng = np.random.default_rng(seed)
    deleted: list = []
    if mode == "replace":
        mask = replace_noise(rows, u, i, t, ratio, rng, item_sampling)
    elif mode == "insert":
        rows, mask = insert_noise(rows, u, i, t, ratio, rng, item_sampling)
    else:
        rows, mask, deleted = steam_noise(rows, u, i, t, ratio, delete, rng, item_sampling)
    properties = properties_dataset(dataset, {"data_path": data_path})

    parent = os.path.dirname(target)
    created = _first_missing(parent)
    staging = os.path.join(parent, f".{name}.writing-{os.getpid()}")
    try:
        os.makedirs(parent, exist_ok=True)
        if os.path.lexists(staging):  # left by a killed process of the same id
            shutil.rmtree(staging)
        os.mkdir(staging)
        _write(os.path.join(staging, f"{name}.inter"), header, rows)
        keys = [header[u], header[i], header[t]]
        _write(
            os.path.join(staging, f"{name}.noise"),
            [*keys, "is_noise:float"],
            ([r[u], r[i], r[t], "1.0" if m else "0.0"] for r, m in zip(rows, mask, strict=True)),
        )
        if mode == "steam":
            lost = ([r[u], r[i], r[t]] for r in deleted)
            _write(os.path.join(staging, f"{name}.deleted"), keys, lost)
        with open(os.path.join(staging, f"{name}{SOURCE_SUFFIX}"), "w", encoding="utf-8") as f:
            f.write(f"{properties}\n")
        for suffix in ("item", "user"):
            side = os.path.join(source, f"{dataset}.{suffix}")
            if os.path.isfile(side):
                shutil.copyfile(side, os.path.join(staging, f"{name}.{suffix}"))
        if os.path.isdir(target):  # a noisy copy written before (checked above)
            shutil.rmtree(target)
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(created or staging, ignore_errors=True)
        raise
    return Injection(
        folder=target,
        mode=mode,
        item_sampling=item_sampling,
        interactions=interactions,
        training=training,
        injected=sum(mask),
        deleted=len(deleted),
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m recbole_atjt.noise",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)
    q = sub.add_parser("inject", help="write a noisy copy of a dataset with ground truth")
    q.add_argument(
        "--data_path",
        help="folder holding <dataset>/<dataset>.inter (default: the datasets shipped with "
        "the install: atjt-synth, ml-100k)",
    )
    q.add_argument("--dataset", required=True)
    q.add_argument(
        "--ratio",
        type=float,
        required=True,
        help="replace: share of training interactions replaced; insert: inserted rows per "
        "training interaction; steam: insert chance. In (0, 1)",
    )
    q.add_argument("--seed", type=int, default=2020)
    q.add_argument("--mode", default="replace", choices=MODES)
    q.add_argument(
        "--item_sampling",
        default="uniform",
        choices=ITEM_SAMPLINGS,
        help="how injected items are drawn: uniformly, or by their number of interactions",
    )
    q.add_argument("--delete_ratio", type=float, help="steam: deletion chance, in [0, 1)")
    q.add_argument(
        "--out_path",
        help="where to write (default: --data_path; without --data_path, the current directory)",
    )
    q.add_argument(
        "--name",
        help="name of the new dataset (default: <dataset>-noise<percent>, -insert<percent> or "
        "-steam<percent>-<percent>, then -pop for popularity sampling)",
    )
    args = p.parse_args(argv)
    try:
        done = inject(
            args.data_path,
            args.dataset,
            args.ratio,
            seed=args.seed,
            mode=args.mode,
            delete_ratio=args.delete_ratio,
            out_path=args.out_path,
            name=args.name,
            item_sampling=args.item_sampling,
        )
    except (ATJTError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {done.folder}")
    print(done.counts())
    return 0


if __name__ == "__main__":
    sys.exit(main())
