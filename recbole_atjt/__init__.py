"""recbole_atjt: ATJT (Auxiliary Task Joint Training) denoising for RecBole models."""

from recbole_atjt.quick_start import run

__all__ = ["run"]
__version__ = "0.1.0"
