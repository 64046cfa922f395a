"""Claims let two experiment commands share one page's runs; a killed one's run resumes."""

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from unittest import mock

from conftest import DATASET, experiment_args

from experiments import runner
from experiments.__main__ import main
from experiments.store import claim, holder_text


def _holding(path, release) -> subprocess.Popen:
    """A process that claims the run at ``path`` with our ``claim`` and ends, reaped at once,
    when the file ``release`` appears (or after a minute)."""
    script = (
        "import os, sys, time\n"
        "from experiments.store import claim\n"
        "with claim(sys.argv[1]) as mine:\n"
        "    assert mine\n"
        "    deadline = time.time() + 60\n"
        "    while not os.path.exists(sys.argv[2]) and time.time() < deadline:\n"
        "        time.sleep(0.02)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script, str(path), str(release)])
    lock = f"{path}.lock"
    deadline = time.time() + 30
    while time.time() < deadline and not (os.path.exists(lock) and os.path.getsize(lock)):
        time.sleep(0.02)
    assert os.path.getsize(lock), "the holder did not claim in time"
    threading.Thread(target=process.wait, daemon=True).start()
    return process


def test_a_claim_is_exclusive_and_released(tmp_path):
    path = str(tmp_path / "run.json")
    with claim(path) as mine:
        assert mine
        assert (tmp_path / "run.json.lock").read_text() == f"{socket.gethostname()} {os.getpid()}"
        with claim(path) as again:
            assert not again
    assert not (tmp_path / "run.json.lock").exists()


def test_a_claim_of_a_live_process_holds_and_of_a_killed_one_is_taken_over(tmp_path):
    path, lock = str(tmp_path / "run.json"), tmp_path / "run.json.lock"
    holder = _holding(path, tmp_path / "never")
    try:
        with claim(path) as mine:
            assert not mine
        assert holder_text(path) == f"process {holder.pid} on {socket.gethostname()}"
    finally:
        holder.kill()  # SIGKILL: its claim file stays behind, naming it
        holder.wait()
    assert lock.read_text() == f"{socket.gethostname()} {holder.pid}"
    with claim(path) as mine:
        assert mine
        assert lock.read_text() == f"{socket.gethostname()} {os.getpid()}"
    assert not lock.exists()


def test_a_claim_file_removed_by_its_holder_while_another_locks_it_is_claimed_afresh(tmp_path):
    path, lock = str(tmp_path / "run.json"), tmp_path / "run.json.lock"
    lock.write_text("")
    real_flock, calls = fcntl.flock, []

    def flock_after_the_holder_released(fd, operation):  # its removal lands between open and lock
        calls.append(os.fstat(fd).st_ino)
        if len(calls) == 1:
            lock.unlink()
        return real_flock(fd, operation)

    with mock.patch.object(fcntl, "flock", flock_after_the_holder_released):
        with claim(path) as mine:
            assert mine
            assert lock.read_text() == f"{socket.gethostname()} {os.getpid()}"
            assert len(calls) == 2  # the removed file, then a fresh one


def test_a_command_waits_for_a_run_another_one_holds(tmp_path, monkeypatch, capsys):
    out, work = tmp_path / "results", tmp_path / "work"
    runs = out / "table2" / "runs" / DATASET
    runs.mkdir(parents=True)
    release = tmp_path / "release"
    holder = _holding(runs / "DCN_+ATJT-seed2020.json", release)

    def announce_then_release(path):  # the holder ends without a result, like a killed command
        text = holder_text(path)
        release.touch()
        return text

    monkeypatch.setattr(runner, "holder_text", announce_then_release)
    monkeypatch.setattr(runner, "WAIT_SECONDS", 0.5)
    try:
        assert main(["table2", "--models", "DCN", *experiment_args(out, work), "--seeds", "1"]) == 0
    finally:
        holder.wait()
    printed = capsys.readouterr().out
    assert f"DCN / +ATJT, seed 2020: trained by process {holder.pid} on" in printed
    assert printed.index("waiting for it") < printed.index("2/2: DCN / +ATJT, seed 2020\n")
    assert sorted(p.name for p in runs.iterdir()) == [
        "DCN_+ATJT-seed2020.json",
        "DCN_base-seed2020.json",
    ]


def test_a_killed_command_resumes_its_run_from_the_last_validated_epoch(tmp_path, capsys):
    out, work = tmp_path / "results", tmp_path / "work"
    args = ["table2", "--models", "DCN", *experiment_args(out, work), "--seeds", "1", "--epochs=3"]
    folders = work / "runs" / "table2" / DATASET / "DCN_base-seed2020"
    command = subprocess.Popen(
        [sys.executable, "-m", "experiments", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not list(folders.glob("*/DCN-latest.pth")):
        assert command.poll() is None, "the command ended before it could be killed"
        time.sleep(0.05)
    command.send_signal(signal.SIGKILL)
    command.wait()
    (killed,) = folders.iterdir()
    assert not (killed / "results.json").exists()

    assert main(args) == 0  # its claim, left behind by the kill, is free
    assert f"1/2: DCN / base, seed 2020: resuming {killed}\n" in capsys.readouterr().out
    base = json.loads((out / "table2" / "runs" / DATASET / "DCN_base-seed2020.json").read_text())
    assert base["resumed"] == str(killed) and base["run_dir"] == str(killed)
    assert base["epochs_run"] == 3 and len(base["valid_per_epoch"]) == 3
    assert list(folders.iterdir()) == [killed]  # no second folder: the same run, continued
    page = (out / "table2" / f"{DATASET}.md").read_text()
    assert "- resumed: 1 of the runs continued after a kill" in page
