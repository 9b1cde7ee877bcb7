"""Benchmarks of the exact kernels, each ratio measured against its reference in the same run.

The code behind ``mdmjax bench`` (and ``benchmarks/kernels.py``), part of the package so that
the command works from an installed mdmjax. Every measurement runs in a fresh Python process
(``python -m mdmjax.cli._bench_kernels --worker SPEC``), so that its peak memory (``ru_maxrss``,
and the accelerator's ``peak_bytes_in_use`` where there is one) is its own; the processes run
one after another. Compilation is timed apart from the run (``jax.jit(...).lower(...).compile()``),
and ``first_call_s`` is their sum.

Kernels and their references (issue 4):

* ``entropy`` — :func:`mdmjax.subset_entropies`; references: the *roofline*, a jitted
  ``-sum(xlogy(x, x))`` over a flat array of ``(q+1)^n`` float64 entries (measured on at most
  ``ROOFLINE_MAX_ENTRIES`` entries and scaled linearly beyond, since the full array would not
  fit), and a plain numpy loop that marginalizes each subset separately.
* ``mixture`` — :func:`mdmjax.mixture.mixture_kl` on the schedule with the most lattice work for
  that ``n`` (and a few common schedules).
* ``dp`` — :func:`mdmjax.optimal_schedule` (monotone DP) at large ``n``.
* ``batch`` — 1000 schedules against one curve in one :func:`mdmjax.expected_kl` call, and
  ``jax.vmap(mdmjax.information_curve)`` over 64 laws of one family.
* ``model_curve`` — :func:`mdmjax.model_curve` on a shipped model (``words5``, and the walk
  transformer ``walk`` where it ships) against *bare forward passes* of the same number of
  batches of the same shape: the model's own jitted function on ``(batch_size, n)`` inputs
  with random masks, each result waited for. The two are timed in alternating pairs (the
  curve first, then the bare passes first, ...), ``repeat`` pairs; the overhead is the median
  over pairs of ``curve / bare - 1``. Sizes: ``MODEL_CURVE_CASES`` (the whole kernel in under
  2 minutes on 2 CPU cores).

Every steady-state time is per call: the call repeats until ``MIN_MEASURE_S`` (0.2 s) has passed
(``calls`` records how many), so that tiny cases are measured rather than timer noise (a roofline
fraction above 1 at ``n = 8`` was a single call of a few microseconds). Workers run under
``jax.enable_x64(True)`` (importing mdmjax changes no global flag).

``float32`` runs compute the same quantity in float32 right after the float64 run, in the same
process, and report their error against it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

from mdmjax._src.tolerances import RELATIVE_ERROR_FLOOR
from mdmjax.cli._bench_sampler_kl import sampler_kl_specs, worker_sampler_kl

__all__ = ["build_specs", "run_bench", "run_worker", "plot_report", "TARGETS"]

ROOFLINE_MAX_ENTRIES = 2**26  # 512 MiB of float64

# The targets (2-core CPU). name -> (description, bound, unit, direction)
TARGETS = {
    "entropy_n20_binary_s": ("subset kernel, n=20 binary, first call", 60.0, "s", "<="),
    "entropy_n20_binary_rss_gb": ("subset kernel, n=20 binary, peak RSS", 8.0, "GB", "<="),
    "entropy_n13_ternary_s": ("subset kernel, n=13 ternary, first call", 60.0, "s", "<="),
    "entropy_speedup_numpy_n14": ("speed-up over per-subset numpy, n=14 binary", 30.0, "x", ">="),
    "entropy_roofline_fraction": ("throughput / roofline, smallest over n", 0.25, "", ">="),
    "mixture_n12_binary_worst_s": ("mixture KL, n=12 binary, slowest schedule", 60.0, "s", "<="),
    "dp_n100000_k64_s": ("optimal_schedule n=100000 k=64, first call", 10.0, "s", "<="),
    "batch_1000_schedules_n1000_s": (
        "1000 schedules vs one curve, n=1000, first call",
        1.0,
        "s",
        "<=",
    ),
    "batch_64_laws_n12_s": ("vmap(information_curve), 64 laws, n=12, first call", None, "s", ""),
    "model_curve_overhead_words5": (
        "model_curve over bare forward passes, shipped word MDM (n=5)",
        0.10,
        "",
        "<=",
    ),
    "model_curve_overhead_walk": (
        "model_curve over bare forward passes, shipped walk transformer",
        0.10,
        "",
        "<=",
    ),
}

TARGETS["sampler_kl_over_bare_forward"] = (
    "sampler_kl (deterministic policy) over its bare forward passes, walk transformer",
    1.2,
    "x",
    "<=",
)
# model_curve kernel, per shipped model: rows of data (n passes each, one per level) and the batch
# size, sized so that the whole command (compilation, 5 alternating pairs of runs of both models)
# takes under 2 minutes on 2 CPU cores: words5 (n = 5) 49 batches of 2048 passes, walk (n = 128,
# a transformer) 20 batches of 256.
MODEL_CURVE_CASES = {"words5": (20_000, 2048), "walk": (40, 256)}
MODEL_CURVE_REPEAT = 5


# ------------------------------------------------------------------------------------------------
# Helpers (worker side)
# ------------------------------------------------------------------------------------------------
def _peaks() -> dict:
    out = {"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    try:
        import jax

        stats = jax.local_devices()[0].memory_stats()
        if stats and "peak_bytes_in_use" in stats:
            out["device_peak_bytes"] = int(stats["peak_bytes_in_use"])
    except Exception:  # noqa: BLE001  (memory_stats is backend-specific; absence is fine)
        pass
    return out


def _law(shape, seed: int = 0) -> np.ndarray:
    """A generic law (Dirichlet(1) weights): no zeros, no structure the kernels could exploit."""
    rng = np.random.default_rng(seed)
    p = rng.standard_exponential(math.prod(shape))
    return (p / p.sum()).reshape(shape)


#: Each timing repeats the call until this many seconds have passed, and reports the time per
#: call: a single run of a tiny case (microseconds) is timer noise, not a measurement.
MIN_MEASURE_S = 0.2


def _per_call(fn, *args, min_time: float = MIN_MEASURE_S):
    """Call ``fn(*args)`` until ``min_time`` s have passed: ``(s/call, CPU s/call, calls, out)``."""
    import jax

    calls, out = 0, None
    c0, t0 = time.process_time(), time.perf_counter()
    while True:
        out = jax.block_until_ready(fn(*args))
        calls += 1
        wall = time.perf_counter() - t0
        if wall >= min_time:
            break
    return wall / calls, (time.process_time() - c0) / calls, calls, out


def _timed(fn, *args, repeat: int = 1):
    """Best per-call wall time over ``repeat`` measurements of at least ``MIN_MEASURE_S`` each
    (and that measurement's CPU time per call and number of calls), and the result."""
    best, best_cpu, best_calls, out = math.inf, math.inf, 0, None
    for _ in range(repeat):
        wall, cpu, calls, out = _per_call(fn, *args)
        if wall < best:
            best, best_cpu, best_calls = wall, cpu, calls
    return best, best_cpu, best_calls, out


def _twice(fn):
    """``(result of the first call, its wall s, its CPU s, steady-state s per call, calls)``.

    The first call includes tracing and compilation; the steady state repeats the call until
    ``MIN_MEASURE_S`` has passed and reports the time per call.
    """
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    cpu_first = time.process_time() - c0
    again, _, calls, _ = _per_call(fn)
    return out, first, cpu_first, again, calls


def _compile(jitted, *args):
    t0 = time.perf_counter()
    compiled = jitted.lower(*args).compile()
    return compiled, time.perf_counter() - t0


def _numpy_subset_entropies(p: np.ndarray) -> np.ndarray:
    """Plain numpy reference: marginalize each subset separately (the issue's baseline)."""
    n = p.ndim
    h = np.zeros(2**n)
    for mask in range(1, 2**n):
        axes = tuple(i for i in range(n) if not (mask >> i) & 1)
        m = p.sum(axis=axes) if axes else p
        m = m[m > 0]
        h[mask] = -np.sum(m * np.log(m))
    return h


# ------------------------------------------------------------------------------------------------
# Workers (each runs in its own process)
# ------------------------------------------------------------------------------------------------
def _worker_entropy(spec: dict) -> dict:
    import jax
    import jax.numpy as jnp

    from mdmjax.curves import plan_subset_entropies, subset_entropy_kernel
    from mdmjax.sharding import num_shards, resolve_mesh

    n, q = spec["n"], spec["q"]
    shape = (q,) * n
    p = _law(shape)
    mesh = resolve_mesh(None, traced=False)
    repeat = 3 if (q + 1) ** n <= 3**15 else 1
    out = {"entries": (q + 1) ** n, "devices": num_shards(mesh)}
    results = {}
    for name, dtype in [("float64", jnp.float64)] + (
        [("float32", jnp.float32)] if spec.get("float32") else []
    ):
        backend = jax.default_backend() if mesh is None else mesh.devices.flat[0].platform
        plan = plan_subset_entropies(
            shape, dtype=dtype, num_devices=num_shards(mesh), backend=backend
        )
        x = jax.device_put(jnp.asarray(p, dtype=dtype))
        compiled, compile_s = _compile(subset_entropy_kernel(plan, mesh), x)
        run_s, cpu_s, calls, h = _timed(compiled, x, repeat=repeat)
        results[name] = np.asarray(h, dtype=np.float64)
        out[name] = {
            "compile_s": compile_s,
            "run_s": run_s,
            "calls": calls,
            "cpu_s": cpu_s,
            "first_call_s": compile_s + run_s,
            "ns_per_entry": run_s / out["entries"] * 1e9,
            "plan": {
                "outer_axes": plan.outer_axes,
                "rows": plan.rows,
                "rows_per_step": plan.rows_per_step,
                "inner_entries": plan.inner_entries,
                "fused_axes": plan.fused_axes,
                "fused_impl": plan.fused_impl,
                "materialized_entries": plan.materialized_entries,
                "estimated_bytes": plan.bytes,
            },
            "entropy_bits": float(h[-1] / np.log(2)),
        }
        del x, h
    if "float32" in results:
        from mdmjax.curves import InformationCurve, average_subset_entropy

        h64, h32 = results["float64"], results["float32"]
        z64 = np.asarray(InformationCurve.from_hbar(average_subset_entropy(jnp.asarray(h64), n)).z)
        z32 = np.asarray(InformationCurve.from_hbar(average_subset_entropy(jnp.asarray(h32), n)).z)
        out["float32"]["max_abs_error_h"] = float(np.max(np.abs(h32 - h64)))
        out["float32"]["max_rel_error_h"] = float(
            np.max(np.abs(h32 - h64)[1:] / np.maximum(h64[1:], RELATIVE_ERROR_FLOOR))
        )
        out["float32"]["max_abs_error_z"] = float(np.max(np.abs(z32 - z64)))
    if spec.get("numpy_reference"):
        c0, t0 = time.process_time(), time.perf_counter()
        h_ref = _numpy_subset_entropies(p)
        out["numpy_reference"] = {
            "run_s": time.perf_counter() - t0,
            "cpu_s": time.process_time() - c0,
            "max_abs_diff": float(np.max(np.abs(h_ref - results["float64"]))),
        }
    out.update(_peaks())
    return out


def _worker_roofline(spec: dict) -> dict:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import xlogy

    entries = spec["entries"]
    measured = min(entries, spec.get("max_entries", ROOFLINE_MAX_ENTRIES))
    x = jax.device_put(jnp.asarray(np.random.default_rng(1).random(measured)))
    roof = jax.jit(lambda v: -jnp.sum(xlogy(v, v)))
    compiled, _ = _compile(roof, x)
    run_s, cpu_s, calls, _ = _timed(compiled, x, repeat=3)
    per_entry = run_s / measured
    return {
        "entries": entries,
        "calls": calls,
        "measured_entries": measured,
        "extrapolated": measured < entries,
        "measured_s": run_s,
        "ns_per_entry": per_entry * 1e9,
        "run_s": per_entry * entries,
        **_peaks(),
    }


def _worst_schedule(n: int) -> tuple[int, ...]:
    """The composition of ``n`` with the most lattice work (over all ``2^(n-1)``)."""
    from mdmjax.kl import lattice_work

    best, best_sizes = -1, (n,)
    for cuts in range(2 ** (n - 1)):
        sizes, run = [], 1
        for b in range(n - 1):
            if (cuts >> b) & 1:
                sizes.append(run)
                run = 1
            else:
                run += 1
        sizes.append(run)
        w = lattice_work(sizes)
        if w > best:
            best, best_sizes = w, tuple(sizes)
    return best_sizes


def _worker_mixture(spec: dict) -> dict:
    import jax.numpy as jnp

    from mdmjax.distribution import Distribution
    from mdmjax.kl import lattice_work, mixture_kl

    n, q = spec["n"], spec["q"]
    sizes = tuple(spec["sizes"])
    d = Distribution.from_probs(_law((q,) * n))
    out = {"sizes": list(sizes), "lattice_work": lattice_work(sizes)}
    values = {}
    for name, dtype in [("float64", jnp.float64)] + (
        [("float32", jnp.float32)] if spec.get("float32") else []
    ):
        kl, first, cpu_first, again, calls = _twice(
            lambda dtype=dtype: mixture_kl(d, sizes, dtype=dtype)
        )
        values[name] = kl
        out[name] = {
            "first_call_s": first,
            "cpu_first_call_s": cpu_first,
            "run_s": again,
            "calls": calls,
            "compile_s": max(0.0, first - again),
            "kl": kl,
        }
    if "float32" in values:
        err = abs(values["float32"] - values["float64"])
        out["float32"]["abs_error"] = err
        out["float32"]["rel_error"] = err / max(abs(values["float64"]), RELATIVE_ERROR_FLOOR)
    out.update(_peaks())
    return out


def _worker_dp(spec: dict) -> dict:
    from mdmjax.curves import InformationCurve
    from mdmjax.search import optimal_schedule

    n, k, method = spec["n"], spec["k"], spec.get("method", "auto")
    # A concave curve with a slowly saturating profile (Z_j = ln j / ln n).
    curve = InformationCurve.from_z(np.log(np.arange(1, n + 1)) / np.log(n))
    s, first, cpu_first, again, calls = _twice(lambda: optimal_schedule(curve, k, method=method))
    return {
        "n": n,
        "k": k,
        "method": method,
        "first_call_s": first,
        "cpu_first_call_s": cpu_first,
        "run_s": again,
        "calls": calls,
        "kl": s.kl,
        "sizes_head": list(s.sizes[:8]),
        **_peaks(),
    }


def _worker_batch_schedules(spec: dict) -> dict:
    from mdmjax.curves import InformationCurve
    from mdmjax.kl import expected_kl

    n, count = spec["n"], spec["count"]
    rng = np.random.default_rng(2)
    max_k = 64
    batch = np.zeros((count, max_k), dtype=np.int64)
    for row in range(count):  # random compositions of n with 1..64 parts (test data, not a kernel)
        k = int(rng.integers(1, max_k + 1))
        cuts = np.sort(rng.choice(np.arange(1, n), size=k - 1, replace=False))
        batch[row, :k] = np.diff(np.concatenate([[0], cuts, [n]]))
    curve = InformationCurve.from_z(np.log(np.arange(1, n + 1)) / np.log(n))
    kl, first, _, again, calls = _twice(lambda: expected_kl(curve, batch))
    return {
        "n": n,
        "count": count,
        "first_call_s": first,
        "run_s": again,
        "calls": calls,
        "mean_kl": float(np.mean(kl)),
        **_peaks(),
    }


def _worker_batch_laws(spec: dict) -> dict:
    import jax
    import jax.numpy as jnp

    from mdmjax.curves import information_curve
    from mdmjax.distribution import Distribution

    n, count = spec["n"], spec["count"]
    # The noisy repeated bit (docs/theory.md §5) at `count` noise levels: U ~ Ber(1/2),
    # X_i = U xor W_i, W_i ~ Ber(eta).
    eta = np.linspace(0.01, 0.49, count)
    ones = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).sum(axis=1)
    probs = 0.5 * (
        eta[:, None] ** ones * (1 - eta[:, None]) ** (n - ones)
        + eta[:, None] ** (n - ones) * (1 - eta[:, None]) ** ones
    )
    batch = Distribution(jnp.asarray(probs.reshape((count,) + (2,) * n)))
    fn = jax.vmap(information_curve)
    curves, first, _, again, calls = _twice(lambda: jax.block_until_ready(fn(batch)))
    return {
        "n": n,
        "count": count,
        "first_call_s": first,
        "run_s": again,
        "calls": calls,
        "z_shape": list(np.shape(curves.z)),
        **_peaks(),
    }


def _worker_model_curve(spec: dict) -> dict:
    import jax

    import mdmjax as mdm

    name, rows, bs = spec["model"], spec["rows"], spec["batch_size"]
    model = mdm.calibrate.shipped_model(name)
    n, v = model.n, model.num_values
    rng = np.random.default_rng(0)
    x = rng.integers(0, v, size=(rows, n))
    forward = jax.jit(model.fn)
    batches = -(-rows * n // bs)
    ys = []
    for _ in range(batches):  # the same shapes as model_curve's calls: random levels and masks
        levels = rng.integers(0, n, size=bs)
        revealed = np.argsort(rng.random((bs, n)), axis=1) < levels[:, None]
        ys.append(np.where(revealed, x[rng.integers(0, rows, size=bs)], v))
    t0 = time.perf_counter()
    mdm.model_curve(model, x[: max(2, bs // n)], key=0, batch_size=bs)  # compile both programs
    first = time.perf_counter() - t0
    jax.block_until_ready(forward(ys[0]))
    curve_s, bare_s = [], []

    def curve(rep):
        t0 = time.perf_counter()
        out = mdm.model_curve(model, x, key=rep, batch_size=bs)
        curve_s.append(time.perf_counter() - t0)
        return out

    def bare():
        t0 = time.perf_counter()
        for y in ys:
            jax.block_until_ready(forward(y))
        bare_s.append(time.perf_counter() - t0)

    # Alternating pairs (curve first, then bare first, ...): a shared machine's slow phases hit
    # both sides; the overhead is the median over pairs of curve / bare - 1.
    for rep in range(spec["repeat"]):
        if rep % 2 == 0:
            mc = curve(rep)
            bare()
        else:
            bare()
            mc = curve(rep)
    ratios = [c / b - 1.0 for c, b in zip(curve_s, bare_s, strict=True)]
    return {
        "n": n,
        "rows": rows,
        "batches": batches,
        "batch_size": bs,
        "first_call_s": first,
        "run_s": float(np.median(curve_s)),
        "calls": spec["repeat"],
        "model_curve_s": curve_s,
        "bare_forward_s": bare_s,
        "overhead": float(np.median(ratios)),
        "overhead_per_pair": ratios,
        "nll_bound": mc.nll_bound,
        **_peaks(),
    }


_WORKERS = {
    "entropy": _worker_entropy,
    "roofline": _worker_roofline,
    "mixture": _worker_mixture,
    "dp": _worker_dp,
    "batch_schedules": _worker_batch_schedules,
    "batch_laws": _worker_batch_laws,
    "model_curve": _worker_model_curve,
    "sampler_kl": worker_sampler_kl,
}


def run_worker(spec: dict) -> dict:
    """Run one measurement in this process and return its record."""
    import jax

    # Importing mdmjax changes no global flag: the worker's own arrays (the float64 runs) need
    # float64 enabled here, in this process.
    with jax.enable_x64(True):
        result = _WORKERS[spec["kind"]](spec)
    return {"spec": spec, "ok": True, **result}


# ------------------------------------------------------------------------------------------------
# Driver
# ------------------------------------------------------------------------------------------------
def _run_isolated(spec: dict, timeout: float) -> dict:
    cmd = [sys.executable, "-m", "mdmjax.cli._bench_kernels", "--worker", json.dumps(spec)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"spec": spec, "ok": False, "error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout)[-2000:]
        return {"spec": spec, "ok": False, "error": f"exit {proc.returncode}: {tail}"}
    record = json.loads(lines[-1])
    record["process_wall_s"] = wall
    return record


def _meta() -> dict:
    import jax

    dev = jax.devices()[0]
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "backend": jax.default_backend(),
        "device": getattr(dev, "device_kind", str(dev)),
        "device_count": jax.device_count(),
        "jax": jax.__version__,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
        "memory_limit_env": os.environ.get("MDMJAX_MEMORY_LIMIT"),
    }


def build_specs(
    kernels,
    *,
    entropy_n=None,
    entropy_q: int = 2,
    ternary_n=(13,),
    numpy_n=14,
    mixture_n=(12,),
    mixture_q: int = 2,
    dp_n=(100_000,),
    dp_k: int = 64,
    float32: bool = False,
) -> list[dict]:
    """The measurements of one ``mdmjax bench`` run, in order."""
    specs: list[dict] = []
    if "entropy" in kernels:
        ns = list(range(10, 21)) if entropy_n is None else list(entropy_n)
        for n in ns:
            spec = {"kind": "entropy", "n": n, "q": entropy_q, "float32": float32}
            if numpy_n is not None and n == numpy_n and entropy_q == 2:
                spec["numpy_reference"] = True
            specs.append(spec)
            specs.append(
                {"kind": "roofline", "entries": (entropy_q + 1) ** n, "n": n, "q": entropy_q}
            )
        if numpy_n is not None and entropy_q == 2 and numpy_n not in ns:
            specs.append({"kind": "entropy", "n": numpy_n, "q": 2, "numpy_reference": True})
            specs.append({"kind": "roofline", "entries": 3**numpy_n, "n": numpy_n, "q": 2})
        for n in ternary_n or ():
            specs.append({"kind": "entropy", "n": n, "q": 3, "float32": float32})
            specs.append({"kind": "roofline", "entries": 4**n, "n": n, "q": 3})
    if "mixture" in kernels:
        for n in mixture_n:
            schedules = [_worst_schedule(n), (n,), _uniform(n, 4), _uniform(n, max(1, n // 2))]
            seen = set()
            for sizes in schedules:
                if sizes in seen:
                    continue
                seen.add(sizes)
                specs.append(
                    {
                        "kind": "mixture",
                        "n": n,
                        "q": mixture_q,
                        "sizes": list(sizes),
                        "float32": float32,
                    }
                )
    if "dp" in kernels:
        for n in dp_n:
            specs.append({"kind": "dp", "n": n, "k": dp_k})
    if "batch" in kernels:
        specs.append({"kind": "batch_schedules", "n": 1000, "count": 1000})
        specs.append({"kind": "batch_laws", "n": 12, "count": 64})
    if "model_curve" in kernels:
        from mdmjax.calibrate import SHIPPED_MODELS

        for name, (rows, batch) in MODEL_CURVE_CASES.items():
            if name in SHIPPED_MODELS:
                specs.append(
                    {
                        "kind": "model_curve",
                        "model": name,
                        "rows": rows,
                        "batch_size": batch,
                        "repeat": MODEL_CURVE_REPEAT,
                    }
                )
    if "sampler_kl" in kernels:
        specs.extend(sampler_kl_specs())
    return specs


def _uniform(n: int, k: int) -> tuple[int, ...]:
    k = max(1, min(k, n))
    return tuple(n // k + (1 if t < n % k else 0) for t in range(k))


def _targets(results: list[dict]) -> list[dict]:
    """Each target of the issue that this run measured: value, bound, ratio, pass/fail."""
    found: dict[str, float] = {}
    roof = {
        (r["spec"]["n"], r["spec"]["q"]): r
        for r in results
        if r.get("ok") and r["spec"]["kind"] == "roofline"
    }
    fractions = []
    for r in results:
        if not r.get("ok"):
            continue
        s = r["spec"]
        if s["kind"] == "entropy":
            f64 = r["float64"]
            if (s["n"], s["q"]) == (20, 2):
                found["entropy_n20_binary_s"] = f64["first_call_s"]
                found["entropy_n20_binary_rss_gb"] = r["peak_rss_bytes"] / 1e9
            if (s["n"], s["q"]) == (13, 3):
                found["entropy_n13_ternary_s"] = f64["first_call_s"]
            if "numpy_reference" in r and s["n"] == 14:
                found["entropy_speedup_numpy_n14"] = r["numpy_reference"]["run_s"] / f64["run_s"]
            rf = roof.get((s["n"], s["q"]))
            if rf:
                frac = rf["run_s"] / f64["run_s"]
                r["roofline_fraction"] = frac
                fractions.append(frac)
        elif s["kind"] == "mixture" and (s["n"], s["q"]) == (12, 2):
            found["mixture_n12_binary_worst_s"] = max(
                found.get("mixture_n12_binary_worst_s", 0.0), r["float64"]["first_call_s"]
            )
        elif s["kind"] == "dp" and (s["n"], s["k"]) == (100_000, 64):
            found["dp_n100000_k64_s"] = r["first_call_s"]
        elif s["kind"] == "batch_schedules" and (s["n"], s["count"]) == (1000, 1000):
            found["batch_1000_schedules_n1000_s"] = r["first_call_s"]
        elif s["kind"] == "batch_laws" and (s["n"], s["count"]) == (12, 64):
            found["batch_64_laws_n12_s"] = r["first_call_s"]
        elif s["kind"] == "sampler_kl":
            found["sampler_kl_over_bare_forward"] = r["ratio"]
        elif s["kind"] == "model_curve" and f"model_curve_overhead_{s['model']}" in TARGETS:
            found[f"model_curve_overhead_{s['model']}"] = r["overhead"]
    if fractions:
        found["entropy_roofline_fraction"] = min(fractions)
    out = []
    for name, value in found.items():
        desc, bound, unit, direction = TARGETS[name]
        row = {"name": name, "description": desc, "measured": value, "unit": unit}
        if bound is not None:
            row.update(
                bound=bound,
                direction=direction,
                ratio_to_bound=value / bound,
                met=bool(value <= bound if direction == "<=" else value >= bound),
            )
        out.append(row)
    return out


def run_bench(
    specs: list[dict], *, timeout: float = 900.0, isolate: bool = True, progress: bool = True
) -> dict:
    """Run ``specs`` (each in its own process unless ``isolate=False``) and collect a report."""
    from mdmjax._src.progress import progress_iter  # a bar on a terminal, lines elsewhere

    meta = _meta()
    results = []
    cases = progress_iter(specs, [1] * len(specs), "mdmjax bench", "cases") if progress else specs
    for spec in cases:
        if isolate:
            results.append(_run_isolated(spec, timeout))
        else:
            try:
                results.append(run_worker(spec))
            except Exception as err:  # noqa: BLE001  (a failed case is reported, not fatal)
                results.append({"spec": spec, "ok": False, "error": repr(err)})
    meta["loadavg_end"] = list(os.getloadavg())
    return {"meta": meta, "results": results, "targets": _targets(results)}


# ------------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------------
def plot_report(report: dict, path: str) -> str:
    """Time and memory against problem size for each kernel, on log axes, with the roofline."""
    from matplotlib.figure import Figure  # an object, no pyplot: no global matplotlib state

    res = [r for r in report["results"] if r.get("ok")]
    kinds = {r["spec"]["kind"] for r in res}
    panels = []  # only panels with data: an empty axis says nothing
    if kinds & {"entropy", "roofline"}:
        panels.append("time")
    if "entropy" in kinds:
        panels.append("memory")
    if "mixture" in kinds:
        panels.append("mixture")
    if "dp" in kinds:
        panels.append("dp")
    if kinds & {"batch_schedules", "batch_laws"}:
        panels.append("batch")
    if not panels:
        raise ValueError("--plot: no successful measurement to plot")
    cols = min(2, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(5.5 * cols, 4.25 * rows))
    grid = fig.subplots(rows, cols, squeeze=False)
    axes = dict(zip(panels, grid.flat, strict=False))
    for extra in list(grid.flat)[len(panels) :]:
        extra.remove()
    ax_t, ax_m = axes.get("time"), axes.get("memory")
    ax_mix, ax_dp, ax_b = axes.get("mixture"), axes.get("dp"), axes.get("batch")
    for q, marker in ((2, "o"), (3, "s"), (4, "^")):
        ent = sorted(
            (r for r in res if r["spec"]["kind"] == "entropy" and r["spec"]["q"] == q),
            key=lambda r: r["entries"],
        )
        roof = sorted(
            (r for r in res if r["spec"]["kind"] == "roofline" and r["spec"]["q"] == q),
            key=lambda r: r["entries"],
        )
        if ent:
            x = [r["entries"] for r in ent]
            ax_t.loglog(
                x,
                [r["float64"]["run_s"] for r in ent],
                marker + "-",
                label=f"subset kernel f64, q={q}",
            )
            if all("float32" in r for r in ent):
                ax_t.loglog(
                    x,
                    [r["float32"]["run_s"] for r in ent],
                    marker + ":",
                    label=f"subset kernel f32, q={q}",
                )
            ax_m.loglog(
                x,
                [r["peak_rss_bytes"] / 2**30 for r in ent],
                marker + "-",
                label=f"peak RSS, q={q}",
            )
            ax_m.loglog(
                x,
                [r["float64"]["plan"]["estimated_bytes"] / 2**30 for r in ent],
                marker + "--",
                label=f"guard estimate, q={q}",
            )
            dev = [r for r in ent if "device_peak_bytes" in r]
            if dev:
                ax_m.loglog(
                    [r["entries"] for r in dev],
                    [r["device_peak_bytes"] / 2**30 for r in dev],
                    marker + ":",
                    label=f"device peak, q={q}",
                )
            for r in ent:
                ax_t.annotate(
                    f"n={r['spec']['n']}",
                    (r["entries"], r["float64"]["run_s"]),
                    fontsize=6,
                    alpha=0.6,
                )
            npref = [r for r in ent if "numpy_reference" in r]
            if npref:
                ax_t.loglog(
                    [r["entries"] for r in npref],
                    [r["numpy_reference"]["run_s"] for r in npref],
                    "kx",
                    ms=9,
                    label="numpy per-subset reference",
                )
        if roof and ax_t is not None:
            ax_t.loglog(
                [r["entries"] for r in roof],
                [r["run_s"] for r in roof],
                "k+--",
                alpha=0.6,
                lw=1,
                label=f"roofline xlogy+sum, q={q}",
            )
    if ax_t is not None:
        ax_t.set(
            xlabel="extended-table entries (q+1)^n",
            ylabel="seconds per call",
            title="subset-entropy kernel: time",
        )
    if ax_m is not None:
        ax_m.set(
            xlabel="extended-table entries (q+1)^n",
            ylabel="GiB",
            title="subset-entropy kernel: memory",
        )
    mix = sorted(
        (r for r in res if r["spec"]["kind"] == "mixture"),
        key=lambda r: r["lattice_work"] * 2 ** r["spec"]["n"],
    )
    if mix and ax_mix is not None:
        x = [r["lattice_work"] * r["spec"]["q"] ** r["spec"]["n"] for r in mix]
        ax_mix.loglog(x, [r["float64"]["run_s"] for r in mix], "o", label="run (f64)")
        ax_mix.loglog(x, [r["float64"]["first_call_s"] for r in mix], "x", label="first call (f64)")
        for r, xv in zip(mix, x, strict=True):
            ax_mix.annotate(str(tuple(r["sizes"])), (xv, r["float64"]["run_s"]), fontsize=6)
        ax_mix.legend(fontsize=7)
        ax_mix.set(xlabel="lattice work x outcomes", ylabel="seconds", title="mixture-KL DP")
    dp = sorted((r for r in res if r["spec"]["kind"] == "dp"), key=lambda r: r["n"])
    if dp and ax_dp is not None:
        ax_dp.loglog([r["n"] for r in dp], [r["run_s"] for r in dp], "o-", label="run")
        ax_dp.loglog(
            [r["n"] for r in dp], [r["first_call_s"] for r in dp], "x--", label="first call"
        )
        ax_dp.legend(fontsize=7)
        ax_dp.set(xlabel="n", ylabel="seconds", title="optimal-schedule DP (monotone)")
    if ax_b is not None:
        batch = [r for r in res if r["spec"]["kind"] in ("batch_schedules", "batch_laws")]
        names = [f"{r['spec']['kind']}\nn={r['n']} x{r['count']}" for r in batch]
        xs = np.arange(len(batch))
        ax_b.bar(xs - 0.2, [r["first_call_s"] for r in batch], 0.4, label="first call")
        ax_b.bar(xs + 0.2, [r["run_s"] for r in batch], 0.4, label="run (per call)")
        ax_b.set_xticks(xs, names, fontsize=7)
        ax_b.set_yscale("log")
        ax_b.set(ylabel="seconds", title="batched evaluation")
        ax_b.legend(fontsize=7)
    for ax in (ax_t, ax_m):
        if ax is not None and ax.lines:
            ax.legend(fontsize=7)
        if ax is not None:
            ax.grid(True, which="both", alpha=0.2)
    meta = report.get("meta", {})
    fig.suptitle(
        f"mdmjax bench on {meta.get('device', '?')} ({meta.get('backend', '?')}), "
        f"{meta.get('date', '')}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def _main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/kernels.py")
    parser.add_argument("--worker", required=True, help="a JSON measurement spec")
    args = parser.parse_args(argv)
    record = run_worker(json.loads(args.worker))
    print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
