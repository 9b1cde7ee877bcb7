"""Scale benchmark of mdmjax.evaluate_policy (issue 5 targets), CPU.

    PYTHONPATH=. python benchmarks/policies_scale.py [binary|letters|all] [K1,K2,..]

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
    return mdm.families.ising("chain", n=n, coupling=beta, field=field)


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
    out = [
        P.random(sizes),
        P.fixed_order(range(n), sizes),
        P.dilated(n),
        P.confidence(sizes),
        P.margin(sizes),
        P.entropy(sizes),
        P.threshold(0.6),
        P.entropy_bound(0.3),
        P.semi_autoregressive(half, P.threshold(0.6)),
        P.gumbel_confidence(sizes, 0.5),
    ]
    if k >= -(-n // half):  # the budget must cover the blocks
        out.insert(8, P.semi_autoregressive(half, P.confidence(sizes)))
    return out


def run(d: mdm.Distribution, ks) -> None:
    print(f"law shape {d.shape}")
    print(
        f"{'policy':44s} {'wall 1st':>8s} {'cpu 1st':>8s} {'wall 2nd':>8s} {'cpu 2nd':>8s} "
        f"{'KL':>11s} {'E[steps]':>8s} {'nodes':>8s}"
    )
    total = time.perf_counter()
    for k in ks:
        for pol in policies_for(d.n, k):
            t0, c0 = time.perf_counter(), time.process_time()
            r = mdm.evaluate_policy(d, pol)
            t1, c1 = time.perf_counter(), time.process_time()
            mdm.evaluate_policy(d, pol)
            t2, c2 = time.perf_counter(), time.process_time()
            print(
                f"{pol.label[:44]:44s} {t1 - t0:8.2f} {c1 - c0:8.2f} {t2 - t1:8.2f} {c2 - c1:8.2f} "
                f"{r.kl:11.4e} {r.expected_steps:8.3f} {r.nodes:8d}",
                flush=True,
            )
    print(f"total wall {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    ks = [int(k) for k in sys.argv[2].split(",")] if len(sys.argv) > 2 else None
    if which in ("binary", "all"):
        run(ising_chain(12, 0.5, 0.1), ks=ks or (12, 4, 2))
    if which in ("letters", "all"):
        run(letters(5, 26), ks=ks or (5, 2))
