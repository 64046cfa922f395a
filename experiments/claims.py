"""Claims on runs, so that several commands can share the runs of one page.

A command claims a run before training it by holding an exclusive ``flock`` on
``<run>.json.lock`` (which names its host and process id, for the messages);
another command skips a claimed run and, once it has trained the rest, waits for
the result. The kernel releases the lock of a process that ends in any way, so
the claim of a command killed mid-run is free at once, without guessing from
process ids whether its holder is still alive. The holder removes the file
while it still holds the lock; a command that locked a file just removed this
way sees that the path no longer names its file and tries again.
"""

from __future__ import annotations

import contextlib
import fcntl
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


def _is_current(lock: str, fd: int) -> bool:
    """Whether ``lock`` still names the file open as ``fd`` (not removed or replaced)."""
    try:
        return os.stat(lock).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _take(lock: str) -> int | None:
    """The open, locked claim file, or None when a live process holds it."""
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if _is_current(lock, fd):
            os.ftruncate(fd, 0)
            os.write(fd, f"{socket.gethostname()} {os.getpid()}".encode())
            return fd
        os.close(fd)  # released and removed by its holder in between: claim afresh


def holder_text(path: str) -> str:
    holder = _holder(path + ".lock")
    return f"process {holder[1]} on {holder[0]}" if holder else "another command"


@contextlib.contextmanager
def claim(path: str) -> Iterator[bool]:
    """Yield True when this process holds the run at ``path`` (released on exit), else False."""
    lock = path + ".lock"
    fd = _take(lock)
    try:
        yield fd is not None
    finally:
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(lock)  # while still locked, so nobody holds a removed file unawares
            os.close(fd)
