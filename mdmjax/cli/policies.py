"""``mdmjax policies``: the steps–KL frontier of unmasking policies on a law.

Prints the table of :func:`mdmjax.policy_frontier` with its two kinds of KL labelled, and the
comparable random-order line: the mixture KL (``mdm.mixture_kl``, the KL of the law a random-order
sampler actually outputs) at the DP-optimal sizes, beside their expected KL (Theorem 4, an upper
bound on it). ``--plot PATH`` draws KL against expected steps (log scale); no file unless given.

Examples::

    mdmjax policies --family ising --n 10 --param coupling=0.6 --param field=0.1
    mdmjax policies --family markov --n 5 --q 4 --policies confidence,threshold,semi_ar:2
    mdmjax policies --from-npy law.npy --model noisy:0.5 --plot frontier.png --json frontier.json
"""

from __future__ import annotations

import math
import sys

from mdmjax.cli._law import (
    add_law_arguments,
    add_output_arguments,
    fmt,
    law_spec,
    parse_steps,
    save_figure,
    text_stream,
    write_json,
)

__all__ = ["register", "run", "POLICY_LIMIT"]

#: The most outcomes (probability-table entries) ``mdmjax policies`` accepts: exact evaluation
#: walks a tree of partial assignments, at least one node per outcome at the widest level.
POLICY_LIMIT = 2**20
_SLOW = 2**16  # above this many outcomes, say that it takes minutes

KL_KINDS = {
    "output": "KL(p || law of the policy's output), exact (tree walk over partial assignments)",
    "mixture": "KL(p || output of random order with the DP-optimal sizes), exact (mdm.mixture_kl)"
    " - the random-order line comparable with the policies' output KLs",
    "expected": "expected KL of Theorem 4 for the DP-optimal sizes (mdm.optimal_schedule): an "
    "upper bound on the mixture KL, not the KL of an output law",
}


def _model_spec(spec: str | None) -> tuple[str, tuple]:
    """Parse ``--model`` (cheap, before the law is built): ``(name, numbers)``."""
    if spec is None or spec == "truth":
        return "truth", ()
    name, _, rest = spec.partition(":")
    parts = rest.split(":") if rest else []
    try:
        if name == "tempered" and len(parts) == 1:
            return name, (float(parts[0]),)
        if name == "noisy" and len(parts) in (1, 2):
            return name, (float(parts[0]), int(parts[1]) if len(parts) == 2 else 0)
    except ValueError:
        raise ValueError(f"--model: cannot parse {spec!r} (expected numbers after ':')") from None
    if name in ("product", "markov") and not parts:
        return name, ()
    if name not in ("tempered", "noisy", "product", "markov") and len(parts) == 1 and parts[0]:
        return "factory", (spec,)  # MODULE:FACTORY, loaded by mdmjax.cli._model
    raise ValueError(
        f"--model: unknown or malformed {spec!r}; use truth, tempered:T, noisy:SCALE[:SEED], "
        "product, markov or MODULE:FACTORY (your model, e.g. from_torch)"
    )


def _model(parsed: tuple[str, tuple], d):
    from mdmjax import models

    name, values = parsed
    try:
        if name == "truth":
            return None
        if name == "factory":  # the user's model: its full conditionals, n from the law
            from mdmjax.cli._model import load_model

            model = models.as_conditional_model(load_model(values[0]))
            return models.as_model(model, d)
        if name == "tempered":
            return models.tempered(d, *values)
        if name == "noisy":
            return models.noisy(d, *values)
        if name == "product":
            return models.product_approximation(d)
        return models.markov_approximation(d)
    except ValueError as err:
        raise ValueError(f"--model: {err}") from None


def _families(text: str) -> list[str]:
    from mdmjax.policies import DEFAULT_FAMILIES

    names = [f.strip() for f in text.split(",") if f.strip()]
    if not names:
        raise ValueError("--policies: no policy family given")
    for name in names:
        if name.startswith("semi_ar:"):
            length = name.split(":", 1)[1]
            if not length.isdigit() or int(length) < 1:
                raise ValueError(f"--policies: bad block length in {name!r} (semi_ar:L, L >= 1)")
        elif name not in DEFAULT_FAMILIES:
            raise ValueError(
                f"--policies: unknown family {name!r}; built-ins are "
                f"{', '.join(DEFAULT_FAMILIES)} and semi_ar:L"
            )
    return names


def run(args) -> int:
    import mdmjax as mdm
    from mdmjax.policies import policy_frontier

    # Cheap checks first: --model and --policies, then the law's size, then --steps against n.
    parsed_model = _model_spec(args.model)
    names = _families(args.policies)
    spec = law_spec(
        args,
        "policies",
        need_table=True,
        table_limit=POLICY_LIMIT,
        why=" (exact evaluation walks every partial assignment)",
    )
    ks = parse_steps(args.steps, spec.n) if args.steps else list(range(1, spec.n + 1))
    outcomes = math.prod(spec.shape)
    if outcomes > _SLOW:
        print(
            f"mdmjax policies: note: {outcomes} outcomes; exact evaluation of every policy may "
            "take minutes (a smaller law: --family ising --n 10)",
            file=sys.stderr,
        )
    d = spec.table()
    model = _model(parsed_model, d)
    frontier = policy_frontier(d, names, ks, model=model, progress=not args.quiet)
    optimal = [
        {
            "steps": s.steps,
            "sizes": list(s.sizes),
            "expected_kl": s.kl,
            "mixture_kl": mdm.mixture_kl(d, s.sizes),
        }
        for s in frontier.optimal
    ]
    rows = frontier.rows()  # each row says its kl_kind
    res = {
        **spec.as_json(),
        "shape": list(d.shape),
        "entropy": d.entropy(),
        "model": args.model or "truth",
        "kl_kinds": KL_KINDS,
        "rows": rows,
        "optimal": optimal,
    }
    if args.json:
        write_json(res, args.json)
    out = text_stream(args)
    ent = res["entropy"]
    print(f"law: {spec.description}, shape {d.shape}", file=out)
    print(f"H(X) = {fmt(ent)} nats ({fmt(ent / math.log(2))} bits)", file=out)
    print(_table(frontier, optimal), file=out)
    if args.json and args.json != "-":
        print(f"rows saved to {args.json}", file=out)
    if args.plot:
        fig, notes = _figure(frontier, optimal, spec.description)
        save_figure(fig, args.plot)
        for note in notes:
            print(f"plot note: {note}", file=out)
        print(f"plot saved to {args.plot}", file=out)
    return 0


def _table(frontier, optimal: list[dict]) -> str:
    by_k = {o["steps"]: o for o in optimal}
    lines = [
        "KL kinds (nats):",
        f"  output KL   = {KL_KINDS['output']}",
        f"  mixture KL  = {KL_KINDS['mixture']}",
        f"  expected KL = {KL_KINDS['expected']}",
        "  (@k: at k = E[steps] when an integer of the range; values below 1e-12 show as 0)",
        "",
    ]
    head = (
        f"{'family':16s} {'policy':40s} {'E[steps]':>9s} {'output KL':>11s} {'TV':>9s} "
        f"{'mixture@k':>11s} {'expected@k':>11s}"
    )
    lines += [head, "-" * len(head)]
    for p in frontier.points:
        k = round(p.expected_steps)
        o = by_k.get(k) if abs(p.expected_steps - k) < 1e-9 else None
        label = p.label if len(p.label) <= 40 else p.label[:37] + "..."
        lines.append(
            f"{p.family:16s} {label:40s} {p.expected_steps:9.3f} {fmt(p.kl, '.5e'):>11s} "
            f"{fmt(p.tv, '.5f'):>9s} {fmt(o and o['mixture_kl'], '.5e'):>11s} "
            f"{fmt(o and o['expected_kl'], '.5e'):>11s}"
        )
    lines += [
        "",
        "DP-optimal random-order schedule: mixture KL (output law) and expected KL (Theorem 4):",
        f"{'k':>4s} {'mixture KL':>12s} {'expected KL':>12s}  sizes",
    ]
    for o in optimal:
        lines.append(
            f"{o['steps']:4d} {fmt(o['mixture_kl'], '.5e'):>12s} "
            f"{fmt(o['expected_kl'], '.5e'):>12s}  {','.join(map(str, o['sizes']))}"
        )
    return "\n".join(lines)


_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p")


def _same_curve(a, b) -> bool:
    if len(a) != len(b):
        return False
    return all(
        abs(xa - xb) <= 1e-9 and abs(ya - yb) <= 1e-9 * max(1.0, abs(ya))
        for (xa, ya), (xb, yb) in zip(a, b, strict=True)
    )


def _figure(frontier, optimal: list[dict], title: str):
    """KL against E[steps]: hollow markers of different shapes and sizes (larger drawn first), so
    that policies whose points coincide stay visible; a note names every coincidence."""
    from matplotlib.figure import Figure

    values = [p.kl for p in frontier.points] + [o["mixture_kl"] for o in optimal]
    values += [o["expected_kl"] for o in optimal]
    positive = [v for v in values if v > 1e-12 and math.isfinite(v)]
    floor = 0.1 * min(positive) if positive else 1e-12
    curves: dict[str, list[tuple[float, float]]] = {}
    for name in frontier.families:
        pts = frontier.family(name)
        if pts:
            curves[name] = [(p.expected_steps, max(p.kl, floor)) for p in pts]
    mixture_name = "random order, DP-optimal sizes (mixture KL)"
    if optimal:
        curves[mixture_name] = [(o["steps"], max(o["mixture_kl"], floor)) for o in optimal]
    fig = Figure(figsize=(8, 5.5))
    ax = fig.subplots()
    count = len(curves)
    for i, (name, pts) in enumerate(curves.items()):
        x, y = zip(*pts, strict=True)
        if name == mixture_name:
            ax.plot(x, y, "k-", marker="x", ms=7, lw=1.6, label=name, zorder=count + 2)
            continue
        ax.plot(
            x,
            y,
            marker=_MARKERS[i % len(_MARKERS)],
            ms=4 + 1.2 * (count - i),  # earlier families bigger: coincident ones stay visible
            mfc="none",
            mew=1.2,
            lw=1.0,
            label=name,
            zorder=i + 1,
        )
    if optimal:
        ax.plot(
            [o["steps"] for o in optimal],
            [max(o["expected_kl"], floor) for o in optimal],
            "--",
            color="0.4",
            lw=1.2,
            label="expected KL of those sizes (Thm 4; upper bound, not an output law)",
        )
    notes = []
    grouped: set[str] = set()
    for a in curves:
        if a in grouped:
            continue
        same = [
            b for b in curves if b != a and b not in grouped and _same_curve(curves[a], curves[b])
        ]
        if same:
            grouped.update([a, *same])
            notes.append(f"{' = '.join([a, *same])} (same points; different markers)")
    if notes:  # below the axes, where no data or legend can hide it
        ax.text(
            0.0,
            -0.13,
            "coincident curves: " + "; ".join(notes),
            transform=ax.transAxes,
            fontsize=7,
            va="top",
            wrap=True,
        )
    ax.set_yscale("log")
    ax.set_xlabel("expected number of steps")
    ax.set_ylabel(f"KL(p || output law), nats (zeros drawn at {floor:.2g})")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(True, which="both", alpha=0.3)
    return fig, notes


def register(subparsers) -> None:
    """Add the ``policies`` sub-command."""
    from mdmjax.policies import DEFAULT_FAMILIES

    p = subparsers.add_parser(
        "policies",
        help="steps-KL frontier of unmasking policies vs the optimal random-order schedule",
        description=(
            "Evaluate unmasking policies exactly on a small law (a tree walk over partial "
            f"assignments; at most {POLICY_LIMIT} outcomes) and compare them with random order at "
            "the DP-optimal sizes: its output-law (mixture) KL, and the expected KL of Theorem 4."
        ),
    )
    add_law_arguments(p, samples=False)
    p.add_argument(
        "--policies",
        default=",".join(DEFAULT_FAMILIES),
        help="comma list of families (default: %(default)s; also semi_ar:L)",
    )
    p.add_argument(
        "--steps",
        nargs="+",
        metavar="K",
        help="step counts: integers, comma lists or LO:HI[:STEP] ranges (default 1:n)",
    )
    p.add_argument(
        "--model",
        help="the sampler's conditionals: truth (default), tempered:T, noisy:SCALE[:SEED], "
        "product, markov, or MODULE:FACTORY (your model for the law's n, e.g. from_torch)",
    )
    add_output_arguments(p)
    p.set_defaults(func=run)
