"""``python -m derive``: see :mod:`derive.cli`."""

import sys

from derive.cli import main

if __name__ == "__main__":
    sys.exit(main())
