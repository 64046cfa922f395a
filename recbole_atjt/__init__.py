"""recbole_atjt: ATJT (Auxiliary Task Joint Training) denoising for RecBole models.

Importing the package sets its NumPy and pandas shims only; ``run`` (and with it RecBole and
torch) is imported on first use.
"""

from typing import Any

from recbole_atjt.compat import check_pandas, quiet_library_warnings, set_numpy_aliases

check_pandas()
set_numpy_aliases()
quiet_library_warnings()

__all__ = ["run"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "run":
        from recbole_atjt.quick_start import run

        return run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
