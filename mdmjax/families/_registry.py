"""The one table of named families (:class:`FamilySpec`) and :func:`by_name`.

Every fact about a named family lives in :data:`FAMILY_SPECS`: its name and aliases, the alphabet
it allows, its default alphabet size and parameters, how its probability table is built, and
whether (and how, in words) ``mdm.curves.family_curve`` computes its curve at large ``n``.
:func:`by_name`, ``mdm.curves.family_curve``, ``mdm.curves.family_route`` and the CLI all read
it. docs/theory.md §9.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping

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

__all__ = ["FAMILY_NAMES", "FAMILY_SPECS", "FamilySpec", "by_name", "family_spec"]

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


# ------------------------------------------------------------------------------------------------
# Table builders: (name, n, q or None, key, params) -> Distribution
# ------------------------------------------------------------------------------------------------
def _product_table(name, n, q, key, params):
    if "marginals" in params:
        return _call(product, name, {}, params)
    return _call(random_product, name, {"key": key, "n": n, "q": 2 if q is None else q}, params)


def _repetition_table(name, n, q, key, params):
    return _call(repetition, name, {"n": n, "q": 2 if q is None else q}, params)


def _parity_table(name, n, q, key, params):
    return _call(parity, name, {"n": n, "q": 2 if q is None else q}, params)


def _linear_code_table(name, n, q, key, params):
    qq = 2 if q is None else q
    if "generator" not in params:
        qp = as_prime(qq, "q")
        rows = int(params.pop("d", max(1, n // 2)))
        params["generator"] = np.asarray(jax.random.randint(key, (rows, n), 0, qp))
    return _call(linear_code, name, {"q": qq}, params)


def _reed_solomon_table(name, n, q, key, params):
    params.setdefault("d", 2 if n >= 2 else 1)
    args = {"n": n, "q": smallest_prime_above(n) if q is None else q}
    return _call(reed_solomon, name, args, params)


def _noisy_repetition_table(name, n, q, key, params):
    _binary_only(name, q)
    params.setdefault("eta", 0.1)
    return _call(noisy_repetition, name, {"n": n}, params)


def _markov_table(name, n, q, key, params):
    if "initial" in params or "transition" in params:
        return _call(markov_chain, name, {"n": n}, params)
    args = {"key": key, "n": n, "q": 2 if q is None else q}
    return _call(random_markov_chain, name, args, params)


def _ising_table(name, n, q, key, params):
    _binary_only(name, q)
    if "edges" not in params:
        params.setdefault("graph", "chain")
    params.setdefault("coupling", 0.5)
    return _call(ising, name, {"n": n}, params)


def _mixture_table(name, n, q, key, params):
    if "weights" in params or "marginals" in params:
        return _call(mixture_of_products, name, {}, params)
    args = {"key": key, "n": n, "q": 2 if q is None else q}
    return _call(random_mixture_of_products, name, args, params)


def _dirichlet_table(name, n, q, key, params):
    return _call(dirichlet, name, {"key": key, "shape": (2 if q is None else q,) * n}, params)


# ------------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class FamilySpec:
    """What the library knows about one named family: one row of :data:`FAMILY_SPECS`.

    Attributes:
      name: the canonical name (``--family NAME`` in the CLI).
      aliases: other names accepted for it (``"rs"`` for ``"reed_solomon"``).
      alphabet: the alphabet sizes allowed: ``"any"``, ``"binary"`` (``q = 2`` only) or
        ``"prime"`` (``q`` a prime, arithmetic over ``F_q``).
      defaults: the default parameters, as text for people (``{"eta": "0.1"}``).
      table: ``(name, n, q, key, params) -> Distribution`` builds the probability table
        (``q`` is ``None`` for the family's default), or ``None`` for a family known only by
        its curve (``hmm``).
      curve: whether ``mdm.curves.family_curve`` has a large-``n`` route for it.
      route: the large-``n`` curve route in words (``mdm.curves.family_route`` says which one a
        given ``n``, ``q`` and parameters take).
      q_params: parameters whose last axis is the alphabet size, when given.

    The laws themselves are docs/theory.md §5 (closed forms) and §9 (large ``n``).

    Examples:
      >>> import mdmjax as mdm
      >>> spec = mdm.families.family_spec("rs")
      >>> spec.name, spec.alphabet, spec.default_q(6)
      ('reed_solomon', 'prime', 7)
    """

    name: str
    aliases: tuple[str, ...] = ()
    alphabet: str = "any"
    defaults: Mapping[str, str] = dataclasses.field(default_factory=dict)
    table: Callable | None = None
    curve: bool = True
    route: str = ""
    q_params: tuple[str, ...] = ()

    def default_q(self, n: int) -> int:
        """The alphabet size when none is given: the smallest prime above ``n`` for Reed-Solomon
        codes, else 2."""
        return smallest_prime_above(n) if self.name == "reed_solomon" else 2

    def alphabet_size(self, n: int, q: int | None, params: Mapping) -> int:
        """The alphabet size of the law these arguments describe, without building it: ``q`` if
        given, else the last axis of a given ``transition``/``marginals``/``emission``, else
        :meth:`default_q`."""
        if q is not None:
            return q
        for key in self.q_params:
            if key in params:
                try:
                    return int(np.shape(params[key])[-1])
                except (IndexError, ValueError):
                    return 2
        return self.default_q(n)


_Q_PARAMS = ("transition", "marginals", "emission")

#: One row per named family; :func:`by_name`, ``mdm.curves.family_curve``/``family_route`` and
#: the CLI read it. Order: the order names are listed in messages.
FAMILY_SPECS: tuple[FamilySpec, ...] = (
    FamilySpec(
        "product",
        defaults={"marginals": "random, alpha = 1", "q": "2"},
        table=_product_table,
        route="exact, Z = 0",
        q_params=_Q_PARAMS,
    ),
    FamilySpec(
        "repetition", defaults={"q": "2"}, table=_repetition_table, route="exact MDS, d = 1"
    ),
    FamilySpec("parity", defaults={"q": "2"}, table=_parity_table, route="exact MDS, d = n - 1"),
    FamilySpec(
        "linear_code",
        alphabet="prime",
        defaults={"generator": "random (n//2, n) over F_q", "q": "2"},
        table=_linear_code_table,
        route="exact rank counting for small n, else Monte Carlo",
        q_params=_Q_PARAMS,
    ),
    FamilySpec(
        "reed_solomon",
        aliases=("rs",),
        alphabet="prime",
        defaults={"q": "smallest prime > n", "d": "2"},
        table=_reed_solomon_table,
        route="exact MDS closed form",
    ),
    FamilySpec(
        "noisy_repetition",
        alphabet="binary",
        defaults={"eta": "0.1"},
        table=_noisy_repetition_table,
        route="exact closed form",
    ),
    FamilySpec(
        "markov",
        defaults={"transition": "random, concentration = 1", "q": "2"},
        table=_markov_table,
        route="exact (O(n^2))",
        q_params=_Q_PARAMS,
    ),
    FamilySpec(
        "ising",
        alphabet="binary",
        defaults={"graph": "chain", "coupling": "0.5", "field": "0"},
        table=_ising_table,
        route="chain: exact (transfer matrix); a tree given by edges: Monte Carlo",
        q_params=_Q_PARAMS,
    ),
    FamilySpec(
        "hmm",
        defaults={"states": "2", "alpha": "1", "q": "2"},
        route="Monte Carlo",
        q_params=_Q_PARAMS,
    ),
    FamilySpec(
        "mixture",
        defaults={"components": "2", "alpha": "1", "q": "2"},
        table=_mixture_table,
        route="Monte Carlo",
        q_params=_Q_PARAMS,
    ),
    FamilySpec(
        "dirichlet",
        defaults={"q": "2"},
        table=_dirichlet_table,
        curve=False,
        q_params=_Q_PARAMS,
    ),
)

_BY_NAME = {alias: spec for spec in FAMILY_SPECS for alias in (spec.name, *spec.aliases)}

#: The families with a probability table (:func:`by_name`).
FAMILY_NAMES = tuple(spec.name for spec in FAMILY_SPECS if spec.table is not None)


def family_spec(name: str) -> FamilySpec:
    """The :class:`FamilySpec` of a family name or alias.

    Args:
      name: a name or alias in :data:`FAMILY_SPECS`.

    Returns:
      the family's row of the table.

    Raises:
      ValueError: an unknown ``name`` (the message lists the valid ones).

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.family_spec("ising").alphabet
      'binary'
    """
    if not isinstance(name, str) or name not in _BY_NAME:
        valid = ", ".join(_BY_NAME)
        raise ValueError(f"name: unknown family {name!r}; valid names are {valid}")
    return _BY_NAME[name]


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
    spec = _BY_NAME.get(name) if isinstance(name, str) else None
    if spec is None or spec.table is None or name != spec.name:
        valid = ", ".join(FAMILY_NAMES)
        raise ValueError(f"name: unknown family {name!r}; valid names are {valid}")
    n = as_table_positions(n)
    key = as_key(_DEFAULT_KEY_SEED if key is None else key)
    return spec.table(name, n, q, key, params)
