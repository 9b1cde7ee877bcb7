"""``python -m mdmjax.cli``: the same as the ``mdmjax`` command."""

import sys

from mdmjax.cli import main

if __name__ == "__main__":
    sys.exit(main())
