"""``mdmjax calibrate``: a trained model's curve, its schedules, and honest values for them.

    mdmjax calibrate --model pkg.module:factory --data rows.npy [--weights w.npy]
        [--always-revealed 0:16] [--levels 0,1,2,4,8] [--steps 2,4,8] [--eps E] [--entropy H]
        [--json out.json] [--plot fig.png]

``factory()`` returns an mdmjax model (:func:`mdmjax.models.from_callable`, a
``ConditionalModel``, :func:`mdmjax.calibrate.word_mdm`). Prints the per-level curve (CE,
predictive entropy, calibration gap, with standard errors), the excess-KL frontier over one token
per step: for every ``k`` the DP schedule of the raw estimates, the band interval for the optimum,
and the cross-fitted value of the chosen schedule on rows not used to choose it (the plug-in
value is printed next to it, never alone; docs/theory.md §8.6), and ``min_steps`` for ``--eps``.
Bad input: one line naming the flag, exit code 2.
"""

from __future__ import annotations

import json

import numpy as np

from mdmjax.cli._model import MODEL_HELP, load_model

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
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "calibrate",
        help="a trained model's per-level cross-entropy curve and its optimal schedules",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--model", required=True, metavar="NAME|MODULE:FACTORY", help=MODEL_HELP)
    p.add_argument("--data", required=True, metavar="ROWS.npy", help="int (rows, n) token ids")
    p.add_argument("--weights", metavar="W.npy", help="(rows,) probabilities of the rows")
    p.add_argument("--always-revealed", metavar="SPEC", help="prompt positions, e.g. 0:16 or 0,1,5")
    p.add_argument("--levels", metavar="M,M,..", help="grid of levels (long sequences)")
    p.add_argument("--steps", metavar="K,K,..", help="step counts (default 1..n, or powers of 2)")
    p.add_argument("--eps", type=float, help="KL budget (nats) for min_steps")
    p.add_argument("--entropy", type=float, help="H(p): report absolute KL instead of excess")
    p.add_argument("--masks-per-row", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT.json")
    p.add_argument("--plot", metavar="FIG.png")
    p.set_defaults(func=run)


def _flagged(err: ValueError) -> ValueError:
    """Re-word a library error ``"arg: ..."`` as ``"--flag: ..."``, on one line."""
    msg = " ".join(str(err).split())
    head, sep, rest = msg.partition(":")
    if sep and head in _FLAGS:
        return ValueError(f"{_FLAGS[head]}:{rest}")
    return ValueError(msg)


def _load_npy(path: str, flag: str):
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"{flag}: cannot read {path!r} as a .npy array ({err})") from None


def _int_list(text: str | None, flag: str) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{flag}: expected comma-separated integers, got {text!r}") from None


def _prompt(spec: str | None, n: int):
    if spec is None:
        return None
    mask = np.zeros(n, dtype=bool)
    try:
        for part in spec.split(","):
            if ":" in part:
                a, b = part.split(":")
                mask[int(a or 0) : int(b or n)] = True
            else:
                i = int(part)
                if not 0 <= i < n:
                    raise IndexError(i)
                mask[i] = True
    except (ValueError, IndexError):
        raise ValueError(
            f"--always-revealed: expected positions in 0..{n - 1} like 0:16 or 0,1,5, got {spec!r}"
        ) from None
    return mask


def _default_steps(n: int) -> list[int]:
    if n <= 16:
        return list(range(1, n + 1))
    return sorted({k for k in (2**i for i in range(n.bit_length())) if k <= n} | {n})


def run(args) -> int:
    try:
        return _run(args)
    except ValueError as err:
        raise _flagged(err) from None


def _run(args) -> int:
    import mdmjax as mdm

    model = load_model(args.model)
    data = _load_npy(args.data, "--data")
    weights = None if args.weights is None else _load_npy(args.weights, "--weights")
    n_cols = int(data.shape[1]) if data.ndim == 2 else 0
    prompt = _prompt(args.always_revealed, n_cols)
    levels = _int_list(args.levels, "--levels")
    if args.eps is not None and not (np.isfinite(args.eps) and args.eps >= 0):
        raise ValueError(f"--eps: must be finite and >= 0, got {args.eps}")
    mc = mdm.model_curve(
        model,
        data,
        key=args.seed,
        weights=weights,
        levels=levels,
        always_revealed=prompt,
        masks_per_row=args.masks_per_row,
        batch_size=args.batch_size,
    )
    n = mc.n
    steps = _int_list(args.steps, "--steps") or _default_steps(n)
    for k in steps:
        if not 1 <= k <= n:
            raise ValueError(f"--steps: every k must lie in 1..n = {n}, got {k}")
    h = args.entropy
    kind = "absolute KL" if h is not None else "excess KL over one token per step"
    print(f"model curve: n = {n} generated positions, {mc.num_rows} rows, masks = {mc.masks}")
    print(f"{'m':>5} {'CE(m)':>10} {'± se':>8} {'entropy':>10} {'± se':>8} {'gap':>9}")
    for m in range(n):
        mark = "" if m in set(mc.levels.tolist()) else "  (interpolated)"
        print(
            f"{m:>5} {mc.cross_entropy[m]:>10.5f} {mc.cross_entropy_stderr[m]:>8.5f} "
            f"{mc.entropy[m]:>10.5f} {mc.entropy_stderr[m]:>8.5f} "
            f"{mc.calibration_gap[m]:>9.5f}{mark}"
        )
    print(f"NLL bound sum_m CE(m) = {mc.nll_bound:.6g} ± {mc.nll_bound_stderr:.3g} nats")
    print(f"\nfrontier ({kind}, nats); cross-fitted = chosen on one half, valued on the other")
    print(
        f"{'k':>4} {'cross-fitted':>13} {'95% interval':>24} {'plug-in':>10} "
        f"{'optimum band':>24}  sizes (all rows)"
    )
    frontier = []
    for k in steps:
        cf = mdm.calibrate.cross_fit(mc, k, key=args.seed, entropy_of_data=h)
        si = mdm.optimal_schedule_interval(mc, k, entropy_of_data=h)
        frontier.append(
            {
                **cf.to_dict(),
                "optimum_lower": si.optimum.lower,
                "optimum_upper": si.optimum.upper,
            }
        )
        sizes = " ".join(map(str, cf.plug_in.sizes))
        if len(sizes) > 60:
            sizes = sizes[:57] + "..."
        print(
            f"{k:>4} {cf.estimate:>13.5f} [{cf.lower:>10.5f}, {cf.upper:>10.5f}] "
            f"{cf.plug_in.kl:>10.5f} [{si.optimum.lower:>10.5f}, {si.optimum.upper:>10.5f}]  "
            f"{sizes}"
        )
    fewest = None
    if args.eps is not None:
        best = mdm.min_steps(mc, args.eps, entropy_of_data=h)
        cf = mdm.calibrate.cross_fit(mc, best.steps, key=args.seed, entropy_of_data=h)
        fewest = {"eps": args.eps, "steps": best.steps, "sizes": list(best.sizes), **cf.to_dict()}
        print(
            f"\nmin_steps(eps = {args.eps:g}): k = {best.steps}, plug-in {best.kl:.5f}, "
            f"cross-fitted {cf.estimate:.5f} [{cf.lower:.5f}, {cf.upper:.5f}]"
            + ("  (cross-fitted value is above eps)" if cf.estimate > args.eps else "")
        )
    out = {"curve": mc.to_dict(), "kind": kind, "frontier": frontier, "min_steps": fewest}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
            fh.write("\n")
    if args.plot:
        _plot(mc, frontier, args.plot, kind)
    return 0


def _plot(mc, frontier, path: str, kind: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    m = np.arange(mc.n)
    ax = axes[0]
    for y, se, label in (
        (mc.cross_entropy, mc.cross_entropy_stderr, "CE(m)"),
        (mc.entropy, mc.entropy_stderr, "predictive entropy"),
    ):
        ax.plot(m, y, label=label)
        ax.fill_between(m, y - 2 * se, y + 2 * se, alpha=0.3)
    ax.set_xlabel("revealed m")
    ax.set_ylabel("nats")
    ax.legend()
    ax = axes[1]
    ks = [f["steps"] for f in frontier]
    est = np.asarray([f["estimate"] for f in frontier])
    lo = np.asarray([f["lower"] for f in frontier])
    hi = np.asarray([f["upper"] for f in frontier])
    ax.errorbar(ks, est, [est - lo, hi - est], fmt="o", capsize=3, label="cross-fitted")
    ax.plot(ks, [f["plug_in_kl"] for f in frontier], "x", label="plug-in")
    ax.set_xlabel("steps k")
    ax.set_ylabel(kind)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
