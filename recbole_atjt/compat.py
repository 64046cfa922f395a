"""The few shims between RecBole 1.2.1 and the current libraries, in one place.

* torch >= 2.6 loads with ``weights_only=True``; RecBole's checkpoints pickle a
  whole ``Config`` and fail to load that way (``Trainer.evaluate`` with
  ``load_best_model``, ``resume_checkpoint`` and S3Rec's pretrained load).
  Our own checkpoints are trusted files we wrote, so we load them in full.
* RecBole's ``Config`` parses every ``--key=value`` in ``sys.argv`` (pytest's
  flags and our own CLI flags included). We hand it an empty command line and
  pass overrides explicitly.
* RecBole 1.2.1 and Ray 2.6.3 emit deprecation warnings on every run (pandas
  chained assignment, ``torch.cuda.amp``, ``pkg_resources``) that bury our
  output; they are silenced for those packages only, as is torch's notice
  that sparse invariant checks are off (its default) on the first sparse
  Adagrad step of the recognizers.
* Importing RecBole's models runs ``torch.autograd.set_detect_anomaly(True)``
  (module ``sine.py``), which records a Python stack trace for every autograd
  op of every model in the process and slows training severalfold. We import
  them once and switch anomaly detection back off.
* NumPy 2 removed aliases that RecBole's ``Config`` (``np.float_``,
  ``np.complex_``, ``np.unicode_``) and Ray 2.6.3's Tune loggers (``np.bool8``)
  read. ``set_numpy_aliases`` adds the missing ones, in the main process when
  the package is imported and in Ray's worker processes through a setup hook.
* pandas 3 breaks RecBole 1.2.1's data loading silently (in-place ``fillna`` on
  a column is a no-op under copy-on-write; ``Series.agg(len)`` on token_seq
  fields returns the column length): ``check_pandas`` refuses it in one line.
* RecBole 1.2.1's evaluation collector calls ``.cpu()`` on everything it
  collected, including the item count and item counters that ItemCoverage,
  GiniIndex, AveragePopularity and TailPercentage need (an ``int`` and a
  ``Counter``): those metrics crash every evaluation. Our trainer uses
  ``Collector`` below, which moves only tensors.
* SciPy 1.13 dropped ``dok_matrix._update``, with which RecBole 1.2.1's graph models
  (LightGCN, NGCF, ...) build their adjacency matrix. ``restore_dok_update`` gives it back
  (the same bulk dictionary update, into the matrix's own storage).

Nothing here edits an installed file; the torch shim is a scoped, reversible
default while a RecBole call that loads a checkpoint runs.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

# torch and RecBole are imported where a shim needs them: importing the package (its NumPy
# and pandas shims) stays cheap for the commands that never train (noise injection).

# NumPy 1 names RecBole 1.2.1 and Ray 2.6.3 read, and what NumPy 2 calls them.
NUMPY_ALIASES = {
    "float_": "float64",
    "complex_": "complex128",
    "unicode_": "str_",
    "bool8": "bool_",
}


def _numpy_has(name: str) -> bool:
    with warnings.catch_warnings():  # NumPy 1.24+ warns on reading np.bool8
        warnings.simplefilter("ignore")
        return hasattr(np, name)


def set_numpy_aliases() -> list[str]:
    """Add the aliases of ``NUMPY_ALIASES`` this NumPy lacks; returns the names it added.

    A no-op on NumPy 1 and on a second call. Also Ray's ``worker_process_setup_hook``.
    """
    missing = [name for name in NUMPY_ALIASES if not _numpy_has(name)]
    for name in missing:
        setattr(np, name, getattr(np, NUMPY_ALIASES[name]))
    return missing


def check_pandas(version: str | None = None) -> None:
    """Refuse pandas 3 or later, which RecBole 1.2.1 reads wrongly without an error."""
    import pandas

    version = version or pandas.__version__
    if int(version.split(".")[0]) >= 3:
        raise ImportError(
            f"recbole_atjt: pandas {version} is installed; RecBole 1.2.1 loads data wrongly "
            "with pandas 3 or later; allowed: pandas<3 (pip install 'pandas<3')"
        )


def load_checkpoint(path: str, map_location: Any = None) -> Any:
    """Load a checkpoint that this project (or RecBole) wrote: a full pickle.

    Its ``Config`` is unpickled without running ``Config.__init__``, which is
    where RecBole re-creates the NumPy aliases (``np.float``, ...) its metrics
    use; they are set here too, so a fresh process can evaluate or resume.
    """
    import torch
    from recbole.config import Config

    Config.compatibility_settings(None)
    return torch.load(path, map_location=map_location, weights_only=False)


@contextlib.contextmanager
def trusted_torch_load() -> Iterator[None]:
    """Within the block, ``torch.load`` defaults to ``weights_only=False``.

    Used around RecBole calls that load a checkpoint internally.
    """
    import torch

    original = torch.load
    if getattr(original, "_recbole_atjt_trusted", False):  # already inside one
        yield
        return

    @functools.wraps(original)
    def load(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("weights_only", False)
        return original(*args, **kwargs)

    load._recbole_atjt_trusted = True  # type: ignore[attr-defined]
    torch.load = load
    try:
        yield
    finally:
        torch.load = original


@contextlib.contextmanager
def isolated_argv() -> Iterator[None]:
    """Hide the process's command line from RecBole's ``Config``."""
    saved = sys.argv
    sys.argv = saved[:1] if saved else ["recbole_atjt"]
    try:
        yield
    finally:
        sys.argv = saved


def undo_recbole_import_side_effects() -> None:
    """Import RecBole's models now and turn off the anomaly mode one of them enables.

    Called wherever a RecBole model class is looked up (``recbole_atjt.pretrain``), so no
    model trains with anomaly detection on, however the process imported RecBole."""
    import recbole.model.sequential_recommender  # noqa: F401  (sine.py enables anomaly mode)
    import torch

    torch.autograd.set_detect_anomaly(False)
    restore_dok_update()


def restore_dok_update() -> bool:
    """Give SciPy's ``dok_matrix`` back the ``_update`` RecBole's graph models call; returns
    whether it was missing."""
    from scipy.sparse import dok_matrix

    if hasattr(dok_matrix, "_update"):
        return False

    def _update(self, data) -> None:
        self._dict.update(data)

    dok_matrix._update = _update
    return True


def quiet_library_warnings() -> None:
    """Silence the known deprecation warnings raised inside RecBole and Ray."""
    for module in ("recbole", "ray", "pkg_resources"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    # torch's Adagrad on the recognizers' sparse embedding gradients (checks off: torch's default)
    warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")


@functools.cache
def _collector_class() -> type:
    import torch
    from recbole.evaluator import Collector as RecBoleCollector

    class Collector(RecBoleCollector):
        """RecBole's evaluation collector, moving only tensors to the CPU."""

        def get_data_struct(self):
            collected = self.data_struct._data_dict
            plain = {k: v for k, v in collected.items() if not isinstance(v, torch.Tensor)}
            for key in plain:
                del collected[key]
            returned = super().get_data_struct()
            collected.update(plain)
            returned._data_dict.update(copy.deepcopy(plain))
            return returned

    return Collector


def __getattr__(name: str) -> Any:
    if name == "Collector":  # a RecBole subclass: defined on first use, with RecBole imported
        return _collector_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
