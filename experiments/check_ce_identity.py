"""Brute-force check of the cross-entropy identity for an imperfect model (numpy only).

For a law ``p`` on ``[q]^n``, a model ``p̂(x_i | x_A)`` and an unmasking schedule of step sizes
``s = (s_1, .., s_k)`` (a composition of ``n``), with ``N_t = s_1 + .. + s_t``:

    E_B KL(p || nu_B) = sum_t s_t CE(N_{t-1}) - H(p),

where ``B = (B_1, .., B_k)`` is a uniformly random ordered partition of ``{0..n-1}`` with
``|B_t| = s_t``, ``A_t = B_1 u .. u B_{t-1}``, ``nu_B(x) = prod_t prod_{i in B_t} p̂(x_i | x_{A_t})``
and ``CE(m) = E_{x~p} mean_{|S|=m} mean_{i not in S} [-log p̂(x_i | x_S)]``.

The left side is enumerated over all ``n!`` orders (each ordered partition with sizes ``s`` is hit
``prod_t s_t!`` times, so the average over orders is the uniform average over partitions) and all
``q^n`` strings; the right side over all subsets. The model is the law's conditionals tempered,
``p̂(. | x_A) ∝ p(. | x_A)^(1/T)``. Prints the largest ``|LHS - RHS|`` over every composition of
``n``, every temperature and every seed (expected: ~1e-15).

    python experiments/check_ce_identity.py [--n 4] [--q 3] [--seeds 3]
"""

from __future__ import annotations

import argparse
import itertools
import math

import numpy as np


def compositions(n: int):
    """All compositions of ``n`` (ordered tuples of positive sizes summing to ``n``)."""
    for cuts in itertools.product((False, True), repeat=n - 1):
        sizes, run = [], 1
        for cut in cuts:
            if cut:
                sizes.append(run)
                run = 1
            else:
                run += 1
        sizes.append(run)
        yield tuple(sizes)


def tempered_log_conditionals(p: np.ndarray, temperature: float) -> dict:
    """``logc[(A, i)]``: ``log p̂(x_i | x_A)`` broadcast to the full ``(q,)*n`` grid."""
    n = p.ndim
    logc = {}
    for r in range(n):
        for a in itertools.combinations(range(n), r):
            others = tuple(j for j in range(n) if j not in a)
            for i in others:
                keep = set(a) | {i}
                joint = p.sum(axis=tuple(j for j in range(n) if j not in keep), keepdims=True)
                cond = joint / joint.sum(axis=i, keepdims=True)  # p(x_i | x_A), p > 0
                w = cond ** (1.0 / temperature)
                hat = w / w.sum(axis=i, keepdims=True)
                logc[(a, i)] = np.broadcast_to(np.log(hat), p.shape)
    return logc


def level_cross_entropy(p: np.ndarray, logc: dict) -> np.ndarray:
    """``CE(m)`` for ``m = 0..n-1`` by enumeration of ``x`` and of every ``S``, ``|S| = m``."""
    n = p.ndim
    ce = np.zeros(n)
    for m in range(n):
        subsets = list(itertools.combinations(range(n), m))
        for s in subsets:
            hidden = [i for i in range(n) if i not in s]
            nll = -np.mean([logc[(s, i)] for i in hidden], axis=0)
            ce[m] += float(np.sum(p * nll)) / len(subsets)
    return ce


def expected_kl(p: np.ndarray, logc: dict, sizes: tuple[int, ...]) -> float:
    """``E_B KL(p || nu_B)`` over all ``n!`` orders, each cut into blocks of ``sizes``."""
    n = p.ndim
    logp = np.log(p)
    total = 0.0
    for order in itertools.permutations(range(n)):
        log_nu = np.zeros(p.shape)
        start = 0
        for s in sizes:
            revealed = tuple(sorted(order[:start]))
            for i in order[start : start + s]:
                log_nu = log_nu + logc[(revealed, i)]
            start += s
        total += float(np.sum(p * (logp - log_nu)))
    return total / math.factorial(n)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4)
    ap.add_argument("--q", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--temperatures", type=float, nargs="+", default=[0.5, 0.8, 1.0, 1.5, 3.0])
    args = ap.parse_args(argv)
    n, q = args.n, args.q
    comps = list(compositions(n))
    worst = 0.0
    print(
        f"n = {n}, q = {q}: {len(comps)} compositions, {math.factorial(n)} orders, {q**n} strings"
    )
    print("seed      T   max |E_B KL - (sum_t s_t CE(N_t-1) - H)|   E_B KL range")
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        p = rng.dirichlet(np.full(q**n, 0.7)).reshape((q,) * n)
        p = np.maximum(p, 1e-12)
        p /= p.sum()
        entropy = float(-np.sum(p * np.log(p)))
        for temperature in args.temperatures:
            logc = tempered_log_conditionals(p, temperature)
            ce = level_cross_entropy(p, logc)
            diffs, kls = [], []
            for sizes in comps:
                lhs = expected_kl(p, logc, sizes)
                starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
                rhs = float(sum(s * ce[a] for s, a in zip(sizes, starts, strict=True))) - entropy
                diffs.append(abs(lhs - rhs))
                kls.append(lhs)
            worst = max(worst, max(diffs))
            print(
                f"{seed:4d}  {temperature:5.2f}   {max(diffs):.3e}"
                f"                              [{min(kls):.4f}, {max(kls):.4f}]"
            )
    print(f"max abs difference over all compositions, temperatures and seeds: {worst:.3e}")
    return 0 if worst < 1e-10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
