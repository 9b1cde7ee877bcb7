"""The catalogue of practitioners' schedules, each with its upstream's defaults and arithmetic.

:func:`practice_schedules` is what the ``mdmjax`` command (and experiment E4) iterate over. Every
entry reproduces its upstream's counts (deterministic schedules) or reveal probabilities
(random-size schedules) exactly; the upstream files and commits are named in each constructor's
docstring and in docs/upstream_notes.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from mdmjax._src.precision import scoped_x64
from mdmjax.schedules._practice import (
    FLEXIBLE_GAMMAS,
    alpha_rounded,
    constant,
    dream,
    flexible,
    maskgit,
)
from mdmjax.schedules._random_sizes import ancestral, dream_origin

__all__ = ["practice_schedules"]


@scoped_x64
def practice_schedules() -> dict[str, Callable]:
    """Every practitioner schedule with upstream defaults: ``name -> callable(n, steps)``.

    A callable returns either positive step sizes (a tuple of ints summing to ``n``; zero steps
    dropped) or, for the random-size samplers (names ending in ``(random sizes)``), a
    :class:`~mdmjax.schedules.BinomialSchedule`, valued exactly by :func:`mdmjax.expected_kl`
    and carrying ``expected_calls``. The entries:

    - ``LLaDA constant`` (:func:`constant`);
    - ``MaskGIT cosine``, ``MaskGIT uniform``, ``MaskGIT pow2``, ``MaskGIT pow3``,
      ``MaskGIT log``, ``MaskGIT exp`` (:func:`maskgit`, float32 as upstream);
    - ``Dream`` (:func:`dream`, the top-k algorithms' counts);
    - ``dllm linear``, ``dllm cosine`` (:func:`alpha_rounded`);
    - ``OpenDLM flexible <gamma>`` for every gamma of :data:`FLEXIBLE_GAMMAS` (:func:`flexible`);
    - ``MDLM ancestral (random sizes)`` (:func:`ancestral` log-linear, eps ``1e-5``, cached
      calls, noise removal); ``MD4 ancestral linear (random sizes)``, ``MD4 ancestral cosine
      (random sizes)`` (cosine grid, eps ``1e-4``, final decode);
      ``Dream origin (random sizes)`` (:func:`dream_origin`).

    Returns:
      a new dict (insertion order as above).

    Examples:
      >>> import mdmjax as mdm
      >>> cat = mdm.schedules.practice_schedules()
      >>> cat["MaskGIT cosine"](4, 3), cat["dllm linear"](10, 4)
      ((1, 2, 1), (2, 3, 2, 3))
      >>> round(cat["MDLM ancestral (random sizes)"](128, 128).expected_calls, 2)
      82.46
    """
    out: dict[str, Callable] = {"LLaDA constant": constant}
    for name in ("cosine", "uniform", "pow2", "pow3", "log", "exp"):
        out[f"MaskGIT {name}"] = functools.partial(_maskgit, gamma=name)
    out["Dream"] = dream
    for alpha in ("linear", "cosine"):
        out[f"dllm {alpha}"] = functools.partial(_alpha_rounded, alpha=alpha)
    for gamma in FLEXIBLE_GAMMAS:
        out[f"OpenDLM flexible {gamma}"] = functools.partial(_flexible, gamma=gamma)
    out["MDLM ancestral (random sizes)"] = functools.partial(_ancestral, alpha="loglinear")
    out["MD4 ancestral linear (random sizes)"] = functools.partial(_ancestral, alpha="linear")
    out["MD4 ancestral cosine (random sizes)"] = functools.partial(_ancestral, alpha="cosine")
    out["Dream origin (random sizes)"] = dream_origin
    return out


def _maskgit(n, steps, *, gamma):
    return maskgit(n, steps, gamma)


def _alpha_rounded(n, steps, *, alpha):
    return alpha_rounded(n, steps, alpha)


def _flexible(n, steps, *, gamma):
    return flexible(n, steps, gamma)


def _ancestral(n, steps, *, alpha):
    return ancestral(n, steps, alpha)
