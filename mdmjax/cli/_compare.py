"""``mdmjax calibrate --compare [POLICY,...]``: the samplers a practitioner runs, side by side.

Every plan is valued by :func:`mdmjax.calibrate.sampler_frontier` on the ``--data`` rows (its own
output law's cross-entropy by teacher forcing, the KL with ``--entropy``), at the ``--steps``
budgets. Printed: a cost estimate before the run, then per plan its model calls per sample,
KL (or cross-entropy) with its 95 % interval and the paired distance from the best with its
interval. ``POLICY`` names (:data:`POLICY_NAMES`) pick families of the default plans; no list
means all of them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["POLICY_NAMES", "run_compare"]

#: ``--compare`` names -> the family of :func:`mdmjax.calibrate.default_sampler_plans`.
POLICY_NAMES = {
    "llada": "LLaDA confidence",
    "dream-margin": "Dream margin",
    "dream-entropy": "Dream entropy",
    "maskgit": "MaskGIT Gumbel (cosine, tau 4.5, annealed)",
    "fast-dllm": "Fast-dLLM threshold 0.9",
    "fast-dllm-factor": "Fast-dLLM factor 1",
    "fast-dllm-dream": "Fast-dLLM Dream threshold 0.9",
    "eb-entropy": "EB entropy 0.1",
    "eb-confidence": "EB confidence 0.1",
    "eb-margin": "EB margin 0.1",
    "dus": "DUS base 2",
    "dus-skip": "DUS base 2, skip 0.9",
    "random": "random order, constant",
    "cosine": "random order, cosine",
    "optimal": "random order, DP-optimal",
}


_FIRST_PATHS = 4  # sampler_kl's first particle count (particles=None doubles from it)


def _select(spec: str, plans: dict) -> dict:
    if not spec:
        return plans
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in names if s not in POLICY_NAMES]
    if unknown:
        raise ValueError(
            f"--compare: unknown policy {unknown[0]!r}; known: {', '.join(POLICY_NAMES)}"
        )
    families = {POLICY_NAMES[s] for s in names}
    out = {k: v for k, v in plans.items() if k.split(", k=")[0] in families}
    if not out:
        raise ValueError(f"--compare: none of {spec!r} exists at these --steps")
    return out


def _cost(plans: dict, rows: int, n: int) -> tuple[int, int]:
    """(low, high) forward passes: k per row for a fixed plan (1 to n for an adaptive one),
    times sampler_kl's 4 to 256 paths per row for a stochastic one."""
    import inspect

    from mdmjax.calibrate import OptimalSizes, sampler_kl

    most_paths = inspect.signature(sampler_kl).parameters["max_particles"].default

    low = high = 0
    for plan in plans.values():
        if isinstance(plan, OptimalSizes):
            fewest = most = plan.steps
            stochastic = True
        elif isinstance(plan, tuple):
            fewest = most = len(plan)
            stochastic = True
        else:
            sizes = plan.sizes
            fewest, most = (len(sizes), len(sizes)) if sizes else (1, n)
            stochastic = plan.kind in ("random", "gumbel_confidence")
        paths = (_FIRST_PATHS, most_paths) if stochastic else (1, 1)
        low += rows * fewest * paths[0]
        high += rows * most * paths[1]
    return low, high


def run_compare(args, model, data, weights, always, steps, say) -> dict:
    """Run the comparison; returns the JSON record. ``always``: the ``--always-revealed`` mask."""
    import mdmjax as mdm

    rows, n = data.shape
    prompt = None
    if always is not None:
        from mdmjax.models import as_scoring_model

        mask = np.asarray(as_scoring_model(model, "model").mask_values(n))
        prompt = np.where(always[None, :], data, mask[None, :])
    m = n - (0 if always is None else int(always.sum()))
    ks = steps or sorted({max(1, m // 8), max(1, m // 4), max(1, m // 2)})
    plans = _select(args.compare, mdm.calibrate.default_sampler_plans(m, ks))
    low, high = _cost(plans, rows, m)
    say(
        f"cost estimate: {len(plans)} plans x {rows} rows, {low:,} to {high:,} forward passes "
        "(stochastic plans: 4 to 256 paths per row)"
    )
    if weights is not None:
        raise ValueError("--weights: not used by --compare (pass rows drawn from the law)")
    f = mdm.calibrate.sampler_frontier(
        model,
        data,
        plans,
        key=args.seed,
        entropy_of_data=args.entropy,
        prompt=prompt,
        batch_size=args.batch_size,
        progress=not args.quiet,
    )
    table = f.table()
    what = "KL" if f.has_kl else "cross-entropy"
    say(f"\n{what} of each sampler's own output law (nats), {rows} rows; best: {f.best}")
    say(
        f"{'plan':<46} {'calls':>6} {what:>10} {'95% interval':>22} {'- best':>9} "
        f"{'95% interval':>22}"
    )
    for r in table:
        value = r["kl"] if f.has_kl else r["cross_entropy"]
        lo, hi = (
            (r["kl_lower"], r["kl_upper"])
            if f.has_kl
            else (
                r["cross_entropy"] - 1.96 * r["stderr"],
                r["cross_entropy"] + 1.96 * r["stderr"],
            )
        )
        say(
            f"{r['name'][:46]:<46} {r['calls']:>6.2f} {value:>10.4f} [{lo:>9.4f}, {hi:>9.4f}] "
            f"{r['minus_best']:>9.4f} [{r['minus_best_lower']:>9.4f}, "
            f"{r['minus_best_upper']:>9.4f}]"
        )
    if args.plot:
        from mdmjax.cli._flags import save_figure

        save_figure(f.plot(), args.plot)
    return {"compare": table, "best": f.best, "kind": what, "chosen": f.chosen}
