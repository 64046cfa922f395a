"""Every committed page is written again from the committed stored runs alone (``--stored_only``:
no training, no dataset), byte for byte: pages, their JSON summaries, their plots, the
leaderboard and its plot. Read from ``git archive HEAD results``, so runs and pages that
other commands are writing meanwhile do not count."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from experiments.__main__ import main
from experiments.leaderboard import FIRST_SCREEN_PLOT, ORDER
from experiments.summary import README

ROOT = Path(__file__).resolve().parents[1]


def _page_args(name: str, datasets: list[str], results: Path) -> list[str]:
    """What a page's command needs besides its datasets: the cleaning pages plan the seeds
    their summaries name (all of them, while some still train)."""
    if name != "cleaning":
        return []
    seeds = {len(json.loads((results / name / f"{d}.json").read_text())["seeds"]) for d in datasets}
    assert len(seeds) == 1, f"the cleaning pages plan different seed counts: {seeds}"
    return ["--seeds", str(seeds.pop())]


def _committed_results(into: Path) -> Path:
    try:
        archive = subprocess.run(
            ["git", "archive", "HEAD", "results"], cwd=ROOT, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs a git checkout with committed results")
    into.mkdir()
    tar = into / "results.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as t:
        t.extractall(into, filter="data")
    return into / "results"


def _pages(results: Path) -> dict[str, list[str]]:
    """The datasets of every experiment's pages in ``results``, in the leaderboard's order
    (the diagnosis before the tuning page, which ranks its rows)."""
    pages = {name: sorted(p.stem for p in (results / name).glob("*.md")) for name in ORDER}
    return {name: datasets for name, datasets in pages.items() if datasets}


def _written_files(results: Path) -> list[str]:
    """What the commands write, relative to ``results``: each experiment's pages, summaries
    and plots, the leaderboard and its plot."""
    written = [results / README, results / FIRST_SCREEN_PLOT]
    for name in ORDER:
        written += sorted((results / name).glob("*"))
    return [str(p.relative_to(results)) for p in written if p.is_file()]


def _image_differences(path: str, ours: Path, theirs: Path) -> list[str]:
    """Plots differ byte for byte only when drawn by the same matplotlib (it names itself in
    the file); drawn by another release, the same plot must keep its size in pixels."""
    from PIL import Image

    with Image.open(ours) as a, Image.open(theirs) as b:
        same_drawer = a.text.get("Software") == b.text.get("Software")
        if same_drawer or a.size != b.size:
            return [f"{path}: another image ({a.size} written, {b.size} committed)"]
    return []


def _differences(path: str, written: Path, committed: Path) -> list[str]:
    """How ``path`` written differs from ``path`` committed, line by line."""
    ours, theirs = written / path, committed / path
    if filecmp.cmp(ours, theirs, shallow=False):
        return []
    if ours.suffix == ".png":
        return _image_differences(path, ours, theirs)
    a, b = ours.read_text().splitlines(), theirs.read_text().splitlines()
    if len(a) != len(b):
        return [f"{path}: {len(a)} lines written, {len(b)} committed"]
    pairs = enumerate(zip(a, b, strict=True), start=1)
    return [f"{path}:{n}: {x!r} != {y!r}" for n, (x, y) in pairs if x != y]


def test_every_committed_page_is_written_again_the_same_from_its_stored_runs(tmp_path):
    committed = _committed_results(tmp_path / "committed")
    out = tmp_path / "written"
    shutil.copytree(committed, out)
    for path in _written_files(out):
        (out / path).unlink()
    for name, datasets in _pages(committed).items():
        args = [name, "--datasets", *datasets, "--stored_only", "--out", str(out)]
        assert main([*args, *_page_args(name, datasets, committed)]) == 0
    assert main(["leaderboard", "--out", str(out)]) == 0
    written = _written_files(out)
    assert written == _written_files(committed)
    differences = [line for path in written for line in _differences(path, out, committed)]
    assert differences == []
