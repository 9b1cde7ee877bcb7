"""``mdmjax calibrate``: a trained model's curve, its schedules, and honest values for them.

    mdmjax calibrate --model NAME|pkg.module:factory [--data rows.npy] [--weights w.npy]
        [--always-revealed 0:15] [--levels 0,1,2,4,8] [--steps 2,4,8] [--eps E] [--entropy H]
        [--half-width H] [--checkpoint PATH] [--compare [POLICY,...]] [--json out.json|-]
        [--plot fig.png] [--quiet]

``--model`` is a shipped model by name (``words4``, ``words5``, ...) or ``factory()`` returning
an mdmjax model (:func:`mdmjax.models.from_callable`, :func:`mdmjax.models.from_torch`, a
``ConditionalModel``). Without ``--data`` a shipped model is calibrated on ``--rows`` exact draws
of its own law (seed ``--seed``), and the law's exact ``H`` fills ``--entropy``
(:func:`mdmjax.calibrate.shipped_data`; ``mdmjax data`` writes such rows to a file). For
``n > 64`` generated positions a grid of 33 levels (both ends included) is evaluated unless
``--levels`` is given. Prints the evaluated levels of the per-level curve (CE, predictive
entropy, calibration gap, with standard errors) and a one-line summary (every level is in
``--json``), then the excess-KL frontier over one token per step: for every ``k`` the
cross-fitted value of the DP schedule chosen on one half of the rows and valued on the other,
its 95 % interval, a simultaneous 95 % interval over all ``k`` (max-t with the per-row
correlation, docs/theory.md §8.6), the plug-in value next to it (never alone), and the rows a
rerun needs for an interval of ``± --half-width`` nats (this run is the pilot); then
``min_steps`` for ``--eps``. ``--json -`` writes the JSON to stdout (the table then goes to
stderr). Progress over the model's batches is shown on stderr unless ``--quiet`` (a bar on a
terminal, a line every few seconds elsewhere), after the run's size, its checkpoint and the
time extrapolated from the first batches. ``--checkpoint PATH`` appends every completed batch
to PATH; rerun the same command to resume. Under ``torchrun --nproc-per-node N`` the batches
are split over the N processes (docs/scaling.md); rank 0 prints and writes the outputs. Bad
input: one line naming the flag, exit code 2.

``--compare [POLICY,...]`` prints instead each sampler's own output-law KL (cross-entropy without
``--entropy``) on the rows, against its model calls and with its distance from the best
(:mod:`mdmjax.cli._compare`, :func:`mdmjax.calibrate.sampler_frontier`).
"""

from __future__ import annotations

import numpy as np

from mdmjax.cli._flags import (
    add_output_arguments,
    parse_ints,
    plain,
    reword_error,
    save_figure,
    write_json,
)
from mdmjax.cli._model import load_model, model_help
from mdmjax.cli._npy import read_npy

__all__ = ["register", "run"]

_FLAGS = {
    "data": "--data",
    "weights": "--weights",
    "always_revealed": "--always-revealed",
    "levels": "--levels",
    "model": "--model",
    "eps": "--eps",
    "steps": "--steps",
    "entropy_of_data": "--entropy",
    "masks_per_row": "--masks-per-row",
    "batch_size": "--batch-size",
    "key": "--seed",
    "half_width": "--half-width",
    "checkpoint": "--checkpoint",
    "plans": "--compare",
    "rows": "--data",
    "prompt": "--always-revealed",
}

# Default target half-width (nats) of the rows-needed column.
_HALF_WIDTH = 0.05
# Rows drawn from a shipped model's own law when --data is not given (the walk transformer, n =
# 128, costs ~100x a word model per row: 256 rows x 33 levels is a few minutes on a laptop CPU).
_SHIPPED_ROWS = 1000
_SHIPPED_ROWS_BY_MODEL = {"walk": 256}
# Above this many generated positions, a grid of _GRID_LEVELS levels is evaluated by default.
LARGE_N = 64
_GRID_LEVELS = 33


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="a trained model's per-level cross-entropy curve and its optimal schedules",
        description=plain(__doc__.split("\n\n")[0]),
    )
    p.add_argument("--model", required=True, metavar="NAME|MODULE:FACTORY", help=model_help())
    p.add_argument(
        "--data",
        metavar="ROWS.npy",
        help="held-out rows: an int (rows, n) .npy array of token ids 0..V-1 (for a shipped "
        "model, default: --rows exact draws of its own law)",
    )
    p.add_argument(
        "--rows",
        type=int,
        metavar="N",
        help=f"without --data: rows drawn from a shipped model's law (default {_SHIPPED_ROWS}; "
        f"walk: {_SHIPPED_ROWS_BY_MODEL['walk']})",
    )
    p.add_argument("--weights", metavar="W.npy", help="(rows,) probabilities of the rows")
    p.add_argument("--always-revealed", metavar="SPEC", help="prompt positions, e.g. 0:15 or 0,1,5")
    p.add_argument(
        "--levels",
        metavar="SPEC",
        help=f"levels m to evaluate, e.g. 0:255:16 (default: all; for n > {LARGE_N}, "
        f"{_GRID_LEVELS} levels from 0 to n-1); the others are interpolated",
    )
    p.add_argument(
        "--steps",
        metavar="SPEC",
        help="step counts, e.g. 2,4,8 or 1:16 (default 1..n, or powers of 2)",
    )
    p.add_argument("--eps", type=float, help="KL budget (nats) for min_steps")
    p.add_argument(
        "--entropy",
        type=float,
        help="H(p) in nats: report absolute KL instead of excess (filled in for a shipped "
        "model's own law)",
    )
    p.add_argument(
        "--masks-per-row",
        type=int,
        default=1,
        metavar="K",
        help="random masks per row and level (default 1)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=2048,
        metavar="B",
        help="forward passes per model call (default 2048)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the random masks, the cross-fit halves and drawn rows (default 0)",
    )
    p.add_argument(
        "--half-width",
        type=float,
        default=_HALF_WIDTH,
        help=f"target 95%% half-width (nats) for the rows-needed column (default {_HALF_WIDTH})",
    )
    p.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="append each completed batch to PATH; a rerun with the same arguments resumes",
    )
    p.add_argument(
        "--compare",
        nargs="?",
        const="",
        metavar="POLICY,...",
        help="compare samplers by their own output-law KL (llada, dream-margin, random, "
        "optimal, ...; none listed: all practice policies and random order)",
    )
    add_output_arguments(p)
    p.set_defaults(func=run)


def _prompt(spec: str | None, n: int):
    if spec is None:
        return None
    positions = parse_ints(spec, "--always-revealed", default_lo=0, default_hi=n - 1)
    if min(positions) < 0 or max(positions) >= n:
        raise ValueError(
            f"--always-revealed: positions must lie in 0..{n - 1} (LO:HI includes HI), got {spec!r}"
        )
    mask = np.zeros(n, dtype=bool)
    mask[positions] = True
    return mask


def default_rows(model: str) -> int:
    """Rows drawn from a shipped model's own law when no data are given."""
    return _SHIPPED_ROWS_BY_MODEL.get(model, _SHIPPED_ROWS)


def default_levels(n: int) -> list[int] | None:
    """The levels evaluated by default: all (``None``) up to ``LARGE_N`` positions, else 33
    levels from 0 to ``n - 1``, evenly spread, both ends included."""
    if n <= LARGE_N:
        return None
    return sorted({round(i * (n - 1) / (_GRID_LEVELS - 1)) for i in range(_GRID_LEVELS)})


def _default_steps(n: int) -> list[int]:
    if n <= 16:
        return list(range(1, n + 1))
    return sorted({k for k in (2**i for i in range(n.bit_length())) if k <= n} | {n})


def run(args) -> int:
    try:
        return _run(args)
    except ValueError as err:
        raise reword_error(err, _FLAGS) from None


def _run(args) -> int:
    import sys

    import mdmjax as mdm
    from mdmjax.calibrate import SHIPPED_MODELS

    out_stream = sys.stderr if args.json == "-" else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out_stream)

    if args.data is None and args.model not in SHIPPED_MODELS:
        raise ValueError(
            "--data: required for a MODULE:FACTORY model (held-out rows, an int (rows, n) .npy "
            f"array); only the shipped models ({', '.join(sorted(SHIPPED_MODELS))}) draw their own"
        )
    if args.rows is None:
        args.rows = default_rows(args.model)
    elif args.data is not None:
        raise ValueError("--rows: only without --data (the rows drawn from a shipped model's law)")
    if args.data is None and args.rows < 2:
        raise ValueError(f"--rows: must be >= 2, got {args.rows}")
    model = load_model(args.model)
    source = {"file": args.data}
    if args.data is None:
        held = mdm.calibrate.shipped_data(args.model, args.rows, seed=args.seed)
        data = held.rows
        source = {"law": held.law, "exact_draws": args.rows, "seed": args.seed}
        source["entropy"] = held.entropy
        if args.entropy is None:
            args.entropy = held.entropy
        say(
            f"data: {args.rows} exact draws of {held.law} (seed {args.seed}; mdmjax data writes "
            f"them to a file); exact H(p) = {held.entropy:.6g} nats"
        )
    else:
        data = read_npy(args.data, "--data")
    weights = None if args.weights is None else read_npy(args.weights, "--weights")
    n_cols = int(data.shape[1]) if data.ndim == 2 else 0
    prompt = _prompt(args.always_revealed, n_cols)
    levels = None if args.levels is None else parse_ints(args.levels, "--levels", default_lo=0)
    n_free = n_cols - (0 if prompt is None else int(prompt.sum()))
    if levels is None and n_free > LARGE_N:
        levels = default_levels(n_free)
        say(
            f"levels: n = {n_free} > {LARGE_N}, so {len(levels)} levels from 0 to {n_free - 1} "
            "are evaluated and the others interpolated (--levels 0:N-1 for every level)"
        )
    if args.eps is not None and not (np.isfinite(args.eps) and args.eps >= 0):
        raise ValueError(f"--eps: must be finite and >= 0, got {args.eps}")
    if not (np.isfinite(args.half_width) and args.half_width > 0):
        raise ValueError(f"--half-width: must be finite and > 0, got {args.half_width}")
    n_gen = n_cols - (0 if prompt is None else int(prompt.sum()))
    wanted = None if args.steps is None else parse_ints(args.steps, "--steps")
    for k in wanted or ():
        if not 1 <= k <= max(n_gen, 1):
            raise ValueError(f"--steps: every k must lie in 1..n = {n_gen}, got {k}")
    if args.compare is not None:  # the samplers themselves (sampler_frontier), not the curve
        from mdmjax.cli._compare import run_compare

        stream = sys.stderr if args.json == "-" else sys.stdout
        out = run_compare(
            args, model, data, weights, prompt, wanted, lambda t="": print(t, file=stream)
        )
        if args.json:
            write_json(out, args.json)
        return 0
    mc = mdm.model_curve(
        model,
        data,
        key=args.seed,
        weights=weights,
        levels=levels,
        always_revealed=prompt,
        masks_per_row=args.masks_per_row,
        batch_size=args.batch_size,
        progress=not args.quiet,
        checkpoint=args.checkpoint,
    )
    n = mc.n
    steps = wanted or _default_steps(n)
    h = args.entropy
    kind = "absolute KL" if h is not None else "excess KL over one token per step"
    evaluated = mc.levels.tolist()
    rest = "" if len(evaluated) == n else f"; the other {n - len(evaluated)} interpolated"
    say(
        f"model curve: n = {n} generated positions, {mc.num_rows} rows, masks = {mc.masks}, "
        f"{len(evaluated)} levels evaluated{rest} (every level: --json)"
    )
    say(f"{'m':>5} {'CE(m)':>10} {'± se':>8} {'pred. H':>10} {'± se':>8} {'gap':>9}")
    for m in evaluated:
        say(
            f"{m:>5} {mc.cross_entropy[m]:>10.5f} {mc.cross_entropy_stderr[m]:>8.5f} "
            f"{mc.predictive_entropy[m]:>10.5f} {mc.predictive_entropy_stderr[m]:>8.5f} "
            f"{mc.calibration_gap[m]:>9.5f}"
        )
    worst = int(np.argmax(np.abs(mc.calibration_gap)))
    say(
        f"NLL bound sum_m CE(m) = {mc.nll_bound:.6g} ± {mc.nll_bound_stderr:.3g} nats; "
        f"CE {mc.cross_entropy[0]:.4g} -> {mc.cross_entropy[-1]:.4g}; largest |gap| "
        f"{abs(mc.calibration_gap[worst]):.3g} at m = {worst}"
    )
    fr = mdm.calibrate.cross_fit_frontier(mc, steps, key=args.seed, entropy_of_data=h)
    hw = args.half_width
    say(
        f"\nfrontier ({kind}, nats); cross-fitted = chosen on one half, valued on the other; "
        f"simultaneous = all {len(steps)} k at once (max-t, c = {fr.critical:.3f})"
        + ("; lower ends floored at 0" if fr.floor is not None else "")
    )
    rows_head = f"rows ±{hw:g}"
    say(
        f"{'k':>4} {'cross-fitted':>13} {'95% interval':>24} {'simultaneous 95%':>24} "
        f"{'plug-in':>10} {rows_head:>12}  sizes (all rows)"
    )
    frontier = fr.to_dict()
    for cf, lo, hi, rec in zip(fr.fits, fr.lower, fr.upper, frontier, strict=True):
        need = mc.rows_needed(cf.plug_in.sizes, hw, entropy_of_data=h)
        rec["rows_needed"] = need
        rec["rows_needed_half_width"] = hw
        sizes = " ".join(map(str, cf.plug_in.sizes))
        if len(sizes) > 48:
            sizes = sizes[:45] + "..."
        low = cf.lower if fr.floor is None else max(cf.lower, fr.floor)  # cannot be negative
        say(
            f"{cf.steps:>4} {cf.estimate:>13.5f} [{low:>10.5f}, {cf.upper:>10.5f}] "
            f"[{lo:>10.5f}, {hi:>10.5f}] {cf.plug_in.kl:>10.5f} {need:>12}  {sizes}"
        )
    say(
        f"rows ±{hw:g}: rows for a 95% interval of half-width {hw:g} nats on each k's schedule, "
        f"planned from these {mc.num_rows} rows (--half-width)"
    )
    if mc.num_rows < mc.RELIABLE_ROWS:
        say(f"fewer than {mc.RELIABLE_ROWS} rows: interval unreliable (docs/coverage.md)")
    fewest = None
    if args.eps is not None:
        best = mdm.min_steps(mc, args.eps, entropy_of_data=h)
        cf = mdm.calibrate.cross_fit(mc, best.steps, key=args.seed, entropy_of_data=h)
        fewest = {"eps": args.eps, "steps": best.steps, "sizes": list(best.sizes), **cf.to_dict()}
        say(
            f"\nmin_steps(eps = {args.eps:g}): k = {best.steps}, plug-in {best.kl:.5f}, "
            f"cross-fitted {cf.estimate:.5f} [{cf.lower:.5f}, {cf.upper:.5f}]"
            + ("  (cross-fitted value is above eps)" if cf.estimate > args.eps else "")
        )
    out = {
        "data": source,
        "curve": mc.to_dict(),
        "kind": kind,
        "frontier": frontier,
        "simultaneous": {"critical": fr.critical, "level": fr.level, "floor": fr.floor},
        "min_steps": fewest,
    }
    if args.json:
        write_json(out, args.json)
    if args.plot:
        _plot(mc, frontier, args.plot, kind)
    return 0


def _plot(mc, frontier, path: str, kind: str) -> None:
    # A Figure of its own (no pyplot): matplotlib's global backend and state are left alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2)
    m = np.arange(mc.n)
    ax = axes[0]
    for y, se, label in (
        (mc.cross_entropy, mc.cross_entropy_stderr, "CE(m)"),
        (mc.predictive_entropy, mc.predictive_entropy_stderr, "predictive entropy"),
    ):
        ax.plot(m, y, label=label)
        ax.fill_between(m, y - 2 * se, y + 2 * se, alpha=0.3)
    ax.set_xlabel("revealed m")
    ax.set_ylabel("nats")
    ax.legend()
    ax = axes[1]
    ks = [f["steps"] for f in frontier]
    est = np.asarray([f["estimate"] for f in frontier])
    lo = np.asarray([f["simultaneous_lower"] for f in frontier])
    hi = np.asarray([f["simultaneous_upper"] for f in frontier])
    ax.errorbar(ks, est, [est - lo, hi - est], fmt="o", capsize=3, label="cross-fitted (simult.)")
    ax.plot(ks, [f["plug_in_kl"] for f in frontier], "x", label="plug-in")
    ax.set_xlabel("steps k")
    ax.set_ylabel(kind)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)
