"""``mdmjax policies``: the steps–KL frontier of unmasking policies on a law.

Prints the table of :func:`mdmjax.policy_frontier` and saves the plot (KL against expected steps,
log scale, one line per policy family, the DP-optimal random-order curve dashed).

Examples::

    mdmjax policies --family ising --n 10 --coupling 0.6 --field 0.1
    mdmjax policies --family markov --n 5 --q 4 --policies confidence,threshold,semi_ar:2
    mdmjax policies --probs law.npy --model noisy:0.5 --plot frontier.png --json frontier.json
"""

from __future__ import annotations

import json
import math

import jax
import numpy as np

from mdmjax import families, models
from mdmjax.distribution import Distribution
from mdmjax.policies import DEFAULT_FAMILIES, policy_frontier

__all__ = ["register", "run", "law_from_args"]


def _param(text: str) -> tuple[str, float]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"param: expected KEY=VALUE, got {text!r}")
    try:
        return key, float(value)
    except ValueError as err:
        raise ValueError(f"param: {key} needs a number, got {value!r}") from err


def law_from_args(args) -> Distribution:
    """``--probs FILE`` wins; otherwise ``families.by_name(family, n, q, key=seed, **params)``.

    For ``--family ising`` the ``--coupling`` and ``--field`` options are passed on.
    """
    if args.probs:
        return Distribution.from_probs(np.load(args.probs))
    params = dict(_param(t) for t in args.param or [])
    if args.family == "ising":
        params.setdefault("coupling", args.coupling)
        params.setdefault("field", args.field)
    return families.by_name(args.family, args.n, q=args.q, key=jax.random.key(args.seed), **params)


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
    d = law_from_args(args)
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
    law = p.add_argument_group("the law")
    law.add_argument("--family", default="ising", help="a family name (families.by_name)")
    law.add_argument("--probs", metavar="FILE", help="a .npy probability table (wins)")
    law.add_argument("--n", type=int, default=10, help="number of positions (default 10)")
    law.add_argument("--q", type=int, default=None, help="alphabet size (family default)")
    law.add_argument("--seed", type=int, default=0, help="seed for random families")
    law.add_argument("--coupling", type=float, default=0.6, help="Ising coupling J")
    law.add_argument("--field", type=float, default=0.0, help="Ising field h")
    law.add_argument("--param", action="append", metavar="KEY=VALUE", help="more family parameters")
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
