"""``mdmjax bench --kernel sampler_kl``: the teacher-forced estimator against bare forward passes.

A deterministic policy needs one model call per step and row. The measurement times
``mdm.calibrate.sampler_kl`` on the shipped walk transformer (LLaDA's confidence rule at ``k``
steps, ``rows`` held-out walks) and, alternating with it, the same number of bare forward passes
on batches of the same shape (``k`` jitted calls of the model on ``(rows, n)`` partially masked
rows). The ratio is the median over the alternating repeats, so load on a shared machine hits
both sides alike.
"""

from __future__ import annotations

import time

import numpy as np

SAMPLER_KL_ROWS = 64
SAMPLER_KL_STEPS = 16
SAMPLER_KL_REPEAT = 5


def worker_sampler_kl(spec: dict) -> dict:
    """One alternating measurement (runs in its own process, float64 enabled by the caller)."""
    import jax

    import mdmjax as mdm

    rows, k, repeat = spec["rows"], spec["steps"], spec["repeat"]
    law = mdm.calibrate.walk_law()
    model = mdm.calibrate.walk_mdm()
    n = law.n
    x = np.asarray(law.sample(jax.random.key(1), rows))
    plan = mdm.policies.confidence(mdm.schedules.constant(n, k))
    rng = np.random.default_rng(0)
    mask = model.mask_values(n)
    ys = []
    for t in range(k):  # the shapes the estimator feeds the model: t/k of each row revealed
        revealed = np.argsort(rng.random((rows, n)), axis=1) < (t * n) // k
        ys.append(np.where(revealed, x, mask[None, :]))
    forward = jax.jit(model.conditionals)
    t0 = time.perf_counter()
    r = mdm.calibrate.sampler_kl(model, plan, x, batch_size=rows, progress=False)
    first = time.perf_counter() - t0
    jax.block_until_ready(forward(ys[0]))
    est_s, bare_s = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        mdm.calibrate.sampler_kl(model, plan, x, batch_size=rows, progress=False)
        est_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for y in ys:
            jax.block_until_ready(forward(y))
        bare_s.append(time.perf_counter() - t0)
    ratios = [a / b for a, b in zip(est_s, bare_s, strict=True)]
    return {
        "n": n,
        "rows": rows,
        "steps": k,
        "model_calls": r.model_calls,
        "first_call_s": first,
        "run_s": float(np.median(est_s)),
        "sampler_kl_s": est_s,
        "bare_forward_s": bare_s,
        "ratio": float(np.median(ratios)),
        "cross_entropy": r.cross_entropy,
    }


def sampler_kl_specs() -> list[dict]:
    """The measurement of ``--kernel sampler_kl``."""
    return [
        {
            "kind": "sampler_kl",
            "rows": SAMPLER_KL_ROWS,
            "steps": SAMPLER_KL_STEPS,
            "repeat": SAMPLER_KL_REPEAT,
        }
    ]
