"""How many axes per row the subset kernel should fuse, measured against the roofline.

For each ``n`` (binary, and ternary with ``--ternary-n``) and each number ``f`` of fused
axes, the kernel runs with the backend's automatic plan except for ``f`` (``fused_axes=f``); the
roofline (a jitted ``-sum(xlogy(x, x))`` over ``(q+1)^n`` entries, measured on at most ``2^26``
and scaled) is timed in the same process. Every run's entropies are compared with the ``f = 0``
run (``max_abs_diff``). One process, one JSON report::

    python benchmarks/fused_axes.py --n 16,18,20 --ternary-n 12 --fused 0,3,4,5 --json out.json
    python benchmarks/fused_axes.py --n 22,24 --fused 0,4,5 --impl xla,pallas   # on a GPU

On an accelerator, pass ``--backend gpu`` (the default is the device JAX picks).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kernels import _compile, _law, _timed, _worker_roofline  # noqa: E402


def measure(n: int, q: int, fused: list[int], impls: list[str]) -> dict:
    import jax
    import jax.numpy as jnp

    from mdmjax.curves._subset_entropy import _compiled_kernel, plan_subset_entropies

    shape = (q,) * n
    x = jax.device_put(jnp.asarray(_law(shape), dtype=jnp.float64))
    roof = _worker_roofline({"entries": (q + 1) ** n})
    out = {"n": n, "q": q, "entries": (q + 1) ** n, "roofline_s": roof["run_s"], "runs": []}
    base = None
    cases = [(count, impl) for count in fused for impl in (impls if count else impls[:1])]
    repeat = 3 if (q + 1) ** n <= 3**18 else 1
    for f, impl in cases:
        auto = plan_subset_entropies(shape)
        if f > n - auto.outer_axes:
            continue
        plan = plan_subset_entropies(shape, fused_axes=f, fused_impl=impl)
        try:
            compiled, compile_s = _compile(_compiled_kernel(plan, None), x)
            run_s, _, calls, h = _timed(compiled, x, repeat=repeat)
        except Exception as err:  # noqa: BLE001  (a failed variant is recorded, the sweep goes on)
            out["runs"].append({"fused_axes": f, "fused_impl": impl, "error": repr(err)[:2000]})
            print(json.dumps({"n": n, "q": q, **out["runs"][-1]}), file=sys.stderr)
            continue
        h = np.asarray(h, dtype=np.float64)
        base = h if base is None else base
        out["runs"].append(
            {
                "fused_axes": f,
                "fused_impl": impl,
                "outer_axes": plan.outer_axes,
                "rows_per_step": plan.rows_per_step,
                "materialized_entries": plan.materialized_entries,
                "compile_s": compile_s,
                "run_s": run_s,
                "calls": calls,
                "roofline_fraction": roof["run_s"] / run_s,
                "max_abs_diff": float(np.max(np.abs(h - base))),
            }
        )
        print(json.dumps({"n": n, "q": q, **out["runs"][-1]}), file=sys.stderr)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", default="16,18,20")
    p.add_argument("--ternary-n", default="12")
    p.add_argument("--fused", default="0,2,3,4,5,6")
    p.add_argument("--impl", default="xla", help="comma list of fused_impl: xla, pallas")
    p.add_argument("--json", default="-")
    args = p.parse_args(argv)
    import jax

    ints = lambda s: [int(v) for v in s.split(",") if v.strip()]  # noqa: E731
    with jax.enable_x64(True):
        impls = [v.strip() for v in args.impl.split(",") if v.strip()]
        results = [measure(n, 2, ints(args.fused), impls) for n in ints(args.n)]
        results += [measure(n, 3, ints(args.fused), impls) for n in ints(args.ternary_n)]
    report = {"backend": jax.default_backend(), "device": str(jax.devices()[0]), "results": results}
    text = json.dumps(report, indent=1)
    if args.json == "-":
        print(text)
    else:
        with open(args.json, "w") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
