"""`python -m depthkit.ship [--check]`: the command that regenerates (or checks) the shipped results.

The code is depthkit.serving.ship; this module keeps the command README and CI have always used.
"""

import sys

from depthkit.serving.ship import main

if __name__ == "__main__":
    sys.exit(main())
