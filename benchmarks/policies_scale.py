"""Scale benchmark of mdmjax.evaluate_policy (issue 5 targets), CPU.

    PYTHONPATH=. python benchmarks/policies_scale.py [binary|letters|all]

Prints, for every policy, the wall time of the first call (compilation included) and of a second
call (compiled), with KL, expected steps and the number of tree nodes expanded.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import mdmjax as mdm
from mdmjax import policies as P


def ising_chain(n: int, beta: float, field: float = 0.0) -> mdm.Distribution:
    s = 2.0 * np.indices((2,) * n).reshape(n, -1) - 1.0
    energy = beta * np.sum(s[:-1] * s[1:], axis=0) + field * np.sum(s, axis=0)
    w = np.exp(energy - energy.max())
    return mdm.Distribution.from_probs((w / w.sum()).reshape((2,) * n))


def letters(n: int, q: int, seed: int = 0) -> mdm.Distribution:
    """A random first-order Markov chain on q letters with sparse-ish transitions."""
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(q, 0.3))
    for _ in range(n - 1):
        trans = rng.dirichlet(np.full(q, 0.3), size=q)
        probs = probs[..., None] * trans.reshape((1,) * (probs.ndim - 1) + trans.shape)
    return mdm.Distribution.from_probs(probs / probs.sum())


def policies_for(n: int, k: int) -> list[P.Policy]:
    sizes = P.uniform_sizes(n, k)
    half = max(1, n // 2)
    return [
        P.random(sizes),
        P.fixed_order(range(n), sizes),
        P.dilated(n),
        P.confidence(sizes),
        P.margin(sizes),
        P.entropy(sizes),
        P.threshold(0.9),
        P.entropy_bound(0.1),
        P.semi_autoregressive(half, P.confidence(sizes)),
        P.semi_autoregressive(half, P.threshold(0.9)),
        P.gumbel_confidence(sizes, 0.5),
    ]


def run(d: mdm.Distribution, ks) -> None:
    print(f"law shape {d.shape}")
    print(
        f"{'policy':52s} {'first s':>8s} {'again s':>8s} {'KL':>11s} {'E[steps]':>9s} {'nodes':>9s}"
    )
    for k in ks:
        for pol in policies_for(d.n, k):
            t0 = time.perf_counter()
            r = mdm.evaluate_policy(d, pol)
            t1 = time.perf_counter()
            mdm.evaluate_policy(d, pol)
            t2 = time.perf_counter()
            print(
                f"{pol.label[:52]:52s} {t1 - t0:8.2f} {t2 - t1:8.2f} {r.kl:11.4e} "
                f"{r.expected_steps:9.3f} {r.nodes:9d}",
                flush=True,
            )


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    if which in ("binary", "all"):
        run(ising_chain(12, 0.5, 0.1), ks=(12, 4, 2))
    if which in ("letters", "all"):
        run(letters(5, 26), ks=(5, 2))
