"""What practitioners run: the per-step reveal counts of LLaDA, MaskGIT, Dream, dllm and OpenDLM.

Each function returns a tuple of positive ints ``(s_1, .., s_k)`` summing to ``n`` (the number of
masked positions); zero-size steps are dropped (:mod:`mdmjax.schedules._breakpoints`), so
``len(result)`` can be smaller than the ``steps`` asked for. docs/theory.md §7.

Random-size schedules (MDLM/MD4 ancestral sampling) are :func:`mdmjax.schedules.ancestral` and
:func:`mdmjax.schedules.binomial`.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.float32 import F32, cos32, linspace32
from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_choice, as_positive_float, as_positive_int
from mdmjax.schedules._breakpoints import _as_steps, _drop_zeros

__all__ = [
    "constant",
    "maskgit",
    "cosine",
    "dream",
    "alpha_rounded",
    "flexible",
    "GAMMAS",
    "FLEXIBLE_GAMMAS",
    "DLLM_ALPHAS",
]

GAMMAS = ("cosine", "linear", "pow", "log", "exp")
#: OpenDLM's flexible gammas (:func:`flexible`).
FLEXIBLE_GAMMAS = ("linear", "cosine", "square", "cubic", "exponential", "sqrt", "log")
#: dllm's alpha schedulers (:func:`alpha_rounded`).
DLLM_ALPHAS = ("linear", "cosine")

#: Snapshots the practice schedules transcribe (``owner/repo@commit``).
MASKGIT_COMMIT = "google-research/maskgit@1db23594e1bd328ee78eadcd148a19281cd0f5b8"
OPENDLM_COMMIT = "Jianguo99/OpenDLM@a4088d10c64e40cfb0ce172acc485c30b2ec43ca"
DLLM_COMMIT = "ZHZisZZ/dllm@ca176752fbceec49c6b4777a2c18ae88e4eb10ed"


# ------------------------------------------------------------------------------------------------
# LLaDA
# ------------------------------------------------------------------------------------------------
@scoped_x64
def constant(n: int, steps: int) -> tuple[int, ...]:
    """LLaDA's uniform schedule: ``s_k = floor(n / T) + 1[k < n mod T]``, remainder first.

    Upstream: ML-GSAI/LLaDA ``generate.py::get_num_transfer_tokens(mask_index, steps)`` (the copy
    in NVlabs/Fast-dLLM@f6b35ec ``llada/generate.py``), integer arithmetic. With ``steps > n``
    the last ``steps - n`` steps are empty and dropped (``n`` steps of 1). docs/theory.md §7.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.constant(10, 4)
      (3, 3, 2, 2)
    """
    n = as_positive_int(n, "n")
    big_t = _as_steps(steps)
    k = np.arange(big_t)
    return _drop_zeros(n // big_t + (k < n % big_t))


# ------------------------------------------------------------------------------------------------
# MaskGIT
# ------------------------------------------------------------------------------------------------
def _gamma(name: str, r: np.ndarray, n: int, power: float) -> np.ndarray:
    if name == "cosine":
        return np.cos(np.pi * r / 2)
    if name == "linear":
        return 1 - r
    if name == "pow":
        return 1 - r**power
    if name == "log":
        return -np.log2(r) / np.log2(n)
    return 1 - 2 ** (-np.log2(n) * (1 - r))  # "exp"


def _maskgit_gamma_name(gamma, power: float) -> tuple[str, float]:
    """Canonical ``(name, power)``: ``"uniform"`` is ``"linear"``, ``"pow2.5"`` is ``"pow"``."""
    if not isinstance(gamma, str):
        raise ValueError(f"gamma: expected a string, got {gamma!r}")
    if gamma == "uniform":
        return "linear", power
    if gamma.startswith("pow") and gamma != "pow":
        try:
            return "pow", as_positive_float(float(gamma[3:]), "gamma")
        except ValueError:
            raise ValueError(f"gamma: cannot read the exponent of {gamma!r}") from None
    if gamma not in GAMMAS:
        raise ValueError(
            f"gamma: expected one of {GAMMAS}, 'uniform' or 'pow<p>' (e.g. 'pow2.5'), got {gamma!r}"
        )
    return gamma, power


def _maskgit_gamma32(name: str, power: float, ratio, total):
    """``mask_schedule.schedule(ratio, total_unknown, method)``, expression for expression.

    ``ratio`` is a float32 scalar and ``total`` the float32 ``(1,)`` array of masked tokens.
    """
    if name == "cosine":
        m = jax.lax.cos(math.pi / 2.0 * ratio)
    elif name == "linear":
        m = 1.0 - ratio
    elif name == "pow":
        m = 1.0 - ratio**power  # a Python-float exponent, as upstream's ``float("2")``
    elif name == "log":
        m = -jnp.log2(ratio) / jnp.log2(total)
    else:  # "exp"
        m = 1 - jnp.exp2(-jnp.log2(total) * (1 - ratio))
    return jnp.clip(m, 1e-6, 1.0)


@functools.cache
def _maskgit_float32_program(name: str, power: float, num_iter: int):
    """The jitted float32 mask lengths of MaskGIT's ``parallel_decode.decode`` for ``T = num_iter``.

    Written as upstream runs it: a ``lax.while_loop`` over the steps whose body evaluates the
    schedule on the *scalar* ratio ``1.*(step+1)/num_iter`` of its step, with ``num_iter`` a
    compile-time constant and ``N`` a one-element int32 array (upstream's
    ``unknown_number_in_the_beginning`` for a batch of one), and returns
    ``mask_len = max(1, min(U - 1, floor(N * mask_ratio)))`` per step (``U``: tokens still
    masked). XLA then makes upstream's own float32 choices: it turns the division by the constant
    ``T`` into a product with ``f32(1/T)``, folds constants into ``pow`` and ``cos``
    (``((k+1) f32(1/T))^2`` becomes ``(k+1)^2 f32(1/T^2)``) and uses its scalar ``cos``/``pow``/
    ``log2``/``exp2``. A program that takes ``T`` as an argument, or evaluates all steps as one
    vector, rounds differently (``n = 25, T = 5, pow2``). Hence one compilation per ``(gamma,
    T)``, cached; ``N`` is an argument. Every array has an explicit 32-bit dtype and every
    constant is a weakly typed Python scalar, so jax's x64 flag (on inside :func:`scoped_x64`)
    promotes nothing.
    """

    def decode(unknown_number_in_the_beginning):
        total = unknown_number_in_the_beginning.astype(jnp.float32)  # (1,)

        def body(state):
            step, unknown, out = state
            ratio = (step + 1).astype(jnp.float32) / num_iter
            mask_ratio = _maskgit_gamma32(name, power, ratio, total)
            mask_len = jnp.expand_dims(jnp.floor(total * mask_ratio), 1)
            mask_len = jnp.maximum(1.0, jnp.minimum((unknown - 1).astype(jnp.float32), mask_len))
            out = jax.lax.dynamic_update_slice(out, mask_len, (jnp.int32(0), step))
            return step + 1, jnp.minimum(mask_len.astype(jnp.int32), unknown), out

        init = (
            jnp.int32(0),
            unknown_number_in_the_beginning[:, None],
            jnp.zeros((1, num_iter), jnp.float32),
        )
        return jax.lax.while_loop(lambda state: state[0] < num_iter, body, init)[2][0]

    return jax.jit(decode)


def _maskgit_float32_kept(n: int, big_t: int, name: str, power: float) -> np.ndarray:
    """Tokens kept masked after each of the ``T`` steps, by upstream's float32 program."""
    out = _maskgit_float32_program(name, float(power), big_t)(np.array([n], np.int32))
    if out.dtype != jnp.float32:  # pragma: no cover - the program is float32 by construction
        raise RuntimeError(f"the MaskGIT float32 program returned {out.dtype}")
    return np.asarray(out, dtype=np.float64)


@scoped_x64
def maskgit(
    n: int, steps: int, gamma: str = "cosine", power: float = 2.0, dtype: str = "float32"
) -> tuple[int, ...]:
    """MaskGIT's gamma-schedules (Chang et al. 2022), bit for bit as upstream computes them.

    Upstream: google-research/maskgit@1db2359, ``maskgit/libml/parallel_decode.py::decode(inputs,
    rng, tokens_to_logits, mask_token_id=-1, num_iter=12, start_iter=0, choice_temperature=1.0,
    mask_scheduling_method="cosine")`` with ``maskgit/libml/mask_schedule.py::schedule(ratio,
    total_unknown, method)``. With ``r = (k+1)/T`` the masked count after step ``k`` is
    ``max(1, min(M_k - 1, floor(n clip(gamma(r), 1e-6, 1))))`` (the lower bound 1 wins, so a step
    that starts with one masked token reveals nothing until the last step), and 0 after the last
    step. The gamma functions (upstream names in brackets) are

    - ``cosine``: ``cos(pi r / 2)``; ``linear`` (``"uniform"``): ``1 - r``;
      ``pow`` (``"pow<p>"``): ``1 - r^power``;
    - ``log``: ``-log2(r) / log2(n)``; ``exp``: ``1 - 2^(-log2(n) (1 - r))``.

    Arithmetic. ``dtype="float32"`` (the default) runs ``decode``'s arithmetic as upstream runs
    it: a jitted float32 ``lax.while_loop`` that evaluates the schedule on the scalar ratio of
    each step, with ``T`` a compile-time constant (one compilation per ``gamma`` and ``T``,
    cached). So the counts are MaskGIT's own, including XLA's ``(k+1) * f32(1/T)``, its
    constant folding into ``pow``/``cos`` and its scalar float32 ``cos``: ``n = 4, T = 3`` keeps
    ``floor(4 cos(pi/3)) = floor(1.9999999) = 1`` masked after step 1, and ``n = 25, T = 5,
    pow2`` keeps 8 after step 3 (mdmjax 0.2 evaluated all steps as one vector and kept 9).
    ``dtype="float64"`` evaluates the formula exactly in float64 (``floor(4 cos(pi/3)) = 2``). On
    accelerators other than XLA:CPU (upstream ran on TPU) the last ulp of ``cos``/``pow`` may
    differ; docs/upstream_notes.md.

    Steps that reveal nothing are dropped (each one still costs MaskGIT a model call: ``T`` calls
    in all). docs/theory.md §7.

    Args:
      n: number of masked positions.
      steps: the number of steps ``T`` (MaskGIT's ``num_iter``).
      gamma: ``"cosine"``, ``"linear"`` (or ``"uniform"``), ``"pow"`` (or ``"pow<p>"``, e.g.
        ``"pow2.5"``, which sets ``power``), ``"log"``, ``"exp"``.
      power: the exponent of ``"pow"``.
      dtype: ``"float32"`` (upstream's arithmetic) or ``"float64"`` (the exact formula).

    Returns:
      the positive step sizes, summing to ``n``.

    Raises:
      ValueError: ``n`` or ``steps`` not a positive int, an unknown ``gamma`` or ``dtype``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.maskgit(16, 4)
      (2, 3, 5, 6)
      >>> mdm.schedules.maskgit(4, 3), mdm.schedules.maskgit(4, 3, dtype="float64")
      ((1, 2, 1), (1, 1, 2))
    """
    n = as_positive_int(n, "n")
    big_t = _as_steps(steps)
    name, power = _maskgit_gamma_name(gamma, power)
    power = as_positive_float(power, "power")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    if dtype == "float32" and n >= 2**31:
        raise ValueError(f"n: MaskGIT counts tokens in int32, so n must be < 2**31, got {n}")
    if n == 1:  # upstream keeps the one token masked until the last step
        return (1,)
    if dtype == "float32":
        kept = _maskgit_float32_kept(n, big_t, name, power)
    else:
        r = (np.arange(big_t) + 1) / big_t
        kept = np.floor(n * np.clip(_gamma(name, r, n, power), 1e-6, 1.0))
    masked = n
    sizes = []
    for k in range(big_t):
        after = 0 if k == big_t - 1 else max(1, min(masked - 1, int(kept[k])))
        sizes.append(masked - after)
        masked = after
    return _drop_zeros(sizes)


@scoped_x64
def cosine(n: int, steps: int) -> tuple[int, ...]:
    """The MaskGIT cosine schedule with MaskGIT's defaults: ``maskgit(n, steps, "cosine")``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.cosine(4, 3)
      (1, 2, 1)
    """
    return maskgit(n, steps, "cosine")


# ------------------------------------------------------------------------------------------------
# dllm and OpenDLM
# ------------------------------------------------------------------------------------------------
def _dllm_alpha32(name: str, i: float) -> np.float32:
    """dllm's ``alpha(i)`` on a float32 tensor; ``torch.cos`` on a 0-d CPU tensor is glibc's
    correctly rounded ``cosf`` (:func:`mdmjax._src.float32.cos32`)."""
    one = F32(1.0)
    i32 = F32(i)
    if name == "linear":
        return one - i32
    return one - F32(cos32(F32(F32(math.pi / 2) * (one - i32))))


@scoped_x64
def alpha_rounded(n: int, steps: int, alpha: str = "linear") -> tuple[int, ...]:
    """dllm's deterministic transfer counts: the alpha-scheduler's expected reveals, rounded.

    Upstream: ZHZisZZ/dllm@ca17675, ``dllm/core/samplers/utils.py::get_num_transfer_tokens(
    mask_index, steps, scheduler, stochastic=False)`` with ``dllm/core/schedulers/alpha.py``
    (``LinearAlphaScheduler`` ``alpha(i) = 1 - i``, the samplers' default, and
    ``CosineAlphaScheduler`` ``alpha(i) = 1 - cos(pi/2 (1 - i))``). For ``j = 0..T-1``, with
    ``s = (T-1-j)/T``, ``t = (T-j)/T`` and ``M`` the tokens still masked,

    .. math::

       c_j = \\mathrm{round}\\Big(M \\Big(1 - \\frac{1 - \\alpha(s)}{1 - \\alpha(t)}\\Big)\\Big),

    the ratio in float32 (``reverse_mask_prob``), ``1 - q`` and the product in float64, rounding
    half to even (``torch.round``), capped at ``M``; ``M -= c_j``. Linear gives LLaDA's sizes in
    another order (``n = 10, T = 4``: ``(2, 3, 2, 3)``, :func:`constant` ``(3, 3, 2, 2)``).
    Zero steps are dropped (so does the sampler). docs/theory.md §7; docs/upstream_notes.md.

    Args:
      n: number of masked positions.
      steps: the number of steps ``T``.
      alpha: ``"linear"`` or ``"cosine"``.

    Returns:
      the positive step sizes, summing to ``n``.

    Raises:
      ValueError: ``n`` or ``steps`` not a positive int, or an unknown ``alpha``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.alpha_rounded(10, 4), mdm.schedules.alpha_rounded(4, 4, "cosine")
      ((2, 3, 2, 3), (1, 1, 2))
    """
    n = as_positive_int(n, "n")
    big_t = _as_steps(steps)
    alpha = as_choice(alpha, DLLM_ALPHAS, "alpha")
    one = F32(1.0)
    masked = n
    sizes = []
    for j in range(big_t):
        s, t = (big_t - 1 - j) / big_t, (big_t - j) / big_t
        q = F32((one - _dllm_alpha32(alpha, s)) / (one - _dllm_alpha32(alpha, t)))
        c = min(int(np.round(float(masked) * (1.0 - float(q)))), masked)
        sizes.append(c)
        masked -= c
        if masked == 0:
            break
    if masked:  # pragma: no cover - alpha(0) = 1 makes the last step take the rest
        raise RuntimeError(f"alpha_rounded left {masked} positions masked")
    return _drop_zeros(sizes)


def _flexible_gamma(name: str, r: float, exp_k: float, log_a: float) -> float:
    if name == "linear":
        return 1 - r
    if name == "cosine":
        return float(np.cos((np.pi / 2) * r))
    if name == "square":
        return (1 - r) ** 2
    if name == "cubic":
        return (1 - r) ** 3
    if name == "exponential":
        return float((np.exp(-exp_k * r) - np.exp(-exp_k)) / (1 - np.exp(-exp_k)))
    if name == "sqrt":
        return float(np.sqrt(1 - r))
    return float(1 - np.log(1 + log_a * r) / np.log(1 + log_a))  # "log"


@scoped_x64
def flexible(
    n: int, steps: int, gamma: str = "linear", exp_k: float = 5.0, log_a: float = 9.0
) -> tuple[int, ...]:
    """OpenDLM's flexible unmasking schedules: the rounded masked fraction ``gamma(t/T)``.

    Upstream: Jianguo99/OpenDLM@a4088d1, ``opendlm/sampler/scheduler/flexible.py::
    FlexibleUnmaskingScheduler(gen_length, timesteps, schedule_type='linear', exp_k=5, log_a=9).
    _precompute_transfer_nums``. With ``M_t = round(n gamma(t/T))`` (float64, Python's ``round``,
    half to even) for ``t < T`` and ``M_T = 0``, step ``t`` reveals ``max(0, M_t - M_{t+1})``. The
    gammas: ``linear`` ``1 - r``, ``cosine`` ``cos(pi r / 2)``, ``square`` ``(1 - r)^2``,
    ``cubic`` ``(1 - r)^3``, ``exponential`` ``(e^{-k r} - e^{-k}) / (1 - e^{-k})``, ``sqrt``
    ``sqrt(1 - r)``, ``log`` ``1 - ln(1 + a r) / ln(1 + a)``. Unlike :func:`maskgit` there is no
    floor and no "at least one per step"; zero steps (which still cost OpenDLM a model call) are
    dropped. docs/theory.md §7; docs/upstream_notes.md.

    Args:
      n: number of masked positions (``gen_length``).
      steps: the number of steps ``T`` (``timesteps``).
      gamma: one of :data:`FLEXIBLE_GAMMAS`.
      exp_k: ``k`` of ``"exponential"``, ``> 0``.
      log_a: ``a`` of ``"log"``, ``> 0``.

    Returns:
      the positive step sizes, summing to ``n``.

    Raises:
      ValueError: ``n`` or ``steps`` not a positive int, an unknown ``gamma``, or a
        non-positive ``exp_k`` / ``log_a``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.flexible(10, 4), mdm.schedules.flexible(3, 5, "cubic")
      ((2, 3, 3, 2), (1, 1, 1))
    """
    n = as_positive_int(n, "n")
    big_t = _as_steps(steps)
    gamma = as_choice(gamma, FLEXIBLE_GAMMAS, "gamma")
    exp_k = as_positive_float(exp_k, "exp_k")
    log_a = as_positive_float(log_a, "log_a")
    ratios = [_flexible_gamma(gamma, t / big_t, exp_k, log_a) for t in range(big_t)] + [0.0]
    masked = [int(round(r * n)) for r in ratios]
    sizes = [max(0, masked[t] - masked[t + 1]) for t in range(big_t)]
    if sum(sizes) != n:  # pragma: no cover - every gamma decreases from gamma(0) = 1
        raise RuntimeError(f"flexible: sizes {sizes} do not sum to n = {n}")
    return _drop_zeros(sizes)


@scoped_x64
def dream(n: int, steps: int, eps: float = 1e-3, dtype: str = "float32") -> tuple[int, ...]:
    """Dream's schedule (Ye et al. 2025), docs/theory.md §7.

    ``t = linspace(1, eps, T+1)``; with ``M_i`` masked before step ``i``,
    ``s_i = int(M_i (1 - t_{i+1}/t_i))`` for ``i < T - 1``, and the last step takes the rest.
    Steps that reveal nothing (``int`` rounds down) are dropped.

    Arithmetic. ``dtype="float32"`` (the default) is upstream's: ``DreamGenerationMixin._sample``
    (Dream-v0; NVlabs/Fast-dLLM@24cc59e ``dream/model/generation_utils.py``) builds
    ``timesteps = torch.linspace(1, eps, steps + 1)`` as a float32 CUDA tensor and computes
    ``int(num_mask_token * (1 - s / t))`` in float32, so near an integer boundary its count can
    differ from the exact one (``n = 890, T = 512`` is the smallest such ``n`` at Dream's default
    ``T``). ``dtype="float64"`` computes the formula in float64.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.dream(16, 4)
      (3, 4, 4, 5)
    """
    n = as_positive_int(n, "n")
    big_t = _as_steps(steps)
    eps = as_positive_float(eps, "eps")
    if eps >= 1:
        raise ValueError(f"eps: must be in (0, 1), got {eps!r}")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    if dtype == "float32":
        t = linspace32(1.0, eps, big_t + 1)
        # 1 - s/t and the product by the float32 count, each rounded to float32 as torch does
        keep = [F32(F32(1.0) - F32(t[i + 1] / t[i])) for i in range(big_t)]
        count = lambda masked, i: int(F32(F32(masked) * keep[i]))  # noqa: E731
    else:
        t = np.linspace(1.0, eps, big_t + 1)
        count = lambda masked, i: int(masked * (1 - t[i + 1] / t[i]))  # noqa: E731
    masked = n
    sizes = []
    for i in range(big_t):
        s = masked if i == big_t - 1 else count(masked, i)
        sizes.append(s)
        masked -= s
    return _drop_zeros(sizes)
