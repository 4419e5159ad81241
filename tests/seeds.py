"""The seeds every claim test runs on: 10 seeds from DEPTHKIT_CLAIM_SEED_START (default 0).

CI runs seeds 0-9. To check the same claims on seeds no test uses (nothing is
tuned to 0-9), run e.g.  DEPTHKIT_CLAIM_SEED_START=200 python -m pytest tests/*claims*.py
tests/test_overfitting.py tests/test_quiz_charts.py tests/test_vanishing_inputs.py
(200 or above: the Overfitting defaults were chosen on seeds 100-119, its TUNING_SEEDS).
"""

import os

START = int(os.environ.get("DEPTHKIT_CLAIM_SEED_START", "0"))
SEEDS = range(START, START + 10)
MISSES = 1  # at most one seed of ten may miss a claim
