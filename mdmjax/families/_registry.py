"""The named-family registry for the CLI: :data:`FAMILY_NAMES` and :func:`by_name`."""

from __future__ import annotations

import inspect

import jax
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.precision import scoped_x64
from mdmjax._src.primes import as_prime, smallest_prime_above
from mdmjax._src.validate import as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.families._codes import linear_code, noisy_repetition, parity, reed_solomon, repetition
from mdmjax.families._common import as_table_positions
from mdmjax.families._ising import ising
from mdmjax.families._markov import markov_chain, random_markov_chain
from mdmjax.families._mixtures import mixture_of_products, random_mixture_of_products
from mdmjax.families._products import dirichlet, product, random_product

__all__ = ["FAMILY_NAMES", "by_name"]

FAMILY_NAMES = (
    "product",
    "repetition",
    "parity",
    "linear_code",
    "reed_solomon",
    "noisy_repetition",
    "markov",
    "ising",
    "mixture",
    "dirichlet",
)

_DEFAULT_KEY_SEED = 0


def _call(fn, family: str, args: dict, params: dict):
    """Call ``fn(**args, **params)``, turning an unknown parameter into a ``ValueError``."""
    accepted = [p for p in inspect.signature(fn).parameters if p not in args]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"params: unknown parameter(s) {unknown} for family {family!r}; accepted: {accepted}"
        )
    return fn(**args, **params)


def _binary_only(family: str, q) -> None:
    if q is not None and as_positive_int(q, "q") != 2:
        raise ValueError(f"q: the {family} family is binary (q = 2), got q = {q}")


@scoped_x64
def by_name(name: str, n: int, q: int | None = None, key=None, **params) -> Distribution:
    """A named family with sensible defaults, for the CLI and quick experiments.

    ====================  ==========================================================================
    name                  law (defaults)
    ====================  ==========================================================================
    ``product``           :func:`product` if ``marginals`` is given, else :func:`random_product`
    ``repetition``        :func:`repetition` (``q = 2``)
    ``parity``            :func:`parity` (``q = 2``)
    ``linear_code``       :func:`linear_code`; without ``generator``, a random ``(n//2, n)`` one
                          over ``F_q`` drawn from ``key`` (``q = 2``)
    ``reed_solomon``      :func:`reed_solomon` (``q`` = smallest prime ``> n``, ``d = 2``)
    ``noisy_repetition``  :func:`noisy_repetition` (``eta = 0.1``; binary)
    ``markov``            :func:`markov_chain` if ``initial``/``transition`` are given, else
                          :func:`random_markov_chain` (``q = 2``)
    ``ising``             :func:`ising` (``graph = "chain"``, ``coupling = 0.5``; binary)
    ``mixture``           :func:`mixture_of_products` if ``weights``/``marginals`` are given, else
                          :func:`random_mixture_of_products` (``q = 2``)
    ``dirichlet``         :func:`dirichlet` on shape ``(q,)*n`` (``q = 2``)
    ====================  ==========================================================================

    Args:
      name: one of :data:`FAMILY_NAMES`.
      n: number of positions.
      q: alphabet size (family default when ``None``).
      key: a ``jax.random`` key or int seed for random families (default: seed 0).
      **params: passed on to the constructor (e.g. ``d=3``, ``eta=0.2``, ``coupling=1.0``).

    Raises:
      ValueError: unknown ``name`` (the message lists the valid ones), unknown parameters, or
        any error of the constructor.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.by_name("reed_solomon", 4).shape  # q = 5, d = 2
      (5, 5, 5, 5)
    """
    if name not in FAMILY_NAMES:
        valid = ", ".join(FAMILY_NAMES)
        raise ValueError(f"name: unknown family {name!r}; valid names are {valid}")
    n = as_table_positions(n)
    key = as_key(_DEFAULT_KEY_SEED if key is None else key)
    qq = 2 if q is None else q
    if name == "product":
        if "marginals" in params:
            return _call(product, name, {}, params)
        return _call(random_product, name, {"key": key, "n": n, "q": qq}, params)
    if name == "repetition":
        return _call(repetition, name, {"n": n, "q": qq}, params)
    if name == "parity":
        return _call(parity, name, {"n": n, "q": qq}, params)
    if name == "linear_code":
        if "generator" not in params:
            qp = as_prime(qq, "q")
            rows = int(params.pop("d", max(1, n // 2)))
            params["generator"] = np.asarray(jax.random.randint(key, (rows, n), 0, qp))
        return _call(linear_code, name, {"q": qq}, params)
    if name == "reed_solomon":
        params.setdefault("d", 2 if n >= 2 else 1)
        args = {"n": n, "q": smallest_prime_above(n) if q is None else q}
        return _call(reed_solomon, name, args, params)
    if name == "noisy_repetition":
        _binary_only(name, q)
        params.setdefault("eta", 0.1)
        return _call(noisy_repetition, name, {"n": n}, params)
    if name == "markov":
        if "initial" in params or "transition" in params:
            return _call(markov_chain, name, {"n": n}, params)
        return _call(random_markov_chain, name, {"key": key, "n": n, "q": qq}, params)
    if name == "ising":
        _binary_only(name, q)
        if "edges" not in params:
            params.setdefault("graph", "chain")
        params.setdefault("coupling", 0.5)
        return _call(ising, name, {"n": n}, params)
    if name == "mixture":
        if "weights" in params or "marginals" in params:
            return _call(mixture_of_products, name, {}, params)
        return _call(random_mixture_of_products, name, {"key": key, "n": n, "q": qq}, params)
    # dirichlet
    return _call(dirichlet, name, {"key": key, "shape": (qq,) * n}, params)
