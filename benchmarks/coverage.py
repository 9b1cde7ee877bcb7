"""The coverage table of every interval mdmjax prints: a thin runner over
:mod:`mdmjax.cli._bench_coverage` (``mdmjax bench --kernel coverage`` runs the same code).

    python benchmarks/coverage.py [REPEATS] [docs/coverage.md]
"""

import sys

from mdmjax.cli._bench_coverage import run_all

if __name__ == "__main__":  # pragma: no cover
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    path = sys.argv[2] if len(sys.argv) > 2 else "docs/coverage.md"
    run_all(repeats, path_md=path)
