"""recbole_atjt: ATJT (Auxiliary Task Joint Training) denoising for RecBole models."""

from recbole_atjt.compat import (
    check_pandas,
    quiet_library_warnings,
    set_numpy_aliases,
    undo_recbole_import_side_effects,
)

check_pandas()
set_numpy_aliases()
quiet_library_warnings()
undo_recbole_import_side_effects()

from recbole_atjt.quick_start import run  # noqa: E402

__all__ = ["run"]
__version__ = "0.1.0"
