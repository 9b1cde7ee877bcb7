"""``mdmjax sample``: draw rows from a model with its own masked-diffusion sampler.

    mdmjax sample --model NAME|pkg.module:factory --steps K [--schedule constant|cosine|optimal]
        [--curve-data ROWS.npy] [--policy NAME] [--prompt PROMPT.npy] --num N [--seed S]
        [--batch-size B] [--checkpoint PATH] [--json OUT.json|-] [--npy OUT.npy]

The sizes of the ``K`` steps come from ``--schedule``: ``constant`` (LLaDA's uniform split),
``cosine`` (MaskGIT's cosine), or ``optimal`` (the DP optimum of the model's own per-level
cross-entropy curve, measured on ``--curve-data`` rows; docs/theory.md §8). Without ``--policy``
each step reveals a uniformly random subset of that size (the random-order sampler); with
``--policy`` the policy picks the positions from the model's conditionals (``confidence``,
``margin``, ``entropy``, ``random``, ``gumbel`` use the sizes; ``threshold``, ``factor``, ``eb``
are adaptive and ignore ``--steps``; or a name of ``mdm.policies.practice_policies``).
``--prompt`` is an int ``.npy`` array ``(n,)`` or ``(N, n)`` with the mask value at the positions
to generate. docs/theory.md §11. Bad input: one line naming the flag, exit code 2.
"""

from __future__ import annotations

import sys

import numpy as np

from mdmjax.cli._flags import reword_error, text_stream, write_json
from mdmjax.cli._model import MODEL_HELP, load_model
from mdmjax.cli._npy import read_npy

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
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--model", required=True, metavar="NAME|MODULE:FACTORY", help=MODEL_HELP)
    p.add_argument("--steps", type=int, metavar="K", help="number of steps (sampler calls)")
    p.add_argument("--schedule", default="constant", metavar="|".join(SCHEDULES))
    p.add_argument("--curve-data", metavar="ROWS.npy", help="rows for --schedule optimal's curve")
    p.add_argument("--policy", metavar="NAME", help=f"one of {', '.join(POLICIES)}")
    p.add_argument("--prompt", metavar="PROMPT.npy", help="int (n,) or (N, n); mask = generate")
    p.add_argument("--num", type=int, required=True, metavar="N", help="rows to draw")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, metavar="B")
    p.add_argument("--json", metavar="PATH", help="write rows and log ν̂_B as JSON ('-': stdout)")
    p.add_argument("--npy", metavar="PATH", help="write the rows as an int64 .npy array")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
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
    if args.curve_data is None:
        raise ValueError(
            "--schedule: optimal needs the model's curve: pass --curve-data ROWS.npy (held-out "
            "rows) or use constant or cosine"
        )
    try:
        rows = np.load(args.curve_data, allow_pickle=False)
    except (OSError, ValueError) as err:
        raise ValueError(f"--curve-data: cannot read {args.curve_data!r} ({err})") from None
    fixed = None
    if prompt is not None:
        first = prompt.reshape(-1, prompt.shape[-1])[0]
        fixed = first != mask
    try:
        mc = mdm.model_curve(model, rows, key=args.seed, always_revealed=fixed)
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
    model = load_model(args.model)
    wrapped = mdm.models.as_scoring_model(model, "model")
    prompt = None if args.prompt is None else _load_prompt(args.prompt)
    if prompt is not None and prompt.ndim in (1, 2) and prompt.shape[-1] > 0:
        n = prompt.shape[-1]
    elif wrapped.n is not None:
        n = wrapped.n
    else:
        raise ValueError(f"--model: {args.model} does not fix n; pass --prompt (n,) with masks")
    mask = wrapped.mask_values(n) if (wrapped.n is None or wrapped.n == n) else None
    if mask is None:
        raise ValueError(f"--prompt: has n = {n} positions, but the model has n = {wrapped.n}")
    m = n if prompt is None else int(np.sum(prompt.reshape(-1, n)[0] == mask))
    if m < 1:
        raise ValueError("--prompt: has no masked position to generate")
    if args.steps is None and args.policy not in ("threshold", "factor", "eb"):
        raise ValueError("--steps: required (except with an adaptive --policy)")
    sizes = _sizes(args, model, m, prompt, mask)
    plan = sizes if args.policy is None else _policy(args.policy, sizes, n)
    x, logp = mdm.sample(
        model,
        plan,
        key=args.seed,
        num_samples=args.num,
        prompt=prompt,
        batch_size=args.batch_size,
        return_log_prob=True,
        progress=False if args.quiet or not sys.stderr.isatty() else None,
        checkpoint=args.checkpoint,
    )
    label = plan.label if isinstance(plan, mdm.policies.Policy) else f"sizes {list(plan)}"
    out = text_stream(args)
    print(
        f"sampled {args.num} rows of n = {n} ({m} generated) with {label}; "
        f"mean log ν̂_B = {float(np.mean(logp)):.6g} nats",
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
        for row in x:
            print(" ".join(str(int(v)) for v in row), file=out)
    return 0
