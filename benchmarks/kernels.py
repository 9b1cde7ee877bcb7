"""Benchmarks of the exact kernels: a thin script over :mod:`mdmjax.cli._bench_kernels`.

The measurements live in the package so that ``mdmjax bench`` works from an installed mdmjax;
run them with ``mdmjax bench`` (``--json``, ``--plot``, ``--kernel``). This script is the worker
entry, ``python benchmarks/kernels.py --worker SPEC``, as before.
"""

import sys

from mdmjax.cli._bench_kernels import *  # noqa: F403  (the names scripts used from here)
from mdmjax.cli._bench_kernels import _main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
