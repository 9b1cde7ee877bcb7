"""Timings of the large-n curves (not a test). Run: PYTHONPATH=. python benchmarks/bench_large_n.py

Prints wall-clock and process CPU seconds for each call; the first call of a shape includes
JIT compilation, so each case is run twice (cold, warm).
"""

import time

import numpy as np

import mdmjax as mdm


def timed(label, fn):
    for run in ("cold", "warm"):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        print(
            f"{label:<48} {run}: wall {time.perf_counter() - t0:7.2f} s, "
            f"cpu {time.process_time() - c0:7.2f} s"
        )
    return out


def main():
    p = np.array([[0.9, 0.1], [0.2, 0.8]])
    timed("family_curve('markov', 10000)", lambda: mdm.curves.family_curve("markov", 10_000))
    timed(
        "markov_chain([1, 0], P, 10000) (non-stationary)",
        lambda: mdm.curves.markov_chain_curve([1.0, 0.0], p, 10_000),
    )
    timed(
        "ising_chain(10000, J=0.5, h=0.2) (non-homog.)",
        lambda: mdm.curves.ising_chain(10_000, 0.5, 0.2),
    )
    timed("family_curve('reed_solomon', 1000)", lambda: mdm.curves.family_curve("rs", 1000))
    g = np.stack([np.arange(1000) ** k % 1009 for k in range(5)])
    timed(
        "linear_code(RS d=5, n=1000, Monte-Carlo, m=64)",
        lambda: mdm.curves.linear_code_curve(g, 1009, method="monte_carlo", key=0, num_samples=64),
    )
    timed("noisy_repetition(10000, 0.1)", lambda: mdm.curves.noisy_repetition_curve(10_000, 0.1))
    timed(
        "family_curve('mixture', 200, num_samples=256)",
        lambda: mdm.curves.family_curve("mixture", 200, num_samples=256),
    )
    timed(
        "family_curve('hmm', 200, num_samples=256)",
        lambda: mdm.curves.family_curve("hmm", 200, num_samples=256),
    )
    c = mdm.curves.family_curve("markov", 10_000)
    timed("optimal_schedule(markov n=10000, k=8)", lambda: mdm.optimal_schedule(c, 8))


if __name__ == "__main__":
    main()
