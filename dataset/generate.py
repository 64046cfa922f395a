"""Generate ``atjt-synth``: a small sequential dataset with planted ground-truth noise.

Writes ``atjt-synth.inter``, ``atjt-synth.item`` (RecBole atomic files) and
``atjt-synth.noise`` (the ground truth, ignored by RecBole) into ``<out>/atjt-synth/``.
Standard library + numpy only; fully determined by the command-line options.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

NAME = "atjt-synth"


def parse_args() -> argparse.Namespace:
    """Command-line options; the defaults produce the committed files."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--users", type=int, default=400)
    p.add_argument("--items", type=int, default=300)
    p.add_argument("--categories", type=int, default=12)
    p.add_argument("--interests", type=int, default=2, help="interest categories per user")
    p.add_argument("--min-len", type=int, default=12)
    p.add_argument("--max-len", type=int, default=30)
    p.add_argument("--p-second", type=float, default=0.3, help="P(item has a 2nd category)")
    p.add_argument("--p-stay", type=float, default=0.7, help="P(stay in current interest)")
    p.add_argument("--p-jump", type=float, default=0.15, help="P(random jump within interest)")
    p.add_argument("--p-noise", type=float, default=0.12, help="P(position is a noise click)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    return p.parse_args()


def make_items(
    rng: np.random.Generator, n_items: int, n_cats: int, p_second: float
) -> tuple[list[list[int]], dict[int, list[int]]]:
    """Item categories (primary round-robin, optional random 2nd) and per-category chains.

    Returns ``cats[item] -> list of category ids`` (index 0 unused) and
    ``chains[cat] -> fixed random order of the items whose primary category is cat``.
    """
    cats: list[list[int]] = [[]]
    for item in range(1, n_items + 1):
        primary = (item - 1) % n_cats + 1
        item_cats = [primary]
        if rng.random() < p_second:
            others = [c for c in range(1, n_cats + 1) if c != primary]
            item_cats.append(int(rng.choice(others)))
        cats.append(item_cats)
    chains: dict[int, list[int]] = {}
    for c in range(1, n_cats + 1):
        members = [i for i in range(1, n_items + 1) if cats[i][0] == c]
        chains[c] = [int(i) for i in rng.permutation(members)]
    return cats, chains


def clean_sequence(
    rng: np.random.Generator,
    interests: list[int],
    chains: dict[int, list[int]],
    length: int,
    p_stay: float,
    p_jump: float,
) -> list[int]:
    """Walk the interest chains: mostly the next unused item, sometimes a random jump."""
    used: set[int] = set()
    pos = {c: int(rng.integers(len(chains[c]))) - 1 for c in interests}
    cur = int(rng.choice(interests))
    seq: list[int] = []
    while len(seq) < length:
        if rng.random() >= p_stay:
            cur = int(rng.choice([c for c in interests if c != cur] or interests))
        if all(i in used for i in chains[cur]):  # chain exhausted: switch interest
            cur = next(c for c in interests if any(i not in used for i in chains[c]))
        chain = chains[cur]
        if rng.random() < p_jump:
            free = [k for k, i in enumerate(chain) if i not in used]
            k = int(rng.choice(free))
        else:
            k = (pos[cur] + 1) % len(chain)
            while chain[k] in used:
                k = (k + 1) % len(chain)
        pos[cur] = k
        used.add(chain[k])
        seq.append(chain[k])
    return seq


def generate(args: argparse.Namespace) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """Build all users; returns (item sequences, noise flags, item categories)."""
    rng = np.random.default_rng(args.seed)
    cats, chains = make_items(rng, args.items, args.categories, args.p_second)
    max_clean = args.interests * min(len(ch) for ch in chains.values())
    if args.max_len > max_clean:
        raise ValueError(f"--max-len {args.max_len} exceeds interest pool size {max_clean}")
    seqs: list[list[int]] = []
    flags: list[list[int]] = []
    for _ in range(args.users):
        interests = sorted(
            int(c)
            for c in rng.choice(np.arange(1, args.categories + 1), args.interests, replace=False)
        )
        length = int(rng.integers(args.min_len, args.max_len + 1))
        seq = clean_sequence(rng, interests, chains, length, args.p_stay, args.p_jump)
        flag = [0] * length
        outside = [i for i in range(1, args.items + 1) if not set(cats[i]) & set(interests)]
        for t in range(length - 2):  # the last two (valid/test targets) stay clean
            if rng.random() < args.p_noise:
                pool = [i for i in outside if i not in seq]
                seq[t] = int(rng.choice(pool))
                flag[t] = 1
        seqs.append(seq)
        flags.append(flag)
    check(seqs, flags, args.min_len)
    return seqs, flags, cats


def check(seqs: list[list[int]], flags: list[list[int]], min_len: int) -> None:
    """Raise if a user repeats an item, has a noisy target, or is too short."""
    if not seqs:
        raise AssertionError("no users generated")
    for u, (seq, flag) in enumerate(zip(seqs, flags, strict=True), 1):
        if len(set(seq)) != len(seq):
            raise AssertionError(f"user {u}: duplicated user-item pair")
        if any(flag[-2:]):
            raise AssertionError(f"user {u}: noise in the last two positions")
        if len(seq) < min_len:
            raise AssertionError(f"user {u}: only {len(seq)} interactions")


def write(out: Path, seqs: list[list[int]], flags: list[list[int]], cats: list[list[int]]) -> None:
    """Write the .inter, .noise and .item files (tab-separated, RecBole headers)."""
    folder = out / NAME
    folder.mkdir(parents=True, exist_ok=True)
    inter = ["user_id:token\titem_id:token\ttimestamp:float"]
    noise = ["user_id:token\titem_id:token\ttimestamp:float\tis_noise:float"]
    for u, (seq, flag) in enumerate(zip(seqs, flags, strict=True), 1):
        for t, (item, f) in enumerate(zip(seq, flag, strict=True), 1):
            inter.append(f"{u}\t{item}\t{t}")
            noise.append(f"{u}\t{item}\t{t}\t{float(f)}")
    item_rows = ["item_id:token\tcategory:token_seq"]
    item_rows += [f"{i}\t{' '.join(map(str, c))}" for i, c in enumerate(cats) if i > 0]
    for suffix, rows in (("inter", inter), ("noise", noise), ("item", item_rows)):
        (folder / f"{NAME}.{suffix}").write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    """Generate, check and write the dataset; print a one-line summary."""
    args = parse_args()
    seqs, flags, cats = generate(args)
    write(args.out, seqs, flags, cats)
    n = sum(map(len, seqs))
    k = sum(map(sum, flags))
    print(
        f"{NAME}: {len(seqs)} users, {args.items} items, {n} interactions, "
        f"{k} noise ({k / n:.2%}) -> {args.out / NAME}"
    )


if __name__ == "__main__":
    main()
