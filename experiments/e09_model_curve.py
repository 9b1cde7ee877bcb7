"""E9 — a trained model's curve: per-level cross-entropy predicts its own sampler's KL.

For a model ``p̂`` and data ``x ~ p``, ``CE(m)`` (the MDM validation loss at ``m`` revealed
tokens) gives the expected KL of the random-order sampler driven by ``p̂`` exactly:
``E_B KL(p || nu_B) = sum_t s_t CE(N_{t-1}) - H(p)`` (docs/theory.md §8). This experiment checks
it on the shipped word MDMs (``mdm.calibrate.word_mdm``, lengths 4 and 5) against the model's own
sampler computed exactly (``mdm.kl.model_expected_kl`` by enumeration, ``mdm.kl.model_mixture_kl``
by the subset DP), compares the DP schedules chosen from the law's exact curve, the model's
``Z^CE`` and its predictive-entropy curve, measures interval coverage over seeds, and repeats the
estimate on a long Markov chain (``n = 256``) with a ``levels`` grid against its exact curve.

Run: ``python experiments/e09_model_curve.py [--quick]``.
"""

from __future__ import annotations

import sys
import time

import _common
import jax
import numpy as np

import mdmjax as mdm

NAME = "e09"
TITLE = "E9: a trained model's curve predicts its own sampler's KL"
REQUIRES = ("mdmjax.calibrate",)

MU = [0.5, 0.3, 0.2]
TRANSITION = [[0.85, 0.1, 0.05], [0.1, 0.8, 0.1], [0.15, 0.15, 0.7]]


def _pad(scheds, n):
    arr = np.zeros((len(scheds), n), dtype=np.int64)
    for r, s in enumerate(scheds):
        arr[r, : len(s)] = s
    return arr


def _time_model_curve(run, d, rows: int) -> dict:
    """model_curve on the shipped n = 5 model against bare forward passes of the same shapes."""
    m = mdm.calibrate.word_mdm(5)
    x = np.asarray(d.sample(jax.random.key(run.seed + 7), rows))
    bs = 2048
    mdm.model_curve(m, x[:bs], key=0, batch_size=bs)  # compile
    fn = mdm.calibrate._word_mdm.word_mdm_log_probs(5)
    rng = np.random.default_rng(0)
    batches = -(-rows * 5 // bs)
    ys = [
        np.where(rng.random((bs, 5)) < 0.5, x[rng.integers(0, rows, bs)], 26)
        for _ in range(batches)
    ]
    fn(ys[0]).block_until_ready()
    est, bare = [], []
    for rep in range(3):
        t = time.perf_counter()
        mdm.model_curve(m, x, key=rep, batch_size=bs)
        est.append(time.perf_counter() - t)
        t = time.perf_counter()
        for y in ys:
            fn(y).block_until_ready()
        bare.append(time.perf_counter() - t)
    return {
        "rows": rows,
        "batches": batches,
        "batch_size": bs,
        "model_curve_s": min(est),
        "bare_forward_s": min(bare),
        "overhead": min(est) / min(bare) - 1.0,
    }


def word_part(run, length: int, top: int | None):
    kw = {} if top is None else {"top": top}
    d = mdm.families.english_words(length=length, **kw)
    n, h = d.n, d.entropy()
    law = mdm.information_curve(d)
    m = mdm.calibrate.word_mdm(length)
    rows, w = np.stack(np.nonzero(np.asarray(d.probs) > 0), 1), None
    w = np.asarray(d.probs)[tuple(rows.T)]
    exact = mdm.model_curve(m, rows, weights=w / w.sum(), masks="all")
    R = 2000 if run.quick else 10_000
    x = np.asarray(d.sample(jax.random.key(run.seed + length), R))
    est = mdm.model_curve(m, x, key=run.seed)
    ks = list(range(2, n))
    sources = {
        "law Z": lambda k: mdm.optimal_schedule(law, k).sizes,
        "model Z^CE": lambda k: mdm.optimal_schedule(est, k).sizes,
        "entropy Z^H": lambda k: mdm.optimal_schedule(est.entropy_curve, k).sizes,
    }
    chosen = {(src, k): f(k) for src, f in sources.items() for k in ks}
    scheds = sorted(set(chosen.values()) | {(1,) * n})
    padded = _pad(scheds, n)
    exp_exact = dict(zip(scheds, mdm.kl.model_expected_kl(d, m, padded), strict=True))
    mix_exact = dict(zip(scheds, mdm.kl.model_mixture_kl(d, m, padded), strict=True))
    rows_out = []
    for (src, k), s in chosen.items():
        iv = est.expected_kl_interval(s, entropy_of_data=h)
        rows_out.append(
            {
                "length": n,
                "source": src,
                "k": k,
                "sizes": list(s),
                "predicted": iv.estimate,
                "lower": iv.lower,
                "upper": iv.upper,
                "exact_identity": exact.expected_kl(s, entropy_of_data=h),
                "exact_expected": exp_exact[s],
                "exact_mixture": mix_exact[s],
                "covered": bool(iv.lower <= exp_exact[s] <= iv.upper),
            }
        )
    cross = []
    for k in ks:
        cf = mdm.calibrate.cross_fit(est, k, key=run.seed, entropy_of_data=h)
        truth = [float(mdm.kl.model_expected_kl(d, m, s)) for s in cf.chosen]
        cross.append({"length": n, **cf.to_dict(), "exact_of_chosen": truth})
    # coverage over seeds of the fixed-schedule intervals, every composition of n
    comps = [tuple(int(v) for v in c) for c in _compositions(n)]
    truth = exact.expected_kl(_pad(comps, n), entropy_of_data=h)
    truth_ex = exact.expected_kl(_pad(comps, n))
    seeds = 3 if run.quick else 40
    hits = total = hits_ex = 0
    for seed in run.bar(range(seeds), f"coverage n={n}"):
        xs = np.asarray(d.sample(jax.random.key(1000 + seed), 2000))
        mc = mdm.model_curve(m, xs, key=seed)
        iv = mc.expected_kl_interval(_pad(comps, n), entropy_of_data=h)
        inside = (iv.lower <= truth) & (truth <= iv.upper)
        hits += int(inside.sum())
        total += inside.size
        ivx = mc.expected_kl_interval(_pad(comps, n)[1:])  # excess; (1,..,1) is 0 exactly
        hits_ex += int(((ivx.lower <= truth_ex[1:]) & (truth_ex[1:] <= ivx.upper)).sum())
    ident = max(abs(r["exact_identity"] - r["exact_expected"]) for r in rows_out)
    return {
        "d": d,
        "law": law,
        "exact": exact,
        "est": est,
        "entropy": h,
        "rows": rows_out,
        "cross": cross,
        "coverage": hits / total,
        "coverage_excess": hits_ex / (total - seeds),
        "coverage_trials": total,
        "identity_error": ident,
    }


def _compositions(n):
    import itertools

    for cuts in itertools.product((0, 1), repeat=n - 1):
        sizes, run = [], 1
        for c in cuts:
            if c:
                sizes.append(run)
                run = 1
            else:
                run += 1
        yield (*sizes, run)


def markov_part(run):
    n = 64 if run.quick else 256
    R = 300 if run.quick else 2000
    curve = mdm.curves.markov_chain_curve(MU, TRANSITION, n)
    g = np.asarray(curve.g)
    m = mdm.calibrate.markov_chain_model(MU, TRANSITION, n)
    x = mdm.calibrate.sample_markov_chain(MU, TRANSITION, n, R, seed=run.seed)
    levels = np.unique(np.round(np.geomspace(1, n - 1, 12 if run.quick else 24)).astype(int))
    t = time.perf_counter()
    mc = mdm.model_curve(m, x, key=run.seed, levels=levels)
    elapsed = time.perf_counter() - t
    z = (mc.cross_entropy - g) / mc.cross_entropy_stderr
    rows = []
    for k in (2, 4, 8, 16) if run.quick else (2, 4, 8, 16, 32):
        cf = mdm.calibrate.cross_fit(mc, k, key=run.seed)
        law_opt = mdm.optimal_schedule(curve, k)
        truth = [mdm.expected_kl(curve, s) for s in cf.chosen]
        rows.append(
            {
                "k": k,
                "law_optimum": law_opt.kl,
                "plug_in": cf.plug_in.kl,
                "plug_in_exact": mdm.expected_kl(curve, cf.plug_in.sizes),
                "cross_fit": cf.estimate,
                "cross_fit_lower": cf.lower,
                "cross_fit_upper": cf.upper,
                "exact_of_chosen": float(np.mean(truth)),
            }
        )
    return {
        "n": n,
        "rows_data": R,
        "levels": levels.tolist(),
        "curve": curve,
        "mc": mc,
        "g": g,
        "max_abs_z_grid": float(np.abs(z[mc.levels]).max()),
        "max_abs_z_all": float(np.abs(z).max()),
        "seconds": elapsed,
        "schedules": rows,
    }


def plot_words(run, parts):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(parts), 2, figsize=(11, 3.8 * len(parts)), squeeze=False)
    for ax_row, part in zip(axes, parts, strict=True):
        n = part["law"].n
        j = np.arange(1, n + 1)
        est = part["est"]
        ax = ax_row[0]
        ax.plot(j, np.asarray(part["law"].z), "k-o", label="law: exact Z")
        ax.plot(j, part["exact"].raw_z, "C0--", label="model: exact Z^CE")
        ax.errorbar(j, est.raw_z, 2 * est.raw_z_stderr, fmt="C0o", capsize=3, label="Z^CE ± 2 se")
        hz = est.predictive_entropy[0] - est.predictive_entropy
        hz_se = est.predictive_entropy_stderr
        ax.errorbar(j + 0.05, hz, 2 * hz_se, fmt="C1s", capsize=3, label="Z^H ± 2 se")
        ax.set_xlabel("j")
        ax.set_ylabel("nats")
        ax.set_title(f"English words, n = {n}: curves")
        ax.legend(fontsize=8)
        ax = ax_row[1]
        rows = [r for r in part["rows"] if r["source"] == "model Z^CE"]
        ks = [r["k"] for r in rows]
        pred = np.asarray([r["predicted"] for r in rows])
        lo = np.asarray([r["lower"] for r in rows])
        hi = np.asarray([r["upper"] for r in rows])
        ax.errorbar(ks, pred, [pred - lo, hi - pred], fmt="C0o", capsize=3, label="predicted")
        ax.plot(ks, [r["exact_expected"] for r in rows], "k_", ms=14, label="exact expected")
        ax.plot(ks, [r["exact_mixture"] for r in rows], "C3x", label="exact mixture")
        for src, mk in (("law Z", "k^"), ("entropy Z^H", "C1s")):
            sub = [r for r in part["rows"] if r["source"] == src]
            ax.plot(
                [r["k"] + 0.1 for r in sub],
                [r["exact_expected"] for r in sub],
                mk,
                mfc="none",
                label=f"chosen on {src} (exact)",
            )
        ax.set_xlabel("steps k")
        ax.set_ylabel("KL of the model's sampler (nats)")
        ax.set_title(f"n = {n}: DP schedules, predicted vs exact")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return run.save_figure(fig, "words")


def plot_markov(run, part):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    mc, g = part["mc"], part["g"]
    m = np.arange(part["n"])
    ax = axes[0]
    ax.plot(m, g, "k-", label="exact g(m) (mdm.curves.markov_chain_curve)")
    ax.fill_between(
        m,
        mc.cross_entropy - 2 * mc.cross_entropy_stderr,
        mc.cross_entropy + 2 * mc.cross_entropy_stderr,
        color="C0",
        alpha=0.3,
        label="CE(m) ± 2 se (interpolated)",
    )
    ax.plot(mc.levels, mc.cross_entropy[mc.levels], "C0o", ms=3, label="levels grid")
    ax.set_xscale("symlog")
    ax.set_xlabel("revealed m")
    ax.set_ylabel("nats")
    ax.set_title(f"Markov chain, n = {part['n']}, {part['rows_data']} rows")
    ax.legend(fontsize=8)
    ax = axes[1]
    rows = part["schedules"]
    ks = [r["k"] for r in rows]
    ax.plot(ks, [r["law_optimum"] for r in rows], "k-o", label="exact optimum")
    ax.plot(ks, [r["plug_in"] for r in rows], "C3x", label="plug-in (optimistic)")
    est = np.asarray([r["cross_fit"] for r in rows])
    ax.errorbar(
        ks,
        est,
        [
            est - np.asarray([r["cross_fit_lower"] for r in rows]),
            np.asarray([r["cross_fit_upper"] for r in rows]) - est,
        ],
        fmt="C0o",
        capsize=3,
        label="cross-fitted",
    )
    ax.plot(ks, [r["exact_of_chosen"] for r in rows], "C2_", ms=14, label="exact, chosen")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("steps k")
    ax.set_ylabel("excess KL (nats)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return run.save_figure(fig, "markov")


def main(argv=None) -> int:
    run = _common.start(NAME, TITLE, argv, script=__file__)
    top = 2000 if run.quick else None
    parts = []
    for length in (4, 5):
        try:
            parts.append(word_part(run, length, top))
        except ImportError as err:
            print(f"[{NAME}] word laws skipped: {err}")
            break
    timing = None
    if parts and not run.quick:
        timing = _time_model_curve(run, parts[-1]["d"], 10_000)
    markov = markov_part(run)
    figures = []
    if parts:
        figures.append(plot_words(run, parts))
    figures.append(plot_markov(run, markov))
    word_rows = [r for p in parts for r in p["rows"]]
    run.write_csv("word_schedules.csv", word_rows)
    run.write_json(
        "cross_fit.json",
        {"words": [c for p in parts for c in p["cross"]], "markov": markov["schedules"]},
    )
    run.write_json(
        "curves.json",
        {f"words_n{p['law'].n}": p["est"].to_dict() for p in parts}
        | {"markov": markov["mc"].to_dict()},
    )
    ident = max((p["identity_error"] for p in parts), default=float("nan"))
    coverage = {p["law"].n: p["coverage"] for p in parts}
    coverage_ex = {p["law"].n: p["coverage_excess"] for p in parts}
    pred_err = max((abs(r["predicted"] - r["exact_expected"]) for r in word_rows), default=0.0)
    table_rows = [
        [
            r["length"],
            r["source"],
            r["k"],
            " ".join(map(str, r["sizes"])),
            _common.fmt(r["predicted"]),
            f"[{_common.fmt(r['lower'])}, {_common.fmt(r['upper'])}]",
            _common.fmt(r["exact_expected"]),
            _common.fmt(r["exact_mixture"]),
        ]
        for r in word_rows
    ]
    mk_rows = [
        [
            r["k"],
            _common.fmt(r["law_optimum"]),
            _common.fmt(r["plug_in"]),
            _common.fmt(r["cross_fit"]),
            _common.fmt(r["exact_of_chosen"]),
        ]
        for r in markov["schedules"]
    ]
    cov_txt = ", ".join(
        f"n={k}: {v:.1%} absolute, {coverage_ex[k]:.1%} excess" for k, v in coverage.items()
    )
    headline = (
        f"identity Σ s_t CE(N_t-1) − H vs enumeration of the model's own sampler: max error "
        f"{ident:.1e} nats; predicted vs exact expected KL of DP schedules within "
        f"{pred_err:.3g} nats; 95% interval coverage {cov_txt}; Markov n = {markov['n']}: "
        f"|CE − g|/se ≤ {markov['max_abs_z_grid']:.2f} on the grid, "
        f"{markov['max_abs_z_all']:.2f} with interpolation"
    )
    if timing:
        headline += (
            f"; model_curve n=5, 10 000 rows: {timing['model_curve_s']:.2f} s, "
            f"{timing['overhead']:+.1%} over bare forward passes"
        )
    # the word model computes in float32: the same query in batches of other shapes differs by
    # float32 rounding, so exact agreement is ~1e-7 nats here (1e-10 in float64, tests/calibrate)
    covs = list(coverage.values()) + list(coverage_ex.values())
    # valid intervals cover at least ~nominal; over-coverage (conservative) is not a failure
    held = bool(ident < 1e-5 and all(v >= 0.9 for v in covs))
    run.write_summary(
        claim="A model's per-level cross-entropy gives its own sampler's expected KL exactly "
        "(Σ s_t CE(N_{t-1}) − H), and estimates of it from data carry valid intervals",
        held=held,
        headline=headline,
        tables=[
            {
                "title": "Word MDM: DP schedules, predicted (10k rows) vs exact (nats)",
                "columns": [
                    "n",
                    "chosen on",
                    "k",
                    "sizes",
                    "predicted",
                    "95% interval",
                    "exact expected",
                    "exact mixture",
                ],
                "rows": table_rows,
            },
            {
                "title": f"Markov chain n = {markov['n']}: optimizer's curse (excess KL, nats)",
                "columns": ["k", "exact optimum", "plug-in", "cross-fitted", "exact of chosen"],
                "rows": mk_rows,
            },
        ],
        figures=figures,
        notes=[
            "Standard errors use the row as the unit (per-row level means, stratified masks).",
            "The word model is float32: the identity holds to float32 rounding of its outputs "
            "(the same query batched differently moves by ~1e-7).",
            "Coverage: fixed-schedule 95% intervals over every composition of n and "
            f"{5 if run.quick else 40} seeds of 2000 rows, against the exact identity values.",
            "Markov chain: exact model (mdm.calibrate.markov_chain_model), so CE = g; levels "
            "between grid points are linear interpolations (a bias where g is curved).",
        ],
        coverage=coverage,
        coverage_excess=coverage_ex,
        identity_error=ident,
        timing=timing,
        markov={k: v for k, v in markov.items() if k not in ("curve", "mc", "g")},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
