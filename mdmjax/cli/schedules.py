"""``mdmjax schedules`` and ``mdmjax optimize``: catalogue schedules and the optax search.

* ``mdmjax schedules --family NAME --n N`` — every catalogue schedule against the DP optimum at
  several step counts, then the theory schedules (Theorem 9, Austin, the sweep) at a budget.
* ``mdmjax optimize --family NAME --n N --steps K`` — the optax search with a progress bar and its
  gap to the DP optimum.

The law comes from :func:`law_from_args`: ``--from-npy`` (a probability table), ``--z-npy`` (an
information curve ``Z_1..Z_n``, for large ``n``), or ``--family``/``--n`` through
``mdmjax.families.by_name`` (a random Dirichlet law when that is not available).
"""

from __future__ import annotations

import argparse

import numpy as np

__all__ = ["register", "law_from_args", "curve_from_args", "run_schedules", "run_optimize"]


def _add_law_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("the law")
    group.add_argument("--family", default="dirichlet", help="a family name (families.by_name)")
    group.add_argument("--n", type=int, default=None, help="number of positions")
    group.add_argument("--q", type=int, default=None, help="alphabet size (family default)")
    group.add_argument("--seed", type=int, default=0, help="seed for random families and restarts")
    group.add_argument(
        "--from-npy", default=None, metavar="FILE", help="a probability table (.npy)"
    )
    group.add_argument("--z-npy", default=None, metavar="FILE", help="Z_1..Z_n as a 1-D .npy array")


def law_from_args(args):
    """The :class:`~mdmjax.Distribution` named by the command line (the one hook to switch).

    ``--from-npy FILE`` wins; otherwise ``mdmjax.families.by_name(family, n, q, key=seed)``; if the
    families module has no ``by_name``, a Dirichlet(1) law on ``(q or 2,) * n``.
    """
    import jax

    from mdmjax import families
    from mdmjax.distribution import Distribution

    if args.from_npy:
        return Distribution.from_probs(np.load(args.from_npy))
    if args.n is None:
        raise ValueError("n: give --n (or --from-npy / --z-npy)")
    by_name = getattr(families, "by_name", None)
    if by_name is not None:
        return by_name(args.family, args.n, q=args.q, key=jax.random.key(args.seed))
    if args.family != "dirichlet":
        raise ValueError(
            f"family: mdmjax.families.by_name is not available, so only 'dirichlet' works "
            f"(got {args.family!r}); use --from-npy"
        )
    q = 2 if args.q is None else args.q
    rng = np.random.default_rng(args.seed)
    return Distribution.from_probs(rng.dirichlet(np.ones(q**args.n)).reshape((q,) * args.n))


def curve_from_args(args):
    """The :class:`~mdmjax.InformationCurve` of the law, or of ``--z-npy`` directly."""
    from mdmjax.curves import InformationCurve, information_curve

    if args.z_npy:
        return InformationCurve.from_z(np.load(args.z_npy))
    return information_curve(law_from_args(args))


def _step_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as err:
        raise ValueError(
            f"steps: expected a comma-separated list of integers, got {text!r}"
        ) from err
    if not values or min(values) < 1:
        raise ValueError(f"steps: expected positive integers, got {text!r}")
    return values


def _catalogue(n: int, k: int, curve):
    """Name -> schedule (or random schedule) for every catalogue entry at ``k`` steps."""
    from mdmjax import schedules as S

    out = {
        "constant (LLaDA)": S.constant(n, k),
        "maskgit cosine": S.maskgit(n, k, "cosine"),
        "maskgit linear": S.maskgit(n, k, "linear"),
        "maskgit pow2": S.maskgit(n, k, "pow", power=2),
        "maskgit log": S.maskgit(n, k, "log"),
        "maskgit exp": S.maskgit(n, k, "exp"),
        "dream": S.dream(n, k),
    }
    if k <= n:
        out["geometric r=1.5"] = S.geometric(n, k, 1.5)
        out["geometric r=1/1.5"] = S.geometric(n, k, 1 / 1.5)
        out["sqrt rule (LZ)"] = S.sqrt_rule(curve, k)
    out["ancestral loglinear*"] = S.ancestral(n, k, "loglinear")
    out["ancestral cosine*"] = S.ancestral(n, k, "cosine")
    return out


def _kl_text(kl: float) -> str:
    """A KL for display: float noise below 1e-12 nats (e.g. -8.9e-16) shows as 0."""
    return "0" if abs(kl) < 1e-12 else f"{kl:.4g}"


def _cell(kl: float, opt: float, steps_used: int, k: int) -> str:
    if opt > 1e-12:
        rel = f"[{kl / opt:.3g}]"
    else:  # the optimum is 0: a ratio means nothing, say whether the schedule reaches it
        rel = "[opt]" if kl < 1e-12 else "[>0]"
    return f"{_kl_text(kl)} {rel}" + ("" if steps_used == k else f" k'={steps_used}")


def run_schedules(args) -> int:
    """Print every catalogue schedule's expected KL against the optimum, then the theory ones."""
    from mdmjax import schedules as S
    from mdmjax.kl import expected_kl
    from mdmjax.search import min_steps, optimal_schedule

    curve = curve_from_args(args)
    n = curve.n
    steps = [k for k in _step_list(args.steps) if k <= n] or [n]
    print(f"law: n = {n}, TC = {curve.tc:.6g}, DTC = {curve.dtc:.6g}, Z_n = {curve.zn:.6g} (nats)")
    print(
        "expected KL in nats; in brackets the ratio to the optimum at the same number of steps "
        "([opt] / [>0] where the optimum is 0; k' = steps actually used when fewer)"
    )
    print("(* random sizes: nominal steps; the KL is exact, averaged over the sizes)\n")
    width = 22
    header = "schedule".ljust(width) + "".join(f"k={k}".rjust(22) for k in steps)
    print(header)
    optima = {k: optimal_schedule(curve, k).kl for k in steps}
    rows: dict[str, list[str]] = {}
    for k in steps:
        for name, sched in _catalogue(n, k, curve).items():
            kl = float(expected_kl(curve, sched))
            used = len(sched) if isinstance(sched, tuple) else k
            rows.setdefault(name, []).append(_cell(kl, optima[k], used, k))
    for name, cells in rows.items():
        print(name.ljust(width) + "".join(c.rjust(22) for c in cells))
    print("optimum (DP)".ljust(width) + "".join(_kl_text(optima[k]).rjust(22) for k in steps))

    eps = args.eps if args.eps is not None else 0.1 * max(curve.tc, 1e-12)
    print(f"\ntheory schedules at eps = {eps:.4g} nats (TC and DTC known exactly):")
    best = min_steps(curve, eps)
    theory = {
        "TC schedule (Thm 9)": S.tc_schedule(n, curve.tc, eps),
        "DTC schedule (Thm 9)": S.dtc_schedule(n, curve.dtc, eps),
        "Austin (Thm 10)": S.austin(n, curve.dtc, eps),
    }
    for name, sched in theory.items():
        print(f"  {name:<24} steps {len(sched):>5}   KL {_kl_text(expected_kl(curve, sched))}")
    sweep = S.theorem9_sweep(curve, eps)
    print(
        f"  {'sweep over 2^j (Thm 9)':<24} steps {sweep.steps:>5}   KL {_kl_text(sweep.kl)}   "
        f"({sweep.kind}, X^ = {sweep.x_hat:.4g}; {sweep.steps_spent} steps spent in the sweep)"
    )
    print(f"  {'fewest steps (DP)':<24} steps {best.steps:>5}   KL {_kl_text(best.kl)}")
    return 0


def run_optimize(args) -> int:
    """Run :func:`mdmjax.optimize_schedule` with a progress bar and print its gap to the DP."""
    import jax

    from mdmjax.search import optimize_schedule

    curve = curve_from_args(args)
    result = optimize_schedule(
        curve,
        args.steps,
        relaxation=args.relaxation,
        num_iters=args.iters,
        restarts=args.restarts,
        key=jax.random.key(args.seed),
        polish=not args.no_polish,
        progress=True,
    )
    print(f"law: n = {curve.n}, TC = {curve.tc:.6g}, DTC = {curve.dtc:.6g} (nats)")
    print(f"relaxation: {result.relaxation}, restarts: {result.restart_kls.size}")
    print(f"sizes:      {result.sizes}")
    print(f"kl:         {result.kl:.10g}   (relaxed {result.relaxed_kl:.6g})")
    print(f"rounded kl: {result.rounded_kl:.10g}   (polish moves: {result.polish_moves})")
    print(f"dp kl:      {result.dp_kl:.10g}   dp sizes: {result.dp_sizes}")
    print(f"gap:        {result.gap:.3e}")
    print(result.message)
    return 0 if result.ok else 1


def register(subparsers) -> None:
    """Add the ``schedules`` and ``optimize`` sub-commands."""
    p = subparsers.add_parser(
        "schedules",
        help="catalogue schedules against the optimum",
        description=run_schedules.__doc__,
    )
    _add_law_arguments(p)
    p.add_argument("--steps", default="2,4,8,16", help="comma-separated step counts")
    p.add_argument("--eps", type=float, default=None, help="budget for the theory schedules")
    p.set_defaults(func=run_schedules)

    p = subparsers.add_parser(
        "optimize",
        help="optax search over relaxed schedules, checked against the DP",
        description=run_optimize.__doc__,
    )
    _add_law_arguments(p)
    p.add_argument("--steps", type=int, required=True, help="number of steps k")
    p.add_argument("--relaxation", default="breakpoints", choices=["breakpoints", "random-sizes"])
    p.add_argument("--iters", type=int, default=None, help="iterations per restart")
    p.add_argument("--restarts", type=int, default=16, help="parallel restarts")
    p.add_argument("--no-polish", action="store_true", help="skip the exact local search")
    p.set_defaults(func=run_optimize)
