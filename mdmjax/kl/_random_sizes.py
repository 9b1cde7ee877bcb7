"""Random-size schedules: the step sizes are random, the expected KL is exact.

A random-size schedule is a Markov chain on the revealed count ``N_0 = 0 -> N_1 -> .. -> N_T = n``
with per-step kernels ``K_t[m, m'] = P(N_t = m' | N_{t-1} = m)`` (zero for ``m' < m``). The
positions revealed at a step are a uniformly random subset of the masked ones, as in MDLM/MD4
ancestral sampling, so given the sizes the expected KL is Theorem 4 (Chen–Cong–Li 2026), and over
the sizes it is the average of Theorem 4 (Zhao–Cai 2026; docs/theory.md §4):

.. math::

   E\\,KL = \\sum_{t=1}^{T} \\sum_{m \\le m'} P(N_{t-1} = m)\\, K_t[m, m']\\, c(m, m'),
   \\qquad c(m, m') = \\sum_{j=m+1}^{m'} (Z_j - Z_{m+1}),

with ``c(m, m) = 0``: a step that reveals nothing costs nothing. It is computed exactly by a
forward DP over the revealed count (``lax.scan`` over steps, ``O(T n^2)``), not by sampling.

For :func:`binomial` schedules there is a faster exact route, ``O(T n)``. Since
``c(m, m') = G(m') - G(m) - (m' - m) Z_{m+1}`` with ``G(j) = Z_1 + .. + Z_j``, the ``G`` terms
telescope to ``G(n)``, and ``E[N_t - N_{t-1} | N_{t-1}] = p_t (n - N_{t-1})``; each token's
reveal step is independent of the others, so ``N_t ~ Binomial(n, P_t)`` with
``P_t = 1 - prod_{u <= t} (1 - p_u)``. Hence

.. math:: E\\,KL = G(n) - \\sum_{t=1}^{T} p_t\\, E\\big[(n - N_{t-1})\\, Z_{N_{t-1}+1}\\big],

a sum over the marginal laws of the revealed count. Tests check both routes against brute-force
enumeration of every size outcome.

**Step-count convention.** The expected KL does not depend on how steps are counted. The number
of oracle calls does: a sampler that calls the model at every one of the ``T`` grid steps spends
``T`` (the *nominal* count, what MDLM/MD4 report, and the ``steps`` attribute here); one that
skips steps revealing nothing spends the number of non-empty steps, a random variable whose exact
law :meth:`nonempty_steps_pmf` gives. The headline comparison with a deterministic ``k``-step
schedule uses the nominal ``T``; ``RandomScheduleKL.expected_nonempty_steps`` is the other
convention.

Constructors: :func:`binomial` (each masked token revealed independently at step ``t`` with
probability ``reveal_probs[t]``), :func:`ancestral` (MDLM/MD4, in their own float32 arithmetic,
with the final argmax call as a step), :func:`dream_origin` (Dream ``alg='origin'``), and
:class:`KernelSchedule` (any per-step kernel).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from mdmjax._src.float32 import F32 as _F32
from mdmjax._src.float32 import cos32 as _cos32
from mdmjax._src.float32 import linspace32 as _linspace32
from mdmjax._src.memory import check_allocation, check_step_count
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import MASS_TOLERANCE
from mdmjax._src.validate import as_choice, as_nonnegative_float, as_positive_int
from mdmjax.curves import as_curve
from mdmjax.kl._theorem4 import block_cost_matrix

__all__ = [
    "RandomScheduleKL",
    "BinomialSchedule",
    "KernelSchedule",
    "binomial",
    "ancestral",
    "dream_origin",
    "ALPHAS",
    "ANCESTRAL_GRIDS",
    "binomial_kernel",
    "binomial_expected_kl",
]

ALPHAS = ("loglinear", "linear", "cosine", "poly")


# ------------------------------------------------------------------------------------------------
# Kernels and the exact DP (pure, jittable, differentiable in the reveal probabilities)
# ------------------------------------------------------------------------------------------------


def _log_binomial_table(n: int) -> np.ndarray:
    """``L[m, m'] = log C(n - m, m' - m)`` for ``m <= m'``, 0 elsewhere (masked later)."""
    m = np.arange(n + 1)[:, None]
    s = np.arange(n + 1)[None, :] - m
    r = n - m
    valid = s >= 0
    s0 = np.where(valid, s, 0).astype(np.float64)
    out = gammaln(r + 1.0) - gammaln(s0 + 1) - gammaln(np.where(valid, r - s, 0) + 1.0)
    return np.where(valid, np.asarray(out), 0.0)


@scoped_x64
def binomial_kernel(p: jax.Array, log_binom: jax.Array) -> jax.Array:
    """``K[m, m'] = Binomial(n - m, p)(m' - m)``: each masked token revealed with probability p.

    Args:
      p: the reveal probability, a scalar in ``[0, 1]`` (``p = 1`` reveals everything).
      log_binom: ``(n+1, n+1)`` table ``log C(n - m, m' - m)`` (see ``_log_binomial_table``).

    Differentiable in ``p`` on ``(0, 1)``; the endpoints are handled exactly by ``where``.
    """
    n = log_binom.shape[0] - 1
    m = jnp.arange(n + 1)[:, None]
    mp = jnp.arange(n + 1)[None, :]
    s = mp - m
    valid = s >= 0
    inside = (p > 0) & (p < 1)
    p_safe = jnp.where(inside, p, 0.5)
    fs, fn = s.astype(log_binom.dtype), (n - mp).astype(log_binom.dtype)
    log_pmf = log_binom + fs * jnp.log(p_safe) + fn * jnp.log1p(-p_safe)
    interior = jnp.where(valid, jnp.exp(jnp.where(valid, log_pmf, 0.0)), 0.0)
    everything = jnp.where(mp == n, 1.0, 0.0).astype(interior.dtype) * jnp.ones_like(interior)
    nothing = jnp.where(s == 0, 1.0, 0.0).astype(interior.dtype) * jnp.ones_like(interior)
    return jnp.where(inside, interior, jnp.where(p >= 1, everything, nothing))


def _matrix_kernel(kernel, aux):
    del aux
    return kernel


def _binomial_step(p, aux):
    return binomial_kernel(p, aux)


_KERNEL_FNS = {"binomial": _binomial_step, "matrix": _matrix_kernel}


def _dp_expected_kl(z, xs, aux, kind):
    """Exact ``E KL`` and the final law of ``N_T`` by a forward scan over steps."""
    kernel_fn = _KERNEL_FNS[kind]
    cost = block_cost_matrix(z, fill=0.0)
    n = z.shape[0]
    pi0 = jnp.zeros(n + 1).at[0].set(1.0)

    @jax.checkpoint  # keep only the (n+1,) carry per step for reverse mode, not the kernels
    def step(pi, x):
        kernel = kernel_fn(x, aux)
        return pi @ kernel, pi @ jnp.sum(kernel * cost, axis=1)

    pi, costs = jax.lax.scan(step, pi0, xs)
    return jnp.sum(costs), pi


_dp_expected_kl_jit = jax.jit(_dp_expected_kl, static_argnames=("kind",))
_dp_expected_kl_batch = jax.jit(
    jax.vmap(_dp_expected_kl, in_axes=(0, None, None, None)), static_argnames=("kind",)
)


def _binomial_marginals(n: int, reveal_probs: jax.Array) -> jax.Array:
    """``(T+1, n+1)``: row ``t`` is the law of ``N_t``, ``Binomial(n, 1 - prod_{u<=t} (1-p_u))``."""
    below = reveal_probs < 1  # double where: no inf or NaN in the gradient at p = 1
    log_stay = jnp.where(below, jnp.log1p(-jnp.where(below, reveal_probs, 0.0)), -jnp.inf)
    log_keep = jnp.concatenate([jnp.zeros(1, log_stay.dtype), jnp.cumsum(log_stay)])
    done = jnp.concatenate([jnp.zeros(1, bool), jnp.cumsum(reveal_probs >= 1) > 0])
    m = jnp.arange(n + 1, dtype=reveal_probs.dtype)
    log_coef = gammaln(n + 1.0) - gammaln(m + 1) - gammaln(n - m + 1)
    # log P_t = log(1 - keep) = log(-expm1(log_keep)); guarded at P_t = 0 (t = 0) and P_t = 1.
    some = (log_keep < 0) & ~done
    safe_keep = jnp.where(some, log_keep, -1.0)
    log_reveal = jnp.log(-jnp.expm1(safe_keep))
    log_pmf = (
        log_coef[None, :] + m[None, :] * log_reveal[:, None] + (n - m)[None, :] * safe_keep[:, None]
    )
    start = (m == 0).astype(reveal_probs.dtype)
    end = (m == n).astype(reveal_probs.dtype)
    return jnp.where(
        some[:, None], jnp.exp(log_pmf), jnp.where(done[:, None], end[None, :], start[None, :])
    )


@scoped_x64
def binomial_expected_kl(z: jax.Array, reveal_probs: jax.Array) -> jax.Array:
    """Exact expected KL of a :func:`binomial` schedule in ``O(T n)``: pure and differentiable.

    .. math:: E\\,KL = G(n) - \\sum_t p_t\\, E[(n - N_{t-1}) Z_{N_{t-1}+1}], \\qquad
              N_{t-1} \\sim \\mathrm{Binomial}(n, 1 - \\textstyle\\prod_{u<t} (1 - p_u))

    (module docstring). Agrees with the ``O(T n^2)`` kernel DP and with enumeration.

    Args:
      z: ``(n,)`` information curve (``z[j-1] = Z_j``).
      reveal_probs: ``(T,)`` reveal probabilities (last entry 1).

    Returns:
      the expected KL in nats (a scalar array); differentiable in ``reveal_probs`` on ``(0, 1)``.
    """
    n = z.shape[0]
    marg = _binomial_marginals(n, reveal_probs)[:-1]  # laws of N_0 .. N_{T-1}
    weight = (n - jnp.arange(n + 1, dtype=z.dtype)) * jnp.concatenate([z, z[-1:]])
    gain = marg @ weight
    # the sum is a mean of Z values, below G(n); clip float noise so the result is never < 0
    return jnp.maximum(jnp.sum(z) - jnp.sum(reveal_probs * gain), 0.0)


_binomial_expected_kl_jit = jax.jit(binomial_expected_kl)
_binomial_expected_kl_batch = jax.jit(jax.vmap(binomial_expected_kl, in_axes=(0, None)))


@functools.partial(jax.jit, static_argnames=("kind", "size"))
def _revealed_pmf(xs, aux, kind, size):
    kernel_fn = _KERNEL_FNS[kind]
    pi0 = jnp.zeros(size).at[0].set(1.0)

    def step(pi, x):
        new = pi @ kernel_fn(x, aux)
        return new, new

    _, pis = jax.lax.scan(step, pi0, xs)
    return jnp.concatenate([pi0[None, :], pis], axis=0)


@functools.partial(jax.jit, static_argnames=("kind", "size"))
def _nonempty_pmf(xs, aux, kind, size):
    """Joint law of (revealed count, non-empty steps so far), scanned over steps."""
    kernel_fn = _KERNEL_FNS[kind]
    steps = jax.tree_util.tree_leaves(xs)[0].shape[0]
    joint0 = jnp.zeros((size, steps + 1)).at[0, 0].set(1.0)

    def step(joint, x):
        kernel = kernel_fn(x, aux)
        stay = jnp.diagonal(kernel)
        moved = (kernel - jnp.diag(stay)).T @ joint  # arrivals from m < m', one more step
        shifted = jnp.concatenate([jnp.zeros((size, 1)), moved[:, :-1]], axis=1)
        return stay[:, None] * joint + shifted, None

    joint, _ = jax.lax.scan(step, joint0, xs)
    return jnp.sum(joint, axis=0)


@functools.partial(jax.jit, static_argnames=("kind",))
def _all_kernels(xs, aux, kind):
    return jax.vmap(lambda x: _KERNEL_FNS[kind](x, aux))(xs)


# ------------------------------------------------------------------------------------------------
# The result type
# ------------------------------------------------------------------------------------------------
class RandomScheduleKL(float):
    """The exact expected KL of a random-size schedule: a ``float`` with the step-count law.

    The float value (the headline number) is ``E KL`` in nats, averaged over the random sizes; it
    is the same whichever way steps are counted, since an empty step costs nothing.

    Attributes:
      steps: the nominal number of steps ``T`` (oracle calls when every grid step calls the model).
      nonempty_steps_pmf: ``(T+1,)`` array, ``P(number of non-empty steps = c)`` (computed on
        first access by the ``O(T^2 n^2)`` DP of :meth:`BinomialSchedule.nonempty_steps_pmf`).
      expected_nonempty_steps: the mean of that law (oracle calls when empty steps are skipped).
    """

    def __new__(cls, value: float, schedule: _RandomSizeSchedule):
        obj = super().__new__(cls, value)
        obj.steps = int(schedule.steps)
        obj._schedule = schedule
        obj._pmf = None
        return obj

    @property
    @scoped_x64
    def nonempty_steps_pmf(self) -> np.ndarray:
        if self._pmf is None:
            self._pmf = self._schedule.nonempty_steps_pmf()
        return self._pmf

    @property
    @scoped_x64
    def expected_nonempty_steps(self) -> float:
        pmf = self.nonempty_steps_pmf
        return float(np.dot(np.arange(pmf.size), pmf))

    @property
    @scoped_x64
    def expected_calls(self) -> float:
        """Expected model calls as the upstream sampler counts them.

        ``steps`` unless the schedule skips calls (MDLM's cached sampler:
        :attr:`BinomialSchedule.expected_calls`).
        """
        return float(getattr(self._schedule, "expected_calls", self.steps))

    def __repr__(self) -> str:
        return f"RandomScheduleKL({float(self)!r}, steps={self.steps})"


# ------------------------------------------------------------------------------------------------
# Schedules
# ------------------------------------------------------------------------------------------------
class _RandomSizeSchedule:
    """Shared machinery: subclasses set ``n``, ``steps``, ``_kind``, ``_xs`` and ``_aux``."""

    n: int
    steps: int
    _kind: str

    def _xs(self):
        raise NotImplementedError

    def _aux(self):
        raise NotImplementedError

    @scoped_x64
    def expected_kl(self, curve) -> RandomScheduleKL | np.ndarray:
        """Exact expected KL (average of Theorem 4 over the random sizes), not sampled.

        By the ``O(T n^2)`` kernel DP, or for binomial schedules by the ``O(T n)`` marginal form
        (module docstring).

        This is the hook :func:`mdmjax.expected_kl` calls, so ``mdm.expected_kl(curve, self)``
        gives the same. A batch of curves (``z`` of shape ``(B, n)``) gives a ``(B,)`` array.
        """
        curve = as_curve(curve, allow_batch=True)
        z = jnp.asarray(curve.z, dtype=jnp.float64)
        if z.shape[-1] != self.n:
            raise ValueError(f"curve: has n = {z.shape[-1]}, but the schedule has n = {self.n}")
        if z.ndim == 2:
            return np.asarray(self._kl_batch(z))
        return RandomScheduleKL(float(self._kl(z)), self)

    def _kl(self, z):
        return _dp_expected_kl_jit(z, self._xs(), self._aux(), self._kind)[0]

    def _kl_batch(self, z):
        return _dp_expected_kl_batch(z, self._xs(), self._aux(), self._kind)[0]

    @scoped_x64
    def revealed_pmf(self) -> np.ndarray:
        """``(T+1, n+1)`` array: row ``t`` is the law of ``N_t``, the count revealed by step t."""
        return np.asarray(_revealed_pmf(self._xs(), self._aux(), self._kind, self.n + 1))

    @scoped_x64
    def expected_sizes(self) -> np.ndarray:
        """``(T,)`` array of ``E s_t = E N_t - E N_{t-1}``."""
        mean = self.revealed_pmf() @ np.arange(self.n + 1)
        return np.diff(mean)

    @scoped_x64
    def nonempty_steps_pmf(self) -> np.ndarray:
        """``(T+1,)`` exact law of the number of steps that reveal at least one position."""
        return np.asarray(_nonempty_pmf(self._xs(), self._aux(), self._kind, self.n + 1))

    @scoped_x64
    def kernels(self) -> np.ndarray:
        """The ``(T, n+1, n+1)`` per-step kernels ``K_t[m, m']`` as one array."""
        check_allocation(
            self.steps * (self.n + 1) ** 2 * 8, f"{self.steps} kernels of size (n+1)^2"
        )
        return np.asarray(_all_kernels(self._xs(), self._aux(), self._kind))

    @scoped_x64
    def sample(self, key, num_samples: int) -> np.ndarray:
        """``(num_samples, T)`` random step sizes (zeros included), drawn from the chain."""
        num = as_positive_int(num_samples, "num_samples")
        fn = _KERNEL_FNS[self._kind]
        aux = self._aux()

        def step(counts, xs):
            x, k = xs
            logk = jnp.log(fn(x, aux)[counts])  # (num, n+1)
            new = jax.random.categorical(k, logk, axis=-1)
            return new, new - counts

        keys = jax.random.split(key, self.steps)
        _, sizes = jax.lax.scan(step, jnp.zeros(num, dtype=jnp.int64), (self._xs(), keys))
        return np.asarray(sizes.T)


class BinomialSchedule(_RandomSizeSchedule):
    """Each still-masked token is revealed at step ``t`` independently with ``reveal_probs[t]``.

    Given ``M`` masked tokens the size of step ``t`` is ``Binomial(M, reveal_probs[t])``; the last
    probability is 1 so every token is revealed after ``T`` steps. Build with :func:`binomial` or
    :func:`ancestral`.
    """

    _kind = "binomial"

    @scoped_x64
    def __init__(self, n: int, reveal_probs, *, calls: str = "every", final_call: bool = False):
        self.n = as_positive_int(n, "n")
        if calls not in ("every", "cached"):
            raise ValueError(f"calls: expected 'every' or 'cached', got {calls!r}")
        self.calls = calls
        self.final_call = bool(final_call)
        probs = np.array(reveal_probs, dtype=np.float64)  # a copy: the last entry is set below
        if probs.ndim != 1 or probs.size == 0:
            raise ValueError(
                f"reveal_probs: expected a non-empty 1-D array, got shape {probs.shape}"
            )
        if not np.all(np.isfinite(probs)) or np.any(probs < 0) or np.any(probs > 1):
            raise ValueError(f"reveal_probs: every entry must be in [0, 1], got {probs.tolist()}")
        if abs(probs[-1] - 1) > 1e-12:
            raise ValueError(
                f"reveal_probs: the last entry must be 1 (reveal the rest), got {probs[-1]!r}"
            )
        probs[-1] = 1.0
        self.reveal_probs = probs
        self.steps = int(probs.size)
        self._log_binom = None

    def _xs(self):
        return jnp.asarray(self.reveal_probs)

    @property
    @scoped_x64
    def expected_calls(self) -> float:
        """Expected model calls, as the upstream sampler counts them.

        ``calls="every"``: one per step, ``T``. ``calls="cached"`` (MDLM's ``ddpm_cache``): step 0
        calls the model, step ``j >= 1`` only if step ``j - 1`` revealed something, and with
        ``final_call`` the last step (the noise-removal argmax) always calls it. A token is
        revealed at step ``i`` with probability ``q_i = p_i prod_{u<i} (1 - p_u)``, independently
        of the others, so step ``i`` is non-empty with probability ``1 - (1 - q_i)^n``.
        """
        if self.calls == "every":
            return float(self.steps)
        p = self.reveal_probs
        alive = np.concatenate([[1.0], np.cumprod(1 - p)[:-1]])
        nonempty = 1 - (1 - alive * p) ** self.n
        if self.final_call and self.steps > 1:
            return 1.0 + float(nonempty[: self.steps - 2].sum()) + 1.0
        return 1.0 + float(nonempty[: self.steps - 1].sum())

    def _kl(self, z):
        return _binomial_expected_kl_jit(z, self._xs())

    def _kl_batch(self, z):
        return _binomial_expected_kl_batch(z, self._xs())

    @scoped_x64
    def revealed_pmf(self) -> np.ndarray:
        """``(T+1, n+1)``: row ``t`` is the law of ``N_t``, ``Binomial(n, 1 - prod (1 - p_u))``."""
        return np.asarray(_binomial_marginals(self.n, self._xs()))

    def _aux(self):
        if self._log_binom is None:
            check_allocation((self.n + 1) ** 2 * 8 * 4, "the (n+1)^2 binomial kernel", argument="n")
            self._log_binom = jnp.asarray(_log_binomial_table(self.n))
        return self._log_binom

    def __repr__(self) -> str:
        return f"BinomialSchedule(n={self.n}, steps={self.steps}, calls={self.calls!r})"


class KernelSchedule(_RandomSizeSchedule):
    """A random-size schedule given by any per-step kernel on the revealed count.

    Args:
      kernels: ``(T, n+1, n+1)`` array, ``kernels[t, m, m'] = P(N_{t+1} = m' | N_t = m)``. Rows are
        probability vectors (within 1e-9), nothing moves backwards (``m' < m`` has probability
        0), and the chain started at 0 must reach ``n`` after ``T`` steps with probability 1.

    Raises:
      ValueError: any of the above fails.
    """

    _kind = "matrix"

    @scoped_x64
    def __init__(self, kernels):
        arr = np.asarray(kernels, dtype=np.float64)
        if arr.ndim != 3 or arr.shape[1] != arr.shape[2] or arr.shape[0] == 0 or arr.shape[1] < 2:
            raise ValueError(
                f"kernels: expected shape (T, n+1, n+1) with T >= 1, n >= 1, got {arr.shape}"
            )
        if not np.all(np.isfinite(arr)) or np.any(arr < -1e-12):
            raise ValueError("kernels: entries must be finite and >= 0")
        if np.any(np.abs(arr.sum(axis=2) - 1) > MASS_TOLERANCE):
            raise ValueError("kernels: every row must sum to 1 (within 1e-9)")
        if np.any(np.tril(arr, k=-1) > 1e-12):
            raise ValueError(
                "kernels: the revealed count cannot decrease (K[m, m'] = 0 for m' < m)"
            )
        self.n = arr.shape[1] - 1
        self.steps = arr.shape[0]
        self._kernels = jnp.asarray(np.clip(arr, 0, None))
        final = self.revealed_pmf()[-1]
        if abs(final[-1] - 1) > MASS_TOLERANCE:
            raise ValueError(
                f"kernels: after T = {self.steps} steps only {final[-1]:.6g} of the mass has "
                f"revealed all n = {self.n} positions; the last kernel must reveal the rest"
            )

    @classmethod
    @scoped_x64
    def from_size_probs(cls, n: int, size_probs) -> KernelSchedule:
        """Per-step categorical laws over block sizes, truncated at the masked count.

        ``size_probs[t, s]`` is the probability that step ``t`` reveals ``s`` positions; a size of
        ``n - m`` or more, when ``m`` are revealed, reveals the rest.

        Args:
          n: number of positions.
          size_probs: ``(T, n+1)`` rows of probabilities.
        """
        n = as_positive_int(n, "n")
        w = np.asarray(size_probs, dtype=np.float64)
        if w.ndim != 2 or w.shape[1] != n + 1:
            raise ValueError(f"size_probs: expected shape (T, {n + 1}), got {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or np.any(np.abs(w.sum(1) - 1) > 1e-9):
            raise ValueError("size_probs: rows must be probability vectors")
        check_allocation(w.shape[0] * (n + 1) ** 2 * 8, "the kernels", argument="size_probs")
        kernels = np.zeros((w.shape[0], n + 1, n + 1))
        for m in range(n + 1):  # a loop over positions, vectorized over steps
            kernels[:, m, m:n] = w[:, : n - m]
            kernels[:, m, n] = w[:, n - m :].sum(axis=1)
        return cls(kernels)

    def _xs(self):
        return self._kernels

    def _aux(self):
        return None

    def __repr__(self) -> str:
        return f"KernelSchedule(n={self.n}, steps={self.steps})"


@scoped_x64
def binomial(n: int, reveal_probs) -> BinomialSchedule:
    """A random-size schedule: each masked token is revealed at step t with ``reveal_probs[t]``.

    Zhao–Cai (2026) randomized step sizes; MDLM/MD4 ancestral sampling is the case of
    :func:`ancestral`. ``mdm.expected_kl(curve, binomial(n, p))`` is exact (see module docs).

    Args:
      n: number of positions.
      reveal_probs: ``(T,)`` probabilities in ``[0, 1]``; the last must be 1.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0]))
      >>> kl = mdm.expected_kl(c, mdm.schedules.binomial(3, [0.5, 1.0]))
      >>> round(kl, 12), kl.steps
      (0.875, 2)
    """
    return BinomialSchedule(n, reveal_probs)


#: Time grids of :func:`ancestral` (MD4's ``sampling_grid``).
ANCESTRAL_GRIDS = ("uniform", "cosine")

#: Snapshots the ancestral and Dream constructors transcribe (``owner/repo@commit``).
MDLM_COMMIT = "kuleshov-group/mdlm@c112c526d193436838c98d81455ee51f90309470"
MD4_COMMIT = "google-deepmind/md4@b9fbf29216f818cccff46cb5727199f86f35593e"
DREAM_COMMIT = "NVlabs/Fast-dLLM@24cc59e75f20a6384bae8c905965bb090b96388e"


def _grid_map(x, grid: str, dtype: str):
    """MD4's ``sampling_grid``: ``"cosine"`` maps ``x -> cos(pi/2 (1 - x))``."""
    if grid == "uniform":
        return x
    if dtype == "float32":
        return _cos32(_F32(math.pi / 2.0) * (_F32(1.0) - x))
    return np.cos(np.pi / 2 * (1 - x))


def _md4_alpha(name: str, t, power: float, eps: float, dtype: str):
    """``alpha(t) = (1 - 2 eps) alpha_hat(t) + eps`` (MD4 ``MaskingSchedule.alpha``)."""
    if dtype == "float32":
        one = _F32(1.0)
        t = np.asarray(t, dtype=_F32)
        if name == "linear":
            a = one - t
        elif name == "cosine":
            a = one - _cos32(_F32(math.pi / 2.0) * (one - t))
        else:  # "poly"
            a = one - t ** _F32(power)
        return (_F32(1.0 - 2 * eps) * a + _F32(eps)).astype(_F32)
    if name == "linear":
        a = 1 - t
    elif name == "cosine":
        a = 1 - np.cos(np.pi / 2 * (1 - t))
    else:
        a = 1 - t**power
    return (1 - 2 * eps) * a + eps


def _ancestral_probs(big_t, alpha, power, eps, grid, dtype) -> np.ndarray:
    """The ``T`` grid steps' reveal probabilities, in MDLM's or MD4's arithmetic."""
    if alpha == "loglinear":  # MDLM: t on linspace(1, eps, T+1), s = t - dt, p = (t - s) / t
        dt = (1 - eps) / big_t
        if dtype == "float32":
            t = _linspace32(1.0, eps, big_t + 1)[:-1]
            s = (t - _F32(dt)).astype(_F32)
            t, s = _grid_map(t, grid, dtype), _grid_map(s, grid, dtype)
            return ((t - s) / t).astype(np.float64)
        t = np.linspace(1.0, eps, big_t + 1)[:-1]
        t, s = _grid_map(t, grid, dtype), _grid_map(t - dt, grid, dtype)
        return (t - s) / t
    # MD4: t = (T - i) / T, s = t - 1/T, p = (alpha_s - alpha_t) / (1 - alpha_t)
    i = np.arange(big_t)
    if dtype == "float32":
        t = ((big_t - i).astype(_F32) * (_F32(1.0) / _F32(big_t))).astype(_F32)  # XLA's rewrite
        s = (t - _F32(1.0 / big_t)).astype(_F32)
    else:
        t = (big_t - i) / big_t
        s = t - 1.0 / big_t
    t, s = _grid_map(t, grid, dtype), _grid_map(s, grid, dtype)
    a_t = _md4_alpha(alpha, t, power, eps, dtype)
    a_s = _md4_alpha(alpha, s, power, eps, dtype)
    one = _F32(1.0) if dtype == "float32" else 1.0
    return np.asarray((a_s - a_t) / (one - a_t), dtype=np.float64)


@scoped_x64
def ancestral(
    n: int,
    steps: int,
    alpha: str = "loglinear",
    power: float = 2.0,
    *,
    eps: float | None = None,
    grid: str | None = None,
    final: bool = True,
    cache: bool | None = None,
    dtype: str = "float32",
) -> BinomialSchedule:
    """MDLM/MD4 ancestral sampling, as upstream runs it, as a :func:`binomial` schedule.

    Going from time ``t`` to ``s < t`` each masked token is revealed independently, so step sizes
    are Binomial (docs/theory.md §4, §7). Two upstreams, chosen by ``alpha``:

    - ``"loglinear"`` — **MDLM** (kuleshov-group/mdlm@c112c52, ``diffusion.py::Diffusion._sample(
      num_steps=None, eps=1e-5)`` with ``_ddpm_caching_update``; ``configs/config.yaml``
      defaults ``sampling.predictor=ddpm_cache``, ``steps=128``, ``noise_removal=True``):
      ``t_i = linspace(1, eps, T+1)[i]``, ``s = t - (1 - eps)/T``, reveal probability
      ``(t - s)/t``; defaults ``eps=1e-5``, ``grid="uniform"``, ``cache=True``.
    - ``"linear"``, ``"cosine"``, ``"poly"`` — **MD4** (google-deepmind/md4@b9fbf29,
      ``md4/models/diffusion/md4.py::MD4.ancestral_sample_step``, ``get_sampling_grid``,
      ``MaskingSchedule(data_shape, schedule_fn_type, eps=1e-4)``; defaults
      ``noise_schedule_type='linear'``, ``sampling_grid='cosine'``): ``t = (T - i)/T``,
      ``s = t - 1/T``, both mapped by the grid (``"cosine"``: ``x -> cos(pi/2 (1 - x))``), reveal
      probability ``(alpha_s - alpha_t)/(1 - alpha_t)`` with ``alpha = (1 - 2 eps) alpha_hat +
      eps``, ``alpha_hat`` ``1 - t`` (linear), ``1 - cos(pi/2 (1 - t))`` (cosine), ``1 - t^power``
      (poly); defaults ``eps=1e-4``, ``grid="cosine"``, ``cache=False``.

    The last grid step does not reveal everything (``s = eps``, resp. ``alpha_0 = 1 - eps``):
    upstream then makes one more model call and takes the argmax for every token still masked
    (MDLM's noise removal, MD4's final ``decode``). With ``final=True`` (the default) that call
    is the schedule's last step, with probability 1, so the schedule has ``T + 1`` steps;
    ``final=False`` instead sets the last grid step's probability to 1 (``T`` steps).

    Model calls (:attr:`BinomialSchedule.expected_calls`): MD4 calls the model at every step
    (``T + 1``); MDLM's cached sampler (``cache=True``) skips the call after a step that changed
    nothing, so ``E[calls] = 1 + sum_{i <= T-2} (1 - (1 - q_i)^n) + 1`` with ``q_i`` the
    probability that a given token is revealed at grid step ``i`` (82.46 at ``n = T = 128``).

    ``dtype="float32"`` (the default) computes the probabilities in upstream's float32
    (``torch.linspace`` as on CUDA, XLA's ``(T - i) * f32(1/T)``); ``"float64"`` is the exact
    formula. ``ancestral(n, T, alpha, eps=0, grid="uniform", final=False, dtype="float64")`` is
    the textbook uniform-grid sampler (reveal probabilities ``1/(T - i)`` for log-linear).

    Args:
      n: number of positions.
      steps: the number of grid steps ``T``.
      alpha: one of :data:`ALPHAS`.
      power: the exponent of ``"poly"``.
      eps: MDLM's time floor (``[0, 1)``) or MD4's signal floor (``[0, 1/2)``); ``None`` for the
        upstream default.
      grid: ``"uniform"`` or ``"cosine"``; ``None`` for the upstream default.
      final: whether the final argmax call is a step.
      cache: whether empty steps skip the next model call (MDLM's ``ddpm_cache``); ``None`` for
        the upstream default. Changes only :attr:`BinomialSchedule.expected_calls`.
      dtype: ``"float32"`` (upstream) or ``"float64"``.

    Returns:
      a :class:`BinomialSchedule` with ``T + 1`` steps (``T`` with ``final=False``).

    Raises:
      ValueError: a bad ``n``, ``steps``, ``alpha``, ``power``, ``eps``, ``grid`` or ``dtype``.

    Examples:
      >>> import mdmjax as mdm
      >>> s = mdm.schedules.ancestral(128, 128)
      >>> s.steps, round(s.expected_calls, 2)
      (129, 82.46)
      >>> s = mdm.schedules.ancestral(4, 3, eps=0, grid="uniform", final=False, dtype="float64")
      >>> [round(float(p), 12) for p in s.reveal_probs]
      [0.333333333333, 0.5, 1.0]
    """
    n = as_positive_int(n, "n")
    big_t = as_positive_int(steps, "steps")
    check_step_count(big_t)
    alpha = as_choice(alpha, ALPHAS, "alpha")
    power = as_nonnegative_float(power, "power")
    if power <= 0:
        raise ValueError(f"power: must be > 0, got {power!r}")
    mdlm = alpha == "loglinear"
    eps = (1e-5 if mdlm else 1e-4) if eps is None else as_nonnegative_float(eps, "eps")
    if eps >= (1.0 if mdlm else 0.5):
        raise ValueError(f"eps: must be in [0, {1 if mdlm else 0.5}) for {alpha!r}, got {eps!r}")
    grid = ("uniform" if mdlm else "cosine") if grid is None else grid
    grid = as_choice(grid, ANCESTRAL_GRIDS, "grid")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    cache = mdlm if cache is None else bool(cache)
    probs = np.clip(_ancestral_probs(big_t, alpha, power, eps, grid, dtype), 0.0, 1.0)
    if final:
        probs = np.concatenate([probs, [1.0]])
    else:
        probs[-1] = 1.0
    return BinomialSchedule(n, probs, calls="cached" if cache else "every", final_call=bool(final))


@scoped_x64
def dream_origin(n: int, steps: int, eps: float = 1e-3) -> BinomialSchedule:
    """Dream's default sampler (``alg='origin'``): Binomial sizes on Dream's float32 time grid.

    Upstream: Dream-v0's Hugging Face ``generation_utils.py::DreamGenerationMixin._sample`` (the
    copy vendored in NVlabs/Fast-dLLM@24cc59e, ``dream/model/generation_utils.py``), with the
    ``DreamGenerationConfig`` defaults ``eps=1e-3, alg='origin'``: ``t = torch.linspace(1, eps,
    T + 1)`` (float32, as on CUDA); at step ``i`` every masked token is revealed independently
    with probability ``1 - t_{i+1} / t_i`` (float32), and with probability 1 at the last step.
    Each of the ``T`` steps calls the model. The expected KL is exact: the average of Theorem 4
    over the sizes (docs/theory.md §4).

    Args:
      n: number of positions.
      steps: the number of steps ``T``.
      eps: the time floor, in ``(0, 1)``.

    Returns:
      a :class:`BinomialSchedule` with ``T`` steps.

    Raises:
      ValueError: a bad ``n``, ``steps`` or ``eps``.

    Examples:
      >>> import mdmjax as mdm
      >>> s = mdm.schedules.dream_origin(16, 4)
      >>> [round(float(p), 6) for p in s.reveal_probs]
      [0.24975, 0.332889, 0.499001, 1.0]
    """
    n = as_positive_int(n, "n")
    big_t = as_positive_int(steps, "steps")
    eps = as_nonnegative_float(eps, "eps")
    if not 0 < eps < 1:
        raise ValueError(f"eps: must be in (0, 1), got {eps!r}")
    t = _linspace32(1.0, eps, big_t + 1)
    probs = (_F32(1.0) - t[1:] / t[:-1]).astype(np.float64)
    probs[-1] = 1.0
    return BinomialSchedule(n, np.clip(probs, 0.0, 1.0))
