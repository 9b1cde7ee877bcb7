"""``mdmjax policies``: the steps–KL frontier of unmasking policies on a law.

Prints the table of :func:`mdmjax.policy_frontier` and saves the plot (KL against expected steps,
log scale, one line per policy family, the DP-optimal random-order curve dashed).

Examples::

    mdmjax policies --law ising --n 10 --beta 0.6
    mdmjax policies --law markov --n 5 --q 4 --policies confidence,threshold,semi_ar:2
    mdmjax policies --probs law.npy --model noisy:0.5 --plot frontier.png --json frontier.json
"""

from __future__ import annotations

import json
import math

import numpy as np

from mdmjax import models
from mdmjax.distribution import Distribution
from mdmjax.frontier import DEFAULT_FAMILIES, policy_frontier

__all__ = ["register", "run", "ising_chain", "random_markov_chain"]


def ising_chain(n: int, beta: float, field: float = 0.0) -> Distribution:
    """``p(x) ∝ exp(beta sum_i s_i s_{i+1} + field sum_i s_i)``, ``s = 2x - 1``, open chain."""
    if n < 1:
        raise ValueError(f"n: must be >= 1, got {n}")
    s = 2.0 * np.indices((2,) * n).reshape(n, -1) - 1.0
    energy = beta * np.sum(s[:-1] * s[1:], axis=0) + field * np.sum(s, axis=0)
    w = np.exp(energy - energy.max())
    return Distribution.from_probs((w / w.sum()).reshape((2,) * n))


def random_markov_chain(n: int, q: int, alpha: float, seed: int) -> Distribution:
    """A first-order Markov chain with Dirichlet(alpha) initial law and transition rows."""
    if n < 1 or q < 1:
        raise ValueError(f"n, q: must be >= 1, got n = {n}, q = {q}")
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(q, alpha))
    for _ in range(n - 1):
        trans = rng.dirichlet(np.full(q, alpha), size=q)
        probs = probs[..., None] * trans.reshape((1,) * (probs.ndim - 1) + trans.shape)
    return Distribution.from_probs(probs / probs.sum())


def _law(args) -> Distribution:
    if args.probs:
        return Distribution.from_probs(np.load(args.probs))
    if args.law == "ising":
        return ising_chain(args.n, args.beta, args.field)
    if args.law == "markov":
        return random_markov_chain(args.n, args.q, args.alpha, args.seed)
    rng = np.random.default_rng(args.seed)
    size = args.q**args.n
    return Distribution.from_probs(
        rng.dirichlet(np.full(size, args.alpha)).reshape((args.q,) * args.n)
    )


def _model(spec: str | None, d: Distribution):
    if spec is None or spec == "truth":
        return None
    name, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else []
    try:
        if name == "tempered":
            return models.tempered(d, float(parts[0]))
        if name == "noisy":
            return models.noisy(d, float(parts[0]), int(parts[1]) if len(parts) > 1 else 0)
    except (IndexError, ValueError) as err:
        raise ValueError(f"model: cannot parse {spec!r} ({err})") from err
    if name == "product":
        return models.product_approximation(d)
    if name == "markov":
        return models.markov_approximation(d)
    raise ValueError(
        f"model: unknown {spec!r}; use truth, tempered:T, noisy:SCALE[:SEED], product or markov"
    )


def _steps(spec: str | None, n: int):
    if spec is None:
        return None
    try:
        if ":" in spec:
            lo, hi = spec.split(":", 1)
            return range(int(lo or 1), int(hi or n) + 1)
        return [int(k) for k in spec.split(",") if k.strip()]
    except ValueError as err:
        raise ValueError(
            f"steps: expected LO:HI or a comma list of integers, got {spec!r}"
        ) from err


def run(args) -> int:
    d = _law(args)
    model = _model(args.model, d)
    families = [f.strip() for f in args.policies.split(",") if f.strip()]
    frontier = policy_frontier(
        d, families, _steps(args.steps, d.n), model=model, progress=not args.quiet
    )
    ent = d.entropy()
    print(f"law: shape {d.shape}, H(X) = {ent:.6g} nats ({ent / math.log(2):.6g} bits)")
    print(frontier.table())
    if args.plot:
        frontier.plot(path=args.plot)
        print(f"plot saved to {args.plot}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"shape": d.shape, "rows": frontier.rows()}, fh, indent=1)
        print(f"rows saved to {args.json}")
    return 0


def register(subparsers) -> None:
    """Add the ``policies`` sub-command."""
    p = subparsers.add_parser(
        "policies",
        help="steps-KL frontier of unmasking policies vs the optimal random-order schedule",
        description=(
            "Evaluate unmasking policies exactly on a small law (a tree walk over partial "
            "assignments) and compare them with the DP-optimal random-order schedule."
        ),
    )
    p.add_argument("--law", choices=("ising", "markov", "random"), default="ising")
    p.add_argument("--probs", help="a .npy probability table (overrides --law)")
    p.add_argument("--n", type=int, default=10, help="number of positions (default 10)")
    p.add_argument("--q", type=int, default=2, help="alphabet size for markov/random")
    p.add_argument("--beta", type=float, default=0.6, help="Ising coupling")
    p.add_argument("--field", type=float, default=0.0, help="Ising field")
    p.add_argument("--alpha", type=float, default=0.5, help="Dirichlet concentration")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--policies",
        default=",".join(DEFAULT_FAMILIES),
        help="comma list of families (default: %(default)s; also semi_ar:L)",
    )
    p.add_argument("--steps", help="step counts: LO:HI or a comma list (default 1:n)")
    p.add_argument(
        "--model", help="truth (default), tempered:T, noisy:SCALE[:SEED], product or markov"
    )
    p.add_argument("--plot", default="policies_frontier.png", help="figure path ('' for none)")
    p.add_argument("--json", help="also write the rows as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
