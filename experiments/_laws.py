"""Small laws for the experiments, built directly with numpy from their definitions.

These are deliberately independent of ``mdmjax.families`` (they are the definitions of
docs/theory.md written out by hand), so an experiment that compares mdmjax against enumeration does
not lean on the code it checks. Every builder returns a validated :class:`mdmjax.Distribution`.
"""

from __future__ import annotations

import itertools

import numpy as np

import mdmjax as mdm


def product(n: int, rng: np.random.Generator) -> mdm.Distribution:
    """Independent bits with biases drawn uniformly from [0.1, 0.9]."""
    table = np.ones(())
    for b in rng.uniform(0.1, 0.9, size=n):
        table = np.multiply.outer(table, np.array([1 - b, b]))
    return mdm.Distribution.from_probs(table)


def repetition(n: int, q: int = 2) -> mdm.Distribution:
    """Uniform on the ``q`` constant strings (an MDS code of dimension 1)."""
    table = np.zeros((q,) * n)
    for v in range(q):
        table[(v,) * n] = 1.0 / q
    return mdm.Distribution.from_probs(table)


def parity(n: int) -> mdm.Distribution:
    """Uniform on even-weight bit strings (an MDS code of dimension ``n - 1``)."""
    x = np.indices((2,) * n).sum(axis=0)
    table = (x % 2 == 0).astype(float)
    return mdm.Distribution.from_probs(table / table.sum())


def reed_solomon(n: int, q: int, d: int) -> mdm.Distribution:
    """Uniform on ``{(P(0), .., P(n-1)) : deg P < d}`` over the prime field ``F_q``, ``q > n``."""
    table = np.zeros((q,) * n)
    points = np.arange(n)
    powers = np.stack([points**m % q for m in range(d)])  # (d, n)
    coeffs = np.asarray(list(itertools.product(range(q), repeat=d)))  # (q^d, d)
    words = coeffs @ powers % q
    table[tuple(words.T)] = 1.0 / q**d
    return mdm.Distribution.from_probs(table)


def noisy_repetition(n: int, eta: float = 0.1) -> mdm.Distribution:
    """``U ~ Ber(1/2)``, ``X_i = U xor W_i`` with ``W_i ~ Ber(eta)`` i.i.d."""
    ones = np.indices((2,) * n).sum(axis=0)
    table = 0.5 * (eta**ones * (1 - eta) ** (n - ones) + eta ** (n - ones) * (1 - eta) ** ones)
    return mdm.Distribution.from_probs(table)


def markov(n: int, rng: np.random.Generator, q: int = 2, alpha: float = 0.5) -> mdm.Distribution:
    """A Markov chain with a Dirichlet(alpha) initial law and Dirichlet(alpha) transition rows."""
    init = rng.dirichlet(np.full(q, alpha))
    trans = rng.dirichlet(np.full(q, alpha), size=q)
    table = init
    for _ in range(n - 1):
        table = table[..., None] * trans  # p(.., x_t, x_{t+1}) = p(.., x_t) T[x_t, x_{t+1}]
    return mdm.Distribution.from_probs(table)


def ising(edges, n: int, coupling: float = 0.5, field: float = 0.1) -> mdm.Distribution:
    """``p(x) ∝ exp(J sum_{(a,b)} s_a s_b + h sum_i s_i)`` with spins ``s = 2x - 1``."""
    s = 2 * np.indices((2,) * n) - 1  # (n, 2, .., 2)
    energy = field * s.sum(axis=0)
    for a, b in edges:
        energy = energy + coupling * s[a] * s[b]
    w = np.exp(energy - energy.max())
    return mdm.Distribution.from_probs(w / w.sum())


def ising_chain(n: int, coupling: float = 0.5, field: float = 0.1) -> mdm.Distribution:
    return ising([(i, i + 1) for i in range(n - 1)], n, coupling, field)


def ising_grid(rows: int, cols: int, coupling: float = 0.4, field: float = 0.0):
    """Ising model on a ``rows x cols`` grid (free boundary), position ``r * cols + c``."""
    edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    return ising(edges, rows * cols, coupling, field)


def mixture_of_products(n: int, rng: np.random.Generator, components: int = 3):
    """Mixture of ``components`` independent-bit laws with Dirichlet(1) weights."""
    weights = rng.dirichlet(np.ones(components))
    total = np.zeros((2,) * n)
    for w in weights:
        total = total + w * np.asarray(product(n, rng).probs)
    return mdm.Distribution.from_probs(total)


def dirichlet(shape, rng: np.random.Generator, alpha: float = 0.5) -> mdm.Distribution:
    """A random law on the given alphabet sizes, Dirichlet(alpha) over all cells."""
    p = rng.dirichlet(np.full(int(np.prod(shape)), alpha)).reshape(shape)
    return mdm.Distribution.from_probs(p)


def catalogue(n: int, rng: np.random.Generator) -> dict[str, mdm.Distribution]:
    """Every family at ``n`` positions (Reed–Solomon only where ``q^n`` stays small).

    Uses the package's own constructors (``mdm.families.by_name``) when they are available, so
    that the experiments cover the families users call; otherwise the numpy definitions above.
    """
    if hasattr(mdm.families, "by_name"):
        return _package_catalogue(n, rng)
    laws = {
        "product": product(n, rng),
        "repetition (q=2)": repetition(n, 2),
        "parity": parity(n),
        "noisy repetition": noisy_repetition(n, 0.1),
        "markov": markov(n, rng),
        "ising chain": ising_chain(n),
        "mixture of products": mixture_of_products(n, rng),
        "dirichlet": dirichlet((2,) * n, rng),
        "dirichlet (mixed q)": dirichlet(tuple(2 + (i % 2) for i in range(n)), rng),
    }
    if 3**n <= 3_000:
        laws["repetition (q=3)"] = repetition(n, 3)
    q = _next_prime(n)
    if q**n <= 200_000:
        laws[f"reed-solomon (q={q}, d=2)"] = reed_solomon(n, q, 2)
    return laws


def _next_prime(n: int) -> int:
    q = n + 1
    while any(q % f == 0 for f in range(2, int(q**0.5) + 1)):
        q += 1
    return q


def _package_catalogue(n: int, rng: np.random.Generator) -> dict[str, mdm.Distribution]:
    by_name = mdm.families.by_name
    seed = lambda: int(rng.integers(2**31))  # noqa: E731
    laws = {
        "product": by_name("product", n, key=seed()),
        "repetition (q=2)": by_name("repetition", n),
        "parity": by_name("parity", n),
        "linear code (q=2, d=n/2)": by_name("linear_code", n, key=seed()),
        "noisy repetition": by_name("noisy_repetition", n, eta=0.1),
        "markov": by_name("markov", n, key=seed()),
        "ising chain": by_name("ising", n, coupling=0.5, field=0.1),
        "mixture of products": by_name("mixture", n, key=seed()),
        "dirichlet": by_name("dirichlet", n, key=seed(), alpha=0.5),
    }
    if n <= 8:  # 2^n x prod(q) marginal tables stay small for the enumeration
        laws["dirichlet (mixed q)"] = dirichlet(tuple(2 + (i % 2) for i in range(n)), rng)
    if 3**n <= 3_000:
        laws["repetition (q=3)"] = by_name("repetition", n, q=3)
    q = _next_prime(n)
    if q**n <= 200_000:
        laws[f"reed-solomon (q={q}, d=2)"] = by_name("reed_solomon", n, q=q, d=2)
    return laws
