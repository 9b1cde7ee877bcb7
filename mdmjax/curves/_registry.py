"""Named families at large ``n``: the right curve route for a name (``mdm.curves.family_curve``).

The names and defaults follow ``mdm.families.by_name``; :data:`CURVE_FAMILIES` lists the names
with a curve route (exact where the law has structure, Monte Carlo with standard errors
otherwise). ``mdm.families.FAMILY_NAMES`` lists the laws with a probability table.
"""

from __future__ import annotations

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
from mdmjax.curves._closed_forms import noisy_repetition, product
from mdmjax.curves._codes import linear_code, parity, reed_solomon, repetition
from mdmjax.curves._curve import InformationCurve
from mdmjax.curves._markov import ising_chain, markov_chain
from mdmjax.curves._mc_models import HiddenMarkovModel, MixtureOfProducts, ising_tree
from mdmjax.curves._monte_carlo import monte_carlo_curve

__all__ = ["CURVE_FAMILIES", "family_curve"]

CURVE_FAMILIES = (
    "product",
    "repetition",
    "parity",
    "linear_code",
    "reed_solomon",
    "rs",
    "noisy_repetition",
    "markov",
    "ising",
    "hmm",
    "mixture",
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


@scoped_x64
def family_curve(name: str, n: int, q: int | None = None, key=None, **params) -> InformationCurve:
    """The information curve of a named family at large ``n``, exactly where possible.

    Names and defaults follow ``mdm.families.by_name``, and random families draw their
    parameters from ``key`` the same way, so at small ``n`` the result equals
    ``mdm.information_curve(mdm.families.by_name(name, n, q, key, **params))``.

    ====================  =========================================================================
    name                  route (defaults)
    ====================  =========================================================================
    ``markov``            exact :func:`markov_chain`; ``initial``/``transition`` given, else a
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

    if name in ("reed_solomon", "rs"):
        _take(params, name, ("d", "points", "shift"))
        params.pop("shift", None)
        return reed_solomon(
            n, q=q, d=params.get("d", 2 if n >= 2 else 1), points=params.get("points")
        )
    if name == "repetition":
        _take(params, name, ())
        return repetition(n, qq)
    if name == "parity":
        _take(params, name, ())
        return parity(n, qq)
    if name == "noisy_repetition":
        _binary_only(name, q)
        _take(params, name, ("eta",))
        return noisy_repetition(n, params.get("eta", 0.1))
    if name == "product":
        _take(params, name, ("marginals", "alpha"))
        if "marginals" in params:
            marg = np.asarray(params["marginals"], dtype=np.float64)
            if marg.ndim != 2 or marg.shape[0] != n:
                raise ValueError(f"marginals: expected shape ({n}, q), got {marg.shape}")
            return product(marg)
        alpha = as_positive_float(params.get("alpha", 1.0), "alpha")
        _check_draw(n * qq, f"{n} x {qq} random marginals")
        return product(np.asarray(random_dirichlet_rows(key, (n, qq), alpha)))
    if name == "markov":
        _take(params, name, ("initial", "transition", "concentration", "stationary"))
        if "initial" in params or "transition" in params:
            if "initial" not in params or "transition" not in params:
                raise ValueError("params: give both initial and transition (or neither)")
            return markov_chain(params["initial"], params["transition"], n)
        c = as_positive_float(params.get("concentration", 1.0), "concentration")
        _check_draw(qq * qq + n * qq, f"a random {qq} x {qq} transition and its terms")
        trans, mu = (np.asarray(a) for a in random_markov_parameters(key, qq, c))
        if params.get("stationary", False):
            return markov_chain("stationary", trans, n)
        return markov_chain(mu, trans, n)
    if name == "ising":
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
    if name == "linear_code":
        _take(params, name, ("generator", "d", "shift", "method", "num_samples"))
        qp = as_prime(qq, "q", int64_products=True)
        if "generator" in params:
            if "d" in params:
                raise ValueError("d: give either a generator or its number of rows d, not both")
            gen = params["generator"]
        else:
            rows = as_positive_int(params.get("d", max(1, n // 2)), "d")
            gen = np.asarray(jax.random.randint(key, (rows, n), 0, qp))
        return linear_code(
            gen,
            qp,
            params.get("shift"),
            method=params.get("method", "auto"),
            key=mc_key,
            num_samples=params.get("num_samples", 256),
        )
    if name == "hmm":
        _take(params, name, ("initial", "transition", "emission", "states", "alpha", "num_samples"))
        given = [k for k in ("initial", "transition", "emission") if k in params]
        if given and len(given) != 3:
            raise ValueError("params: give all of initial, transition and emission (or none)")
        if given:
            model = HiddenMarkovModel(
                params["initial"], params["transition"], params["emission"], n
            )
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
    # mixture
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
