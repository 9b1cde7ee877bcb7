"""Models with exact conditionals ``p(x_i | x_S)`` for any observed set ``S``.

Each is a pytree (arrays are leaves; ``n``, ``q`` are static) with ``sample``, ``conditional`` and
``marginal_entropies``, as :mod:`mdmjax.curves._monte_carlo` needs:

* :class:`HiddenMarkovModel` — forward–backward with evidence only on ``S``;
* :class:`TreeMRF` (and :func:`ising_tree`) — sum-product belief propagation on a tree with the
  positions in ``S`` clamped;
* :class:`MixtureOfProducts` — Bayes' rule over the components.

All are checked against dense enumeration in ``tests/test_large_n_monte_carlo.py``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.numerics import entropy
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_per_item, as_positive_int, as_stochastic

__all__ = ["HiddenMarkovModel", "TreeMRF", "ising_tree", "MixtureOfProducts", "tree_order"]


def _normalize(v: jax.Array) -> jax.Array:
    return v / jnp.sum(v, axis=-1, keepdims=True)


def _categorical(u: jax.Array, probs: jax.Array) -> jax.Array:
    """Inverse-CDF draw: the first value whose cumulative probability exceeds ``u`` in ``[0, 1)``.

    ``probs`` has the values on its last axis (broadcast against ``u``); a zero-probability value
    is never drawn (its cumulative sum equals its predecessor's).
    """
    cdf = jnp.cumsum(probs, axis=-1)
    cdf = jnp.broadcast_to(cdf / cdf[..., -1:], u.shape + cdf.shape[-1:])
    count = jnp.sum(cdf <= u[..., None], axis=-1)
    return jnp.minimum(count, probs.shape[-1] - 1).astype(jnp.int32)


# ------------------------------------------------------------------------------------------------
# Hidden Markov model
# ------------------------------------------------------------------------------------------------
@jax.tree_util.register_pytree_node_class
class HiddenMarkovModel:
    """``p(x) = sum_z mu(z_1) prod_t A[z_t, z_{t+1}] prod_t B[z_t, x_t]`` over ``n`` positions.

    Args:
      initial: ``(K,)`` law of the first hidden state.
      transition: ``(K, K)`` row-stochastic hidden transitions ``A``.
      emission: ``(K, q)`` row-stochastic emissions ``B``.
      n: number of observed positions.

    ``conditional`` runs normalized forward–backward with the emission likelihood on ``S`` only
    (``1`` elsewhere): ``p(z_i | x_S) ∝ alpha_i(z) beta_i(z)``, ``p(x_i | x_S) = p(z_i | x_S) B``.

    Examples:
      With identity emissions the tokens are a Markov chain: ``p(x_1 | x_0 = 1) = A[1]``, and
      ``p(x_1 = v | x_0 = 0, x_2 = 0) ∝ A[0, v] A[v, 0] = (0.81, 0.02)``:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> A = np.array([[0.9, 0.1], [0.2, 0.8]])
      >>> hmm = mdm.curves.HiddenMarkovModel([0.5, 0.5], A, np.eye(2), 3)
      >>> c = hmm.conditional(jnp.array([1, 0, 0]), jnp.array([True, False, False]), 1)
      >>> np.asarray(c).round(12).tolist()
      [0.2, 0.8]
      >>> c = hmm.conditional(jnp.array([0, 0, 0]), jnp.array([True, False, True]), 1)
      >>> bool(np.allclose(c, [0.81 / 0.83, 0.02 / 0.83]))
      True
    """

    @scoped_x64
    def __init__(self, initial, transition, emission, n: int, *, _validated: bool = False):
        if not _validated:
            n = as_positive_int(n, "n")
            initial = as_stochastic(initial, "initial", (1,), "the initial law")
            transition = as_stochastic(transition, "transition", (2,), "every transition row")
            emission = as_stochastic(emission, "emission", (2,), "every emission row")
            k = initial.shape[0]
            if transition.shape != (k, k):
                raise ValueError(f"transition: expected shape ({k}, {k}), got {transition.shape}")
            if emission.shape[0] != k:
                raise ValueError(
                    f"emission: expected {k} rows (hidden states), got {emission.shape}"
                )
            initial, transition, emission = (
                jnp.asarray(a) for a in (initial, transition, emission)
            )
        self.initial, self.transition, self.emission, self.n = initial, transition, emission, n

    @property
    @scoped_x64
    def q(self) -> int:
        return int(self.emission.shape[-1])

    @property
    @scoped_x64
    def states(self) -> int:
        return int(self.initial.shape[-1])

    def tree_flatten(self):
        return (self.initial, self.transition, self.emission), self.n

    @classmethod
    def tree_unflatten(cls, n, children):
        return cls(*children, n, _validated=True)

    @scoped_x64
    def sample(self, key, m: int) -> jax.Array:
        kz, kx = jax.random.split(key)
        uz = jax.random.uniform(kz, (self.n, m), dtype=jnp.float64)
        ux = jax.random.uniform(kx, (m, self.n), dtype=jnp.float64)
        z0 = _categorical(uz[0], self.initial)

        def step(z, u):
            nxt = _categorical(u, self.transition[z])
            return nxt, nxt

        _, zs = jax.lax.scan(step, z0, uz[1:])
        zs = jnp.concatenate([z0[None], zs], axis=0).T  # (m, n)
        return _categorical(ux, self.emission[zs])

    def _posteriors(self, x: jax.Array, mask: jax.Array) -> jax.Array:
        ev = jnp.where(mask[:, None], self.emission[:, x].T, 1.0)  # (n, K)
        a = self.transition

        def fwd(alpha, e):
            nxt = _normalize((alpha @ a) * e)
            return nxt, nxt

        first = _normalize(self.initial * ev[0])
        _, alphas = jax.lax.scan(fwd, first, ev[1:])
        alphas = jnp.concatenate([first[None], alphas], axis=0)

        def bwd(beta, e):
            nxt = _normalize(a @ (e * beta))
            return nxt, nxt

        last = jnp.ones_like(first) / first.shape[0]
        _, betas = jax.lax.scan(bwd, last, ev[1:], reverse=True)
        betas = jnp.concatenate([betas, last[None]], axis=0)
        return _normalize(alphas * betas)

    @scoped_x64
    def conditional(self, x: jax.Array, mask: jax.Array, i) -> jax.Array:
        return self._posteriors(x, mask)[i] @ self.emission

    @scoped_x64
    def marginal_entropies(self) -> jax.Array:
        mask = jnp.zeros(self.n, dtype=bool)
        x = jnp.zeros(self.n, dtype=jnp.int32)
        return entropy(self._posteriors(x, mask) @ self.emission)


# ------------------------------------------------------------------------------------------------
# Pairwise Markov random field on a tree
# ------------------------------------------------------------------------------------------------
@scoped_x64
def tree_order(n: int, edges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Root the tree with edges ``edges`` at node 0.

    Returns:
      ``(order, parent, edge_of)``: a breadth-first order (root first), ``parent[v]`` (``-1`` at
      the root) and ``edge_of[v]``, the row of ``edges`` joining ``v`` to its parent.

    Raises:
      ValueError: ``edges`` is not a spanning tree of ``0..n-1``.
    """
    e = np.asarray(edges)
    if e.size == 0:
        e = np.zeros((0, 2), dtype=np.int64)
    if e.ndim != 2 or e.shape[1] != 2 or e.dtype.kind not in "iu":
        raise ValueError(f"edges: expected an (n-1, 2) integer array, got {edges!r}")
    if e.shape[0] != n - 1:
        raise ValueError(f"edges: a tree on n = {n} nodes has {n - 1} edges, got {e.shape[0]}")
    if e.size and (e.min() < 0 or e.max() >= n):
        raise ValueError(f"edges: node indices must lie in 0..{n - 1}")
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for k, (a, b) in enumerate(e.tolist()):
        if a == b:
            raise ValueError(f"edges: self-loop ({a}, {b})")
        adj[a].append((b, k))
        adj[b].append((a, k))
    parent = np.full(n, -1, dtype=np.int64)
    edge_of = np.full(n, -1, dtype=np.int64)
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    order = [0]
    for v in order:  # breadth-first search over nodes
        for w, k in adj[v]:
            if not seen[w]:
                seen[w] = True
                parent[w], edge_of[w] = v, k
                order.append(w)
    if len(order) != n:
        raise ValueError("edges: the graph is not connected (not a spanning tree)")
    return np.asarray(order, dtype=np.int64), parent, edge_of


@jax.tree_util.register_pytree_node_class
class TreeMRF:
    """``p(x) ∝ prod_v phi_v(x_v) prod_{v != root} psi_v(x_{parent(v)}, x_v)`` on a tree.

    Args:
      log_unary: ``(n, q)`` log potentials ``log phi_v``.
      log_pairwise: ``(n, q, q)``; row ``v`` is ``log psi_v[x_parent, x_v]`` (ignored at the root).
      parent: ``(n,)`` parents, ``-1`` at the root (use :func:`tree_order` for an edge list).
      order: ``(n,)`` a breadth-first order (root first; every parent before its children).

    ``conditional`` runs sum-product with ``x_S`` clamped: an upward pass (leaves to root) and a
    downward pass that divides the sender's message out of the parent's belief. Messages are
    normalized; potentials are shifted by their maxima, so couplings up to ~300 nats are safe.
    Built for Ising models by :func:`ising_tree`.

    Examples:
      A star on 4 nodes (root 0, unit coupling, no field): a leaf agrees with the revealed root
      with probability ``σ(2J) = e/(e + 1/e)``, whatever the other leaves are:

      >>> import jax.numpy as jnp, math, numpy as np, mdmjax as mdm
      >>> m = mdm.curves.ising_tree(4, edges=[(0, 1), (0, 2), (0, 3)], coupling=1.0)
      >>> c = m.conditional(jnp.array([1, 0, 0, 0]), jnp.array([True, False, True, False]), 3)
      >>> bool(np.allclose(c, [1 - 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-2))]))
      True
      >>> bool(np.allclose(m.marginal_entropies(), math.log(2)))
      True
    """

    @scoped_x64
    def __init__(self, log_unary, log_pairwise, parent, order, *, _validated: bool = False):
        if not _validated:
            lu = np.asarray(log_unary, dtype=np.float64)
            lp = np.asarray(log_pairwise, dtype=np.float64)
            par, ordr = np.asarray(parent), np.asarray(order)
            if lu.ndim != 2 or lu.shape[0] < 1 or lu.shape[1] < 1:
                raise ValueError(f"log_unary: expected shape (n, q), got {lu.shape}")
            n, q = lu.shape
            if lp.shape != (n, q, q):
                raise ValueError(f"log_pairwise: expected shape ({n}, {q}, {q}), got {lp.shape}")
            if np.any(np.isnan(lu)) or np.any(lu == np.inf):
                raise ValueError("log_unary: entries must not be NaN or +inf")
            if np.any(np.isnan(lp)) or np.any(np.isinf(lp)):
                raise ValueError("log_pairwise: entries must be finite")
            if par.shape != (n,) or ordr.shape != (n,) or sorted(ordr.tolist()) != list(range(n)):
                raise ValueError("order: expected a permutation of 0..n-1 (see tree_order)")
            pos = np.empty(n, dtype=np.int64)
            pos[ordr] = np.arange(n)
            if par[ordr[0]] != -1 or any(
                par[v] < 0 or par[v] >= n or pos[par[v]] >= pos[v] for v in ordr[1:].tolist()
            ):
                raise ValueError(
                    "parent: the root must come first and every parent before its child"
                )
            log_unary, log_pairwise, parent, order = lu, lp, par, ordr
        self.log_unary = jnp.asarray(log_unary, dtype=jnp.float64)
        self.log_pairwise = jnp.asarray(log_pairwise, dtype=jnp.float64)
        self.parent = jnp.asarray(parent)
        self.order = jnp.asarray(order)

    @property
    @scoped_x64
    def n(self) -> int:
        return int(self.log_unary.shape[0])

    @property
    @scoped_x64
    def q(self) -> int:
        return int(self.log_unary.shape[1])

    def tree_flatten(self):
        return (self.log_unary, self.log_pairwise, self.parent, self.order), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children, _validated=True)

    def _potentials(self):
        phi = jnp.exp(self.log_unary - jnp.max(self.log_unary, axis=1, keepdims=True))
        lp = self.log_pairwise
        psi = jnp.exp(lp - jnp.max(lp, axis=(1, 2), keepdims=True))
        return phi, psi

    def _upward(self, local: jax.Array):
        """``local[v] * prod_children messages`` for every ``v``, and the upward messages."""
        _, psi = self._potentials()
        up = jnp.ones_like(local)

        def body(carry, v):
            belief, up = carry
            p = self.parent[v]
            msg = _normalize(psi[v] @ belief[v])  # sum_{x_v} psi_v[x_p, x_v] belief_v(x_v)
            belief = belief.at[p].set(_normalize(belief[p] * msg))
            return (belief, up.at[v].set(msg)), None

        (belief, up), _ = jax.lax.scan(body, (_normalize(local), up), self.order[1:][::-1])
        return belief, up

    def _marginals(self, local: jax.Array) -> jax.Array:
        _, psi = self._potentials()
        belief, up = self._upward(local)
        root = self.order[0]
        full = belief.at[root].set(_normalize(belief[root]))

        def body(full, v):
            p = self.parent[v]
            cavity = _normalize(full[p] / up[v])
            down = cavity @ psi[v]  # sum_{x_p} cavity(x_p) psi_v[x_p, x_v]
            return full.at[v].set(_normalize(belief[v] * down)), None

        full, _ = jax.lax.scan(body, full, self.order[1:])
        return full

    @scoped_x64
    def conditional(self, x: jax.Array, mask: jax.Array, i) -> jax.Array:
        phi, _ = self._potentials()
        clamp = jax.nn.one_hot(x, self.q, dtype=jnp.float64)
        local = jnp.where(mask[:, None], phi * clamp, phi)
        return self._marginals(local)[i]

    @scoped_x64
    def marginal_entropies(self) -> jax.Array:
        phi, _ = self._potentials()
        return entropy(self._marginals(phi))

    @scoped_x64
    def sample(self, key, m: int) -> jax.Array:
        phi, psi = self._potentials()
        belief, _ = self._upward(phi)
        root = self.order[0]
        u = jax.random.uniform(key, (self.n, m), dtype=jnp.float64)  # u[t] for node order[t]
        x = jnp.zeros((m, self.n), dtype=jnp.int32)
        x = x.at[:, root].set(_categorical(u[0], _normalize(belief[root])))

        def body(x, vu):
            v, uv = vu
            probs = _normalize(psi[v][x[:, self.parent[v]]] * belief[v][None, :])  # (m, q)
            return x.at[:, v].set(_categorical(uv, probs)), None

        x, _ = jax.lax.scan(body, x, (self.order[1:], u[1:]))
        return x


@scoped_x64
def ising_tree(n: int, edges=None, coupling=1.0, field=0.0) -> TreeMRF:
    """An Ising model on a tree, ``p(x) ∝ exp(sum_{ij in E} J_ij s_i s_j + sum_i h_i s_i)``.

    Spins ``s = 2x - 1``, ``x in {0, 1}``, as ``mdm.families.ising``. Without ``edges`` the tree
    is the chain ``(i, i+1)``.

    Args:
      n: number of nodes.
      edges: ``(n-1, 2)`` edges of a spanning tree (default: the chain).
      coupling: ``J``, a scalar or one value per edge (in ``edges`` order).
      field: ``h``, a scalar or one value per node.

    Returns:
      a :class:`TreeMRF`.

    Raises:
      ValueError: ``n``, ``edges`` not a spanning tree, ``coupling`` or ``field`` of the wrong
        length.

    Examples:
      On the chain with no field a revealed neighbour alone gives
      ``p(x_1 = 1 | x_0 = 1) = e^J / (e^J + e^-J) = σ(2J)``:

      >>> import jax.numpy as jnp, math, numpy as np, mdmjax as mdm
      >>> m = mdm.curves.ising_tree(3, coupling=0.5)
      >>> c = m.conditional(jnp.array([1, 0, 0]), jnp.array([True, False, False]), 1)
      >>> round(float(c[1]) - 1 / (1 + math.exp(-1.0)), 12)
      0.0
    """
    n = as_positive_int(n, "n")
    if edges is None:
        edges = np.stack([np.arange(n - 1), np.arange(1, n)], axis=1)
    order, parent, edge_of = tree_order(n, edges)
    j = as_per_item(coupling, n - 1, "coupling", "edge")
    h = as_per_item(field, n, "field", "node")
    s = np.array([-1.0, 1.0])
    unary = h[:, None] * s[None, :]
    jv = np.zeros(n)
    jv[edge_of >= 0] = j[edge_of[edge_of >= 0]]
    pairwise = jv[:, None, None] * s[None, :, None] * s[None, None, :]
    return TreeMRF(unary, pairwise, parent, order)


# ------------------------------------------------------------------------------------------------
# Mixture of products
# ------------------------------------------------------------------------------------------------
@jax.tree_util.register_pytree_node_class
class MixtureOfProducts:
    """``p(x) = sum_c w_c prod_i theta[c, i, x_i]`` (as ``mdm.families.mixture_of_products``).

    ``conditional``: ``p(c | x_S) ∝ w_c prod_{s in S} theta[c, s, x_s]`` (log space) and
    ``p(x_i | x_S) = sum_c p(c | x_S) theta[c, i, .]``.

    Args:
      weights: ``(C,)`` mixture weights.
      marginals: ``(C, n, q)`` per-component marginals ``theta``.

    Examples:
      Seeing ``x_0 = 0`` makes component 0 nine times likelier (``p(c | x_0) = (0.9, 0.1)``),
      so ``p(x_1 = 0 | x_0 = 0) = 0.9 · 0.9 + 0.1 · 0.1 = 0.82``:

      >>> import jax.numpy as jnp, numpy as np, mdmjax as mdm
      >>> m = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[0.9, 0.1]] * 3, [[0.1, 0.9]] * 3])
      >>> c = m.conditional(jnp.array([0, 0, 0]), jnp.array([True, False, False]), 1)
      >>> np.asarray(c).round(12).tolist(), (m.n, m.q)
      ([0.82, 0.18], (3, 2))
    """

    @scoped_x64
    def __init__(self, weights, marginals, *, _validated: bool = False):
        if not _validated:
            weights = jnp.asarray(as_stochastic(weights, "weights", (1,), "the mixture weights"))
            marginals = jnp.asarray(as_stochastic(marginals, "marginals", (3,), "every marginal"))
            if marginals.shape[0] != weights.shape[0]:
                raise ValueError(
                    f"marginals: has {marginals.shape[0]} components (axis 0) but weights has "
                    f"{weights.shape[0]}"
                )
        self.weights, self.marginals = weights, marginals

    @property
    @scoped_x64
    def n(self) -> int:
        return int(self.marginals.shape[1])

    @property
    @scoped_x64
    def q(self) -> int:
        return int(self.marginals.shape[2])

    @property
    @scoped_x64
    def states(self) -> int:
        return int(self.marginals.shape[0])

    def tree_flatten(self):
        return (self.weights, self.marginals), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children, _validated=True)

    @scoped_x64
    def sample(self, key, m: int) -> jax.Array:
        kc, kx = jax.random.split(key)
        c = _categorical(jax.random.uniform(kc, (m,), dtype=jnp.float64), self.weights)
        ux = jax.random.uniform(kx, (m, self.n), dtype=jnp.float64)
        return _categorical(ux, self.marginals[c])

    @scoped_x64
    def conditional(self, x: jax.Array, mask: jax.Array, i) -> jax.Array:
        theta = jnp.take_along_axis(self.marginals, x[None, :, None], axis=2)[:, :, 0]  # (C, n)
        logt = jnp.where(theta > 0, jnp.log(jnp.where(theta > 0, theta, 1.0)), -jnp.inf)
        w = self.weights
        logw = jnp.where(w > 0, jnp.log(jnp.where(w > 0, w, 1.0)), -jnp.inf)
        logpost = logw + jnp.sum(jnp.where(mask[None, :], logt, 0.0), axis=1)
        return jax.nn.softmax(logpost) @ self.marginals[:, i, :]

    @scoped_x64
    def marginal_entropies(self) -> jax.Array:
        return entropy(jnp.einsum("c,ciy->iy", self.weights, self.marginals))
