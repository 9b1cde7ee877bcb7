"""Test oracles for the sampler: exact output laws by brute-force enumeration (no sampler code).

Every law here is computed from a model's conditionals on explicit partial assignments,
independently of :mod:`mdmjax.sampling`; the chi-square helper compares counts with a law.
"""

from __future__ import annotations

import itertools
import math

import jax
import numpy as np
from scipy.stats import chi2

# Conservative: a correct sampler fails a test at this seed with probability 1e-4 per test.
P_VALUE_FLOOR = 1e-4


def ordered_partitions(positions, sizes):
    """Every ordered partition of ``positions`` into blocks of ``sizes`` (each once)."""
    out = set()
    for perm in itertools.permutations(positions):
        blocks, at = [], 0
        for s in sizes:
            blocks.append(tuple(sorted(perm[at : at + s])))
            at += s
        out.add(tuple(blocks))
    return sorted(out)


def states(shape):
    return np.asarray(list(itertools.product(*[range(q) for q in shape])), dtype=np.int64)


_conditionals = jax.jit(lambda model, y: model.conditionals(y))


def conditionals(model, y):
    """``model.conditionals`` on NumPy rows (one compiled call per model type), float64 NumPy."""
    with jax.enable_x64(True):
        out = _conditionals(model, jax.numpy.asarray(np.asarray(y, dtype=np.int64)))
        return np.asarray(out, dtype=np.float64)


def path_prob(model, shape, xs, fixed, blocks):
    """``prod_t prod_{i in B_t} p̂(x_i | x_{A_t})`` for every row of ``xs``; ``fixed`` revealed."""
    mask = np.asarray(shape, dtype=np.int64)
    revealed = set(fixed)
    w = np.ones(len(xs))
    for block in blocks:
        y = np.where(np.isin(np.arange(len(shape)), sorted(revealed))[None, :], xs, mask[None, :])
        cond = conditionals(model, y)
        for i in block:
            w = w * cond[np.arange(len(xs)), i, xs[:, i]]
        revealed |= set(block)
    return w


def mixture_law(model, shape, sizes, prompt=None):
    """The random-order sampler's output law (flat, C order over ``shape``) for ``sizes``.

    With a ``prompt`` (mask value at free positions) only outcomes agreeing with it get mass.
    """
    n = len(shape)
    xs = states(shape)
    mask = np.asarray(shape)
    if prompt is None:
        fixed, free = [], list(range(n))
        agree = np.ones(len(xs), dtype=bool)
    else:
        prompt = np.asarray(prompt)
        fixed = [i for i in range(n) if prompt[i] != mask[i]]
        free = [i for i in range(n) if prompt[i] == mask[i]]
        agree = np.all(xs[:, fixed] == prompt[fixed][None, :], axis=1)
    parts = ordered_partitions(free, sizes)
    nu = np.zeros(len(xs))
    for blocks in parts:
        nu += path_prob(model, shape, xs, fixed, blocks)
    return np.where(agree, nu / len(parts), 0.0)


def size_sequences(kernels):
    """``{sizes without zeros: probability}`` of a random-size schedule's count chain."""
    t_steps, n1, _ = kernels.shape
    out: dict[tuple[int, ...], float] = {}

    def walk(t, m, prob, sizes):
        if prob == 0:
            return
        if t == t_steps:
            if m == n1 - 1:
                out[tuple(sizes)] = out.get(tuple(sizes), 0.0) + prob
            return
        for m2 in range(m, n1):
            walk(t + 1, m2, prob * kernels[t, m, m2], sizes + ([m2 - m] if m2 > m else []))

    walk(0, 0, 1.0, [])
    return out


def schedule_law(model, shape, kernels):
    law = np.zeros(math.prod(shape))
    for sizes, prob in size_sequences(kernels).items():
        law += prob * mixture_law(model, shape, sizes)
    return law


def counts(x, shape):
    return np.bincount(
        np.ravel_multi_index(tuple(np.asarray(x).T), shape), minlength=math.prod(shape)
    )


def chi_square_p(observed, law):
    """Pearson's chi-square p-value of counts against a law; cells expecting < 5 are pooled.

    Counts in cells of zero probability give p = 0.
    """
    observed = np.asarray(observed, dtype=np.float64)
    law = np.asarray(law, dtype=np.float64)
    total = observed.sum()
    if np.any(observed[law <= 0] > 0):
        return 0.0
    expected = total * law / law.sum()
    big = expected >= 5
    obs = list(observed[big])
    exp = list(expected[big])
    if np.any(~big & (law > 0)):
        obs.append(observed[~big].sum())
        exp.append(expected[~big].sum())
    obs, exp = np.asarray(obs), np.asarray(exp)
    stat = float(np.sum((obs - exp) ** 2 / exp))
    return float(chi2.sf(stat, max(len(obs) - 1, 1)))
