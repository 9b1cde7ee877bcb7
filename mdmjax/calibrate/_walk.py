"""A testbed whose truth is known exactly at any ``n``: a random walk on a regular graph.

The law: a fixed connected, non-bipartite, ``degree``-regular graph on ``nodes`` vertices (built
from a seed), a uniform start, then a uniformly random neighbour at each step. Its curve, entropy
and conditionals are exact at any length (the Markov route, docs/theory.md §9.1), and every row it
gives is a *valid* walk (each consecutive pair is an edge), so the share of invalid walks in a
sampler's output bounds that sampler's KL from below (data processing, docs/theory.md §8.9):

.. math:: -\\ln \\hat\\nu(\\text{valid}) \\le KL(p \\| \\hat\\nu) \\le E_B KL(p \\| \\hat\\nu_B)
          = \\sum_t s_t CE(N_{t-1}) - H(p).

For a regular graph with a uniform start the walk is stationary and reversible, and every valid
walk has the same probability ``1/nodes * degree^-(n-1)``: ``H = ln(nodes) + (n-1) ln(degree)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_level, as_positive_int
from mdmjax.curves import InformationCurve, markov_chain_curve

__all__ = [
    "WalkLaw",
    "ValidityCheck",
    "walk_law",
    "regular_graph",
    "clopper_pearson_upper",
    "WALK_NODES",
    "WALK_DEGREE",
    "WALK_N",
]

# The shipped testbed (walk_mdm() is trained on it): 32 nodes of degree 4, 128 positions.
WALK_NODES = 32
WALK_DEGREE = 4
WALK_N = 128
WALK_GRAPH_SEED = 0

# Attempts of the pairing construction before giving up (each succeeds with probability about
# exp(-(d^2 - 1)/4) for a simple graph, ~2 % at d = 4; connectivity is then almost certain).
_GRAPH_ATTEMPTS = 100_000


def _is_connected_non_bipartite(adj: np.ndarray) -> bool:
    g = adj.shape[0]
    colour = np.full(g, -1)
    colour[0] = 0
    frontier, bipartite = [0], True
    while frontier:
        nxt = []
        for u in frontier:
            for v in np.flatnonzero(adj[u]):
                if colour[v] < 0:
                    colour[v] = 1 - colour[u]
                    nxt.append(v)
                elif colour[v] == colour[u]:
                    bipartite = False
        frontier = nxt
    return bool(np.all(colour >= 0)) and not bipartite


@functools.cache
def _regular_graph(nodes: int, degree: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    for _ in range(_GRAPH_ATTEMPTS):
        stubs = rng.permutation(np.repeat(np.arange(nodes), degree)).reshape(-1, 2)
        a, b = stubs[:, 0], stubs[:, 1]
        if np.any(a == b):
            continue
        adj = np.zeros((nodes, nodes), dtype=np.int64)
        np.add.at(adj, (a, b), 1)
        np.add.at(adj, (b, a), 1)
        if adj.max() > 1 or not _is_connected_non_bipartite(adj):
            continue
        adj.setflags(write=False)
        return adj
    raise ValueError(
        f"degree: no simple connected non-bipartite {degree}-regular graph on {nodes} nodes "
        f"found in {_GRAPH_ATTEMPTS} attempts"
    )


def regular_graph(nodes: int = WALK_NODES, degree: int = WALK_DEGREE, seed: int = 0) -> np.ndarray:
    """A random simple, connected, non-bipartite ``degree``-regular graph, as a 0/1 matrix.

    The pairing (configuration) model with rejection: ``nodes * degree`` stubs are paired
    uniformly at random (NumPy generator seeded by ``seed``) until the result has no loop, no
    double edge, one component and an odd cycle. Deterministic in ``(nodes, degree, seed)``.

    Args:
      nodes: number of vertices (>= 3).
      degree: every vertex's degree (>= 2, < nodes, ``nodes * degree`` even).
      seed: the seed of the construction.

    Returns:
      int64 ``(nodes, nodes)`` symmetric adjacency matrix with zero diagonal.

    Examples:
      >>> import mdmjax as mdm
      >>> a = mdm.calibrate.regular_graph(8, 3, seed=1)
      >>> a.sum(axis=1).tolist()
      [3, 3, 3, 3, 3, 3, 3, 3]
    """
    nodes = as_positive_int(nodes, "nodes", minimum=3)
    degree = as_positive_int(degree, "degree", minimum=2)
    if degree >= nodes or (nodes * degree) % 2:
        raise ValueError(
            f"degree: a {degree}-regular graph on {nodes} nodes needs degree < nodes and "
            "nodes * degree even"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed!r}")
    return _regular_graph(nodes, degree, int(seed))


@dataclasses.dataclass(frozen=True, eq=False)
class WalkLaw:
    """A uniform-start random walk of ``n`` positions on a regular graph (:func:`walk_law`).

    Attributes:
      adjacency: int64 ``(G, G)`` 0/1 symmetric matrix.
      initial: float64 ``(G,)`` uniform law of the first node.
      transition: float64 ``(G, G)`` ``adjacency / degree``.
      n: number of positions.
      neighbours: int32 ``(G, degree)`` the neighbours of each node, ascending.

    Examples:
      Every valid walk has probability ``1/G · degree^-(n-1)``; a node is not its own
      neighbour, so staying put makes a walk invalid:

      >>> import math, numpy as np, mdmjax as mdm
      >>> law = mdm.calibrate.walk_law(n=4)
      >>> x = law.sample(0, 3)
      >>> law.nodes, law.degree, law.is_valid(x).tolist()
      (32, 4, [True, True, True])
      >>> bool(np.allclose(law.log_prob(x), -(math.log(32) + 3 * math.log(4))))
      True
      >>> x[:, 1] = x[:, 0]
      >>> law.is_valid(x).tolist(), law.log_prob(x).tolist()
      ([False, False, False], [-inf, -inf, -inf])
    """

    adjacency: np.ndarray
    initial: np.ndarray
    transition: np.ndarray
    n: int
    neighbours: np.ndarray

    @property
    def nodes(self) -> int:
        """``G``, the alphabet size (the mask value of a model of this law)."""
        return int(self.adjacency.shape[0])

    @property
    def degree(self) -> int:
        return int(self.neighbours.shape[1])

    @property
    def entropy(self) -> float:
        """Exact ``H(p) = ln G + (n - 1) ln degree`` (nats): every valid walk is equally likely."""
        return math.log(self.nodes) + (self.n - 1) * math.log(self.degree)

    @functools.cached_property
    def curve(self) -> InformationCurve:
        """The exact :class:`~mdmjax.InformationCurve` (Markov route, any ``n``)."""
        return markov_chain_curve(self.initial, self.transition, self.n)

    @scoped_x64
    def sample(self, key, rows: int) -> np.ndarray:
        """``rows`` exact draws, int64 ``(rows, n)``; same key, same rows."""
        rows = as_positive_int(rows, "rows")
        key = as_key(key)
        return np.array(_sample_walks(key, jnp.asarray(self.neighbours), rows, self.n))

    def is_valid(self, rows) -> np.ndarray:
        """bool ``(rows,)``: every value is a node and every consecutive pair is an edge."""
        x = _as_rows(rows, self.n, self.nodes)
        in_range = np.all((x >= 0) & (x < self.nodes), axis=1)
        xc = np.clip(x, 0, self.nodes - 1)
        edges = self.adjacency[xc[:, :-1], xc[:, 1:]] == 1
        return in_range & np.all(edges, axis=1)

    def log_prob(self, rows) -> np.ndarray:
        """Exact float64 ``log p(x)`` per row (``-inf`` for an invalid walk)."""
        x = _as_rows(rows, self.n, self.nodes)
        valid = self.is_valid(x)
        return np.where(valid, -self.entropy, -np.inf)

    def kl_lower_bound(self, samples, level: float = 0.95) -> ValidityCheck:
        """What a sampler's output says about its KL from this law: the invalid-walk rate.

        ``p`` puts all its mass on valid walks, so for the sampler's output law ``nu``
        (data processing, docs/theory.md §8.9)
        ``KL(p || nu) >= -ln nu(valid) >= -ln U``, where ``U`` is the one-sided exact
        (Clopper–Pearson) upper confidence bound on ``nu(valid)`` at ``level`` from the samples.

        Args:
          samples: int ``(S, n)`` rows drawn from the sampler.
          level: confidence level of the bound.

        Returns:
          a :class:`ValidityCheck`.

        Examples:
          >>> import mdmjax as mdm
          >>> law = mdm.calibrate.walk_law(n=8)
          >>> chk = law.kl_lower_bound(law.sample(0, 100))
          >>> chk.invalid_rate, chk.lower_bound
          (0.0, 0.0)
        """
        lvl = as_level(level)
        valid = self.is_valid(samples)
        total, count = int(valid.size), int(valid.sum())
        upper = clopper_pearson_upper(count, total, lvl)
        return ValidityCheck(
            num_samples=total,
            valid=count,
            valid_upper=upper,
            lower_bound=0.0 - math.log(upper) if upper > 0 else math.inf,  # 0.0 - 0.0, not -0.0
            level=lvl,
        )

    def model(self):
        """The law's exact conditionals as a traceable model
        (:func:`mdmjax.calibrate.markov_chain_model`): the Bayes-optimal MDM, ``CE = g``."""
        from mdmjax.models import markov_chain_model

        return markov_chain_model(self.initial, self.transition, self.n)


@dataclasses.dataclass(frozen=True)
class ValidityCheck:
    """The invalid-walk rate of ``num_samples`` sampler outputs and the KL bound it gives.

    Attributes:
      num_samples: rows checked.
      valid: rows that are valid walks.
      valid_upper: one-sided ``level`` Clopper–Pearson upper bound on the valid probability.
      lower_bound: ``-ln(valid_upper)`` nats, a ``level``-confidence lower bound on
        ``KL(p || nu)`` (``inf`` if ``valid_upper`` is 0, which cannot happen for ``level < 1``).
      level: the confidence level.

    Examples:
      No valid walk in 20 draws: the upper bound solves ``(1 - u)^20 = 0.05``, so the bound on
      the KL is ``-ln(1 - 0.05^(1/20))``:

      >>> import math, mdmjax as mdm
      >>> law = mdm.calibrate.walk_law(n=4)
      >>> x = law.sample(0, 20)
      >>> x[:, 1] = x[:, 0]  # a node is not its own neighbour
      >>> chk = law.kl_lower_bound(x, level=0.95)
      >>> chk.num_samples, chk.valid, chk.invalid_rate
      (20, 0, 1.0)
      >>> abs(chk.lower_bound + math.log(1 - 0.05 ** (1 / 20))) < 1e-9
      True
    """

    num_samples: int
    valid: int
    valid_upper: float
    lower_bound: float
    level: float

    @property
    def valid_rate(self) -> float:
        return self.valid / self.num_samples

    @property
    def invalid_rate(self) -> float:
        return 1.0 - self.valid_rate


def _log_binomial_cdf(k: int, total: int, p: float) -> float:
    """``log P(Bin(total, p) <= k)`` by a log-sum-exp of the probabilities (exact, float64)."""
    j = np.arange(k + 1, dtype=np.float64)
    lg = np.vectorize(math.lgamma)
    logpmf = (
        math.lgamma(total + 1)
        - lg(j + 1)
        - lg(total - j + 1)
        + j * math.log(p)
        + (total - j) * math.log1p(-p)
    )
    top = float(np.max(logpmf))
    return top + math.log(float(np.sum(np.exp(logpmf - top))))


def clopper_pearson_upper(successes: int, trials: int, level: float = 0.95) -> float:
    """The one-sided exact upper confidence bound on a binomial probability.

    The largest ``u`` with ``P(Bin(trials, u) <= successes) >= 1 - level`` (Clopper–Pearson),
    by bisection on the exact binomial distribution function; 1 when ``successes == trials``.

    Args:
      successes: observed successes, ``0 <= successes <= trials``.
      trials: number of trials, ``>= 1``.
      level: one-sided confidence level in (0, 1).

    Returns:
      the bound, a float in (0, 1].

    Examples:
      >>> from mdmjax.calibrate import clopper_pearson_upper
      >>> round(clopper_pearson_upper(0, 100, 0.95), 6)  # 1 - 0.05 ** (1 / 100)
      0.029513
    """
    trials = as_positive_int(trials, "trials")
    successes = as_positive_int(successes, "successes", minimum=0)
    if successes > trials:
        raise ValueError(f"successes: {successes} exceeds trials = {trials}")
    lvl = as_level(level)
    if successes == trials:
        return 1.0
    target = math.log1p(-lvl)
    lo, hi = successes / trials, 1.0
    for _ in range(200):  # bisection to float64 resolution
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if _log_binomial_cdf(successes, trials, mid) >= target:
            lo = mid
        else:
            hi = mid
    return lo


def _as_rows(rows, n: int, nodes: int) -> np.ndarray:
    x = np.asarray(rows)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != n:
        raise ValueError(f"rows: expected an int array (rows, {n}), got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"rows: expected integers (node ids 0..{nodes - 1}), got {x.dtype}")
    return x.astype(np.int64)


@functools.partial(jax.jit, static_argnums=(2, 3))
def _sample_walks(key, neighbours, rows: int, n: int):
    k0, k1 = jax.random.split(key)
    nodes, degree = neighbours.shape
    start = jax.random.randint(k0, (rows,), 0, nodes, dtype=jnp.int32)
    choices = jax.random.randint(k1, (n - 1, rows), 0, degree, dtype=jnp.int32)

    def step(x, c):
        nxt = neighbours[x, c]
        return nxt, nxt

    _, rest = jax.lax.scan(step, start, choices)
    return jnp.concatenate([start[:, None], rest.T], axis=1).astype(jnp.int64)


def walk_law(
    n: int = WALK_N, nodes: int = WALK_NODES, degree: int = WALK_DEGREE, seed: int = WALK_GRAPH_SEED
) -> WalkLaw:
    """The random-walk testbed: uniform start, then a uniform neighbour, ``n`` positions.

    The defaults are the law the shipped transformer :func:`mdmjax.calibrate.walk_mdm` was
    trained on. ``.curve`` is exact at any ``n``; ``.entropy`` is
    ``ln(nodes) + (n - 1) ln(degree)``; ``.sample(key, rows)`` gives exact rows;
    ``.is_valid(rows)`` checks every consecutive pair against the graph (docs/theory.md §8.9).

    Args:
      n: number of positions (>= 2).
      nodes: vertices of the graph (the alphabet size).
      degree: the graph's degree.
      seed: the graph's construction seed (:func:`regular_graph`).

    Returns:
      a :class:`WalkLaw`.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> law = mdm.calibrate.walk_law(n=16)
      >>> x = law.sample(0, 5)
      >>> bool(law.is_valid(x).all()), x.shape
      (True, (5, 16))
      >>> bool(np.isclose(law.curve.hbar[-1], law.entropy))
      True
    """
    n = as_positive_int(n, "n", minimum=2)
    adj = regular_graph(nodes, degree, seed)
    g = adj.shape[0]
    neighbours = np.stack([np.flatnonzero(row) for row in adj]).astype(np.int32)
    initial = np.full(g, 1.0 / g)
    transition = adj / float(degree)
    for arr in (initial, transition, neighbours):
        arr.setflags(write=False)
    return WalkLaw(adj, initial, transition, n, neighbours)
