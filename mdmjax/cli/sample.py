"""``mdmjax sample``: draw rows from a model with its own masked-diffusion sampler.

    mdmjax sample --model NAME|pkg.module:factory --steps K [--schedule constant|cosine|optimal]
        [--curve-data ROWS.npy] [--policy NAME] [--prompt PROMPT.npy] --num N [--seed S]
        [--batch-size B] [--checkpoint PATH] [--json OUT.json|-] [--npy OUT.npy] [--quiet]

The sizes of the ``K`` steps come from ``--schedule``: ``constant`` (LLaDA's uniform split),
``cosine`` (MaskGIT's cosine), or ``optimal`` (the DP optimum of the model's own per-level
cross-entropy curve, measured on ``--curve-data`` rows, or for a shipped model on exact draws of
its own law; docs/theory.md §8). Without ``--policy``
each step reveals a uniformly random subset of that size (the random-order sampler); with
``--policy`` the policy picks the positions from the model's conditionals (``confidence``,
``margin``, ``entropy``, ``random``, ``gumbel`` use the sizes; ``threshold``, ``factor``, ``eb``
are adaptive and ignore ``--steps``; or a name of ``mdm.policies.practice_policies``).
``--prompt`` is an int ``.npy`` array ``(n,)`` or ``(N, n)`` with the mask value at the positions
to generate. ``n`` is the model's own, else the width of ``--prompt`` or ``--curve-data``. The
rows go to stdout (words for the shipped word models), or to ``--npy`` / ``--json``; each comes
with ``log ν̂_B``, the log-probability the sampler gave it along its own reveal order
(``sum_t sum_{i in B_t} log p̂(x_i | revealed before step t)``). docs/theory.md §11. Bad input:
one line naming the flag, exit code 2.
"""

from __future__ import annotations

import numpy as np

from mdmjax.cli._flags import plain, reword_error, text_stream, write_json
from mdmjax.cli._model import load_model, model_help
from mdmjax.cli._npy import npy_header, read_npy

__all__ = ["register", "run", "SCHEDULES", "POLICIES"]

SCHEDULES = ("constant", "cosine", "optimal")

#: Short policy names: ``sizes -> Policy`` (the adaptive ones ignore the sizes).
POLICIES = ("confidence", "margin", "entropy", "random", "gumbel", "threshold", "factor", "eb")

_FLAGS = {
    "model": "--model",
    "plan": "--steps/--schedule/--policy",
    "prompt": "--prompt",
    "num_samples": "--num",
    "batch_size": "--batch-size",
    "key": "--seed",
    "data": "--curve-data",
    "steps": "--steps",
    "k": "--steps",
    "checkpoint": "--checkpoint",
}


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sample",
        help="draw rows from a model with its own sampler (a schedule or a policy)",
        description=plain(__doc__.split("\n\n")[0]),
    )
    p.add_argument("--model", required=True, metavar="NAME|MODULE:FACTORY", help=model_help())
    p.add_argument(
        "--steps",
        type=int,
        metavar="K",
        help="number of steps (model calls per row); not needed with an adaptive --policy",
    )
    p.add_argument(
        "--schedule",
        default="constant",
        metavar="|".join(SCHEDULES),
        help="step sizes: constant (equal), cosine (MaskGIT) or optimal (the DP optimum of the "
        "model's own curve; see --curve-data) (default constant)",
    )
    p.add_argument(
        "--curve-data",
        metavar="ROWS.npy",
        help="held-out rows (int (rows, n) .npy) for --schedule optimal's curve (a shipped "
        "model: default, exact draws of its own law)",
    )
    p.add_argument(
        "--policy",
        metavar="NAME",
        help=f"positions chosen by a policy: one of {', '.join(POLICIES)} (default: uniformly "
        "random positions)",
    )
    p.add_argument(
        "--prompt",
        metavar="PROMPT.npy",
        help="int (n,) or (N, n) .npy: fixed tokens, and the mask value V at the positions to "
        "generate",
    )
    p.add_argument(
        "--num",
        "--num-samples",  # under torchrun: its own parser takes --num for --numa-binding
        dest="num",
        type=int,
        required=True,
        metavar="N",
        help="rows to draw (--num-samples under torchrun)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--batch-size",
        type=int,
        metavar="B",
        help="rows per model call (default: as many as fit about 4M conditionals)",
    )
    p.add_argument("--json", metavar="PATH", help="write rows and log ν̂_B as JSON ('-': stdout)")
    p.add_argument("--npy", metavar="PATH", help="write the rows as an int64 .npy array")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="append each completed batch to PATH; a rerun with the same arguments resumes",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    try:
        return _run(args)
    except ValueError as err:
        raise reword_error(err, _FLAGS) from None


def _load_prompt(path: str) -> np.ndarray:
    arr = read_npy(path, "--prompt")
    if arr.dtype.kind not in "iu":
        raise ValueError(f"--prompt: {path} holds dtype {arr.dtype}; expected integer token ids")
    return arr


def _sizes(args, model, m: int, prompt, mask) -> tuple[int, ...] | None:
    """The step sizes of ``--steps/--schedule`` over the ``m`` positions to generate."""
    import mdmjax as mdm

    if args.steps is None:
        return None
    if not 1 <= args.steps <= m:
        raise ValueError(f"--steps: must lie in 1..{m} (positions to generate), got {args.steps}")
    if args.schedule == "constant":
        return mdm.schedules.constant(m, args.steps)
    if args.schedule == "cosine":
        return mdm.schedules.cosine(m, args.steps)
    if args.curve_data is None and args.model not in mdm.calibrate.SHIPPED_MODELS:
        raise ValueError(
            "--schedule: optimal needs the model's curve: pass --curve-data ROWS.npy (held-out "
            "rows) or use constant or cosine"
        )
    from mdmjax.cli.calibrate import default_levels, default_rows

    if args.curve_data is None:  # a shipped model: exact draws of its own law
        rows = mdm.calibrate.shipped_data(args.model, default_rows(args.model), seed=args.seed).rows
    else:
        rows = read_npy(args.curve_data, "--curve-data")
    fixed = None
    if prompt is not None:
        first = prompt.reshape(-1, prompt.shape[-1])[0]
        fixed = first != mask
    try:
        mc = mdm.model_curve(
            model,
            rows,
            key=args.seed,
            always_revealed=fixed,
            levels=default_levels(m),
            progress=not args.quiet,
        )
    except ValueError as err:
        msg = str(err)
        head = msg.partition(":")[0]
        if head in ("data", "weights", "always_revealed"):
            raise ValueError(f"--curve-data:{msg.partition(':')[2]}") from None
        raise
    return tuple(mdm.optimal_schedule(mc, args.steps).sizes)


def _policy(name: str, sizes, n: int):
    import mdmjax as mdm

    P = mdm.policies
    if name in ("threshold", "factor", "eb"):
        return {"threshold": P.threshold(0.9), "factor": P.factor(1.0), "eb": P.entropy_bound(0.1)}[
            name
        ]
    if name in POLICIES:
        if sizes is None:
            raise ValueError(f"--steps: --policy {name} needs a step count")
        if name == "gumbel":
            return P.gumbel_confidence(sizes, 1.0)
        return getattr(P, name)(sizes)
    catalogue = P.practice_policies(n)
    if name in catalogue:
        entry = catalogue[name]
        if isinstance(entry, P.Policy):
            return entry
        if sizes is None:
            raise ValueError(f"--steps: --policy {name!r} needs a step count")
        return entry(len(sizes))
    names = ", ".join([*POLICIES, *(repr(k) for k in catalogue)])
    raise ValueError(f"--policy: expected one of {names}, got {name!r}")


def _run(args) -> int:
    import mdmjax as mdm

    if args.schedule not in SCHEDULES:
        raise ValueError(
            f"--schedule: expected one of {', '.join(SCHEDULES)}, got {args.schedule!r}"
        )
    if args.num < 1:
        raise ValueError(f"--num: must be >= 1, got {args.num}")
    if args.batch_size is not None and args.batch_size < 1:
        raise ValueError(f"--batch-size: must be >= 1, got {args.batch_size}")
    loaded = load_model(args.model)
    model = mdm.models.as_conditional_model(loaded)  # full conditionals (from_torch: its table)
    wrapped = mdm.models.as_scoring_model(model, "model")
    prompt = None if args.prompt is None else _load_prompt(args.prompt)
    if prompt is not None and prompt.ndim in (1, 2) and prompt.shape[-1] > 0:
        n = prompt.shape[-1]
    elif wrapped.n is not None:
        n = wrapped.n
    elif args.curve_data is not None:
        shape, _ = npy_header(args.curve_data, "--curve-data")
        if len(shape) != 2 or shape[1] < 1:
            raise ValueError(f"--curve-data: expected (rows, n) token ids, got shape {shape}")
        n = shape[1]
    else:
        raise ValueError(
            f"--model: {wrapped.name} does not fix n (the sequence length); give it in your "
            "factory (mdmjax.models.from_torch(..., n=N) or from_callable(..., n=N)), or pass "
            "--curve-data ROWS.npy or --prompt PROMPT.npy"
        )
    mask = wrapped.mask_values(n) if (wrapped.n is None or wrapped.n == n) else None
    if mask is None:
        raise ValueError(f"--prompt: has n = {n} positions, but the model has n = {wrapped.n}")
    m = n if prompt is None else int(np.sum(prompt.reshape(-1, n)[0] == mask))
    if m < 1:
        raise ValueError("--prompt: has no masked position to generate")
    if args.steps is None and args.policy not in ("threshold", "factor", "eb"):
        raise ValueError("--steps: required (except with an adaptive --policy)")
    sizes = _sizes(args, loaded, m, prompt, mask)  # the curve: the model's own scores
    plan = sizes if args.policy is None else _policy(args.policy, sizes, n)
    x, logp = mdm.sample(
        model,
        plan,
        key=args.seed,
        num_samples=args.num,
        prompt=prompt,
        batch_size=args.batch_size,
        return_log_prob=True,
        progress=not args.quiet,
        checkpoint=args.checkpoint,
    )
    label = plan.label if isinstance(plan, mdm.policies.Policy) else f"sizes {list(plan)}"
    out = text_stream(args)
    where = [f for f, given in (("--npy", args.npy), ("--json", args.json)) if given]
    dest = " and ".join(f"{f} {p}" for f in where for p in [getattr(args, f[2:])])
    print(
        f"sampled {args.num} rows of n = {n} ({m} generated) with {label} -> "
        f"{dest or 'stdout, one row per line'}; mean log ν̂_B = {float(np.mean(logp)):.6g} nats "
        "(log ν̂_B: the log-probability of a row along its own reveal order)",
        file=out,
    )
    if args.npy:
        try:
            np.save(args.npy, x)
        except OSError as err:
            raise ValueError(f"--npy: cannot write {args.npy}: {err.strerror or err}") from None
    if args.json:
        write_json(
            {
                "model": args.model,
                "plan": label,
                "sizes": None if sizes is None else list(sizes),
                "seed": args.seed,
                "n": n,
                "samples": x.tolist(),
                "log_nu_hat_B": logp.tolist(),
            },
            args.json,
        )
    if not args.json and not args.npy:
        words = args.model in ("words4", "words5")  # the shipped word models: letters a..z
        for row in x:
            if words:
                print("".join(chr(ord("a") + int(v)) for v in row), file=out)
            else:
                print(" ".join(str(int(v)) for v in row), file=out)
    return 0
