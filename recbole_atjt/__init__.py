"""recbole_atjt: ATJT (Auxiliary Task Joint Training) denoising for RecBole models."""

from recbole_atjt.compat import quiet_library_warnings, undo_recbole_import_side_effects

quiet_library_warnings()
undo_recbole_import_side_effects()

from recbole_atjt.quick_start import run  # noqa: E402

__all__ = ["run"]
__version__ = "0.1.0"
