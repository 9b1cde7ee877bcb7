"""What practitioners run: the per-step reveal counts of LLaDA, MaskGIT and Dream.

Each function returns a tuple of positive ints ``(s_1, .., s_k)`` summing to ``n`` (the number of
masked positions); zero-size steps are dropped (:mod:`mdmjax.schedules._breakpoints`), so
``len(result)`` can be smaller than the ``steps`` asked for. docs/theory.md §7.

Random-size schedules (MDLM/MD4 ancestral sampling) are :func:`mdmjax.schedules.ancestral` and
:func:`mdmjax.schedules.binomial`.
"""

from __future__ import annotations

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.schedules._breakpoints import _as_steps, _drop_zeros

__all__ = ["constant", "maskgit", "cosine", "dream", "GAMMAS"]

GAMMAS = ("cosine", "linear", "pow", "log", "exp")


# ------------------------------------------------------------------------------------------------
# Practice (docs/theory.md §7)
# ------------------------------------------------------------------------------------------------
@scoped_x64
def constant(n: int, steps: int) -> tuple[int, ...]:
    """LLaDA's uniform schedule: ``s_k = floor(n / T) + 1[k < n mod T]``, remainder first.

    With ``steps > n`` the last ``steps - n`` steps are empty and dropped (``n`` steps of 1).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.constant(10, 4)
      (3, 3, 2, 2)
    """
    n = as_positive_int(n, "n")
    big_t = _as_steps(steps)
    k = np.arange(big_t)
    return _drop_zeros(n // big_t + (k < n % big_t))


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


@scoped_x64
def maskgit(n: int, steps: int, gamma: str = "cosine", power: float = 2.0) -> tuple[int, ...]:
    """MaskGIT's gamma-schedules (Chang et al. 2022), docs/theory.md §7.

    With ``r = (k+1)/T`` the masked count after step ``k`` is
    ``max(1, min(M_k - 1, floor(n gamma(r))))`` (MaskGIT's clip: the lower bound 1 wins, so a
    step that starts with one masked token reveals nothing until the last step), and 0 after the
    last step. The gamma functions are

    - ``cosine``: ``cos(pi r / 2)``; ``linear``: ``1 - r``; ``pow``: ``1 - r^power``;
    - ``log``: ``-log2(r) / log2(n)``; ``exp``: ``1 - 2^(-log2(n) (1 - r))``.

    Steps that reveal nothing are dropped. The formula is evaluated in float64 as written, like
    the reference implementations: ``floor(10 (1 - 4/5)) = floor(1.9999999999999996) = 1``.

    Args:
      n: number of masked positions.
      steps: the number of steps ``T``.
      gamma: one of ``"cosine"``, ``"linear"``, ``"pow"``, ``"log"``, ``"exp"``.
      power: the exponent of ``"pow"``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.schedules.maskgit(16, 4)
      (2, 3, 5, 6)
    """
    n = as_positive_int(n, "n")
    big_t = _as_steps(steps)
    if gamma not in GAMMAS:
        raise ValueError(f"gamma: expected one of {GAMMAS}, got {gamma!r}")
    power = as_positive_float(power, "power")
    if n == 1:
        return (1,)
    r = (np.arange(big_t) + 1) / big_t
    target = np.floor(n * _gamma(gamma, r, n, power))
    masked = n
    sizes = []
    for k in range(big_t):
        after = 0 if k == big_t - 1 else max(1, min(masked - 1, int(target[k])))
        sizes.append(masked - after)
        masked = after
    return _drop_zeros(sizes)


@scoped_x64
def cosine(n: int, steps: int) -> tuple[int, ...]:
    """The MaskGIT cosine schedule: ``maskgit(n, steps, "cosine")``."""
    return maskgit(n, steps, "cosine")


@scoped_x64
def dream(n: int, steps: int, eps: float = 1e-3) -> tuple[int, ...]:
    """Dream's schedule (Ye et al. 2025), docs/theory.md §7.

    ``t = linspace(1, eps, T+1)``; with ``M_i`` masked before step ``i``,
    ``s_i = int(M_i (1 - t_{i+1}/t_i))`` for ``i < T - 1``, and the last step takes the rest.
    Steps that reveal nothing (``int`` rounds down) are dropped.

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
    t = np.linspace(1.0, eps, big_t + 1)
    masked = n
    sizes = []
    for i in range(big_t):
        s = masked if i == big_t - 1 else int(masked * (1 - t[i + 1] / t[i]))
        sizes.append(s)
        masked -= s
    return _drop_zeros(sizes)
