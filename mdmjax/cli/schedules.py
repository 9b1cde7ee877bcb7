"""``mdmjax schedules`` and ``mdmjax optimize``: catalogue schedules and the optax search.

* ``mdmjax schedules --family NAME --n N`` — every catalogue schedule against the DP optimum at
  several step counts, then the theory schedules (Theorem 9, Austin, the sweep) at a budget.
* ``mdmjax optimize --family NAME --n N --steps K`` — the optax search with a progress bar and its
  gap to the DP optimum.

The law flags are those of every command (:mod:`mdmjax.cli._law`): ``--family/--n/--q/--param``,
``--from-npy`` (a probability table), ``--z-npy`` (an information curve ``Z_1..Z_n``), or the
default law; the curve takes the route ``mdmjax report`` prints.
"""

from __future__ import annotations

import numpy as np

from mdmjax.cli._law import (
    add_law_arguments,
    add_output_arguments,
    check_eps,
    check_positive,
    fmt,
    law_spec,
    parse_steps,
    save_figure,
    text_stream,
    write_json,
)

__all__ = ["register", "run_schedules", "run_optimize"]

DEFAULT_STEPS = (2, 4, 8, 16)


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
    """A KL for display: round-off below DISPLAY_ZERO (e.g. -8.9e-16) shows as 0."""
    return fmt(kl, ".4g")


def _cell(kl: float, opt: float, steps_used: int, k: int) -> str:
    if fmt(opt) != "0":
        rel = f"[{kl / opt:.3g}]"
    else:  # the optimum is 0: a ratio means nothing, say whether the schedule reaches it
        rel = "[opt]" if fmt(kl) == "0" else "[>0]"
    return f"{_kl_text(kl)} {rel}" + ("" if steps_used == k else f" k'={steps_used}")


def _steps_for(args, n: int) -> list[int]:
    if args.steps:
        return parse_steps(args.steps, n)
    return [k for k in DEFAULT_STEPS if k <= n] or [n]


def compute_schedules(curve, steps: list[int], eps: float) -> dict:
    """Every catalogue schedule's expected KL at each ``k``, the optima, the theory schedules."""
    from mdmjax import schedules as S
    from mdmjax.kl import expected_kl
    from mdmjax.search import min_steps, optimal_schedules

    n = curve.n
    optima = dict(zip(steps, optimal_schedules(curve, steps), strict=True))
    table: dict[str, list[dict]] = {}
    for k in steps:
        for name, sched in _catalogue(n, k, curve).items():
            used = len(sched) if isinstance(sched, tuple) else k
            table.setdefault(name, []).append(
                {
                    "steps": k,
                    "kl": float(expected_kl(curve, sched)),
                    "steps_used": used,
                    "random_sizes": not isinstance(sched, tuple),
                }
            )
    theory_sched = {
        "TC schedule (Thm 9)": S.tc_schedule(n, curve.tc, eps),
        "DTC schedule (Thm 9)": S.dtc_schedule(n, curve.dtc, eps),
        "Austin (Thm 10)": S.austin(n, curve.dtc, eps),
    }
    theory = {
        name: {"steps": len(s), "kl": float(expected_kl(curve, s))}
        for name, s in theory_sched.items()
    }
    sweep = S.theorem9_sweep(curve, eps)
    best = min_steps(curve, eps)
    return {
        "n": n,
        "tc": curve.tc,
        "dtc": curve.dtc,
        "zn": curve.zn,
        "steps": steps,
        "table": table,
        "optimal": [{"steps": k, "kl": s.kl, "sizes": list(s.sizes)} for k, s in optima.items()],
        "eps": eps,
        "theory": theory,
        "sweep": {
            "steps": sweep.steps,
            "kl": sweep.kl,
            "kind": sweep.kind,
            "x_hat": sweep.x_hat,
            "steps_spent": sweep.steps_spent,
        },
        "min_steps": {"steps": best.steps, "kl": best.kl, "sizes": list(best.sizes)},
    }


def run_schedules(args) -> int:
    """Print every catalogue schedule's expected KL against the optimum, then the theory ones."""
    spec = law_spec(args, "schedules")
    steps = _steps_for(args, spec.n)
    eps = check_eps(args.eps)
    curve = spec.curve()
    if eps is None:
        eps = 0.1 * max(curve.tc, 1e-12)
    res = compute_schedules(curve, steps, eps)
    res.update(spec.as_json())
    if args.json:
        write_json(res, args.json)
    out = text_stream(args)
    print(_schedules_text(res, spec), file=out)
    if args.plot:
        save_figure(_schedules_figure(res), args.plot)
        print(f"wrote {args.plot}", file=out)
    return 0


def _schedules_text(res: dict, spec) -> str:
    steps = res["steps"]
    lines = [
        f"law: {res['law']}",
        f"route: {res['route']}",
        f"n = {res['n']}, TC = {fmt(res['tc'])}, DTC = {fmt(res['dtc'])}, "
        f"Z_n = {fmt(res['zn'])} (nats)",
    ]
    if spec.estimated:
        lines.append(
            f"(estimated curve, {spec.num_samples} Monte-Carlo samples: plug-in values; "
            "mdmjax report shows intervals)"
        )
    lines += [
        "expected KL in nats; in brackets the ratio to the optimum at the same number of steps "
        "([opt] / [>0] where the optimum is 0; k' = steps actually used when fewer)",
        "(* random sizes: nominal steps; the KL is exact, averaged over the sizes)",
        "",
    ]
    width = 22
    lines.append("schedule".ljust(width) + "".join(f"k={k}".rjust(22) for k in steps))
    optima = {o["steps"]: o["kl"] for o in res["optimal"]}
    for name, cells in res["table"].items():
        lines.append(
            name.ljust(width)
            + "".join(
                _cell(c["kl"], optima[c["steps"]], c["steps_used"], c["steps"]).rjust(22)
                for c in cells
            )
        )
    lines.append(
        "optimum (DP)".ljust(width) + "".join(_kl_text(optima[k]).rjust(22) for k in steps)
    )
    lines.append(f"\ntheory schedules at eps = {res['eps']:.4g} nats (TC and DTC known exactly):")
    for name, t in res["theory"].items():
        lines.append(f"  {name:<24} steps {t['steps']:>5}   KL {_kl_text(t['kl'])}")
    sw = res["sweep"]
    lines.append(
        f"  {'sweep over 2^j (Thm 9)':<24} steps {sw['steps']:>5}   KL {_kl_text(sw['kl'])}   "
        f"({sw['kind']}, X^ = {sw['x_hat']:.4g}; {sw['steps_spent']} steps spent in the sweep)"
    )
    m = res["min_steps"]
    lines.append(f"  {'fewest steps (DP)':<24} steps {m['steps']:>5}   KL {_kl_text(m['kl'])}")
    return "\n".join(lines)


_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*", "h", "<", ">", "p")


def _schedules_figure(res: dict):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 5))
    ax = fig.subplots()
    floor = 1e-12
    for i, (name, cells) in enumerate(res["table"].items()):
        ax.plot(
            [c["steps"] for c in cells],
            [max(c["kl"], floor) for c in cells],
            marker=_MARKERS[i % len(_MARKERS)],
            ms=9 - 0.5 * (i % 8),
            mfc="none",
            lw=1,
            label=name,
        )
    ax.plot(
        [o["steps"] for o in res["optimal"]],
        [max(o["kl"], floor) for o in res["optimal"]],
        "k--",
        lw=2,
        label="optimum (DP)",
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set(xlabel="steps k", ylabel="expected KL (nats; 0 drawn at 1e-12)", title=res["law"])
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    return fig


def run_optimize(args) -> int:
    """Run :func:`mdmjax.optimize_schedule` with a progress bar and print its gap to the DP."""
    import jax

    from mdmjax.search import optimize_schedule

    spec = law_spec(args, "optimize")
    steps = parse_steps([str(args.steps)], spec.n)[0]
    check_positive(args.iters, "--iters")
    check_positive(args.restarts, "--restarts")
    curve = spec.curve()
    result = optimize_schedule(
        curve,
        steps,
        relaxation=args.relaxation,
        num_iters=args.iters,
        restarts=args.restarts,
        key=jax.random.key(args.seed),
        polish=not args.no_polish,
        progress=not args.quiet,
    )
    res = {
        **spec.as_json(),
        "n": curve.n,
        "steps": steps,
        "relaxation": result.relaxation,
        "restarts": int(result.restart_kls.size),
        "sizes": list(result.sizes),
        "kl": result.kl,
        "relaxed_kl": result.relaxed_kl,
        "rounded_kl": result.rounded_kl,
        "polish_moves": result.polish_moves,
        "dp_sizes": list(result.dp_sizes),
        "dp_kl": result.dp_kl,
        "gap": result.gap,
        "ok": bool(result.ok),
        "message": result.message,
        "restart_kls": np.asarray(result.restart_kls).tolist(),
    }
    if args.json:
        write_json(res, args.json)
    out = text_stream(args)
    print(f"law: {res['law']}\nroute: {res['route']}", file=out)
    print(f"n = {curve.n}, TC = {fmt(curve.tc)}, DTC = {fmt(curve.dtc)} (nats)", file=out)
    print(f"relaxation: {result.relaxation}, restarts: {result.restart_kls.size}", file=out)
    print(f"sizes:      {result.sizes}", file=out)
    print(f"kl:         {fmt(result.kl, '.10g')}   (relaxed {fmt(result.relaxed_kl)})", file=out)
    print(
        f"rounded kl: {fmt(result.rounded_kl, '.10g')}   (polish moves: {result.polish_moves})",
        file=out,
    )
    print(f"dp kl:      {fmt(result.dp_kl, '.10g')}   dp sizes: {result.dp_sizes}", file=out)
    print(f"gap:        {result.gap:.3e}", file=out)
    print(result.message, file=out)
    if args.plot:
        save_figure(_optimize_figure(res), args.plot)
        print(f"wrote {args.plot}", file=out)
    return 0 if result.ok else 1


def _optimize_figure(res: dict):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    ax_s, ax_r = fig.subplots(1, 2)
    for sizes, label, style in ((res["sizes"], "optax", "o-"), (res["dp_sizes"], "DP", "x--")):
        ax_s.plot(range(1, len(sizes) + 1), np.cumsum(sizes), style, label=label)
    ax_s.set(xlabel="step t", ylabel="tokens revealed after step t", title="schedules")
    ax_s.legend(fontsize=8)
    kls = sorted(res["restart_kls"])
    ax_r.plot(range(1, len(kls) + 1), kls, "o", label="restarts (sorted)")
    ax_r.axhline(res["dp_kl"], color="k", ls="--", label="DP optimum")
    ax_r.set(xlabel="restart (sorted)", ylabel="KL (nats)", title="restart KLs")
    ax_r.legend(fontsize=8)
    fig.tight_layout()
    return fig


def register(subparsers) -> None:
    """Add the ``schedules`` and ``optimize`` sub-commands."""
    p = subparsers.add_parser(
        "schedules",
        help="catalogue schedules against the optimum",
        description=run_schedules.__doc__,
    )
    add_law_arguments(p, z_npy=True)
    p.add_argument(
        "--steps",
        nargs="+",
        metavar="K",
        help="step counts: integers, comma lists or LO:HI[:STEP] ranges (default 2,4,8,16 up to n)",
    )
    p.add_argument("--eps", type=float, default=None, help="budget for the theory schedules")
    add_output_arguments(p)
    p.set_defaults(func=run_schedules)

    p = subparsers.add_parser(
        "optimize",
        help="optax search over relaxed schedules, checked against the DP",
        description=run_optimize.__doc__,
    )
    add_law_arguments(p, z_npy=True)
    p.add_argument("--steps", type=int, required=True, help="number of steps k")
    p.add_argument(
        "--relaxation",
        default="breakpoints",
        choices=["breakpoints", "random-sizes"],
        help="what is optimized: the breakpoints of a fixed-size schedule, or the reveal "
        "probabilities of a random-size one (default breakpoints)",
    )
    p.add_argument("--iters", type=int, default=None, help="iterations per restart")
    p.add_argument("--restarts", type=int, default=16, help="parallel restarts")
    p.add_argument("--no-polish", action="store_true", help="skip the exact local search")
    add_output_arguments(p)
    p.set_defaults(func=run_optimize)
