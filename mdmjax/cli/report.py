"""``mdmjax report``: a law's information curve, and optimal against practical schedules."""

from __future__ import annotations

import argparse
import json
import math
import sys

import numpy as np

# Tables at most this many entries are enumerated exactly; larger laws need a large-n curve.
ENUMERATION_LIMIT = 2**22


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="information curve, TC/DTC, and optimal vs constant/cosine schedules for a law",
        description=(
            "Print a law's n, alphabet sizes, entropy, TC and DTC; a table of the expected KL "
            "(Theorem 4) of the optimal, constant (LLaDA) and cosine (MaskGIT) schedules for a "
            "range of step counts; and the optimal schedule for one step count. With no law "
            "given, an embedded default law is used."
        ),
    )
    add_law_arguments(p)
    p.add_argument("--steps", type=int, nargs="+", metavar="K", help="step counts for the table")
    p.add_argument("--k", type=int, default=None, help="step count whose optimal schedule is shown")
    p.add_argument(
        "--eps", type=float, default=None, help="also report the fewest steps with KL <= EPS"
    )
    p.add_argument("--json", metavar="PATH", help="write JSON to PATH ('-': stdout)")
    p.set_defaults(func=run)


def add_law_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments choosing a law: ``--family/--n/--q/--param`` or ``--from-npy``."""
    g = p.add_argument_group("law")
    g.add_argument("--family", help="a named family (see mdmjax.families.FAMILY_NAMES)")
    g.add_argument("--n", type=int, help="number of positions for --family")
    g.add_argument("--q", type=int, help="alphabet size for --family")
    g.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra family parameter (repeatable), e.g. --param coupling=0.8",
    )
    g.add_argument("--seed", type=int, default=0, help="PRNG seed for random families")
    g.add_argument("--from-npy", metavar="FILE", help="a probability table saved with numpy.save")


def _parse_params(items: list[str]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--param: expected KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def default_law():
    """The embedded default: 4-letter English words if the data extra is installed, else an Ising
    chain of 10 spins with coupling 0.8 and field 0.2."""
    from mdmjax import families

    english = getattr(families, "english_words", None)
    if english is not None:
        try:
            return "english_words(length=4)", english(length=4)
        except ImportError:
            pass
    return "ising chain (n=10, coupling=0.8, field=0.2)", families.ising(
        "chain", n=10, coupling=0.8, field=0.2
    )


def load_law(args):
    """Return ``(description, Distribution or None, InformationCurve)`` from parsed arguments."""
    import jax

    import mdmjax as mdm
    from mdmjax import families

    if args.from_npy:
        if args.family:
            raise ValueError("--from-npy: give either --from-npy or --family, not both")
        d = mdm.Distribution.from_probs(np.load(args.from_npy))
        return f"table from {args.from_npy}", d, mdm.information_curve(d)
    if not args.family:
        if args.n is not None or args.q is not None:
            raise ValueError("--n/--q: need --family")
        desc, d = default_law()
        return desc, d, mdm.information_curve(d)
    params = _parse_params(args.param)
    name = args.family
    n = args.n
    if n is None:
        raise ValueError("--n: required with --family")
    q = args.q
    size = (q or 2) ** n if n < 200 else math.inf
    desc = (
        f"{name} (n={n}"
        + (f", q={q}" if q else "")
        + "".join(f", {k}={v}" for k, v in params.items())
        + ")"
    )
    key = jax.random.key(args.seed)
    if size > ENUMERATION_LIMIT:
        try:
            from mdmjax import curves as large_n
        except ImportError:  # pragma: no cover
            large_n = None
        if large_n is None or not hasattr(large_n, "family_curve"):
            raise ValueError(f"--n: {name} with n={n} is too large to enumerate")
        curve = large_n.family_curve(name, n, q=q, key=key, **params)
        return desc + " [large-n curve]", None, curve
    d = families.by_name(name, n, q=q, key=key, **params)
    return desc, d, mdm.information_curve(d)


def default_steps(n: int) -> list[int]:
    ks = sorted({k for k in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256] if k <= n})
    return ks + ([n] if n not in ks and n <= 4096 else [])


def compute(curve, steps: list[int], k_show: int, eps: float | None) -> dict:
    import mdmjax as mdm
    from mdmjax import schedules

    n = curve.n
    rows = []
    for k in steps:
        if not 1 <= k <= n:
            raise ValueError(f"--steps: every step count must lie in [1, {n}], got {k}")
        opt = mdm.optimal_schedule(curve, k)
        const = schedules.constant(n, k)
        cos = schedules.cosine(n, k)
        rows.append(
            {
                "steps": k,
                "optimal_kl": opt.kl,
                "constant_kl": mdm.expected_kl(curve, const),
                "cosine_kl": mdm.expected_kl(curve, cos),
                "cosine_steps": len(cos),
                "optimal_sizes": list(opt.sizes),
            }
        )
    best = mdm.optimal_schedule(curve, k_show)
    out = {
        "n": n,
        "tc": curve.tc,
        "dtc": curve.dtc,
        "zn": curve.zn,
        "z": np.asarray(curve.z).tolist() if n <= 4096 else None,
        "table": rows,
        "optimal": {"steps": k_show, "sizes": list(best.sizes), "kl": best.kl},
    }
    if eps is not None:
        m = mdm.min_steps(curve, eps)
        out["min_steps"] = {"eps": eps, "steps": m.steps, "sizes": list(m.sizes), "kl": m.kl}
    return out


def _sizes_text(sizes, limit=16) -> str:
    if len(sizes) <= limit:
        return "(" + ", ".join(map(str, sizes)) + ")"
    head = ", ".join(map(str, sizes[: limit // 2]))
    tail = ", ".join(map(str, sizes[-limit // 4 :]))
    return f"({head}, ..., {tail})  [{len(sizes)} steps]"


def run(args) -> int:
    desc, d, curve = load_law(args)
    n = curve.n
    steps = args.steps or default_steps(n)
    k_show = args.k or min(n, max(2, math.ceil(math.log2(max(n, 2)))))
    if not 1 <= k_show <= n:
        raise ValueError(f"--k: must lie in [1, {n}], got {k_show}")
    res = compute(curve, steps, k_show, args.eps)
    res["law"] = desc
    if d is not None:
        res["shape"] = list(d.shape)
        res["entropy"] = d.entropy()
    elif curve.entropy is not None:
        res["entropy"] = curve.entropy
    if args.json == "-":
        json.dump(res, sys.stdout, indent=2)
        print()
        return 0
    lines = [f"law: {desc}", f"n = {n}"]
    if "shape" in res:
        qs = sorted(set(res["shape"]))
        lines.append("q = " + (str(qs[0]) if len(qs) == 1 else str(tuple(res["shape"]))))
    if res.get("entropy") is not None:
        lines.append(f"H(X) = {res['entropy']:.6f} nats")
    lines += [
        f"TC   = {res['tc']:.6f} nats",
        f"DTC  = {res['dtc']:.6f} nats",
        f"Z_n  = {res['zn']:.6f} nats (mean I(X_i; X_-i))",
        "",
        "expected KL (nats, Theorem 4) by number of steps k:",
        f"{'k':>6} {'optimal':>14} {'constant':>14} {'cosine':>14} {'const/opt':>10}",
    ]
    for r in res["table"]:
        ratio = r["constant_kl"] / r["optimal_kl"] if r["optimal_kl"] > 1e-15 else float("nan")
        ratio_text = f"{ratio:10.2f}" if math.isfinite(ratio) else f"{'-':>10}"
        lines.append(
            f"{r['steps']:>6} {r['optimal_kl']:14.6g} {r['constant_kl']:14.6g} "
            f"{r['cosine_kl']:14.6g} {ratio_text}"
        )
    o = res["optimal"]
    lines += [
        "",
        f"optimal {o['steps']}-step schedule: {_sizes_text(o['sizes'])}  KL = {o['kl']:.6g}",
    ]
    if "min_steps" in res:
        m = res["min_steps"]
        lines.append(
            f"fewest steps for KL <= {m['eps']:g}: {m['steps']}  {_sizes_text(m['sizes'])}"
            f"  KL = {m['kl']:.6g}"
        )
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)
        print(f"wrote {args.json}")
    return 0
