"""Coverage of every interval mdmjax prints, on cases whose truth is known exactly.

``mdmjax bench --kernel coverage`` and ``benchmarks/coverage.py`` run this module. Each case
draws fresh data ``repeats`` times, calls one public interval-producing function, and counts how
often the interval holds the exact truth at nominal 0.80, 0.90 and 0.95 (binomial standard error
``sqrt(c (1 - c) / repeats)``), with the mean width. The table goes to ``docs/coverage.md`` and a
JSON file beside it.

Truths are exact:

* model curves: the per-row cross-entropy of every outcome of a small law is computed once with
  every mask (``masks="all"``); a repeat draws rows from the law and takes their rows of that
  table, so the truth is the law-weighted mean of the table (enumeration);
* Monte-Carlo curves: one pool of independent draws of :func:`mdmjax.curves.monte_carlo_values`
  is cut into repeats (each chunk is the curve :func:`mdmjax.curves.monte_carlo_curve` would give
  with fresh draws); the truth is the exact curve of the enumerated law.

The cases form one registry, :data:`CASES`: :func:`case` adds one (a function name, a case
name, a row count and a callable ``run(repeats, seed)`` returning the truths and the intervals
at each level). The shipped walk transformer is not a case here (its truth needs a row set 100
times larger than a repeat's; the table says so).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import math
import os
import time
from collections.abc import Callable

import jax
import numpy as np

from mdmjax._src.numerics import normal_quantile
from mdmjax._src.tolerances import COVERAGE_LAW_FLOOR
from mdmjax.calibrate import ModelCurve

LEVELS = (0.80, 0.90, 0.95)
SMALL, LARGE = 50, 2000
SWEEP = (100, 200, 400, 800)
_Z = {lvl: normal_quantile(lvl) for lvl in LEVELS}


@dataclasses.dataclass(frozen=True)
class Case:
    """One cell family of the table: ``run(repeats, seed)`` returns ``(truth (R,), {level:
    (lower (R,), upper (R,))})``; ``kind`` is ``"two-sided"``, ``"simultaneous"`` (all
    held at once, target ``>= level``) or ``"upper"`` (one-sided)."""

    function: str
    case: str
    rows: int
    run: Callable
    kind: str = "two-sided"
    note: str = ""
    max_repeats: int | None = None


CASES: list[Case] = []


def case(
    function: str,
    name: str,
    rows: int,
    kind: str = "two-sided",
    note: str = "",
    max_repeats: int | None = None,
):
    """Register ``run(repeats, seed)`` as a case of :data:`CASES` (decorator); ``max_repeats``
    caps a costly case (the table shows the repeats it ran)."""

    def wrap(run):
        CASES.append(Case(function, name, rows, run, kind, note, max_repeats))
        return run

    return wrap


# ------------------------------------------------------------------------------------------------
# Laws with exact truths
# ------------------------------------------------------------------------------------------------
def _random_law(seed: int, n: int, q: int, alpha: float = 0.7):
    import mdmjax as mdm

    rng = np.random.default_rng(seed)
    p = np.maximum(rng.dirichlet(np.full(q**n, alpha)), COVERAGE_LAW_FLOOR)
    return mdm.Distribution.from_probs((p / p.sum()).reshape((q,) * n))


@functools.cache
def model_law(name: str):
    """``(row_ce, row_entropy, probs)`` of every outcome of a small law under a model."""
    import mdmjax as mdm

    if name == "noisy":
        d = _random_law(6, 5, 3)
        model = mdm.models.noisy(d, 0.6, 3)
    elif name == "tempered":
        d = _random_law(5, 5, 3)
        model = mdm.models.tempered(d, 0.7)
    elif name == "exact":
        d = mdm.families.noisy_repetition(8, 0.1)
        model = mdm.models.from_distribution(d)
    else:
        raise ValueError(f"law: unknown {name!r}")
    p = np.asarray(d.probs, dtype=np.float64)
    rows = np.stack(np.unravel_index(np.arange(p.size), p.shape), -1)
    mc = mdm.model_curve(model, rows, masks="all")
    return mc.row_cross_entropy, mc.row_entropy, p.ravel()


MODEL_LAWS = {
    "noisy": "noisy model of a random law (n=5, q=3)",
    "tempered": "tempered model (0.7) of a random law (n=5, q=3)",
    "exact": "exact model of noisy repetition (n=8)",
}


def _model_curves(law: str, rows: int, repeats: int, seed: int):
    """Fresh model curves of ``rows`` rows, and the exact ``Z^CE`` and ``CE``."""
    from mdmjax.calibrate import ModelCurve

    ce, ent, p = model_law(law)
    rng = np.random.default_rng(seed)
    for _ in range(repeats):
        idx = rng.choice(p.size, size=rows, p=p)
        yield ModelCurve(ce[idx], ent[idx], np.full(rows, 1.0 / rows))


def _truth_z(law: str) -> np.ndarray:
    ce, _, p = model_law(law)
    t = p @ ce
    return t[0] - t


def _kl(z, sizes) -> float:
    import mdmjax as mdm

    return float(mdm.kl.theorem4(np.asarray(z, dtype=np.float64), np.asarray(sizes)))


def _optimum(z, k: int) -> float:
    n = len(z)
    best = math.inf
    for cut in itertools.combinations(range(1, n), k - 1):
        sizes = np.diff((0, *cut, n))
        best = min(best, _kl(z, sizes))
    return best


@functools.cache
def mc_law():
    """A mixture of products (n=5) and its exact curve."""
    import mdmjax as mdm

    rng = np.random.default_rng(5)
    w, theta = rng.dirichlet(np.ones(2)), rng.dirichlet(np.full(2, 0.4), size=(2, 5))
    model = mdm.curves.MixtureOfProducts(w, theta)
    x = np.asarray(list(itertools.product(range(2), repeat=5)))
    table = sum(w[c] * np.prod(theta[c, np.arange(5), x], axis=1) for c in range(2))
    exact = mdm.information_curve(mdm.Distribution.from_probs(table.reshape((2,) * 5)))
    return model, exact


def _mc_pools(rows: int, repeats: int, seed: int) -> np.ndarray:
    """``(repeats, rows, n)`` independent Monte-Carlo draws."""
    import mdmjax as mdm

    model, _ = mc_law()
    vals = mdm.curves.monte_carlo_values(model, jax.random.key(seed), rows * repeats)
    return np.asarray(vals).reshape(repeats, rows, -1)


def _mc_curve(vals: np.ndarray):
    import mdmjax as mdm

    m = vals.shape[0]
    return mdm.curves.curve_from_estimates(vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(m))


def _levels(fn):
    """``{level: (lower, upper)}`` arrays from ``fn(level) -> list of (lower, upper)``."""
    return {lvl: tuple(np.asarray(v) for v in zip(*fn(lvl), strict=True)) for lvl in LEVELS}


# ------------------------------------------------------------------------------------------------
# The registry
# ------------------------------------------------------------------------------------------------
FIXED = (2, 1, 2)  # a schedule fixed in advance (n = 5); (3, 3, 2) for n = 8


def _fixed(law: str):
    return (3, 3, 2) if law == "exact" else FIXED


def _register_model_cases():
    for law, rows in itertools.product(MODEL_LAWS, (SMALL, LARGE)):

        def kl_interval(repeats, seed, law=law, rows=rows):
            s = _fixed(law)
            curves = list(_model_curves(law, rows, repeats, seed))
            truth = np.full(repeats, _kl(_truth_z(law), s))
            return truth, _levels(
                lambda lvl: [
                    (iv.lower, iv.upper)
                    for iv in (mc.expected_kl_interval(s, lvl) for mc in curves)
                ]
            )

        case("ModelCurve.expected_kl_interval", law, rows)(kl_interval)

        def cross(repeats, seed, law=law, rows=rows):
            import mdmjax as mdm

            tz = _truth_z(law)
            truth, out = [], {lvl: ([], []) for lvl in LEVELS}
            for rep, mc in enumerate(_model_curves(law, rows, repeats, seed)):
                cf = mdm.calibrate.cross_fit(mc, 2, key=rep)
                truth.append(0.5 * sum(_kl(tz, s) for s in cf.chosen))
                for lvl in LEVELS:  # est ± z se is what cross_fit(level=lvl) prints
                    out[lvl][0].append(cf.estimate - _Z[lvl] * cf.stderr)
                    out[lvl][1].append(cf.estimate + _Z[lvl] * cf.stderr)
            return np.asarray(truth), {k: tuple(map(np.asarray, v)) for k, v in out.items()}

        case("calibrate.cross_fit (k=2)", law, rows, max_repeats=None if rows == SMALL else 300)(
            cross
        )

        def frontier(repeats, seed, law=law, rows=rows, levels=LEVELS):
            import mdmjax as mdm

            tz = _truth_z(law)
            ratio = {lvl: [] for lvl in levels}
            widths = {lvl: [] for lvl in levels}
            for rep, mc in enumerate(_model_curves(law, rows, repeats, seed)):
                for lvl in levels:
                    fr = mdm.calibrate.cross_fit_frontier(mc, [2, 3, 4], key=rep, level=lvl)
                    t = np.asarray([0.5 * sum(_kl(tz, s) for s in f.chosen) for f in fr.fits])
                    ratio[lvl].append(_band_ratio(fr.lower, fr.upper, t))
                    widths[lvl].append(float(np.mean(fr.upper - fr.lower)))
            return _as_ratios(ratio, widths)

        case(
            "calibrate.cross_fit_frontier band (k=2,3,4)",
            law,
            rows,
            "simultaneous",
            max_repeats=150 if rows == SMALL else 50,
        )(frontier)

        def opt_model(repeats, seed, law=law, rows=rows):
            import mdmjax as mdm

            tz = _truth_z(law)
            curves = list(_model_curves(law, rows, repeats, seed))
            truth = np.full(repeats, _optimum(tz, 2))
            return truth, _levels(
                lambda lvl: [
                    (si.optimum.lower, si.optimum.upper)
                    for si in (mdm.optimal_schedule_interval(mc, 2, lvl) for mc in curves)
                ]
            )

        case("optimal_schedule_interval.optimum (model curve, k=2)", law, rows, "simultaneous")(
            opt_model
        )


def _band_ratio(lower, upper, truth) -> float:
    """The least ``s`` such that the band shrunk by ``s`` about its centres holds every truth
    (``<= 1``: the band holds them all)."""
    mid = 0.5 * (lower + upper)
    half = 0.5 * (upper - lower)
    dev = np.abs(truth - mid)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(half > 0, dev / half, np.where(dev > 0, np.inf, 0.0))
    return float(np.max(r))


def _as_ratios(ratio, widths):
    """A joint band as an interval on one number: truth ``max_k |t_k - c_k| / h_k``, interval
    ``[-1, 1]`` (shrinking the band by ``s`` shrinks the interval by ``s``), with the band's
    own mean width."""
    truth = {lvl: np.asarray(v) for lvl, v in ratio.items()}
    out = {}
    for lvl in truth:
        m = truth[lvl].size
        out[lvl] = (-np.ones(m), np.ones(m), np.asarray(widths[lvl]))
    return truth, out


def _register_row_sweep():
    """The plain interval at intermediate row counts: where it becomes reliable."""
    for law, rows in itertools.product(MODEL_LAWS, SWEEP):

        def kl_interval(repeats, seed, law=law, rows=rows):
            s = _fixed(law)
            curves = list(_model_curves(law, rows, repeats, seed))
            truth = np.full(repeats, _kl(_truth_z(law), s))
            return truth, _levels(
                lambda lvl: [
                    (iv.lower, iv.upper)
                    for iv in (mc.expected_kl_interval(s, lvl) for mc in curves)
                ]
            )

        case("ModelCurve.expected_kl_interval (row sweep)", law, rows)(kl_interval)


def _register_mc_cases():
    for rows in (SMALL, LARGE):

        def mc_kl(repeats, seed, rows=rows):
            import mdmjax as mdm

            _, exact = mc_law()
            pools = _mc_pools(rows, repeats, seed)
            curves = [_mc_curve(v) for v in pools]
            s = (2, 3)
            truth = np.full(repeats, mdm.expected_kl(exact, s))
            return truth, _levels(
                lambda lvl: [
                    (iv.lower, iv.upper)
                    for iv in (mdm.expected_kl_interval(c, s, lvl) for c in curves)
                ]
            )

        case(
            "kl.expected_kl_interval (Monte-Carlo curve)",
            "mixture of products n=5",
            rows,
            "conservative",
            note="conservative by construction: a curve stores marginal se only (Minkowski)",
        )(mc_kl)

        def mc_opt(repeats, seed, rows=rows):
            import mdmjax as mdm

            _, exact = mc_law()
            pools = _mc_pools(rows, repeats, seed + 1)
            curves = [_mc_curve(v) for v in pools]
            truth = np.full(repeats, mdm.optimal_schedule(exact, 2).kl)
            return truth, _levels(
                lambda lvl: [
                    (si.optimum.lower, si.optimum.upper)
                    for si in (mdm.optimal_schedule_interval(c, 2, lvl) for c in curves)
                ]
            )

        case(
            "optimal_schedule_interval.optimum (Monte-Carlo, k=2)",
            "mixture of products n=5",
            rows,
            "simultaneous",
        )(mc_opt)

        def mc_cross(repeats, seed, rows=rows):
            import mdmjax as mdm

            model, exact = mc_law()
            truth, out = [], {lvl: ([], []) for lvl in LEVELS}
            for rep in range(repeats):
                cf = mdm.calibrate.cross_fit_monte_carlo(
                    model, 2, key=jax.random.key(seed * 100_003 + rep), num_samples=rows
                )
                truth.append(0.5 * sum(mdm.expected_kl(exact, s) for s in cf.chosen))
                for lvl in LEVELS:
                    out[lvl][0].append(cf.estimate - _Z[lvl] * cf.stderr)
                    out[lvl][1].append(cf.estimate + _Z[lvl] * cf.stderr)
            return np.asarray(truth), {k: tuple(map(np.asarray, v)) for k, v in out.items()}

        case(
            "calibrate.cross_fit_monte_carlo (k=2)",
            "mixture of products n=5",
            rows,
            max_repeats=300 if rows == SMALL else 100,
        )(mc_cross)

        def ugc_coarse(repeats, seed, rows=rows):
            import mdmjax as mdm

            _, exact = mc_law()
            pools = _mc_pools(rows, repeats, seed + 2)
            truth = np.full(repeats, mdm.curves.ugc(exact).coarse)
            res = {lvl: ([], []) for lvl in LEVELS}
            for rep, v in enumerate(pools):
                for lvl in LEVELS:
                    iv = mdm.curves.ugc_bootstrap(v, key=rep, level=lvl)["coarse"]
                    res[lvl][0].append(iv.lower)
                    res[lvl][1].append(iv.upper)
            return truth, {k: tuple(map(np.asarray, v)) for k, v in res.items()}

        case(
            "curves.ugc_bootstrap (coarse)",
            "mixture of products n=5",
            rows,
            max_repeats=100 if rows == SMALL else 50,
        )(ugc_coarse)


def _register_binomial_cases():
    for rows in (SMALL, LARGE):

        def cp(repeats, seed, rows=rows):
            from mdmjax.calibrate import clopper_pearson_upper

            p = 0.05
            rng = np.random.default_rng(seed)
            k = rng.binomial(rows, p, size=repeats)
            cache = {}
            out = {}
            for lvl in LEVELS:
                up = np.asarray(
                    [
                        cache.setdefault((int(x), lvl), clopper_pearson_upper(int(x), rows, lvl))
                        for x in k
                    ]
                )
                out[lvl] = (np.zeros(repeats), up)
            return np.full(repeats, p), out

        case("calibrate.clopper_pearson_upper", "binomial p=0.05", rows, "upper")(cp)


def _register_sampler_kl_cases():
    """``sampler_kl``'s KL interval for a deterministic policy (exact per row, so the interval
    is about the row sampling alone): truth from the same estimator on the whole law (exact)."""
    for rows in (SMALL, LARGE):

        def skl(repeats, seed, rows=rows):
            import mdmjax as mdm

            d = _random_law(6, 5, 3)
            model = mdm.models.noisy(d, 0.6, 3)
            policy = mdm.policies.confidence((2, 2, 1))
            truth = mdm.calibrate.sampler_kl(model, policy, d)
            p = np.asarray(d.probs, dtype=np.float64).ravel()
            states = np.stack(np.unravel_index(np.arange(p.size), d.shape), -1)
            rng = np.random.default_rng(seed)
            results = []
            for _ in range(repeats):
                x = states[rng.choice(p.size, size=rows, p=p)]
                results.append(
                    mdm.calibrate.sampler_kl(
                        model,
                        policy,
                        x,
                        entropy_of_data=truth.entropy_of_data,
                        batch_size=rows,
                        progress=False,
                    )
                )
            out = _levels(lambda lvl: [r.kl_interval(lvl) for r in results])
            return np.full(repeats, truth.kl), out

        case(
            "calibrate.sampler_kl (kl_interval)",
            "confidence (2,2,1), noisy model of a random law (n=5, q=3)",
            rows,
            max_repeats=1000,
        )(skl)


_register_model_cases()
_register_mc_cases()
_register_binomial_cases()
_register_row_sweep()
_register_sampler_kl_cases()


# ------------------------------------------------------------------------------------------------
# rows_needed: the planned count against reruns
# ------------------------------------------------------------------------------------------------
def rows_needed_check(
    repeats: int, seed: int = 0, law: str = "noisy", pilot: int = SMALL, levels=LEVELS
):
    """For each level: plan rows from a ``pilot``-row curve for a half-width of a quarter of the
    pilot's own, rerun with that many fresh rows, and record achieved / requested half-width."""
    ce, ent, p = model_law(law)
    from mdmjax.calibrate import ModelCurve

    s = _fixed(law)
    rng = np.random.default_rng(seed)
    out = {}
    for lvl in levels:
        ratios, planned = [], []
        for _ in range(repeats):
            idx = rng.choice(p.size, size=pilot, p=p)
            mc = ModelCurve(ce[idx], ent[idx], np.full(pilot, 1.0 / pilot))
            iv = mc.expected_kl_interval(s, lvl)
            target = 0.25 * (iv.upper - iv.estimate)
            if target <= 0:
                continue
            need = mc.rows_needed(s, target, lvl)
            idx = rng.choice(p.size, size=need, p=p)
            rerun = ModelCurve(ce[idx], ent[idx], np.full(need, 1.0 / need))
            iv2 = rerun.expected_kl_interval(s, lvl)
            ratios.append((iv2.upper - iv2.estimate) / target)
            planned.append(need / pilot)
        r = np.asarray(ratios)
        out[lvl] = {
            "repeats": int(r.size),
            "fraction_within": float(np.mean(r <= 1.0)),
            "fraction_within_se": float(np.sqrt(np.mean(r <= 1.0) * np.mean(r > 1.0) / r.size)),
            "median_ratio": float(np.median(r)),
            "p90_ratio": float(np.quantile(r, 0.9)),
            "mean_planned_over_pilot": float(np.mean(planned)),
        }
    return out


# ------------------------------------------------------------------------------------------------
# Running and writing
# ------------------------------------------------------------------------------------------------
def run_case(c: Case, repeats: int, seed: int = 0) -> list[dict]:
    """One row per level: coverage, its binomial standard error, the mean width."""
    t0 = time.perf_counter()
    truth, ivs = c.run(repeats, seed)
    secs = time.perf_counter() - t0
    rows = []
    for lvl in LEVELS:
        lo, hi = ivs[lvl][:2]
        t = truth[lvl] if isinstance(truth, dict) else truth
        width = ivs[lvl][2] if len(ivs[lvl]) > 2 else (hi if c.kind == "upper" else hi - lo)
        hit = (lo <= t) & (t <= hi)
        cov = float(np.mean(hit))
        rows.append(
            {
                "function": c.function,
                "case": c.case,
                "rows": c.rows,
                "kind": c.kind,
                "nominal": lvl,
                "repeats": int(t.size),
                "coverage": cov,
                "se": float(np.sqrt(cov * (1 - cov) / t.size)),
                "mean_width": float(np.mean(width)),
                "seconds": secs,
                "note": c.note,
            }
        )
    return rows


def verdict(r: dict) -> str:
    """``ok`` / ``LOW`` / ``HIGH`` against the target (0.95: 0.93-0.97 two-sided; bands and
    one-sided bounds: at least nominal up to 2 se)."""
    cov, se, lvl = r["coverage"], r["se"], r["nominal"]
    if r["kind"] == "conservative":  # documented as conservative: at least nominal
        return "ok" if cov >= lvl - 2 * se else "LOW"
    if r["kind"] == "two-sided":
        lo, hi = (0.93, 0.97) if lvl == 0.95 else (lvl - 2 * se - 0.01, lvl + 2 * se + 0.01)
        out = "ok" if lo <= cov <= hi else ("LOW" if cov < lo else "HIGH")
        reliable = ModelCurve.RELIABLE_ROWS  # read from the row sweep
        if out == "LOW" and r["function"].startswith("ModelCurve") and r["rows"] < reliable:
            out += f" (fewer than {reliable} rows: interval unreliable)"
        return out
    out = "ok" if cov >= lvl - 2 * se else "LOW"
    if out == "LOW" and "frontier" in r["function"] and r["rows"] < ModelCurve.RELIABLE_ROWS:
        out += f" (fewer than {ModelCurve.RELIABLE_ROWS} rows: band unreliable)"
    return out


def _note(r: dict) -> str:
    return f" ({r['note']})" if r.get("note") and r["nominal"] == 0.95 else ""


def write_report(results: list[dict], rows_needed: dict | None, path_md: str, meta: dict) -> None:
    """``docs/coverage.md`` and the JSON file beside it (same stem)."""
    path_json = os.path.splitext(path_md)[0] + ".json"
    with open(path_json, "w") as f:
        json.dump({"meta": meta, "cells": results, "rows_needed": rows_needed}, f, indent=1)
    lines = [
        "# Coverage of mdmjax's intervals",
        "",
        "Produced by `mdmjax bench --kernel coverage` (`benchmarks/coverage.py`); the numbers",
        f"are in `{os.path.basename(path_json)}`. Each cell repeats the case with fresh data and",
        "counts how often the interval holds the exact truth (enumeration; module docstring of",
        "`mdmjax/cli/_bench_coverage.py`). `± se` is the binomial standard error. Target: every",
        "95% interval covers 0.93-0.97; simultaneous bands and one-sided bounds cover at least",
        "their level.",
        "",
        f"Repeats per cell: {meta.get('repeats')} unless the `repeats` column says otherwise"
        f" (time budget). Seed {meta.get('seed')}. The shipped walk transformer is **not** a case"
        " (skipped: its truth needs a row set 100x larger than one repeat's).",
        "",
        *[f"{line}" for line in meta.get("notes", [])],
        *([""] if meta.get("notes") else []),
        "| function | case | rows | nominal | coverage ± se | mean width | repeats | verdict |",
        "|---|---|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['function']} | {r['case']} | {r['rows']} | {r['nominal']:.2f} | "
            f"{r['coverage']:.3f} ± {r['se']:.3f} | {r['mean_width']:.4g} | {r['repeats']} | "
            f"{verdict(r)}{_note(r)} |"
        )
    if rows_needed:
        lines += [
            "",
            "## rows_needed",
            "",
            "A pilot (noisy law) plans the rows for a half-width of a quarter of its own; a rerun",
            "with that many fresh rows gives the achieved half-width (target: within the request",
            "in at least 90% of reruns; met with a pilot of `ModelCurve.RELIABLE_ROWS` rows).",
            "",
            "| pilot rows | level | reruns | achieved <= requested | median achieved/requested |"
            " 90th percentile | planned rows / pilot |",
            "|---:|---:|---:|---|---:|---:|---:|",
        ]
        for lvl, v in rows_needed.items():
            lines.append(
                f"| {lvl} | {v['repeats']} | {v['fraction_within']:.3f} ± "
                f"{v['fraction_within_se']:.3f} | {v['median_ratio']:.3f} | {v['p90_ratio']:.3f} |"
                f" {v['mean_planned_over_pilot']:.1f} |"
            )
    with open(path_md, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_all(
    repeats: int,
    *,
    path_md: str | None = None,
    seed: int = 0,
    only: str | None = None,
    skip: str | None = None,
    progress=print,
) -> list[dict]:
    """Run every case of :data:`CASES` (those whose function contains ``only``)."""
    from mdmjax._src.precision import scoped_x64

    results = []
    for c in CASES:
        if (only and only not in c.function) or (skip and skip in c.function):
            continue

        t0 = time.perf_counter()
        cells = scoped_x64(run_case)(c, min(repeats, c.max_repeats or repeats), seed)
        results += cells
        if progress:
            r = cells[-1]
            progress(
                f"{c.function} | {c.case} | {c.rows} rows: 0.95 -> {r['coverage']:.3f} ± "
                f"{r['se']:.3f} ({time.perf_counter() - t0:.0f} s)"
            )
        if path_md:  # after every case: a long run stopped early keeps what it measured
            write_report(results, None, path_md, {"repeats": repeats, "seed": seed})
    rn = None
    if not only and not skip:
        rn = {}
        for pilot in (SMALL, ModelCurve.RELIABLE_ROWS):
            got = scoped_x64(rows_needed_check)(min(repeats, 300), pilot=pilot)
            rn.update({f"{pilot} | {lvl:.2f}": v for lvl, v in got.items()})
    if path_md:
        write_report(results, rn, path_md, {"repeats": repeats, "seed": seed})
    return results


def merge(paths: list[str], path_md: str, rows_needed=None, notes=()) -> None:
    """One table from several JSON files of :func:`run_all` (runs split over processes)."""
    cells, rn, meta = [], rows_needed, {}
    for p in paths:
        with open(p) as f:
            data = json.load(f)
        cells += data["cells"]
        rn = data.get("rows_needed") or rn
        meta = {**data["meta"], "notes": list(notes)}
    order = {(c.function, c.case, c.rows): i for i, c in enumerate(CASES)}
    for r in cells:  # kinds and notes as the registry has them now
        for c in CASES:
            if (c.function, c.case, c.rows) == (r["function"], r["case"], r["rows"]):
                r["kind"], r["note"] = c.kind, c.note
    cells.sort(
        key=lambda r: (order.get((r["function"], r["case"], r["rows"]), 1 << 30), r["nominal"])
    )
    write_report(cells, rn, path_md, meta)
