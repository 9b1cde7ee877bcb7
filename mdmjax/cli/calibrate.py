"""``mdmjax calibrate``: a trained model's curve, its schedules, and honest values for them.

    mdmjax calibrate --model NAME|pkg.module:factory --data rows.npy [--weights w.npy]
        [--always-revealed 0:15] [--levels 0,1,2,4,8] [--steps 2,4,8] [--eps E] [--entropy H]
        [--half-width H] [--json out.json|-] [--plot fig.png] [--quiet]

``--model`` is a shipped model by name (``words4``, ``words5``, ...) or ``factory()`` returning
an mdmjax model (:func:`mdmjax.models.from_callable`, :func:`mdmjax.models.from_torch`, a
``ConditionalModel``). Prints the evaluated levels of the per-level curve (CE, predictive
entropy, calibration gap, with standard errors) and a one-line summary (every level is in
``--json``), then the excess-KL frontier over one token per step: for every ``k`` the
cross-fitted value of the DP schedule chosen on one half of the rows and valued on the other,
its 95 % interval, a simultaneous 95 % interval over all ``k`` (max-t with the per-row
correlation, docs/theory.md §8.6), the plug-in value next to it (never alone), and the rows a
rerun needs for an interval of ``± --half-width`` nats (this run is the pilot); then
``min_steps`` for ``--eps``. ``--json -`` writes the JSON to stdout (the table then goes to
stderr). A progress bar over the model's batches is shown unless ``--quiet``. Bad input: one
line naming the flag, exit code 2.
"""

from __future__ import annotations

import numpy as np

from mdmjax.cli._flags import (
    add_output_arguments,
    parse_ints,
    reword_error,
    save_figure,
    write_json,
)
from mdmjax.cli._model import MODEL_HELP, load_model
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
}

# Default target half-width (nats) of the rows-needed column.
_HALF_WIDTH = 0.05


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="a trained model's per-level cross-entropy curve and its optimal schedules",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--model", required=True, metavar="NAME|MODULE:FACTORY", help=MODEL_HELP)
    p.add_argument("--data", required=True, metavar="ROWS.npy", help="int (rows, n) token ids")
    p.add_argument("--weights", metavar="W.npy", help="(rows,) probabilities of the rows")
    p.add_argument("--always-revealed", metavar="SPEC", help="prompt positions, e.g. 0:15 or 0,1,5")
    p.add_argument(
        "--levels", metavar="SPEC", help="grid of levels, e.g. 0:255:16 (long sequences)"
    )
    p.add_argument(
        "--steps",
        metavar="SPEC",
        help="step counts, e.g. 2,4,8 or 1:16 (default 1..n, or powers of 2)",
    )
    p.add_argument("--eps", type=float, help="KL budget (nats) for min_steps")
    p.add_argument("--entropy", type=float, help="H(p): report absolute KL instead of excess")
    p.add_argument("--masks-per-row", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--half-width",
        type=float,
        default=_HALF_WIDTH,
        help=f"target 95%% half-width (nats) for the rows-needed column (default {_HALF_WIDTH})",
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

    model = load_model(args.model)
    data = read_npy(args.data, "--data")
    weights = None if args.weights is None else read_npy(args.weights, "--weights")
    n_cols = int(data.shape[1]) if data.ndim == 2 else 0
    prompt = _prompt(args.always_revealed, n_cols)
    levels = None if args.levels is None else parse_ints(args.levels, "--levels", default_lo=0)
    if args.eps is not None and not (np.isfinite(args.eps) and args.eps >= 0):
        raise ValueError(f"--eps: must be finite and >= 0, got {args.eps}")
    if not (np.isfinite(args.half_width) and args.half_width > 0):
        raise ValueError(f"--half-width: must be finite and > 0, got {args.half_width}")
    n_gen = n_cols - (0 if prompt is None else int(prompt.sum()))
    wanted = None if args.steps is None else parse_ints(args.steps, "--steps")
    for k in wanted or ():
        if not 1 <= k <= max(n_gen, 1):
            raise ValueError(f"--steps: every k must lie in 1..n = {n_gen}, got {k}")
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
    )
    n = mc.n
    steps = wanted or _default_steps(n)
    out_stream = sys.stderr if args.json == "-" else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out_stream)

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
