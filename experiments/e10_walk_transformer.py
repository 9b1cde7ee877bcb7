"""E10 — a trained transformer at n = 128: every prediction of its curve against its own samples.

The law is a random walk on a 32-node 4-regular graph (``mdm.calibrate.walk_law()``), whose
curve, entropy and conditionals are exact at any length; the model is the shipped transformer
MDM trained on it (``mdm.calibrate.walk_mdm()``, ``experiments/train_walk_mdm.py``). On
held-out exact rows we estimate the model's per-level cross-entropy ``CE(m)`` on a grid of
levels and predict, for every schedule, its sampler's expected KL
``E_B KL(p || nu_B) = sum_t s_t CE(N_{t-1}) - H`` (docs/theory.md §8). Then we draw samples with
``mdm.sample`` and measure the share of invalid walks: since ``p`` puts all its mass on valid
walks, ``-ln nu(valid) <= KL(p || nu) <= E_B KL(p || nu_B)`` (docs/theory.md §8.9), with a
one-sided 95 % Clopper–Pearson bound on ``nu(valid)``. The measured lower bound must never exceed
the predicted upper interval end.

Schedules, for k in {8, 16, 32, 64, 128}: constant (LLaDA), cosine (MaskGIT), the DP optimum of
the model's curve (chosen on separate rows: cross-fitted) and the DP optimum of the law's exact
curve.

Run: ``python experiments/e10_walk_transformer.py [--quick]``.
"""

from __future__ import annotations

import json
import sys
import time

import _common
import numpy as np

import mdmjax as mdm

NAME = "e10"
TITLE = "E10: a transformer MDM at n = 128, predictions against its own samples"
REQUIRES = ("mdmjax.calibrate",)

SCHEDULES = ("constant", "cosine", "model DP (cross-fitted)", "law DP")
EPSILONS = (1.0, 5.0, 20.0)
LEVEL = 0.95


def _spearman(a, b) -> float:
    """Spearman's rank correlation (average ranks for ties)."""

    def ranks(v):
        v = np.asarray(v, dtype=np.float64)
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=np.float64)
        for u in np.unique(v):  # average the ranks of ties
            r[v == u] = r[v == u].mean()
        return r

    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def _schedules(n: int, k: int, mc_select, law_curve) -> dict[str, tuple[int, ...]]:
    return {
        "constant": tuple(mdm.schedules.constant(n, k)),
        "cosine": tuple(mdm.schedules.cosine(n, k)),
        "model DP (cross-fitted)": tuple(mdm.optimal_schedule(mc_select, k).sizes),
        "law DP": tuple(mdm.optimal_schedule(law_curve, k).sizes),
    }


def _control_variate(mc, mc_exact, g: np.ndarray, sizes, h: float, r: float):
    """``sum_t s_t [g(N) + Delta(N)] - H`` with the learning error ``Delta = CE - CE_exact``
    estimated from paired per-row values (same rows, same masks), and its interval."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    s = np.asarray(sizes, dtype=np.float64)
    diff = mc.row_cross_entropy[:, starts] - mc_exact.row_cross_entropy[:, starts]  # (R, k)
    per_row = diff @ s
    w = mc.row_weights
    mean = float(w @ per_row)
    se = float(np.sqrt(np.sum(w**2 * (per_row - mean) ** 2) * len(w) / (len(w) - 1)))
    value = mean + float(s @ g[starts]) - h
    return value, value - r * se, value + r * se


def main(argv=None) -> int:
    run = _common.start(NAME, TITLE, argv, script=__file__)
    q = run.quick
    law = mdm.calibrate.walk_law()
    model = mdm.calibrate.walk_mdm()
    n, h = law.n, law.entropy
    g = np.asarray(law.curve.g)
    rows_eval = 96 if q else 2000
    rows_select = 64 if q else 1000
    # Samples per (schedule, k): a sampler step is one transformer call on every row, so a cell
    # costs k * samples forward passes. Full mode: 2048 (two batches of 1024) at k <= 16, fewer
    # at the large k that a 2-core CPU cannot afford within the run (docs: E10 notes).
    samples_at = (lambda k: 64) if q else (lambda k: {8: 2048, 16: 2048, 32: 1024}.get(k, 256))
    ks = (8, 16) if q else (8, 16, 32, 64, 128)
    levels = np.unique(np.round(np.linspace(0, n - 1, 9 if q else 33)).astype(int))
    r = 1.959963984540054  # the two-sided 95 % normal quantile

    # -- the curve -------------------------------------------------------------------------------
    x_eval = law.sample(run.seed + 1, rows_eval)
    x_select = law.sample(run.seed + 2, rows_select)
    t0 = time.perf_counter()
    mc = mdm.model_curve(model, x_eval, key=run.seed + 3, levels=levels, batch_size=512)
    curve_s = time.perf_counter() - t0
    mc_exact = mdm.model_curve(law.model(), x_eval, key=run.seed + 3, levels=levels, batch_size=128)
    mc_select = mdm.model_curve(model, x_select, key=run.seed + 4, levels=levels, batch_size=512)
    ce, se = mc.cross_entropy, mc.cross_entropy_stderr
    gap_z = (ce[levels] - g[levels]) / np.maximum(se[levels], 1e-300)
    below = [int(m) for m, zz in zip(levels, gap_z, strict=True) if zz < -3.0]
    curve_rows = [
        {"m": int(m), "ce": ce[m], "se": se[m], "g": g[m], "learning_error": ce[m] - g[m]}
        for m in levels
    ]
    run.write_csv("curve.csv", curve_rows)

    # -- predictions and samples -----------------------------------------------------------------
    cells, sampled = [], {}
    samples_s, samples_n = 0.0, 0
    for k in run.bar(ks, "k"):
        for name, sizes in _schedules(n, k, mc_select, law.curve).items():
            iv = mc.expected_kl_interval(sizes, LEVEL, entropy_of_data=h)
            cv = _control_variate(mc, mc_exact, g, sizes, h, r)
            if sizes not in sampled:
                t1 = time.perf_counter()
                x = mdm.sample(model, sizes, key=run.seed + 10 + k, num_samples=samples_at(k))
                samples_s += time.perf_counter() - t1
                samples_n += samples_at(k)
                sampled[sizes] = law.kl_lower_bound(x, LEVEL)
            chk = sampled[sizes]
            cells.append(
                {
                    "k": k,
                    "schedule": name,
                    "sizes": list(sizes),
                    "predicted": iv.estimate,
                    "lower": iv.lower,
                    "upper": iv.upper,
                    "predicted_cv": cv[0],
                    "lower_cv": cv[1],
                    "upper_cv": cv[2],
                    "law_expected_kl": mdm.expected_kl(law.curve, sizes),
                    "invalid_rate": chk.invalid_rate,
                    "valid_upper": chk.valid_upper,
                    "measured_lower_bound": chk.lower_bound,
                    "samples": chk.num_samples,
                }
            )
        run.write_csv("sandwich.csv", cells)  # after every k: a long run leaves its progress
    held_sandwich = all(c["measured_lower_bound"] <= c["upper"] for c in cells)
    held_sandwich_cv = all(c["measured_lower_bound"] <= c["upper_cv"] for c in cells)
    rho = _spearman([c["predicted"] for c in cells], [c["invalid_rate"] for c in cells])
    widths = [(c["upper"] - c["lower"]) for c in cells]
    widths_cv = [(c["upper_cv"] - c["lower_cv"]) for c in cells]
    narrowing = float(np.median(np.asarray(widths) / np.asarray(widths_cv)))

    # -- the practitioner's payoff: fewest steps for a budget ------------------------------------
    payoff = []
    const_all = np.zeros((n, n), dtype=np.int64)
    for kk in range(1, n + 1):
        const_all[kk - 1, :kk] = mdm.schedules.constant(n, kk)
    const_sel = np.asarray(mc_select.expected_kl(const_all, entropy_of_data=h))
    floor = mc_select.expected_kl((1,) * n, entropy_of_data=h)  # one token per step
    for eps in EPSILONS:
        row = {"eps": eps, "k_optimal": None, "k_constant": None, "one_token_per_step": floor}
        if eps >= floor:  # else no schedule of this model meets eps (its learning error alone)
            opt = mdm.min_steps(mc_select, eps, entropy_of_data=h)  # chosen on selection rows
            iv = mc.expected_kl_interval(opt.sizes, LEVEL, entropy_of_data=h)
            row |= {
                "k_optimal": len(opt.sizes),
                "optimal_kl": iv.estimate,
                "optimal_lower": iv.lower,
                "optimal_upper": iv.upper,
            }
        fits = np.nonzero(const_sel <= eps)[0]
        if fits.size:
            k_const = int(fits[0]) + 1
            iv = mc.expected_kl_interval(
                tuple(const_all[k_const - 1, :k_const]), LEVEL, entropy_of_data=h
            )
            row |= {
                "k_constant": k_const,
                "constant_kl": iv.estimate,
                "constant_lower": iv.lower,
                "constant_upper": iv.upper,
            }
        payoff.append(row)
    run.write_csv("min_steps.csv", payoff)

    training = None
    log_path = _common.ROOT / "results" / NAME / "walk_mdm_training.json"
    if log_path.is_file():
        training = {k: v for k, v in json.loads(log_path.read_text()).items() if k != "log"}
    timing = {
        "model_curve_s": curve_s,
        "model_curve_passes": rows_eval * len(levels),
        "samples_per_s": samples_n / samples_s if samples_s else None,
        "training_s": training["seconds"] if training else None,
    }
    run.write_json(
        "e10.json",
        {
            "curve": curve_rows,
            "cells": cells,
            "min_steps": payoff,
            "timing": timing,
            "nll_bound": mc.nll_bound,
            "nll_bound_stderr": mc.nll_bound_stderr,
            "entropy": h,
            "spearman": rho,
            "interval_narrowing_cv": narrowing,
            "training": training,
        },
    )

    # -- figure ----------------------------------------------------------------------------------
    import matplotlib.pyplot as plt

    fig, (a0, a1) = plt.subplots(1, 2, figsize=(12, 4.6))
    a0.plot(np.arange(n), g, "k-", lw=1.2, label="exact g(m) (law)")
    a0.errorbar(levels, ce[levels], yerr=r * se[levels], fmt="o", ms=3, label="model CE(m) ± 95%")
    a0.set_xlabel("revealed positions m")
    a0.set_ylabel("nats")
    a0.set_title("per-level cross-entropy vs exact conditional entropy")
    a0.legend()
    for i, name in enumerate(SCHEDULES):
        cs = [c for c in cells if c["schedule"] == name]
        kk = np.array([c["k"] for c in cs]) * (1 + 0.04 * (i - 1.5))
        pred = np.array([c["predicted"] for c in cs])
        lo, hi = np.array([c["lower"] for c in cs]), np.array([c["upper"] for c in cs])
        line = a1.errorbar(
            kk,
            pred,
            yerr=[pred - lo, hi - pred],
            fmt="-o",
            ms=3,
            capsize=2,
            label=f"{name}: predicted E_B KL",
        )
        lb = np.array([c["measured_lower_bound"] for c in cs])
        a1.plot(kk, np.maximum(lb, 1e-3), "v--", color=line[0].get_color(), ms=5, alpha=0.7)
    a1.set_xscale("log", base=2)
    a1.set_yscale("log")
    a1.set_xlabel("steps k")
    a1.set_ylabel("KL (nats); ▼ = −ln P̂(valid) lower bound")
    a1.set_title("the sandwich (samples per point: see the table)")
    a1.legend(fontsize=7)
    fig.tight_layout()
    figure = run.save_figure(fig, "sandwich")

    # -- summary ---------------------------------------------------------------------------------
    table = [
        [
            c["k"],
            c["schedule"],
            _common.fmt(c["predicted"]),
            f"[{_common.fmt(c['lower'])}, {_common.fmt(c['upper'])}]",
            f"[{_common.fmt(c['lower_cv'])}, {_common.fmt(c['upper_cv'])}]",
            _common.fmt(c["measured_lower_bound"]),
            f"{c['invalid_rate']:.3f}",
            c["samples"],
        ]
        for c in cells
    ]

    def _kl_cell(p, which):
        if p[f"k_{which}"] is None:
            return "unattainable"
        return (
            f"{_common.fmt(p[which + '_kl'])} [{_common.fmt(p[which + '_lower'])}, "
            f"{_common.fmt(p[which + '_upper'])}]"
        )

    pay_rows = [
        [
            p["eps"],
            p["k_optimal"] or "–",
            _kl_cell(p, "optimal"),
            p["k_constant"] or "–",
            _kl_cell(p, "constant"),
        ]
        for p in payoff
    ]
    gaps = [c["upper"] - c["measured_lower_bound"] for c in cells]
    held = bool(held_sandwich and not below)
    held_cells = sum(c["measured_lower_bound"] <= c["upper"] for c in cells)
    headline = (
        f"sandwich −ln P̂(valid) ≤ predicted upper end held in {held_cells}"
        f"/{len(cells)} (schedule, k) cells; NLL bound Σ CE = {mc.nll_bound:.2f} ± "
        f"{mc.nll_bound_stderr:.2f} vs exact H = {h:.2f} nats; levels with CE < g − 3 se: "
        f"{below or 'none'}; Spearman(predicted KL, invalid rate) = {rho:.2f}; paired "
        f"learning-error control variate narrows the intervals {narrowing:.1f}x (median); "
        f"mdm.sample {timing['samples_per_s']:.0f} samples/s (all k)"
    )
    run.write_summary(
        claim="A trained model's per-level cross-entropy predicts an upper bound on its own "
        "sampler's KL that its samples never contradict: −ln ν̂(valid) ≤ Σ s_t CE(N_t−1) − H",
        held=held,
        headline=headline,
        tables=[
            {
                "title": f"Walk transformer n = {n}: predicted E_B KL (nats, 95% intervals) "
                "against the invalid-walk lower bound from the samples",
                "columns": [
                    "k",
                    "schedule",
                    "predicted",
                    "interval",
                    "interval (control variate)",
                    "measured lower bound",
                    "invalid rate",
                    "samples",
                ],
                "rows": table,
            },
            {
                "title": "Fewest steps for a KL budget ε (model's curve) vs the constant schedule",
                "columns": ["ε (nats)", "k optimal", "its KL [95%]", "k constant", "its KL [95%]"],
                "rows": pay_rows,
            },
        ],
        figures=[figure],
        notes=[
            "Predicted = Σ_t s_t CE(N_t−1) − H with H exact; CE on a grid of "
            f"{len(levels)} levels ({rows_eval} held-out rows, linear interpolation between).",
            "Control variate: Σ s_t [g(N) + Δ̂(N)] − H, Δ̂ the learning error from paired "
            "per-row values (same rows and masks scored by the model and by the exact "
            "conditionals). log p(x) itself is the same for every valid walk, so the per-row "
            "log p(x) control variate would be a constant and narrow nothing.",
            "model DP is chosen on separate rows (cross-fitted), valued on the held-out rows.",
            "min_steps: unattainable means ε is below the model's one-token-per-step KL "
            f"({_common.fmt(floor)} nats on the selection rows), its learning error alone.",
            f"gap between predicted upper end and measured lower bound: min {min(gaps):.3g}, "
            f"max {max(gaps):.3g} nats.",
        ],
        timing=timing,
        spearman=rho,
        held_sandwich_cv=held_sandwich_cv,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
