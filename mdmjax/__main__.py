"""``python -m mdmjax``: the same as the ``mdmjax`` command (:func:`mdmjax.cli.main`)."""

import sys

from mdmjax.cli import main

if __name__ == "__main__":
    sys.exit(main())
