"""E1 — Theorem 4 is exact.

Chen–Cong–Li (2026) Theorem 4: for any law and any schedule, the expected KL of the random-order
sampler equals the l1 area between the information curve ``Z`` and its left-endpoint step
function. This script holds the closed form (``mdm.expected_kl``) against brute-force enumeration
of every ordered partition (``mdm.exact_kl``, which uses no closed form), across every family for
``n <= 10``, and reports the largest absolute error. It also reports, per family, the gap between
the expected KL and the KL of the sampler's actual output law (the mixture KL); by convexity the
mixture KL is never larger, and for uniform laws on MDS codes the two coincide.

Run: ``python experiments/e01_theorem4_exact.py [--quick]``.
"""

from __future__ import annotations

import sys

import _common
import _laws
import numpy as np

import mdmjax as mdm
from mdmjax.kl import count_partitions

NAME = "e01"
TITLE = "E1: Theorem 4 is exact"
TOL = 1e-10


def schedules_for(n: int, rng: np.random.Generator, max_count: int, extra: int) -> list[tuple]:
    """A fixed set of shapes plus ``extra`` random compositions, all enumerable."""
    base = [(n,), (1, n - 1), (n - 1, 1), (2, n - 2), (n // 2, n - n // 2), (1, 1, n - 2)]
    base += [(2,) * (n // 2) + ((1,) if n % 2 else ())]
    if n <= 7:
        base.append((1,) * n)
    out = []
    for s in base:
        if all(v >= 1 for v in s) and sum(s) == n and s not in out:
            out.append(tuple(int(v) for v in s))
    tries = 0
    while extra > 0 and tries < 1000:
        tries += 1
        cuts = np.sort(rng.choice(np.arange(1, n), size=rng.integers(1, n), replace=False))
        s = tuple(int(v) for v in np.diff(np.concatenate([[0], cuts, [n]])))
        if s not in out and count_partitions(s) <= max_count:
            out.append(s)
            extra -= 1
    return [s for s in out if count_partitions(s) <= max_count]


def main(argv=None) -> int:
    run = _common.start(NAME, TITLE, argv, script=__file__)
    rng = np.random.default_rng(run.seed)
    ns = [4] if run.quick else list(range(3, 11))
    max_count = 100 if run.quick else 20_000
    jobs = []
    for n in ns:
        laws = _laws.catalogue(n, rng)
        if run.quick:  # few distinct table shapes and partition counts: few jit compilations
            laws = {k: v for k, v in laws.items() if "q=3" not in k and "mixed" not in k}
            schedules = [(4,), (1, 3), (2, 2), (1, 1, 2)]
        else:
            schedules = schedules_for(n, rng, max_count, extra=2)
        for family, d in laws.items():
            for sizes in schedules:
                jobs.append((family, n, d, sizes))

    rows = []
    curves = {}
    for family, n, d, sizes in run.bar(jobs, "enumerating partitions"):
        key = (family, n)
        if key not in curves:
            curves[key] = mdm.information_curve(d)
        closed = mdm.expected_kl(curves[key], sizes)
        enum_expected, enum_mixture = mdm.exact_kl(d, sizes, kind="both")
        rows.append(
            {
                "family": family,
                "n": n,
                "q": "x".join(str(v) for v in sorted(set(d.shape))),
                "sizes": "-".join(map(str, sizes)),
                "partitions": count_partitions(sizes),
                "theorem4": closed,
                "enumerated_expected": enum_expected,
                "enumerated_mixture": enum_mixture,
                "abs_error": abs(closed - enum_expected),
                "mixture_gap": enum_expected - enum_mixture,
            }
        )
    run.write_csv("rows.csv", rows)

    families = list(dict.fromkeys(r["family"] for r in rows))
    per_family = []
    for fam in families:
        fr = [r for r in rows if r["family"] == fam]
        positive = [r for r in fr if r["enumerated_expected"] > 1e-9]
        ratios = [r["enumerated_mixture"] / r["enumerated_expected"] for r in positive]
        per_family.append(
            {
                "family": fam,
                "cases": len(fr),
                "n_range": f"{min(r['n'] for r in fr)}–{max(r['n'] for r in fr)}",
                "max_abs_error": max(r["abs_error"] for r in fr),
                "max_gap": max(r["mixture_gap"] for r in fr),
                "mean_gap": float(np.mean([r["mixture_gap"] for r in fr])),
                "min_mixture_over_expected": min(ratios) if ratios else None,
                "median_mixture_over_expected": float(np.median(ratios)) if ratios else None,
            }
        )
    run.write_json("per_family.json", per_family)

    max_err = max(r["abs_error"] for r in rows)
    min_gap = min(r["mixture_gap"] for r in rows)
    held = bool(max_err <= TOL and min_gap >= -1e-12)
    figures = [_figure(run, rows, per_family)]

    table = {
        "title": "Theorem 4 against enumeration, and the mixture-vs-expected gap, per family",
        "columns": [
            "family",
            "cases",
            "n",
            "max |Thm 4 − enum|",
            "max (expected − mixture)",
            "median mixture/expected",
        ],
        "rows": [
            [
                f["family"],
                f["cases"],
                f["n_range"],
                _common.fmt(f["max_abs_error"], 2),
                _common.fmt(f["max_gap"]),
                _common.fmt(f["median_mixture_over_expected"]),
            ]
            for f in per_family
        ],
    }
    mds = [f for f in per_family if f["family"].startswith(("repetition", "parity", "reed"))]
    mds_gap = max((f["max_gap"] for f in mds), default=float("nan"))
    run.write_summary(
        claim=(
            "Theorem 4 (Chen–Cong–Li 2026): the expected KL equals the l1 area between Z and "
            "its left-Riemann step function, for every law and schedule"
        ),
        held=held,
        headline=(
            f"max |Theorem 4 − enumeration| = {max_err:.2e} nats over {len(rows)} "
            f"(law, schedule) pairs, {len(families)} families, n = {min(ns)}..{max(ns)}; "
            f"mixture KL <= expected KL in every case (smallest gap {min_gap:.1e}); "
            f"on MDS codes the gap is at most {mds_gap:.1e}"
        ),
        tables=[table],
        figures=figures,
        notes=[
            "Enumeration uses no closed form: each ordered partition's output law is built "
            "from marginals and averaged (mdm.exact_kl).",
            f"Schedules with more than {max_count} ordered partitions are skipped.",
        ],
        max_abs_error=max_err,
        min_mixture_gap=min_gap,
        cases=len(rows),
    )
    return 0


def _figure(run, rows, per_family) -> str:
    import matplotlib.pyplot as plt

    fams = [f["family"] for f in per_family]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.35 * len(fams) + 2), sharey=True)
    for y, fam in enumerate(fams):
        fr = [r for r in rows if r["family"] == fam]
        err = np.maximum([r["abs_error"] for r in fr], 1e-18)
        axes[0].scatter(err, np.full(len(fr), y), s=10, alpha=0.6, color="C0")
        ratio = [
            r["enumerated_mixture"] / r["enumerated_expected"]
            for r in fr
            if r["enumerated_expected"] > 1e-9
        ]
        axes[1].scatter(ratio, np.full(len(ratio), y), s=10, alpha=0.6, color="C1")
    axes[0].axvline(TOL, color="k", ls="--", lw=1, label="1e-10")
    axes[0].set_xscale("log")
    axes[0].set_xlabel("|Theorem 4 − enumeration| (nats; 1e-18 = exact zero)")
    axes[0].legend(loc="lower right")
    axes[1].axvline(1.0, color="k", ls="--", lw=1)
    axes[1].set_xlabel("mixture KL / expected KL")
    axes[0].set_yticks(range(len(fams)), fams)
    axes[0].invert_yaxis()
    fig.suptitle("E1: Theorem 4 against enumeration of all ordered partitions")
    return run.save_figure(fig, "theorem4_exact")


if __name__ == "__main__":
    sys.exit(main())
