"""Train any supported RecBole model with or without ATJT denoising.

python run_recbole_atjt.py                      # SASRec + ATJT on ml-100k, quick preset
python run_recbole_atjt.py --model=DIN --denoise=none --epochs=3
"""

import sys

from recbole_atjt.cli import main

if __name__ == "__main__":
    sys.exit(main())
