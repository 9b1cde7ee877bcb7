"""``mdmjax bench``: time and memory of the exact kernels, with their references, as JSON.

Every timing repeats the call until at least 0.2 s have passed and reports the time per call
(``run_s``, with the number of ``calls``), so tiny cases are measured, not timer noise. Nothing is
written unless asked: ``--json PATH`` ('-': stdout) and ``--plot [PATH]`` (default: the JSON path
with .png). The laws are synthetic (Dirichlet weights); ``--n`` and ``--q`` mean what they mean
for every command (positions, alphabet size), here as lists of sizes.

Examples::

    mdmjax bench --json bench.json --plot bench.png          # all of issue 4's CPU targets
    mdmjax bench --kernel entropy --n 24 --float32 --json gpu.json
    mdmjax bench --kernel entropy,mixture --entropy-n 24 --mixture-n 14 --float32 --json gpu.json
    mdmjax bench --kernel warm                 # cold/warm wall time of two `mdmjax report` runs
    mdmjax bench --kernel model_curve          # model_curve against bare forward passes
    mdmjax bench --kernel sampler_kl           # sampler_kl against its bare forward passes
    mdmjax bench --kernel coverage --json docs/coverage.json   # interval coverage table (+ .md)

Every ratio is measured in the same run: the subset kernel against the roofline on this device
(CPU or accelerator), and the warm start (``warm``: the second whole process of a command with
the persistent compilation cache filled by the first) against the cold one.
"""

from __future__ import annotations

import argparse
import sys

from mdmjax.cli._law import add_output_arguments, check_positive, parse_ints, write_json

KERNELS = ("entropy", "mixture", "dp", "batch", "warm", "model_curve", "sampler_kl")


def _ints(text: str, flag: str) -> list[int]:
    """Sizes in the CLI's one list grammar (``"20"``, ``"10,12,14"``, ``"10:20"``, ``"10:24:2"``,
    ranges inclusive; :func:`mdmjax.cli._flags.parse_ints`), each >= 1, in the order given."""
    out = parse_ints(text, flag, default_lo=None, default_hi=None, what="sizes")
    if min(out) < 1:
        raise ValueError(f"{flag}: sizes must be >= 1, got {min(out)}")
    return out


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="benchmark the exact kernels (JSON, optional figure)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--kernel",
        default="all",
        help=f"comma-separated subset of {','.join(KERNELS)}, or 'all' (default); 'coverage' "
        "alone measures the coverage of every interval (docs/coverage.md)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=1000,
        help="repeats per coverage cell (--kernel coverage; default 1000)",
    )
    p.add_argument(
        "--n",
        default=None,
        help="sizes for every selected kernel: '20', '10,14', '10:20' or '16:24:2'",
    )
    p.add_argument("--entropy-n", default=None, help="sizes of the subset kernel (default 10:20)")
    p.add_argument("--q", type=int, default=2, help="alphabet size of the subset kernel's laws")
    p.add_argument(
        "--ternary-n",
        default=None,
        help="extra ternary subset-kernel sizes ('' for none; default 13 unless "
        "--n/--entropy-n is given)",
    )
    p.add_argument(
        "--numpy-n",
        default=None,
        help="n of the per-subset numpy reference ('' for none; default 14 unless "
        "--n/--entropy-n is given)",
    )
    p.add_argument("--mixture-n", default=None, help="sizes of the mixture KL (default 12)")
    p.add_argument("--dp-n", default=None, help="sizes of the DP (default 100000)")
    p.add_argument("--dp-k", type=int, default=64, help="steps of the DP (default 64)")
    p.add_argument(
        "--float32",
        action="store_true",
        help="also run the subset kernel and the mixture KL in float32, with the "
        "error against float64",
    )
    add_output_arguments(p, bare_plot=True)
    p.add_argument("--out", help=argparse.SUPPRESS)  # deprecated spelling of --json
    p.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds allowed to each measurement (default 900)",
    )
    p.add_argument(
        "--no-isolate",
        action="store_true",
        help="run measurements in this process (peak memory is then cumulative)",
    )
    p.set_defaults(func=run)


def load_benchmarks(name: str = "kernels"):
    """The benchmark module ``mdmjax bench`` runs: part of the installed package.

    ``"kernels"`` is :mod:`mdmjax.cli._bench_kernels` and ``"warm_start"``
    :mod:`mdmjax.cli._bench_warm` (``benchmarks/kernels.py`` and ``benchmarks/warm_start.py`` are
    thin scripts over them), so the command works outside a source checkout.
    """
    if name == "kernels":
        from mdmjax.cli import _bench_kernels

        return _bench_kernels
    if name == "warm_start":
        from mdmjax.cli import _bench_warm

        return _bench_warm
    raise ValueError(f"--kernel: no benchmark module {name!r}")


def _run_coverage(args) -> int:
    """``--kernel coverage``: the table of :mod:`mdmjax.cli._bench_coverage`, as Markdown and
    JSON (``--json PATH``; the Markdown beside it)."""
    from mdmjax.cli import _bench_coverage

    check_positive(args.repeats, "--repeats")
    path = args.json if args.json and args.json != "-" else "coverage.json"
    md = path.rsplit(".", 1)[0] + ".md"
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr))
    _bench_coverage.run_all(args.repeats, path_md=md, progress=progress)
    print(f"wrote {md} and {path}")
    return 0


def run(args) -> int:
    if args.kernel == "coverage":
        return _run_coverage(args)
    bench = load_benchmarks()
    build_specs, plot_report, run_bench = bench.build_specs, bench.plot_report, bench.run_bench

    kernels = KERNELS if args.kernel == "all" else tuple(k.strip() for k in args.kernel.split(","))
    bad = [k for k in kernels if k not in KERNELS]
    if bad:
        raise ValueError(f"--kernel: unknown {bad}; choose from {KERNELS}")
    if args.out:
        if args.json:
            raise ValueError("--json: give --json or its old spelling --out, not both")
        print("mdmjax bench: note: --out is deprecated; use --json", file=sys.stderr)
        args.json = args.out
    check_positive(args.q, "--q", minimum=2)
    check_positive(args.dp_k, "--dp-k")
    if not args.timeout > 0:
        raise ValueError(f"--timeout: must be > 0 seconds, got {args.timeout}")
    common = _ints(args.n, "--n") if args.n else None
    entropy_n = _ints(args.entropy_n, "--entropy-n") if args.entropy_n else common
    mixture_n = _ints(args.mixture_n, "--mixture-n") if args.mixture_n else (common or [12])
    dp_n = (
        _ints(args.dp_n, "--dp-n")
        if args.dp_n
        else (common if common and "dp" in kernels and len(kernels) == 1 else [100_000])
    )
    explicit = args.n is not None or args.entropy_n is not None
    # With explicit sizes only what was asked is run; otherwise the extra cases too.
    ternary_text = args.ternary_n if args.ternary_n is not None else ("" if explicit else "13")
    numpy_text = args.numpy_n if args.numpy_n is not None else ("" if explicit else "14")
    ternary = _ints(ternary_text, "--ternary-n") if ternary_text else []
    numpy_n = _ints(numpy_text, "--numpy-n")[0] if numpy_text else None
    if "dp" in kernels and min(dp_n) < args.dp_k:
        raise ValueError(f"--dp-k: {args.dp_k} steps need n >= {args.dp_k}, got n = {min(dp_n)}")
    specs = build_specs(
        kernels,
        entropy_n=entropy_n,
        entropy_q=args.q,
        ternary_n=ternary,
        numpy_n=numpy_n,
        mixture_n=mixture_n,
        dp_n=dp_n,
        dp_k=args.dp_k,
        float32=args.float32,
    )
    report = run_bench(
        specs, timeout=args.timeout, isolate=not args.no_isolate, progress=not args.quiet
    )
    if "warm" in kernels:
        _add_warm_start(report, args.timeout, progress=not args.quiet)
    out = sys.stderr if args.json == "-" else sys.stdout
    if args.json:
        write_json(report, args.json)
    _print_summary(report, out)
    if args.json and args.json != "-":
        print(f"wrote {args.json}", file=out)
    if args.plot is not None:
        base = args.json if args.json and args.json != "-" else "bench.json"
        path = args.plot or (base.rsplit(".", 1)[0] + ".png")
        try:
            plot_report(report, path)
        except OSError as err:
            raise ValueError(f"--plot: cannot write {path}: {err.strerror or err}") from None
        print(f"wrote {path}", file=out)
    return 0 if all(r.get("ok") for r in report["results"]) else 1


def _add_warm_start(report: dict, timeout: float, progress: bool) -> None:
    """Whole ``mdmjax report`` processes with an empty, then a filled compilation cache.

    :mod:`mdmjax.cli._bench_warm`: each command runs twice in a fresh cache folder; the ratio is
    cold wall time over warm wall time, measured in this run, and both runs must print the same
    JSON bytes. Each record also says how far the warm run is above the import floor (a process
    that only imports the CLI).
    """
    warm = load_benchmarks("warm_start")
    if progress:
        print("mdmjax bench: warm start (2 commands, each run twice)", file=sys.stderr)
    try:
        found = warm.run_warm_start(baseline=False, timeout=timeout)
    except (RuntimeError, AssertionError, OSError) as err:  # a failed case is reported
        report["results"].append({"spec": {"kind": "warm"}, "ok": False, "error": repr(err)})
        return
    for r in found["results"]:
        report["results"].append({"spec": {"kind": "warm", "name": r["name"]}, "ok": True, **r})
    report["targets"].extend(found["targets"])


def _print_summary(report: dict, out=None) -> None:
    import builtins
    import functools

    print = functools.partial(builtins.print, file=sys.stdout if out is None else out)  # noqa: A001

    meta = report["meta"]
    print(
        f"device: {meta['device']} ({meta['backend']}, {meta['device_count']} device(s)); "
        f"load average at start {meta['loadavg_start'][0]:.1f}, at end "
        f"{meta['loadavg_end'][0]:.1f}"
    )
    for r in report["results"]:
        s = r["spec"]
        label = f"{s['kind']:<16} " + " ".join(
            f"{k}={v}" for k, v in s.items() if k not in ("kind", "float32")
        )
        if not r.get("ok"):
            print(f"  {label}: FAILED {r.get('error', '')[:300]}")
            continue
        if s["kind"] == "entropy":
            f = r["float64"]
            per = f" ({f['calls']} calls)" if f.get("calls", 1) > 1 else ""
            extra = f" roofline {r['roofline_fraction']:.2f}" if "roofline_fraction" in r else ""
            line = (
                f"run {_secs(f['run_s'])}/call{per} first {f['first_call_s']:.2f}s "
                f"rss {r['peak_rss_bytes'] / 2**30:.2f}GiB{extra}"
            )
            if "float32" in r:
                g = r["float32"]
                line += (
                    f" | f32 run {g['run_s']:.3f}s max|dH| {g['max_abs_error_h']:.2e} "
                    f"max|dZ| {g['max_abs_error_z']:.2e}"
                )
            if "numpy_reference" in r:
                line += f" | numpy {r['numpy_reference']['run_s']:.2f}s"
        elif s["kind"] == "roofline":
            line = f"{_secs(r['run_s'])}/call ({r['ns_per_entry']:.2f} ns/entry" + (
                ", extrapolated)" if r["extrapolated"] else ")"
            )
        elif s["kind"] == "warm":
            line = (
                f"{' '.join(r['argv'])}: cold {r['cold_s']:.2f}s warm {r['warm_s']:.2f}s "
                f"-> {r['ratio']:.2f}x (warm {r['warm_minus_floor_s']:.2f}s above the "
                f"{r['warm_s'] - r['warm_minus_floor_s']:.2f}s import floor), same output: "
                f"{r['identical']}"
            )
        elif s["kind"] == "mixture":
            f = r["float64"]
            line = f"first {f['first_call_s']:.2f}s run {_secs(f['run_s'])}/call kl {f['kl']:.6g}"
            if "float32" in r:
                line += f" | f32 rel err {r['float32']['rel_error']:.2e}"
        else:
            line = f"first {r['first_call_s']:.3f}s run {_secs(r['run_s'])}/call"
        print(f"  {label}: {line}")
    for t in report["targets"]:
        if "bound" in t:
            verdict = "met" if t["met"] else "NOT met"
            print(
                f"  target {t['name']}: {t['measured']:.4g}{t['unit']} "
                f"{t['direction']} {t['bound']}{t['unit']} -> {verdict} "
                f"(ratio {t['ratio_to_bound']:.3g})"
            )
        else:
            print(f"  measured {t['name']}: {t['measured']:.4g}{t['unit']}")


def _secs(t: float) -> str:
    """A time per call, readable from nanoseconds to minutes."""
    if t >= 1:
        return f"{t:.3f}s"
    if t >= 1e-3:
        return f"{t * 1e3:.3f}ms"
    return f"{t * 1e6:.2f}us"


def main(argv=None) -> int:  # pragma: no cover  (standalone: python -m mdmjax.cli.bench)
    import argparse

    parser = argparse.ArgumentParser(prog="mdmjax")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    try:
        return int(args.func(args) or 0)
    except ValueError as err:
        print(f"mdmjax bench: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
