"""``mdmjax data``: held-out rows of a shipped model's own law, written to a ``.npy`` file.

    mdmjax data --model walk|words4|words5 --num N [--seed S] --npy ROWS.npy [--json OUT.json|-]

Exact draws (:func:`mdmjax.calibrate.shipped_data`): the random walk of ``walk_law()`` for
``walk``, the English word law the word models were trained on for ``words4`` and ``words5``.
The file is what ``mdmjax calibrate --data`` and ``mdmjax sample --curve-data`` read; the
law's exact entropy ``H(p)`` is printed (``calibrate --entropy`` takes it). Bad input: one line
naming the flag, exit code 2.
"""

from __future__ import annotations

import numpy as np

from mdmjax.cli._flags import plain, reword_error, text_stream, write_json

__all__ = ["register", "run"]


def register(subparsers) -> None:
    from mdmjax.calibrate import SHIPPED_MODELS

    names = ", ".join(sorted(SHIPPED_MODELS))
    p = subparsers.add_parser(
        "data",
        help="held-out rows of a shipped model's own law (exact draws) as .npy",
        description=plain(__doc__.split("\n\n")[0]),
    )
    p.add_argument("--model", required=True, metavar="NAME", help=f"a shipped model: {names}")
    p.add_argument("--num", type=int, default=1000, metavar="N", help="rows (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    p.add_argument("--npy", required=True, metavar="PATH", help="where the int64 rows go")
    p.add_argument("--json", metavar="PATH", help="also write a summary as JSON ('-': stdout)")
    p.set_defaults(func=run)


def run(args) -> int:
    try:
        return _run(args)
    except ValueError as err:
        raise reword_error(err, {"name": "--model", "num": "--num", "seed": "--seed"}) from None


def _run(args) -> int:
    import mdmjax as mdm

    if args.model not in mdm.calibrate.SHIPPED_MODELS:
        names = ", ".join(sorted(mdm.calibrate.SHIPPED_MODELS))
        raise ValueError(f"--model: expected a shipped model ({names}), got {args.model!r}")
    if args.num < 1:
        raise ValueError(f"--num: must be >= 1, got {args.num}")
    if args.seed < 0:
        raise ValueError(f"--seed: must be >= 0, got {args.seed}")
    held = mdm.calibrate.shipped_data(args.model, args.num, seed=args.seed)
    try:
        np.save(args.npy, held.rows)
    except OSError as err:
        raise ValueError(f"--npy: cannot write {args.npy}: {err.strerror or err}") from None
    print(
        f"wrote {args.num} exact draws of {held.law} (seed {args.seed}), shape "
        f"{held.rows.shape}, to {args.npy}; exact H(p) = {held.entropy:.10g} nats",
        file=text_stream(args),
    )
    if args.json:
        write_json(
            {
                "model": args.model,
                "law": held.law,
                "seed": args.seed,
                "rows": args.num,
                "n": int(held.rows.shape[1]),
                "entropy": held.entropy,
                "npy": args.npy,
            },
            args.json,
        )
    return 0
