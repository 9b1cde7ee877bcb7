"""Random-size schedules: MDLM/MD4 ancestral sampling, Dream ``alg='origin'``, Zhao–Cai.

A random-size schedule is a Markov chain on the revealed count ``N_0 = 0 -> .. -> N_T = n`` with
per-step kernels ``K_t[m, m'] = P(N_t = m' | N_{t-1} = m)``; the positions revealed at a step are
a uniformly random subset of the masked ones. This module builds the chains (:func:`binomial`,
:func:`ancestral`, :func:`dream_origin`, :class:`KernelSchedule`); their exact expected KL, the
average of Theorem 4 over the sizes, is computed by the kernels of :mod:`mdmjax.kl`
(``size_chain_kl`` and friends; docs/theory.md §4.6, §7.4).

**Step-count convention.** The expected KL does not depend on how steps are counted. The number
of oracle calls does: a sampler that calls the model at every one of the ``T`` grid steps spends
``T`` (the *nominal* count, what MDLM/MD4 report, and the ``steps`` attribute here); one that
skips steps revealing nothing spends the number of non-empty steps, a random variable whose exact
law :meth:`nonempty_steps_pmf` gives. The headline comparison with a deterministic ``k``-step
schedule uses the nominal ``T``; ``RandomScheduleKL.expected_nonempty_steps`` is the other
convention.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.float32 import F32 as _F32
from mdmjax._src.float32 import cos32 as _cos32
from mdmjax._src.float32 import linspace32 as _linspace32
from mdmjax._src.memory import check_allocation, check_step_count
from mdmjax._src.precision import scoped_x64
from mdmjax._src.tolerances import KERNEL_ENTRY_TOLERANCE, LAST_REVEAL_TOLERANCE, MASS_TOLERANCE
from mdmjax._src.validate import as_choice, as_nonnegative_float, as_positive_int
from mdmjax.curves import as_curve
from mdmjax.kl import (
    binomial_marginals,
    log_binomial_table,
    size_chain_kernels,
    size_chain_kl,
    size_chain_pmf,
    size_chain_step,
)

__all__ = [
    "RandomScheduleKL",
    "BinomialSchedule",
    "KernelSchedule",
    "binomial",
    "ancestral",
    "dream_origin",
    "ALPHAS",
    "ANCESTRAL_GRIDS",
]

#: The MD4 masking functions ``alpha(t)`` :func:`ancestral` accepts.
ALPHAS = ("loglinear", "linear", "cosine", "poly")


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

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> c = mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0]))
      >>> kl = mdm.expected_kl(c, mdm.schedules.binomial(3, [0.5, 1.0]))
      >>> round(kl, 12), kl.steps, round(kl.expected_nonempty_steps, 12)
      (0.875, 2, 1.75)
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
        return size_chain_kl(z, self._xs(), self._aux(), self._kind)

    def _kl_batch(self, z):
        return size_chain_kl(z, self._xs(), self._aux(), self._kind)

    @scoped_x64
    def revealed_pmf(self) -> np.ndarray:
        """``(T+1, n+1)`` array: row ``t`` is the law of ``N_t``, the count revealed by step t."""
        return np.asarray(size_chain_pmf(self._xs(), self._aux(), self._kind, self.n + 1))

    @scoped_x64
    def expected_sizes(self) -> np.ndarray:
        """``(T,)`` array of ``E s_t = E N_t - E N_{t-1}``."""
        mean = self.revealed_pmf() @ np.arange(self.n + 1)
        return np.diff(mean)

    @scoped_x64
    def nonempty_steps_pmf(self) -> np.ndarray:
        """``(T+1,)`` exact law of the number of steps that reveal at least one position."""
        return np.asarray(
            size_chain_pmf(self._xs(), self._aux(), self._kind, self.n + 1, nonempty=True)
        )

    @scoped_x64
    def kernels(self) -> np.ndarray:
        """The ``(T, n+1, n+1)`` per-step kernels ``K_t[m, m']`` as one array."""
        check_allocation(
            self.steps * (self.n + 1) ** 2 * 8, f"{self.steps} kernels of size (n+1)^2"
        )
        return np.asarray(size_chain_kernels(self._xs(), self._aux(), self._kind))

    @scoped_x64
    def sample(self, key, num_samples: int) -> np.ndarray:
        """``(num_samples, T)`` random step sizes (zeros included), drawn from the chain."""
        num = as_positive_int(num_samples, "num_samples")
        kind = self._kind
        aux = self._aux()

        def step(counts, xs):
            x, k = xs
            logk = jnp.log(size_chain_step(x, aux, kind)[counts])  # (num, n+1)
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

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> b = mdm.schedules.binomial(3, [0.5, 1.0])
      >>> np.round(b.revealed_pmf(), 12).tolist()  # N_1 ~ Binomial(3, 1/2)
      [[1.0, 0.0, 0.0, 0.0], [0.125, 0.375, 0.375, 0.125], [0.0, 0.0, 0.0, 1.0]]
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
        if abs(probs[-1] - 1) > LAST_REVEAL_TOLERANCE:
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
        return size_chain_kl(z, self._xs(), None, "binomial", method="marginal")

    def _kl_batch(self, z):
        return size_chain_kl(z, self._xs(), None, "binomial", method="marginal")

    @scoped_x64
    def revealed_pmf(self) -> np.ndarray:
        """``(T+1, n+1)``: row ``t`` is the law of ``N_t``, ``Binomial(n, 1 - prod (1 - p_u))``."""
        return np.asarray(binomial_marginals(self.n, self._xs()))

    def _aux(self):
        if self._log_binom is None:
            check_allocation((self.n + 1) ** 2 * 8 * 4, "the (n+1)^2 binomial kernel", argument="n")
            self._log_binom = jnp.asarray(log_binomial_table(self.n))
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

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> k = np.zeros((2, 4, 4))
      >>> k[0] = np.eye(4)[[1, 1, 2, 3]]  # step 1 reveals one position (from none)
      >>> k[1] = np.eye(4)[[3, 3, 3, 3]]  # step 2 reveals the rest
      >>> c = mdm.InformationCurve.from_z(np.array([0.0, 1.0, 1.0]))
      >>> kl = mdm.expected_kl(c, mdm.schedules.KernelSchedule(k))  # sizes (1, 2) for sure
      >>> round(kl, 12), kl.steps
      (0.0, 2)
    """

    _kind = "matrix"

    @scoped_x64
    def __init__(self, kernels):
        arr = np.asarray(kernels, dtype=np.float64)
        if arr.ndim != 3 or arr.shape[1] != arr.shape[2] or arr.shape[0] == 0 or arr.shape[1] < 2:
            raise ValueError(
                f"kernels: expected shape (T, n+1, n+1) with T >= 1, n >= 1, got {arr.shape}"
            )
        if not np.all(np.isfinite(arr)) or np.any(arr < -KERNEL_ENTRY_TOLERANCE):
            raise ValueError("kernels: entries must be finite and >= 0")
        if np.any(np.abs(arr.sum(axis=2) - 1) > MASS_TOLERANCE):
            raise ValueError("kernels: every row must sum to 1 (within 1e-9)")
        if np.any(np.tril(arr, k=-1) > KERNEL_ENTRY_TOLERANCE):
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
        if (
            not np.all(np.isfinite(w))
            or np.any(w < 0)
            or np.any(np.abs(w.sum(1) - 1) > MASS_TOLERANCE)
        ):
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
