"""The README's Quick start, for CI: its commands, and the output its main job promises.

    python3 .ci/readme.py command N    the N-th command (one line) of the Quick start's bash blocks
    python3 .ci/readme.py check FILE   FILE (the main job's output) ends with the README's lines

Standard library only: it runs before anything is installed.
"""

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def quick_start() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Quick start")
    return text[start : text.index("\n## ", start + 1)]


def commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", quick_start(), flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def promised_lines() -> list[str]:
    """The lines the README says the main job ends with, less the run folder's time."""
    (block,) = re.findall(r"It ends with exactly this.*?```\n(.*?)```", quick_start(), re.S)
    return [line for line in block.splitlines() if not line.startswith("results: ")]


def check(output: str) -> None:
    lines = Path(output).read_text(encoding="utf-8").splitlines()
    promised = promised_lines()
    tail = [line for line in lines if not line.startswith("results: ")][-len(promised) :]
    if tail != promised:
        sys.exit(
            "the main job's output differs from the README's:\n"
            + "\n".join(f"README: {a}\nprinted: {b}" for a, b in zip(promised, tail, strict=False))
        )
    print(f"the main job printed the README's {len(promised)} lines")


if __name__ == "__main__":
    if sys.argv[1:2] == ["command"]:
        print(commands()[int(sys.argv[2]) - 1])
    elif sys.argv[1:2] == ["check"]:
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
