"""Claims on runs, so that several commands can share the runs of one page.

A command claims a run before training it by creating ``<run>.json.lock``
(atomically) holding its host and process id; another command skips a claimed
run and, once it has trained the rest, waits for the result. A claim whose
process on this host has ended (a command killed mid-run) is stale and taken over.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator


def _holder(lock: str) -> tuple[str, int] | None:
    try:
        with open(lock, encoding="utf-8") as f:
            host, pid = f.read().split()
        return host, int(pid)
    except (OSError, ValueError):
        return None


def _is_stale(lock: str) -> bool:
    holder = _holder(lock)
    if holder is None or holder[0] != socket.gethostname():
        return False  # being written, or held on another machine: trust it
    try:
        os.kill(holder[1], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    return False


def _take(lock: str) -> bool:
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"{socket.gethostname()} {os.getpid()}")
    return True


def holder_text(path: str) -> str:
    holder = _holder(path + ".lock")
    return f"process {holder[1]} on {holder[0]}" if holder else "another command"


@contextlib.contextmanager
def claim(path: str) -> Iterator[bool]:
    """Yield True when this process holds the run at ``path`` (released on exit), else False."""
    lock = path + ".lock"
    taken = _take(lock)
    if not taken and _is_stale(lock):
        with contextlib.suppress(FileNotFoundError):
            os.remove(lock)
        taken = _take(lock)
    try:
        yield taken
    finally:
        if taken:
            with contextlib.suppress(FileNotFoundError):
                os.remove(lock)
