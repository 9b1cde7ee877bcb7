"""``mdmjax report``: a law's information curve, and optimal against practical schedules."""

from __future__ import annotations

import math

import numpy as np

from mdmjax.cli._law import (
    add_law_arguments,
    add_output_arguments,
    check_eps,
    check_k,
    fmt,
    law_spec,
    parse_steps,
    save_figure,
    text_stream,
    write_json,
)

DESCRIPTION = """\
Print a law's n, alphabet sizes, entropy, TC and DTC; a table of the expected KL (Theorem 4) of
the optimal, constant (LLaDA) and cosine (MaskGIT) schedules for a range of step counts; and the
optimal schedule for one step count. With no law given, the default law is used (4-letter English
words with the data extra, else an Ising chain).

The curve takes the best route there is, and the output says which: an exact structured curve
(Markov chain, Ising chain, codes, noisy repetition, product: any n), enumeration of the (q+1)^n
table (small laws, --from-npy), or Monte Carlo with --samples draws (hmm, mixture and other laws
with no exact route). Estimated curves show 95% intervals: on the optimum
(mdm.optimal_schedule_interval) and on the constant/cosine KLs (mdm.expected_kl_interval).

Text shows values below 1e-12 nats (round-off) as 0; --json keeps the raw values. When several
schedules tie, the DP's choice is deterministic: the leftmost argmin (the schedule whose cut points
are smallest in order)."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "report",
        help="information curve, TC/DTC, and optimal vs constant/cosine schedules for a law",
        description=DESCRIPTION,
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    add_law_arguments(p, z_npy=True)
    p.add_argument(
        "--steps",
        nargs="+",
        metavar="K",
        help="step counts for the table: integers, comma lists or LO:HI[:STEP] ranges",
    )
    p.add_argument("--k", type=int, default=None, help="step count whose optimal schedule is shown")
    p.add_argument(
        "--eps", type=float, default=None, help="also report the fewest steps with KL <= EPS"
    )
    add_output_arguments(p)
    p.set_defaults(func=run)


def default_steps(n: int) -> list[int]:
    ks = sorted({k for k in [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256] if k <= n})
    return ks + ([n] if n not in ks and n <= 4096 else [])


def _interval(iv) -> list[float]:
    return [float(iv.lower), float(iv.upper)]


def compute(curve, steps: list[int], k_show: int, eps: float | None, estimated: bool) -> dict:
    """The report's numbers; with ``estimated``, intervals beside every plug-in value."""
    import mdmjax as mdm
    from mdmjax import schedules

    n = curve.n
    rows = []
    *optima, best = mdm.optimal_schedules(curve, [*steps, k_show])  # one DP run for every k
    for k, opt in zip(steps, optima, strict=True):
        const = schedules.constant(n, k)
        cos = schedules.cosine(n, k)
        row = {
            "steps": k,
            "optimal_kl": opt.kl,
            "constant_kl": mdm.expected_kl(curve, const),
            "cosine_kl": mdm.expected_kl(curve, cos),
            "cosine_steps": len(cos),
            "optimal_sizes": list(opt.sizes),
        }
        if estimated:
            row["optimal_interval"] = _interval(mdm.optimal_schedule_interval(curve, k).optimum)
            row["constant_interval"] = _interval(mdm.expected_kl_interval(curve, const))
            row["cosine_interval"] = _interval(mdm.expected_kl_interval(curve, cos))
            # Reserved: a cross-fitted (held-out) value of the optimum, to be filled in by the
            # calibration work; None until then.
            row["optimal_cross_fitted"] = None
        rows.append(row)
    shown = {"steps": k_show, "sizes": list(best.sizes), "kl": best.kl}
    if estimated:
        si = mdm.optimal_schedule_interval(curve, k_show)
        shown["optimum_interval"] = _interval(si.optimum)
        shown["kl_interval"] = _interval(si.kl)
        shown["cross_fitted"] = None  # reserved, as in the table rows
    out = {
        "n": n,
        "tc": curve.tc,
        "dtc": curve.dtc,
        "zn": curve.zn,
        "z": np.asarray(curve.z).tolist() if n <= 4096 else None,
        "z_stderr": (
            np.asarray(curve.stderr).tolist()
            if estimated and curve.stderr is not None and n <= 4096
            else None
        ),
        "table": rows,
        "optimal": shown,
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


def _with_interval(value: float, iv) -> str:
    if iv is None:
        return fmt(value)
    return f"{fmt(value, '.4g')} [{fmt(iv[0], '.3g')}, {fmt(iv[1], '.3g')}]"


def run(args) -> int:
    spec = law_spec(args, "report")
    n = spec.n
    # Cheap checks first: n is known, nothing has been computed yet.
    steps = parse_steps(args.steps, n) if args.steps else default_steps(n)
    k_show = check_k(args.k, n) or min(n, max(2, math.ceil(math.log2(max(n, 2)))))
    eps = check_eps(args.eps)
    curve = spec.curve()
    res = compute(curve, steps, k_show, eps, spec.estimated)
    res.update(spec.as_json())
    if spec.shape is not None:
        res["shape"] = list(spec.shape)
    if spec.shape is not None and spec.route_kind == "enumeration":
        res["entropy"] = spec.table().entropy()
    elif curve.entropy is not None:
        res["entropy"] = curve.entropy
    if args.json:
        write_json(res, args.json)
    out = text_stream(args)
    print(_text(res, spec.estimated), file=out)
    if args.json and args.json != "-":
        print(f"wrote {args.json}", file=out)
    if args.plot:
        save_figure(_figure(res, spec.estimated), args.plot)
        print(f"wrote {args.plot}", file=out)
    return 0


def _text(res: dict, estimated: bool) -> str:
    n = res["n"]
    lines = [f"law: {res['law']}", f"route: {res['route']}", f"n = {n}"]
    if "shape" in res:
        qs = sorted(set(res["shape"]))
        lines.append("q = " + (str(qs[0]) if len(qs) == 1 else str(tuple(res["shape"]))))
    if res.get("entropy") is not None:
        lines.append(f"H(X) = {fmt(res['entropy'])} nats")
    lines += [
        f"TC   = {fmt(res['tc'])} nats",
        f"DTC  = {fmt(res['dtc'])} nats",
        f"Z_n  = {fmt(res['zn'])} nats (mean I(X_i; X_-i))",
        "",
    ]
    if estimated:
        lines += [
            f"estimated curve ({res['num_samples']} Monte-Carlo samples): every KL is the plug-in "
            "value with a 95% interval [lower, upper]; the optimum's interval covers the true "
            "optimal KL (mdm.optimal_schedule_interval)",
            "",
        ]
    lines.append("expected KL (nats, Theorem 4) by number of steps k:")
    w = 30 if estimated else 14
    lines.append(f"{'k':>6} {'optimal':>{w}} {'constant':>{w}} {'cosine':>{w}} {'const/opt':>10}")
    for r in res["table"]:
        ratio = r["constant_kl"] / r["optimal_kl"] if r["optimal_kl"] > 1e-12 else float("nan")
        ratio_text = f"{ratio:10.2f}" if math.isfinite(ratio) else f"{'-':>10}"
        cells = [
            _with_interval(r["optimal_kl"], r.get("optimal_interval")),
            _with_interval(r["constant_kl"], r.get("constant_interval")),
            _with_interval(r["cosine_kl"], r.get("cosine_interval")),
        ]
        lines.append(f"{r['steps']:>6} " + " ".join(f"{c:>{w}}" for c in cells) + f" {ratio_text}")
    o = res["optimal"]
    lines += [
        "",
        f"optimal {o['steps']}-step schedule: {_sizes_text(o['sizes'])}  KL = "
        + _with_interval(o["kl"], o.get("optimum_interval")),
    ]
    if "min_steps" in res:
        m = res["min_steps"]
        plug = " (on the plug-in curve)" if estimated else ""
        lines.append(
            f"fewest steps for KL <= {m['eps']:g}{plug}: {m['steps']}  {_sizes_text(m['sizes'])}"
            f"  KL = {fmt(m['kl'])}"
        )
    return "\n".join(lines)


def _figure(res: dict, estimated: bool):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    ax_z, ax_kl = fig.subplots(1, 2)
    if res["z"] is not None:
        j = np.arange(1, res["n"] + 1)
        ax_z.plot(j, res["z"], "o-" if res["n"] <= 64 else "-", ms=3, label="Z_j")
        if res.get("z_stderr") is not None:
            z, se = np.asarray(res["z"]), np.asarray(res["z_stderr"])
            ax_z.fill_between(j, z - 2 * se, z + 2 * se, alpha=0.3, label="± 2 s.e.")
        ax_z.legend(fontsize=8)
    ax_z.set(xlabel="j", ylabel="Z_j (nats)", title="information curve")
    ks = [r["steps"] for r in res["table"]]
    floor = 1e-12
    for key, style, label in (
        ("optimal", "o-", "optimal (DP)"),
        ("constant", "s--", "constant (LLaDA)"),
        ("cosine", "^:", "cosine (MaskGIT)"),
    ):
        ys = [max(r[f"{key}_kl"], floor) for r in res["table"]]
        ax_kl.plot(ks, ys, style, ms=4, label=label)
        if estimated:
            lo = [max(r[f"{key}_interval"][0], floor) for r in res["table"]]
            hi = [max(r[f"{key}_interval"][1], floor) for r in res["table"]]
            ax_kl.fill_between(ks, lo, hi, alpha=0.15)
    ax_kl.set_xscale("log")
    ax_kl.set_yscale("log")
    ax_kl.set(xlabel="steps k", ylabel="expected KL (nats; 0 drawn at 1e-12)", title=res["law"])
    ax_kl.legend(fontsize=8)
    fig.suptitle(f"route: {res['route']}", fontsize=8)
    fig.tight_layout()
    return fig
