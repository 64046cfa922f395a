"""How many CPU threads torch uses when a run leaves ``torch_threads`` unset (``~``).

Torch's own default is one thread per core. On a machine with few cores that is a poor bet:
any other process (a second training, a test suite) oversubscribes the cores and a 2-thread
run slows severalfold, while one thread loses little when the machine is idle (the measured
times are in the README). So with few cores a run takes one thread; with more, one per core
that the last minute's load average leaves free. The count a run used is recorded in its
``results.json`` (``torch_threads``); set ``torch_threads`` to fix it, since another count
changes the sums' rounding and so the last digits of the metrics.
"""

from __future__ import annotations

import os

FEW_CORES = 4  # up to this many cores a run takes one thread


def default_torch_threads(cores: int | None = None, load: float | None = None) -> int:
    """Threads for a run on ``cores`` cores (this machine's) under ``load`` (the 1-minute
    load average)."""
    cores = cores or os.cpu_count() or 1
    if cores <= FEW_CORES:
        return 1
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, cores - round(load)))


def torch_threads(requested: int | None) -> int:
    """The thread count for a run whose configuration asks for ``requested`` (None: ours)."""
    return requested or default_torch_threads()
