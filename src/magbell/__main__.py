"""``python -m magbell ...``: the command-line interface (see :mod:`magbell.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
