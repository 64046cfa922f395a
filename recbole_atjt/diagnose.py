"""python -m recbole_atjt.diagnose RUN_DIR: the former name of
``python -m recbole_atjt.explain_recognizers`` (same arguments, same page), kept so
that commands written for it still work."""

import sys

from recbole_atjt.explain_recognizers import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m recbole_atjt.diagnose"))
