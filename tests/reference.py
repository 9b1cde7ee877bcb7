"""Plain-Python / numpy test oracles: slow, obvious, independent of mdmjax's kernels."""

from __future__ import annotations

import itertools
import math

import numpy as np


def entropy(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=np.float64).ravel()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def marginal(p: np.ndarray, subset) -> np.ndarray:
    n = p.ndim
    drop = tuple(a for a in range(n) if a not in subset)
    return p.sum(axis=drop)


def subset_entropy(p: np.ndarray, subset) -> float:
    if len(subset) == 0:
        return 0.0
    return entropy(marginal(p, subset))


def hbar(p: np.ndarray) -> np.ndarray:
    n = p.ndim
    out = np.zeros(n + 1)
    for j in range(n + 1):
        vals = [subset_entropy(p, s) for s in itertools.combinations(range(n), j)]
        out[j] = np.mean(vals)
    return out


def z_curve(p: np.ndarray) -> np.ndarray:
    h = hbar(p)
    return np.array([h[1] + h[j - 1] - h[j] for j in range(1, p.ndim + 1)])


def conditional(p: np.ndarray, x, i: int, given) -> float:
    """p(x_i | x_given) by direct summation."""
    keep = sorted(set(given) | {i})
    num = marginal(p, keep)[tuple(x[a] for a in keep)]
    den = marginal(p, sorted(given))[tuple(x[a] for a in sorted(given))] if given else 1.0
    return float(num / den) if den > 0 else 0.0


def nu_partition(p: np.ndarray, blocks) -> np.ndarray:
    """The fixed-partition sampler's output law, state by state."""
    nu = np.zeros_like(p)
    for x in itertools.product(*[range(q) for q in p.shape]):
        val = 1.0
        revealed: list[int] = []
        for block in blocks:
            for i in block:
                val *= conditional(p, x, i, revealed)
            revealed = revealed + list(block)
        nu[x] = val
    return nu


def kl(p: np.ndarray, nu: np.ndarray) -> float:
    p = p.ravel()
    nu = nu.ravel()
    m = p > 0
    return float((p[m] * (np.log(p[m]) - np.log(nu[m]))).sum())


def all_ordered_partitions(sizes):
    n = sum(sizes)
    out = []

    def rec(remaining, k, acc):
        if k == len(sizes):
            out.append(tuple(acc))
            return
        for block in itertools.combinations(remaining, sizes[k]):
            rest = [r for r in remaining if r not in block]
            rec(rest, k + 1, acc + [block])

    rec(list(range(n)), 0, [])
    return out


def compositions(n: int, k: int):
    for cuts in itertools.combinations(range(1, n), k - 1):
        b = (0, *cuts, n)
        yield tuple(b[i + 1] - b[i] for i in range(k))


def sizes_from_cuts(cuts) -> tuple[int, ...]:
    """The composition of ``len(cuts) + 1`` whose parts end after every true ``cuts`` entry."""
    sizes, run = [], 1
    for cut in cuts:
        if cut:
            sizes.append(run)
            run = 1
        else:
            run += 1
    return (*sizes, run)


def all_compositions(n: int) -> list[tuple[int, ...]]:
    """Every composition of ``n`` into positive parts (2^(n-1) of them)."""
    return [sizes_from_cuts(c) for c in itertools.product((False, True), repeat=n - 1)]


def theorem4_entropy_form(h: np.ndarray, sizes) -> float:
    """Sum_t [ s_t (Hbar_{N_{t-1}+1} - Hbar_{N_{t-1}}) - (Hbar_{N_t} - Hbar_{N_{t-1}}) ]."""
    total, start = 0.0, 0
    for s in sizes:
        end = start + s
        total += s * (h[start + 1] - h[start]) - (h[end] - h[start])
        start = end
    return total


def n_choose(n, k):
    return math.comb(n, k)


def theorem4_sum(z, sizes) -> float:
    """Plain-Python Theorem 4: ``sum_t sum_{j=1..s_t} (Z_{N+j} - Z_{N+1})`` (``z[j-1] = Z_j``);
    zero sizes contribute nothing."""
    total, start = 0.0, 0
    for s in sizes:
        total += sum(z[start + j] - z[start] for j in range(s))
        start += s
    return total


def random_table(rng, shape, zeros: float = 0.0, alpha: float = 0.7) -> np.ndarray:
    """A Dirichlet(``alpha``) probability table; with ``zeros``, that fraction of entries set to 0
    (at least one entry kept), renormalized."""
    p = rng.dirichlet(np.full(math.prod(shape), alpha))
    if zeros:
        p = np.where(rng.random(p.size) < zeros, 0.0, p)
        if p.sum() == 0:
            p[0] = 1.0
        p = p / p.sum()
    return p.reshape(shape)
