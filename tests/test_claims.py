"""Claims let two experiment commands share one page's runs; a killed one's run resumes."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from conftest import DATASET
from test_experiments import _common

from recbole_atjt.experiments import runner
from recbole_atjt.experiments.__main__ import main
from recbole_atjt.experiments.claims import claim


def _sleeper(seconds: float) -> subprocess.Popen:
    """A process that ends after ``seconds``, reaped at once (a zombie would look alive)."""
    process = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({seconds})"])
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


def test_a_claim_of_a_live_process_holds_and_of_an_ended_one_is_taken_over(tmp_path):
    path = str(tmp_path / "run.json")
    holder = _sleeper(30)
    try:
        (tmp_path / "run.json.lock").write_text(f"{socket.gethostname()} {holder.pid}")
        with claim(path) as mine:
            assert not mine
    finally:
        holder.kill()
        holder.wait()
    with claim(path) as mine:
        assert mine


def test_a_command_waits_for_a_run_another_one_holds(tmp_path, monkeypatch, capsys):
    out, work = tmp_path / "results", tmp_path / "work"
    runs = out / "table2" / "runs" / DATASET
    runs.mkdir(parents=True)
    holder = _sleeper(3)  # ends without a result, like a command killed mid-run
    (runs / "DCN_+ATJT-seed2020.json.lock").write_text(f"{socket.gethostname()} {holder.pid}")
    monkeypatch.setattr(runner, "WAIT_SECONDS", 0.5)
    try:
        assert main(["table2", "--models", "DCN", *_common(out, work), "--seeds", "1"]) == 0
    finally:
        holder.wait()
    printed = capsys.readouterr().out
    assert f"DCN / +ATJT, seed 2020: trained by process {holder.pid} on" in printed
    assert printed.index("waiting for it") < printed.index("2/2: DCN / +ATJT, seed 2020\n")
    assert sorted(p.name for p in runs.iterdir()) == [
        "DCN_+ATJT-seed2020.json",
        "DCN_base-seed2020.json",
    ]


def test_a_killed_command_resumes_its_run_from_the_last_validated_epoch(tmp_path):
    out, work = tmp_path / "results", tmp_path / "work"
    args = ["table2", "--models", "DCN", *_common(out, work), "--seeds", "1", "--epochs=3"]
    folders = work / "runs" / "table2" / DATASET / "DCN_base-seed2020"
    command = subprocess.Popen(
        [sys.executable, "-m", "recbole_atjt.experiments", *args],
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

    assert main(args) == 0
    base = json.loads((out / "table2" / "runs" / DATASET / "DCN_base-seed2020.json").read_text())
    assert base["resumed"] == str(killed) and base["run_dir"] == str(killed)
    assert base["epochs_run"] == 3 and len(base["valid_per_epoch"]) == 3
    assert list(folders.iterdir()) == [killed]  # no second folder: the same run, continued
    page = (out / "table2" / f"{DATASET}.md").read_text()
    assert "- resumed: 1 of the runs continued after a kill" in page
