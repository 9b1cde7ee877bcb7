"""Named families at large ``n``: the curve builder of each family, and which route it takes.

The names, aliases, alphabets and defaults are the rows of ``mdm.families.FAMILY_SPECS`` (the one
table); this module adds each family's curve builder (exact where the law has structure, Monte
Carlo with standard errors otherwise). :func:`family_route` says which route
:func:`family_curve` takes for given arguments, and the CLI prints what it says.
:data:`CURVE_FAMILIES` lists the names (and aliases) with a curve route.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from mdmjax._src.keys import as_key
from mdmjax._src.memory import check_allocation, check_curve_positions
from mdmjax._src.precision import scoped_x64
from mdmjax._src.primes import as_prime
from mdmjax._src.random_laws import (
    random_dirichlet_rows,
    random_markov_parameters,
    random_mixture_parameters,
)
from mdmjax._src.validate import as_positive_float, as_positive_int
from mdmjax.curves._closed_forms import noisy_repetition_curve, product_curve
from mdmjax.curves._codes import (
    AUTO_EXACT_N,
    linear_code_curve,
    parity_curve,
    reed_solomon_curve,
    repetition_curve,
)
from mdmjax.curves._curve import InformationCurve
from mdmjax.curves._markov import ising_chain, markov_chain_curve
from mdmjax.curves._mc_models import HiddenMarkovModel, MixtureOfProducts, ising_tree
from mdmjax.curves._monte_carlo import monte_carlo_curve
from mdmjax.families import FAMILY_SPECS, family_spec

__all__ = ["CURVE_FAMILIES", "FamilyRoute", "family_curve", "family_route"]

#: The family names and aliases with a large-``n`` curve route (rows of
#: ``mdm.families.FAMILY_SPECS`` with ``curve=True``).
CURVE_FAMILIES = tuple(
    alias for spec in FAMILY_SPECS if spec.curve for alias in (spec.name, *spec.aliases)
)

_DEFAULT_KEY_SEED = 0
_MC_STREAM = 0x6D63  # fold_in tag: the estimator's key, apart from the law's random draws


def _take(params: dict, family: str, accepted: tuple[str, ...]) -> dict:
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(
            f"params: unknown parameter(s) {unknown} for family {family!r}; accepted: "
            f"{list(accepted)}"
        )
    return params


def _binary_only(family: str, q) -> None:
    if q is not None and as_positive_int(q, "q") != 2:
        raise ValueError(f"q: the {family} family is binary (q = 2), got q = {q}")


def _mc_options(params: dict) -> dict:
    return {"num_samples": params.pop("num_samples", 256)}


def _check_draw(count: int, what: str) -> None:
    """Refuse random parameters of ``count`` values (each drawn, normalized and copied a few
    times) that would not fit in memory; the alphabet ``q`` is what makes them large."""
    check_allocation(count * 64, what, "Use a smaller q.", "q")


def _reed_solomon_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ("d", "points", "shift"))
    params.pop("shift", None)
    return reed_solomon_curve(
        n, q=q, d=params.get("d", 2 if n >= 2 else 1), points=params.get("points")
    )


def _repetition_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ())
    return repetition_curve(n, qq)


def _parity_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ())
    return parity_curve(n, qq)


def _noisy_repetition_curve_builder(name, n, q, qq, key, mc_key, params):
    _binary_only(name, q)
    _take(params, name, ("eta",))
    return noisy_repetition_curve(n, params.get("eta", 0.1))


def _product_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ("marginals", "alpha"))
    if "marginals" in params:
        marg = np.asarray(params["marginals"], dtype=np.float64)
        if marg.ndim != 2 or marg.shape[0] != n:
            raise ValueError(f"marginals: expected shape ({n}, q), got {marg.shape}")
        return product_curve(marg)
    alpha = as_positive_float(params.get("alpha", 1.0), "alpha")
    _check_draw(n * qq, f"{n} x {qq} random marginals")
    return product_curve(np.asarray(random_dirichlet_rows(key, (n, qq), alpha)))


def _markov_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ("initial", "transition", "concentration", "stationary"))
    if "initial" in params or "transition" in params:
        if "initial" not in params or "transition" not in params:
            raise ValueError("params: give both initial and transition (or neither)")
        return markov_chain_curve(params["initial"], params["transition"], n)
    c = as_positive_float(params.get("concentration", 1.0), "concentration")
    _check_draw(qq * qq + n * qq, f"a random {qq} x {qq} transition and its terms")
    trans, mu = (np.asarray(a) for a in random_markov_parameters(key, qq, c))
    if params.get("stationary", False):
        return markov_chain_curve("stationary", trans, n)
    return markov_chain_curve(mu, trans, n)


def _ising_curve_builder(name, n, q, qq, key, mc_key, params):
    _binary_only(name, q)
    _take(params, name, ("graph", "coupling", "field", "edges", "num_samples"))
    coupling = params.get("coupling", 0.5)
    field = params.get("field", 0.0)
    if params.get("edges") is not None:
        if params.get("graph") is not None:
            raise ValueError("graph: give either a named graph or explicit edges, not both")
        model = ising_tree(n, params["edges"], coupling, field)
        return monte_carlo_curve(model, mc_key, **_mc_options(params))
    graph = params.get("graph", "chain")
    if graph != "chain":
        raise ValueError(
            f"graph: only the chain (exact) or a tree given by edges (Monte-Carlo) has a "
            f"large-n route, got {graph!r}"
        )
    return ising_chain(n, coupling, field)


def _linear_code_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ("generator", "d", "shift", "method", "num_samples"))
    qp = as_prime(qq, "q", int64_products=True)
    if "generator" in params:
        if "d" in params:
            raise ValueError("d: give either a generator or its number of rows d, not both")
        gen = params["generator"]
    else:
        rows = as_positive_int(params.get("d", max(1, n // 2)), "d")
        gen = np.asarray(jax.random.randint(key, (rows, n), 0, qp))
    return linear_code_curve(
        gen,
        qp,
        params.get("shift"),
        method=params.get("method", "auto"),
        key=mc_key,
        num_samples=params.get("num_samples", 256),
    )


def _hmm_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ("initial", "transition", "emission", "states", "alpha", "num_samples"))
    given = [k for k in ("initial", "transition", "emission") if k in params]
    if given and len(given) != 3:
        raise ValueError("params: give all of initial, transition and emission (or none)")
    if given:
        model = HiddenMarkovModel(params["initial"], params["transition"], params["emission"], n)
    else:
        k = as_positive_int(params.get("states", 2), "states")
        alpha = as_positive_float(params.get("alpha", 1.0), "alpha")
        k1, k2, k3 = jax.random.split(key, 3)
        model = HiddenMarkovModel(
            np.asarray(jax.random.dirichlet(k1, jnp.ones(k))),
            np.asarray(jax.random.dirichlet(k2, jnp.ones(k), shape=(k,))),
            np.asarray(jax.random.dirichlet(k3, jnp.full((qq,), alpha), shape=(k,))),
            n,
        )
    return monte_carlo_curve(model, mc_key, **_mc_options(params))


def _mixture_curve_builder(name, n, q, qq, key, mc_key, params):
    _take(params, name, ("weights", "marginals", "components", "alpha", "num_samples"))
    if "weights" in params or "marginals" in params:
        if "weights" not in params or "marginals" not in params:
            raise ValueError("params: give both weights and marginals (or neither)")
        model = MixtureOfProducts(params["weights"], params["marginals"])
        if model.n != n:
            raise ValueError(f"marginals: describes {model.n} positions, but n = {n}")
    else:
        m = as_positive_int(params.get("components", 2), "components")
        alpha = as_positive_float(params.get("alpha", 1.0), "alpha")
        w, marg = random_mixture_parameters(key, m, n, qq, alpha)
        model = MixtureOfProducts(np.asarray(w), np.asarray(marg))
    return monte_carlo_curve(model, mc_key, **_mc_options(params))


#: Each family's curve builder, keyed by its ``FAMILY_SPECS`` name (checked against the table).
_CURVE_BUILDERS = {
    "product": _product_curve_builder,
    "repetition": _repetition_curve_builder,
    "parity": _parity_curve_builder,
    "linear_code": _linear_code_curve_builder,
    "reed_solomon": _reed_solomon_curve_builder,
    "noisy_repetition": _noisy_repetition_curve_builder,
    "markov": _markov_curve_builder,
    "ising": _ising_curve_builder,
    "hmm": _hmm_curve_builder,
    "mixture": _mixture_curve_builder,
}
if set(_CURVE_BUILDERS) != {spec.name for spec in FAMILY_SPECS if spec.curve}:  # pragma: no cover
    raise ImportError("mdmjax.curves: the curve builders and FAMILY_SPECS disagree")


@scoped_x64
def family_curve(name: str, n: int, q: int | None = None, key=None, **params) -> InformationCurve:
    """The information curve of a named family at large ``n``, exactly where possible.

    Names and defaults follow ``mdm.families.by_name``, and random families draw their
    parameters from ``key`` the same way, so at small ``n`` the result equals
    ``mdm.information_curve(mdm.families.by_name(name, n, q, key, **params))``.

    ====================  =========================================================================
    name                  route (defaults)
    ====================  =========================================================================
    ``markov``            exact :func:`markov_chain_curve`; ``initial``/``transition`` given, else a
                          random chain (``q = 2``, ``concentration = 1``, ``stationary = False``)
    ``reed_solomon``/     exact MDS closed form (``q`` = smallest prime ``> n``, ``d = 2``)
    ``rs``
    ``repetition``        exact MDS, ``d = 1`` (``q = 2``)
    ``parity``            exact MDS, ``d = n - 1`` (``q = 2``)
    ``noisy_repetition``  exact closed form (``eta = 0.1``; binary)
    ``product``           exact, ``Z ≡ 0`` (``marginals`` given, else random, ``alpha = 1``)
    ``ising``             chain (default ``graph="chain"``, ``coupling = 0.5``, ``field = 0``):
                          exact via :func:`ising_chain`; a tree given by ``edges``: Monte-Carlo
    ``linear_code``       exact rank counting for ``n <= 16``, else Monte-Carlo (``generator``
                          given, else random ``(n//2, n)`` over ``F_q``, ``q = 2``)
    ``hmm``               Monte-Carlo (``initial``, ``transition``, ``emission`` given, else random
                          with ``states = 2``, ``q = 2``)
    ``mixture``           Monte-Carlo (``weights``/``marginals`` given, else random,
                          ``components = 2``, ``alpha = 1``, ``q = 2``)
    ====================  =========================================================================

    Monte-Carlo routes accept ``num_samples`` (default 256) and use
    ``jax.random.fold_in(key, 0x6D63)`` for the estimator.

    Args:
      name: one of :data:`CURVE_FAMILIES`.
      n: number of positions.
      q: alphabet size (family default when ``None``).
      key: a ``jax.random`` key or int seed (default: seed 0, as ``mdm.families.by_name``).
      **params: passed on (e.g. ``d=3``, ``eta=0.2``, ``transition=...``, ``num_samples=512``).

    Raises:
      ValueError: unknown ``name`` or parameters, or a family with no large-``n`` route (say a
        cycle or grid Ising model).

    Examples:
      >>> import math, mdmjax as mdm
      >>> c = mdm.curves.family_curve("reed_solomon", 1000)   # q = 1009, d = 2
      >>> round(c.tc / math.log(1009), 9), round(c.dtc / math.log(1009), 9)
      (998.0, 2.0)
    """
    if name not in CURVE_FAMILIES:
        raise ValueError(
            f"name: unknown family {name!r}; valid names are {', '.join(CURVE_FAMILIES)}"
        )
    n = as_positive_int(n, "n")
    check_curve_positions(n)  # refused up front rather than killed for memory midway
    key = as_key(_DEFAULT_KEY_SEED if key is None else key)
    mc_key = jax.random.fold_in(key, _MC_STREAM)
    qq = 2 if q is None else as_positive_int(q, "q")
    params = dict(params)
    return _CURVE_BUILDERS[family_spec(name).name](name, n, q, qq, key, mc_key, params)


@dataclasses.dataclass(frozen=True)
class FamilyRoute:
    """How :func:`family_curve` computes a named family's curve (:func:`family_route`).

    Attributes:
      kind: ``"exact"`` (a structured exact route), ``"monte_carlo"`` (an estimate with standard
        errors) or ``"none"`` (no large-``n`` route: only the probability table, if any).
      description: the route in words, as the CLI prints it after ``route:``.
      num_samples: the draws of a Monte-Carlo route, else ``None``.

    Examples:
      >>> import mdmjax as mdm
      >>> r = mdm.curves.family_route("markov", 10)
      >>> r.kind, r.num_samples
      ('exact', None)
      >>> mdm.curves.family_route("linear_code", 40, num_samples=64)
      FamilyRoute(kind='monte_carlo', description='Monte Carlo, 64 samples', num_samples=64)
    """

    kind: str
    description: str
    num_samples: int | None = None


def family_route(name: str, n: int, q: int | None = None, **params) -> FamilyRoute:
    """Which route :func:`family_curve` takes for these arguments, without computing anything.

    The decision is the one :func:`family_curve` makes: the same names, aliases and defaults
    (``mdm.families.FAMILY_SPECS``), and for ``linear_code`` the same size threshold
    (``method="auto"``: exact rank counting up to ``n = 16``, Monte Carlo beyond). Exact
    structured curves are docs/theory.md §9.1, Monte-Carlo estimates §9.2.

    Args:
      name: a family name or alias (``mdm.families.FAMILY_SPECS``).
      n: number of positions.
      q: alphabet size (family default when ``None``).
      **params: the family's parameters, as for :func:`family_curve` (``num_samples`` sets the
        draws of a Monte-Carlo route, default 256).

    Returns:
      a :class:`FamilyRoute`.

    Raises:
      ValueError: an unknown ``name``, or ``n`` not a positive int.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.curves.family_route("markov", 10_000).description
      'exact Markov-chain curve'
      >>> r = mdm.curves.family_route("linear_code", 40)
      >>> r.kind, r.description
      ('monte_carlo', 'Monte Carlo, 256 samples')
    """
    spec = family_spec(name)
    n = as_positive_int(n, "n")
    if not spec.curve:
        return FamilyRoute("none", f"no large-n curve route for {spec.name}")
    family = spec.name
    if family == "markov":
        return FamilyRoute("exact", "exact Markov-chain curve")
    if family == "ising" and "edges" not in params and params.get("graph", "chain") == "chain":
        return FamilyRoute("exact", "exact Ising-chain curve (transfer matrix)")
    if family == "reed_solomon":
        qq = spec.alphabet_size(n, q, params)
        return FamilyRoute("exact", f"exact MDS-code closed form (Reed-Solomon over F_{qq})")
    if family in ("repetition", "parity"):
        return FamilyRoute("exact", "exact MDS-code closed form")
    if family == "noisy_repetition":
        return FamilyRoute("exact", "exact noisy-repetition closed form")
    if family == "product":
        return FamilyRoute("exact", "exact product-law curve (Z = 0)")
    if family == "linear_code":
        method = params.get("method", "auto")
        if method == "exact" or (method == "auto" and n <= AUTO_EXACT_N):
            return FamilyRoute("exact", "exact rank counting over F_q (all 2^n subsets)")
    if family in ("hmm", "mixture", "linear_code") or (family == "ising" and "edges" in params):
        m = params.get("num_samples", 256)
        return FamilyRoute("monte_carlo", f"Monte Carlo, {m} samples", m)
    return FamilyRoute("none", f"no large-n curve route for {family} with these parameters")
