"""Benchmark: the optax search against the DP on three curve shapes at n = 64 and n = 512.

Run from the repository root:  PYTHONPATH=. python experiments/bench_optimize.py

For each (shape, n, k) it reports the gap to the DP optimum, with and without the exact local
search, and wall times measured in this run: the first call (tracing + compilation + search) and
the median of three more calls (the search alone), next to the DP's own time. Not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from tqdm import tqdm

import mdmjax as mdm


def shapes(n: int) -> dict[str, np.ndarray]:
    j = np.arange(1, n + 1)
    sig = 1 / (1 + np.exp(-(j - n / 2) / (n / 20)))
    return {
        "log (smooth, concave)": np.log(j) / np.log(n),
        "sigmoid (step-like)": sig - sig[0],
        "single jump (MDS, d=n/3)": np.log(5) * (j > n // 3),
    }


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--relaxation", default="breakpoints", choices=["breakpoints", "random-sizes"]
    )
    relaxation = parser.parse_args().relaxation
    rows = []
    cases = [(n, k, name, z) for n in (64, 512) for k in (4, 16) for name, z in shapes(n).items()]
    for n, k, name, z in tqdm(cases, desc="bench", unit="case"):
        c = mdm.InformationCurve.from_z(z)
        first, t_first = timed(lambda c=c, k=k: mdm.optimize_schedule(c, k, relaxation))
        warm = [
            timed(lambda c=c, k=k: mdm.optimize_schedule(c, k, relaxation))[1] for _ in range(3)
        ]
        raw = mdm.optimize_schedule(c, k, relaxation, polish=False)
        mdm.optimal_schedule(c, k)
        dp_t = statistics.median(
            timed(lambda c=c, k=k: mdm.optimal_schedule(c, k))[1] for _ in range(3)
        )
        rows.append(
            (
                name,
                n,
                k,
                first.gap,
                raw.gap,
                first.ok,
                first.polish_moves,
                t_first,
                statistics.median(warm),
                dp_t,
            )
        )
    head = (
        f"{'curve':<26}{'n':>5}{'k':>4}{'gap':>11}{'gap(no polish)':>16}{'ok':>6}{'moves':>7}"
        f"{'first call s':>14}{'search s':>10}{'DP s':>8}"
    )
    print(f"relaxation: {relaxation}")
    print(head)
    for name, n, k, gap, raw_gap, ok, moves, t1, t2, tdp in rows:
        print(
            f"{name:<26}{n:>5}{k:>4}{gap:>11.2e}{raw_gap:>16.2e}{ok!s:>6}{moves:>7}"
            f"{t1:>14.2f}{t2:>10.3f}{tdp:>8.3f}"
        )


if __name__ == "__main__":
    main()
