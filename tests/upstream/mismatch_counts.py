"""Count where mdmjax's default schedules differ from the upstream transcriptions.

Run: ``python tests/upstream/mismatch_counts.py`` (from the repository root). Prints one table;
the numbers are recorded in docs/upstream_notes.md. The references are in
tests/upstream/upstream_reference.py (upstream repositories and commits in its docstrings).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import mdmjax as mdm  # noqa: E402
from tests.upstream import upstream_reference as U  # noqa: E402

N_MAX = 128
T_MAX = 128


def row(label, mism, total, note=""):
    print(f"{label:<44} {mism:>7} / {total:<7} {note}")


def maskgit_rows():
    methods = [
        ("cosine", "cosine", 2.0),
        ("uniform", "linear", 2.0),
        ("pow2", "pow", 2.0),
        ("pow3", "pow", 3.0),
        ("log", "log", 2.0),
        ("exp", "exp", 2.0),
    ]
    for up, _mine, _power in methods:
        mism = xla_vs_64 = np32_vs_xla = 0
        example = None
        for n in range(1, N_MAX + 1):
            for steps in range(1, T_MAX + 1):
                ref = U.maskgit_counts(n, steps, up)
                got = mdm.schedules.maskgit(n, steps, up)  # default: upstream's float32
                if U.drop_zeros(ref) != got:
                    mism += 1
                    if example is None or (n, steps) < example[:2]:
                        example = (n, steps, U.drop_zeros(ref), got)
                if U.maskgit_counts(n, steps, up, "float64") != ref:
                    xla_vs_64 += 1
                if U.maskgit_counts(n, steps, up, "numpy32") != ref:
                    np32_vs_xla += 1
        note = f"(float64 ref differs {xla_vs_64}, numpy-f32 ref differs {np32_vs_xla}; "
        if example:
            note += f"first n={example[0]},T={example[1]}: up {example[2]} mdm {example[3]}"
        note += ")"
        row(f"maskgit {up} (n,T<=128)", mism, N_MAX * T_MAX, note)


def dilated_rows():
    for base in (2, 3, 4):
        mism = mism_sets = 0
        example = None
        for n in range(1, 1025):
            ref = U.dus_blocks(n, float(base))
            got = mdm.policies.dilated_blocks(n, base)
            if tuple(len(g) for g in ref) != tuple(len(g) for g in got):
                mism += 1
                if example is None and n > 1:
                    example = (n, [len(g) for g in ref], [len(g) for g in got])
            if [sorted(g) for g in ref] != [sorted(g) for g in got]:
                mism_sets += 1
        ex = f"; e.g. n={example[0]}: up {example[1]} mdm {example[2]}" if example else ""
        one = f"n=1: up {[len(g) for g in U.dus_blocks(1, float(base))]}"
        one += f" mdm {[len(g) for g in mdm.policies.dilated_blocks(1, base)]}"
        row(
            f"dilated base {base} (n<=1024) sizes",
            mism,
            1024,
            f"(sets differ {mism_sets}{ex}; {one})",
        )


def pairs():
    return [(n, t) for n in range(1, N_MAX + 1) for t in range(1, n + 1)]


def dllm_rows():
    ps = pairs()
    lin_exact = lin_multiset = 0
    cos_vs_maskgit = 0
    for n, t in ps:
        lin = U.dllm_counts(n, t, "linear", compact=True)
        lin_exact += lin != mdm.schedules.alpha_rounded(n, t, "linear")
        lin_multiset += sorted(lin) != sorted(mdm.schedules.constant(n, t))
        cos = U.dllm_counts(n, t, "cosine", compact=True)
        cos_vs_maskgit += cos != mdm.schedules.alpha_rounded(n, t, "cosine")
    row(
        "dllm linear vs mdm.alpha_rounded (T<=n<=128)",
        lin_exact,
        len(ps),
        f"(as multisets vs mdm.constant: {lin_multiset})",
    )
    row("dllm cosine vs mdm.alpha_rounded cosine", cos_vs_maskgit, len(ps))


def flexible_rows():
    for kind in U.FLEXIBLE_TYPES:
        mism = 0
        for n in range(1, N_MAX + 1):
            for t in range(1, T_MAX + 1):
                mism += U.drop_zeros(U.flexible_counts(n, t, kind)) != mdm.schedules.flexible(
                    n, t, kind
                )
        row(f"opendlm flexible {kind} vs mdm.flexible", mism, N_MAX * T_MAX)


def dream_rows():
    mism = fma_sens = 0
    example = None
    for n in range(1, N_MAX + 1):
        for t in range(1, T_MAX + 1):
            ref = U.dream_counts(n, t)
            fma_sens += ref != U.dream_counts(n, t, fma=False)
            got = mdm.schedules.dream(n, t)
            if U.drop_zeros(ref) != got:
                mism += 1
                if example is None:
                    example = (n, t, U.drop_zeros(ref), got)
    note = f"(CUDA fma vs unfused linspace differ {fma_sens})"
    if example:
        note += f" e.g. n={example[0]},T={example[1]}: up {example[2]} mdm {example[3]}"
    row("dream topk counts (n,T<=128)", mism, N_MAX * T_MAX, note)


def ancestral_rows():
    for t in (16, 128, 1000):
        mism = 0
        for alpha, up in (("linear", "linear"), ("cosine", "cosine")):
            mine = mdm.schedules.ancestral(8, t, alpha)
            ref = U.md4_reveal_probs(t, up, "cosine")
            mism += int(np.any(mine.reveal_probs[:-1] != ref)) + int(mine.expected_calls != t + 1)
        mine = mdm.schedules.ancestral(128, t)
        d = np.abs(U.mdlm_reveal_probs(t) - mine.reveal_probs[:-1]).max()
        calls = mine.expected_calls - U.mdlm_expected_calls(128, t)
        origin = mdm.schedules.dream_origin(8, t).reveal_probs
        d_origin = np.abs(origin - U.dream_origin_probs(t)).max()
        print(
            f"T={t}: md4 linear/cosine probs+calls differ {mism}; mdlm max|dp| {d:.1e}, "
            f"E[calls] n=128 {mine.expected_calls:.3f} (ref {U.mdlm_expected_calls(128, t):.3f}, "
            f"diff {calls:.1e}); dream origin max|dp| {d_origin:.1e}"
        )


def main():
    t0 = time.time()
    print(f"{'rule':<44} {'differ':>7} / total")
    maskgit_rows()
    dilated_rows()
    dllm_rows()
    flexible_rows()
    dream_rows()
    ancestral_rows()
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
