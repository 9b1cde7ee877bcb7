"""Every practitioner schedule against a transcription of its upstream arithmetic.

The transcriptions are in tests/upstream/upstream_reference.py (upstream repositories and
commits in its docstrings and in docs/upstream_notes.md). The default suite covers n, T <= 40
plus the integer-boundary cases that decide the tests; ``-m slow`` runs the full n, T <= 128.
"""

from __future__ import annotations

import numpy as np
import pytest

import mdmjax as mdm
from mdmjax import schedules as S
from tests.upstream import upstream_reference as U


def thm4(z, sizes):
    """Theorem 4 for one size outcome (zeros allowed): sum over blocks of sum_j (Z_j - Z_first)."""
    total, start = 0.0, 0
    for s in sizes:
        total += float(np.sum(z[start : start + s] - z[start])) if s else 0.0
        start += s
    return total


SMALL, FULL = 40, 128
MASKGIT = [("cosine", {}), ("uniform", {}), ("pow2", {}), ("pow3", {}), ("log", {}), ("exp", {})]
# The upstream harness's grid: n <= 128 and these T (MaskGIT compiles one program per T).
MASKGIT_T_GRID = (*range(1, 49), 56, 64, 80, 96, 112, 128)
# The default job's slice: every gamma at a few T (n = 25, T = 5, pow2 was the first cell that a
# vectorised evaluation got wrong).
MASKGIT_T_SLICE = (3, 5, 12)


def _maskgit_grid(n_max, ts):
    """mdmjax against the literal ``while_loop`` of upstream's ``decode`` (zeros dropped)."""
    for up, _ in MASKGIT:
        for t in ts:
            for n in range(1, n_max + 1):
                want = U.drop_zeros(U.maskgit_counts(n, t, up))
                assert S.maskgit(n, t, up) == want, (up, n, t)


def test_maskgit_float32_boundaries():
    """google-research/maskgit@1db2359 ``parallel_decode.decode`` / ``mask_schedule.schedule``:
    each case sits on an integer boundary that float32 and float64 decide differently."""
    cases = [  # (n, T, upstream method, upstream counts without zeros, float64 counts)
        (4, 3, "cosine", (1, 2, 1), (1, 1, 2)),
        (3, 3, "uniform", (2, 1), (1, 1, 1)),
        (27, 3, "log", (19, 5, 3), (18, 6, 3)),
        (25, 2, "exp", (6, 19), (5, 20)),
    ]
    for n, t, method, up, f64 in cases:
        assert U.drop_zeros(U.maskgit_counts(n, t, method)) == up
        assert S.maskgit(n, t, method) == up
        assert S.maskgit(n, t, method, dtype="float64") == f64
    assert S.maskgit(3, 3, "linear") == S.maskgit(3, 3, "uniform")
    assert S.maskgit(9, 3, "pow2") == S.maskgit(9, 3, "pow", power=2.0)
    assert S.cosine(4, 3) == (1, 2, 1)
    assert sum(S.maskgit(200, 150)) == 200  # beyond 128 steps the program is padded to 256
    with pytest.raises(ValueError, match="^dtype"):
        S.maskgit(4, 3, dtype="float16")
    with pytest.raises(ValueError, match="^gamma"):
        S.maskgit(4, 3, "powx")


def test_maskgit_is_upstreams_scalar_while_loop():
    """google-research/maskgit@1db2359 ``decode`` evaluates the schedule on a scalar ratio per
    step, with ``num_iter`` a constant; a vectorised evaluation of all steps kept 9 masked after
    step 3 of n = 25, T = 5, pow2, where upstream keeps 8."""
    assert (
        S.maskgit(25, 5, "pow2") == (1, 3, 5, 8, 8) == U.drop_zeros(U.maskgit_counts(25, 5, "pow2"))
    )
    _maskgit_grid(SMALL, MASKGIT_T_SLICE)


@pytest.mark.slow
def test_maskgit_full_grid():
    _maskgit_grid(FULL, MASKGIT_T_GRID)


def _dllm_grid(n_max):
    for alpha in ("linear", "cosine"):
        for n in range(1, n_max + 1):
            for t in range(1, n + 1):
                assert S.alpha_rounded(n, t, alpha) == U.dllm_counts(n, t, alpha, compact=True)


def test_alpha_rounded():
    """ZHZisZZ/dllm@ca17675 ``get_num_transfer_tokens`` (round half to even at 2.5)."""
    assert S.alpha_rounded(10, 4) == (2, 3, 2, 3)  # 10 * .25 = 2.5 -> 2
    assert sorted(S.alpha_rounded(10, 4)) == sorted(S.constant(10, 4))
    assert S.alpha_rounded(4, 4, "cosine") == (1, 1, 2)
    _dllm_grid(SMALL)
    with pytest.raises(ValueError, match="^alpha"):
        S.alpha_rounded(4, 2, "exp")


@pytest.mark.slow
def test_alpha_rounded_full_grid():
    _dllm_grid(FULL)


def _flexible_grid(n_max, t_max):
    for gamma in S.FLEXIBLE_GAMMAS:
        for n in range(1, n_max + 1):
            for t in range(1, t_max + 1):
                assert S.flexible(n, t, gamma) == U.drop_zeros(U.flexible_counts(n, t, gamma))


def test_flexible():
    """Jianguo99/OpenDLM@a4088d1 ``FlexibleUnmaskingScheduler``: half-to-even rounding decides
    ``round(7.5) = 8`` and ``round(2.5) = 2`` at n = 10, T = 4."""
    assert S.flexible(10, 4) == (2, 3, 3, 2)
    assert S.flexible(3, 5, "cubic") == (1, 1, 1)
    _flexible_grid(SMALL, SMALL)
    with pytest.raises(ValueError, match="^gamma"):
        S.flexible(4, 2, "pow")
    with pytest.raises(ValueError, match="^exp_k"):
        S.flexible(4, 2, "exponential", exp_k=0)


@pytest.mark.slow
def test_flexible_full_grid():
    _flexible_grid(FULL, FULL)


def _dream_grid(ns, ts):
    for n in ns:
        for t in ts:
            assert S.dream(n, t) == U.drop_zeros(U.dream_counts(n, t)), (n, t)


def test_dream_topk_counts():
    """Dream ``_sample`` top-k counts (Fast-dLLM@24cc59e ``dream/model/generation_utils.py``)."""
    _dream_grid(range(1, SMALL + 1), range(1, SMALL + 1))


def test_dream_float32_boundaries():
    """At Dream's default T = 512, float32 decides some counts differently from the exact
    formula (n = 890 is the first): the default follows upstream's float32."""
    cases = [(890, 512), (894, 512), (911, 512), (946, 512), (1159, 1000)]
    for n, t in cases:
        up = U.drop_zeros(U.dream_counts(n, t))
        assert S.dream(n, t) == up
        assert S.dream(n, t, dtype="float64") != up
        assert sum(S.dream(n, t, dtype="float64")) == n
    assert all(S.dream(n, 512, dtype="float64") == S.dream(n, 512) for n in range(1, 890, 37))
    with pytest.raises(ValueError, match="^dtype"):
        S.dream(16, 4, dtype="float16")


@pytest.mark.slow
def test_dream_full_grid():
    _dream_grid(range(1, FULL + 1), range(1, FULL + 1))
    _dream_grid(range(1, 2049, 7), (256, 512, 1000))


# ------------------------------------------------------------------------------------------------
# Random sizes
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("steps", [1, 2, 3, 16, 40, 128, 1000])
def test_ancestral_defaults_are_mdlm_and_md4(steps):
    """kuleshov-group/mdlm@c112c52 ``Diffusion._sample`` (ddpm_cache, eps 1e-5, noise removal)
    and google-deepmind/md4@b9fbf29 ``MD4.ancestral_sample_step`` (cosine grid, eps 1e-4,
    final decode): reveal probabilities to the float32 ulp, the final argmax as a step."""
    mdlm = S.ancestral(8, steps)
    np.testing.assert_array_equal(mdlm.reveal_probs[:-1], U.mdlm_reveal_probs(steps))
    assert mdlm.steps == steps + 1 and mdlm.reveal_probs[-1] == 1.0
    for alpha, up in (("linear", "linear"), ("cosine", "cosine"), ("poly", "poly3")):
        md4 = S.ancestral(8, steps, alpha, power=3.0)
        np.testing.assert_array_equal(md4.reveal_probs[:-1], U.md4_reveal_probs(steps, up))
        assert md4.expected_calls == steps + 1
    origin = S.dream_origin(8, steps)
    np.testing.assert_array_equal(origin.reveal_probs, U.dream_origin_probs(steps))
    assert origin.expected_calls == steps


def test_mdlm_expected_calls():
    """82.46 model calls at n = T = 128 (the cache skips calls after empty steps)."""
    for n, t in [(128, 128), (128, 16), (7, 1000), (1, 3), (5, 1)]:
        want = U.mdlm_expected_calls(n, t)
        assert S.ancestral(n, t).expected_calls == pytest.approx(want, rel=1e-12)
    assert S.ancestral(128, 128).expected_calls == pytest.approx(82.462, abs=1e-3)
    no_removal = S.ancestral(128, 128, final=False)
    want = U.mdlm_expected_calls(128, 128, noise_removal=False, probs=no_removal.reveal_probs)
    assert no_removal.expected_calls == pytest.approx(want, rel=1e-12)
    c = mdm.InformationCurve.from_z(np.linspace(0, 1, 128))
    kl = mdm.expected_kl(c, S.ancestral(128, 128))
    assert kl.expected_calls == pytest.approx(82.462, abs=1e-3) and kl.steps == 129


def test_ancestral_final_step_is_valued_by_theorem4():
    """The final argmax step reveals the eps leftovers together: valued like any random step,
    so the expected KL equals the average of Theorem 4 over sampled sizes (up to MC error)."""
    import jax

    c = mdm.InformationCurve.from_z(np.concatenate([[0.0], np.linspace(0.2, 1.0, 11)]))
    sched = S.ancestral(12, 4, "linear", eps=0.05)
    assert sched.reveal_probs[-2] < 1
    sizes = sched.sample(jax.random.key(1), 1000)
    z = np.asarray(c.z)
    values = np.array([thm4(z, s) for s in sizes])
    exact = float(mdm.expected_kl(c, sched))
    assert abs(values.mean() - exact) < 4 * values.std() / np.sqrt(values.size)


def test_catalogue():
    cat = S.practice_schedules()
    assert len(cat) == 1 + 6 + 1 + 2 + 7 + 4
    for name, make in cat.items():
        out = make(12, 5)
        if isinstance(out, tuple):
            assert sum(out) == 12 and all(s > 0 for s in out), name
        else:
            assert out.n == 12 and hasattr(out, "expected_calls"), name
    assert cat["MaskGIT uniform"](3, 3) == (2, 1)
    assert cat["OpenDLM flexible log"](20, 6) == U.drop_zeros(U.flexible_counts(20, 6, "log"))
    assert cat["dllm cosine"](17, 5) == U.dllm_counts(17, 5, "cosine", compact=True)
