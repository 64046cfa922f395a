"""``python -m recbole_atjt``: the command line of ``run_recbole_atjt.py`` and ``recbole-atjt``."""

import sys

from recbole_atjt.cli import main

if __name__ == "__main__":
    sys.exit(main())
