"""Warm starts of whole ``mdmjax`` processes: a thin script over :mod:`mdmjax.cli._bench_warm`.

python benchmarks/warm_start.py                  # both commands of the issue, JSON on stdout
python benchmarks/warm_start.py --out warm.json --no-baseline
"""

import sys

from mdmjax.cli._bench_warm import *  # noqa: F403  (run_warm_start, COMMANDS)
from mdmjax.cli._bench_warm import _main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
