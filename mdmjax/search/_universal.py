"""Universal schedules: one two-parameter schedule shape fitted (with optax) to many laws.

A shape is a map ``x: [0, 1] -> [0, 1]``, the fraction revealed after a fraction ``u`` of the
steps; a ``k``-step schedule for a law with ``n`` positions has breakpoints ``N_t = n x(t/k)``.

* ``"beta"`` — the energy-minimization schedule of Chen, Nie et al. (2025), "Masked Diffusion
  Models as Energy Minimization": ``x(u) = sin²(π/2 · BetaCDF(u; a, b))``.
* ``"maskgit-pow"`` — the MaskGIT power schedule with a second exponent: the masked fraction is
  ``(1 - u^a)^b`` (``b = 1`` is MaskGIT's ``pow``), i.e. ``x(u) = 1 - (1 - u^a)^b``.
* ``"geometric"`` — geometric sizes (one parameter, the log of the total ratio ``λ = k ln r``):
  ``x(u) = (e^{λu} - 1)/(e^λ - 1)``.

The fit minimizes the mean or the maximum over laws of the regret ``R_i(τ_i) - OPT_i`` on the
relaxation of :mod:`mdmjax.search._relax` (exact at integer breakpoints), with a smoothing
continuation, over ``vmap``-ped restarts in a jitted ``lax.scan``. Each law's integer schedule is
then scored by Theorem 4 against its own DP optimum. On laws whose optima disagree (Reed–Solomon
codes of different dimension, Chen–Cong–Li 2026 Theorems 5/6) no single shape is close to every
optimum, and the reported regrets show it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from mdmjax._src.precision import require_float64, scoped_x64
from mdmjax._src.smooth import gaussian_smooth
from mdmjax._src.tolerances import GEOMETRIC_LIMIT, LENTZ_TINY, RELATIVE_GAP_FLOOR
from mdmjax._src.validate import as_choice, as_positive_int
from mdmjax.curves import InformationCurve, as_curve
from mdmjax.kl import expected_kl, relaxed_theorem4
from mdmjax.schedules import round_breakpoints
from mdmjax.search._dp import optimal_schedule
from mdmjax.search._relax import _optax_step

if TYPE_CHECKING:  # optax is imported on use (~50 ms at import, for the CLI's start-up)
    import optax

__all__ = ["FamilyFit", "fit_schedule_family", "family_fractions", "betainc", "SHAPES"]

SHAPES = ("beta", "maskgit-pow", "geometric")
OBJECTIVES = ("mean", "max")
_BOUNDS = (np.log(0.05), np.log(50.0))
_BETACF_ITERS = 64  # ample on [0.05, 50]^2: error < 1e-13 against scipy


# ------------------------------------------------------------------------------------------------
# A Beta CDF differentiable in a and b
# ------------------------------------------------------------------------------------------------
def _betacf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz, fixed iterations)."""
    tiny = LENTZ_TINY
    qab, qap, qam = a + b, a + 1, a - 1

    def guard(v):
        return jnp.where(jnp.abs(v) < tiny, tiny, v)

    d0 = 1 / guard(1 - qab * x / qap)

    def body(carry, m):
        c, d, h = carry
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 / guard(1 + aa * d)
        c = guard(1 + aa / c)
        h = h * d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 / guard(1 + aa * d)
        c = guard(1 + aa / c)
        return (c, d, h * d * c), None

    ms = jnp.arange(1, _BETACF_ITERS + 1, dtype=x.dtype)
    (_, _, h), _ = jax.lax.scan(body, (jnp.ones_like(x), d0, d0), ms)
    return h


@scoped_x64
def betainc(a, b, x):
    """The regularized incomplete beta ``I_x(a, b)``, differentiable in ``a``, ``b`` and ``x``.

    ``jax.scipy.special.betainc`` has no gradient in ``a`` and ``b``; this is the continued
    fraction of Numerical Recipes §6.4 with a fixed number of Lentz iterations, using
    ``I_x(a, b) = 1 - I_{1-x}(b, a)`` where it converges faster. For ``x`` in ``(0, 1)``.

    Args:
      a, b: positive float64 shape parameters.
      x: float64 point(s) in ``(0, 1)``.

    Returns:
      ``I_x(a, b)``, a float64 array.

    Raises:
      ValueError: an argument that is not float64 (naming it).

    Examples:
      ``I_x(2, 1) = x^2``, so ``∂/∂a I_x(a, 1) = x^a ln x``:

      >>> import jax, jax.numpy as jnp, math, mdmjax as mdm
      >>> with jax.enable_x64(True):
      ...     a, b, x = jnp.float64(2.0), jnp.float64(1.0), jnp.float64(0.3)
      ...     v = mdm.search.betainc(a, b, x)
      ...     da = jax.grad(mdm.search.betainc)(a, b, x)
      >>> round(float(v), 12), round(float(da) - 0.09 * math.log(0.3), 9)
      (0.09, 0.0)
    """
    for value, name in ((a, "a"), (b, "b"), (x, "x")):
        require_float64(value, name)
    x = jnp.asarray(x)
    flip = x >= (a + 1) / (a + b + 2)
    xs = jnp.where(flip, 1 - x, x)
    aa = jnp.where(flip, b, a)
    bb = jnp.where(flip, a, b)
    # gammaln, not jax.scipy.special.betaln: the latter is off by ~1e-6 (jax 0.10.2)
    log_beta = gammaln(aa) + gammaln(bb) - gammaln(aa + bb)
    log_front = aa * jnp.log(xs) + bb * jnp.log1p(-xs) - log_beta
    value = jnp.exp(log_front) * _betacf(aa, bb, xs) / aa
    return jnp.where(flip, 1 - value, value)


# ------------------------------------------------------------------------------------------------
# Shapes
# ------------------------------------------------------------------------------------------------
def _positive(theta):
    return jnp.exp(jnp.clip(theta, *_BOUNDS))


def _shape_beta(theta, u):
    a, b = _positive(theta[0]), _positive(theta[1])
    return jnp.sin(jnp.pi / 2 * betainc(a, b, u)) ** 2


def _shape_maskgit_pow(theta, u):
    a, b = _positive(theta[0]), _positive(theta[1])
    return -jnp.expm1(b * jnp.log1p(-jnp.exp(a * jnp.log(u))))


def _shape_geometric(theta, u):
    lam = jnp.clip(theta[0], -200.0, 200.0)
    small = jnp.abs(lam) < GEOMETRIC_LIMIT
    safe = jnp.where(small, 1.0, lam)
    return jnp.where(small, u, jnp.expm1(safe * u) / jnp.expm1(safe))


_SHAPE_FNS = {"beta": _shape_beta, "maskgit-pow": _shape_maskgit_pow, "geometric": _shape_geometric}


def _grid(family: str) -> np.ndarray:
    """Coarse parameter grid whose best points seed the optax restarts."""
    if family == "geometric":
        return np.linspace(-20.0, 20.0, 81)[:, None]
    logs = np.log(np.geomspace(0.1, 10.0, 15))
    a, b = np.meshgrid(logs, logs, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=1)


def _params_dict(family, theta) -> dict:
    theta = np.asarray(theta, dtype=np.float64)
    if family == "geometric":
        return {"lambda": float(np.clip(theta[0], -200, 200))}
    a, b = np.exp(np.clip(theta, *_BOUNDS))
    return {"a": float(a), "b": float(b)}


@scoped_x64
def family_fractions(family: str, params: dict, steps: int) -> np.ndarray:
    """``x(t/k)`` for ``t = 0..k``: the revealed fraction after each step of a fitted shape.

    Args:
      family: ``"beta"``, ``"maskgit-pow"`` or ``"geometric"``.
      params: the shape's parameters (``a``, ``b``; or ``lambda``), as in :attr:`FamilyFit.params`.
      steps: ``k``.

    Returns:
      ``(k+1,)`` float64 fractions from 0 to 1.

    Raises:
      ValueError: an unknown ``family`` or a bad ``steps``.

    Examples:
      ``geometric`` at ``λ = 0`` is linear; ``beta`` is ``sin²(π/2 · I_u(a, b))``, which for
      ``a = b = 1`` is ``sin²(π u / 2)``:

      >>> import numpy as np, mdmjax as mdm
      >>> mdm.search.family_fractions("geometric", {"lambda": 0.0}, 4).tolist()
      [0.0, 0.25, 0.5, 0.75, 1.0]
      >>> f = mdm.search.family_fractions("beta", {"a": 1.0, "b": 1.0}, 3)
      >>> bool(np.allclose(f, np.sin(np.pi / 2 * np.array([0, 1, 2, 3]) / 3) ** 2))
      True
    """
    family = as_choice(family, SHAPES, "family")
    k = as_positive_int(steps, "steps")
    theta = (
        jnp.asarray([params["lambda"]])
        if family == "geometric"
        else jnp.log(jnp.asarray([params["a"], params["b"]], dtype=jnp.float64))
    )
    u = jnp.arange(1, k, dtype=jnp.float64) / k
    inner = np.asarray(_SHAPE_FNS[family](theta, u)) if k > 1 else np.zeros(0)
    return np.concatenate([[0.0], inner, [1.0]])


# ------------------------------------------------------------------------------------------------
# The fit
# ------------------------------------------------------------------------------------------------
def _aggregate(values, objective):
    return jnp.mean(values) if objective == "mean" else jnp.max(values)


def _fractions(theta, family, k):
    u = jnp.arange(1, k, dtype=jnp.float64) / k
    return _SHAPE_FNS[family](theta, u) if k > 1 else jnp.zeros(0)


def _relaxed_regret(theta, zlev, ns, dp, family, objective, k):
    """The relaxed objective: mean or max over laws of ``R_i(n_i x(t/k)) - OPT_i``."""
    nsf = ns.astype(zlev.dtype)
    tau = nsf[:, None] * _fractions(theta, family, k)[None, :]
    return _aggregate(jax.vmap(relaxed_theorem4)(zlev, nsf, tau) - dp, objective)


@functools.partial(jax.jit, static_argnames=("family", "objective", "k"))
def _integer_scores(thetas, zexact, ns, dp, family, objective, k):
    """Per parameter vector: the objective at the rounded integer schedules, and the schedules."""

    def one(theta):
        x = _fractions(theta, family, k)
        parts = jax.vmap(lambda nn: round_breakpoints(nn.astype(x.dtype) * x, nn))(ns)
        kls = jax.vmap(relaxed_theorem4)(zexact, ns, parts.astype(zexact.dtype))
        return _aggregate(kls - dp, objective), parts

    return jax.vmap(one)(thetas)


@functools.partial(jax.jit, static_argnames=("family", "objective", "k", "optimizer"))
def _fit_runs(starts, levels, stages, ns, dp, family, objective, k, optimizer):
    """The optax loop (``lax.scan`` over iterations), ``vmap``-ped over starting points."""

    def run(theta0):
        def body(carry, stage):
            theta, state = carry
            loss, grad = jax.value_and_grad(_relaxed_regret)(
                theta, levels[stage], ns, dp, family, objective, k
            )
            return _optax_step(optimizer, grad, state, theta), loss

        (theta, _), losses = jax.lax.scan(body, (theta0, optimizer.init(theta0)), stages)
        return theta, losses

    return jax.vmap(run)(starts)


@functools.lru_cache(maxsize=16)
def _default_optimizer(iters: int) -> optax.GradientTransformation:
    """Adam, cosine-decayed learning rate 0.05 (cached, so the jitted loop is reused)."""
    import optax

    return optax.adam(optax.cosine_decay_schedule(0.05, iters, alpha=0.01))


@dataclasses.dataclass(frozen=True)
class FamilyFit:
    """The outcome of :func:`fit_schedule_family`.

    Attributes:
      family: the shape name.
      objective: ``"mean"`` or ``"max"`` (of the per-law regret).
      params: the fitted parameters (``a``, ``b``; or ``lambda`` for ``"geometric"``).
      steps: the number of steps ``k``.
      fractions: ``(k+1,)`` revealed fractions ``x(t/k)``.
      sizes: one integer schedule per law (``N_t = round(n x(t/k))``, repaired to ``k`` steps).
      kl: ``(L,)`` Theorem 4 at those schedules.
      dp_kl: ``(L,)`` each law's own optimum at ``k`` steps.
      regret: ``(L,)`` ``kl - dp_kl`` in nats.
      relative_regret: ``(L,)`` ``regret / max(dp_kl, 1e-12)``.
      value: the objective (mean or max regret) at the integer schedules.
      loss_history: ``(restarts, num_iters)`` relaxed objective values.

    Examples:
      Each law's regret is its fitted schedule's Theorem-4 KL minus its own DP optimum:

      >>> import numpy as np, mdmjax as mdm
      >>> cs = [mdm.curves.noisy_repetition_curve(4, 0.1), mdm.curves.repetition_curve(6, 2)]
      >>> fit = mdm.search.fit_schedule_family(cs, 2, "maskgit-pow", num_iters=10, restarts=2)
      >>> fit.steps, fit.fractions.shape, [len(s) for s in fit.sizes]
      (2, (3,), [2, 2])
      >>> bool(np.allclose(fit.kl, [mdm.expected_kl(c, s) for c, s in zip(cs, fit.sizes)]))
      True
      >>> opt = [mdm.optimal_schedule(c, 2).kl for c in cs]
      >>> bool(np.allclose(fit.regret, fit.kl - opt)), bool(np.allclose(fit.dp_kl, opt))
      (True, True)
    """

    family: str
    objective: str
    params: dict
    steps: int
    fractions: np.ndarray
    sizes: tuple[tuple[int, ...], ...]
    kl: np.ndarray
    dp_kl: np.ndarray
    regret: np.ndarray
    relative_regret: np.ndarray
    value: float
    loss_history: np.ndarray


def _as_curve_list(curves) -> list[InformationCurve]:
    if isinstance(curves, InformationCurve) and np.ndim(curves.z) == 2:
        return [InformationCurve(z) for z in np.asarray(curves.z)]
    if isinstance(curves, InformationCurve):
        return [curves]
    if not isinstance(curves, Sequence) or len(curves) == 0:
        raise ValueError("curves: expected a non-empty sequence of curves (or distributions)")
    return [as_curve(c) for c in curves]


@scoped_x64
def fit_schedule_family(
    curves,
    steps: int,
    family: str = "beta",
    objective: str = "mean",
    *,
    optimizer: optax.GradientTransformation | None = None,
    num_iters: int = 400,
    restarts: int = 8,
) -> FamilyFit:
    """Fit one schedule shape to several laws and report each law's regret against its optimum.

    See the module docstring for the shapes. The loss is the mean (or max) over laws of the
    relaxed regret ``R_i(n_i x(t/k)) - OPT_i``, where ``OPT_i`` is the DP optimum
    (:func:`mdmjax.optimal_schedule`) of law ``i``; it is minimized with optax (default Adam,
    cosine-decayed learning rate 0.05) from the best points of a coarse grid, in parallel
    (``vmap``), on ``Z`` smoothed then exact, as in :func:`mdmjax.optimize_schedule`. The result
    is the candidate (optimized or grid point) with the best objective at the integer schedules.

    This makes the impossibility result of Chen–Cong–Li (2026, Theorems 5/6) visible: on a set of
    Reed–Solomon laws of different dimensions no single shape gets close to every optimum.

    Args:
      curves: a sequence of :class:`~mdmjax.InformationCurve` (or Distributions), possibly of
        different ``n``, or one batched curve with ``z`` of shape ``(L, n)``.
      steps: the number of steps ``k`` (``<= min n``).
      family: ``"beta"``, ``"maskgit-pow"`` or ``"geometric"``.
      objective: ``"mean"`` or ``"max"``.
      optimizer: an optax transformation.
      num_iters: iterations per restart.
      restarts: number of optax runs, started from the best points of a coarse parameter grid
        (15 x 15 log-spaced in ``[0.1, 10]^2``; 81 values of ``λ`` in ``[-20, 20]``). The grid
        points themselves stay candidates, so the fit is never worse than the grid.

    Returns:
      a :class:`FamilyFit`.

    Raises:
      ValueError: naming the argument: ``curves`` empty, ``steps`` above the smallest ``n``,
        an unknown ``family`` or ``objective``, ``optimizer`` not an optax transformation.

    Examples:
      Two laws of different lengths share one shape; each regret is ``>= 0`` and the objective
      is their mean:

      >>> import numpy as np, mdmjax as mdm
      >>> cs = [mdm.curves.noisy_repetition_curve(4, 0.1), mdm.curves.repetition_curve(6, 2)]
      >>> fit = mdm.search.fit_schedule_family(cs, 2, "maskgit-pow", num_iters=10, restarts=2)
      >>> [sum(s) for s in fit.sizes], bool(np.all(fit.regret >= -1e-12))
      ([4, 6], True)
      >>> bool(np.isclose(fit.value, fit.regret.mean())), sorted(fit.params)
      (True, ['a', 'b'])
    """
    family = as_choice(family, SHAPES, "family")
    objective = as_choice(objective, OBJECTIVES, "objective")
    cs = _as_curve_list(curves)
    ns = np.array([c.n for c in cs])
    k = as_positive_int(steps, "steps")
    if k > ns.min():
        raise ValueError(f"steps: must be <= the smallest n = {int(ns.min())}")
    iters = as_positive_int(num_iters, "num_iters")
    num = as_positive_int(restarts, "restarts")
    import optax

    if optimizer is not None and not isinstance(optimizer, optax.GradientTransformation):
        raise ValueError(f"optimizer: expected an optax GradientTransformation, got {optimizer!r}")

    dp = np.array([optimal_schedule(c, k).kl for c in cs])
    n_max = int(ns.max())
    widths = [2.0**-i for i in range(4)]  # times n_i / k
    levels = []
    for c in cs:
        z = np.asarray(c.z, dtype=np.float64)
        per = [gaussian_smooth(z, w * c.n / k) if w * c.n / k >= 0.5 else z for w in widths] + [z]
        per = [np.concatenate([p, np.full(n_max + 1 - c.n, p[-1])]) for p in per]
        levels.append(np.stack(per))
    levels = jnp.asarray(np.stack(levels, axis=1))  # (S, L, n_max + 1)
    num_levels = levels.shape[0]
    half = iters // 2
    stages = np.full(iters, num_levels - 1, dtype=np.int32)
    if half:
        stages[:half] = np.arange(half) * (num_levels - 1) // half
    if optimizer is None:
        optimizer = _default_optimizer(iters)
    args = (jnp.asarray(ns), jnp.asarray(dp))
    static = {"family": family, "objective": objective, "k": k}
    grid = _grid(family)
    grid_scores, _ = _integer_scores(jnp.asarray(grid), levels[-1], *args, **static)
    starts = grid[np.argsort(np.asarray(grid_scores), kind="stable")[:num]]
    thetas, history = _fit_runs(
        jnp.asarray(starts), levels, jnp.asarray(stages), *args, optimizer=optimizer, **static
    )
    candidates = np.concatenate([np.asarray(thetas), starts])  # never worse than the grid
    scores, parts = _integer_scores(jnp.asarray(candidates), levels[-1], *args, **static)
    scores, parts = np.asarray(scores), np.asarray(parts)
    best = int(np.argmin(scores))
    thetas = candidates
    params = _params_dict(family, thetas[best])
    sizes = tuple(
        tuple(int(v) for v in np.diff(np.concatenate([[0], parts[best, i], [ns[i]]])))
        for i in range(len(cs))
    )
    # the reported numbers: Theorem 4 summed position by position, as mdm.expected_kl does
    kl = np.array([expected_kl(c, sz) for c, sz in zip(cs, sizes, strict=True)])
    regret = kl - dp
    return FamilyFit(
        family=family,
        objective=objective,
        params=params,
        steps=k,
        fractions=family_fractions(family, params, k),
        sizes=sizes,
        kl=kl,
        dp_kl=dp,
        regret=regret,
        relative_regret=regret / np.maximum(dp, RELATIVE_GAP_FLOOR),
        value=float(regret.mean() if objective == "mean" else regret.max()),
        loss_history=np.asarray(history),
    )
