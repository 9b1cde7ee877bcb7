"""Hand-checked outputs of the upstream transcriptions in tests/upstream/upstream_reference.py.

These pin the *references* (not mdmjax): each value was worked out by hand from the upstream
source named in the reference's docstring, at integer / half-integer boundaries where a change of
arithmetic would change the answer.
"""

import numpy as np
import pytest

from tests.upstream import upstream_reference as U


def test_maskgit_float32_boundary():
    # 4 * cos(pi/3) is 2 in float64 but 1.9999999 in float32: upstream keeps 1 masked, not 2.
    assert U.maskgit_counts(4, 3, "cosine") == (1, 2, 1)
    assert U.maskgit_counts(4, 3, "cosine", "float64") == (1, 1, 2)
    # r = 2 * f32(1/3) = 0.6666667 > 2/3: 3 * (1 - r) = 0.99999994 floors to 0, clipped to 1.
    assert U.maskgit_counts(3, 3, "uniform") == (2, 0, 1)
    # a step that starts with one masked token reveals nothing until the last step
    assert U.maskgit_counts(2, 4, "cosine") == (1, 0, 0, 1)
    assert U.maskgit_counts(1, 3, "log") == (0, 0, 1)


def test_maskgit_literal_decode_pow2():
    # Step 3 of T = 5: 25 (1 - 0.8^2) is 8.999999 in float32 (and in float64), so upstream keeps
    # 8 masked; mdmjax 0.2 evaluated pow over all steps as one XLA:CPU vector and kept 9.
    np.testing.assert_array_equal(U.maskgit_decode_mask_lens(25, 5, "pow2"), [24, 21, 16, 8, 1])
    assert U.maskgit_counts(25, 5, "pow2") == (1, 3, 5, 8, 8)
    with pytest.raises(ValueError):
        U.maskgit_decode_mask_lens(4, 3, "square")


def test_maskgit_annealed_temperature():
    assert U.maskgit_choice_temperature(0, 4, 4.5) == np.float32(4.5) * np.float32(0.75)
    assert U.maskgit_choice_temperature(3, 4, 4.5) == 0.0
    keep = U.maskgit_keep_masked(np.log([0.9, 0.2, 0.5, np.inf]), np.zeros(4), 2, 0.0)
    assert keep.tolist() == [False, True, True, False]


def test_dus_merge_and_edge_cases():
    assert U.dus_counts(23, 3.0) == (4, 19)  # the smaller last round (9 < 10) merged
    assert U.dus_blocks(8) == [[0, 4], [2, 6], [1, 3, 5, 7]]
    assert U.dus_counts(1) == ()  # R = ceil(log 1 / log 2) = 0: nothing is ever revealed
    assert U.dus_counts(243, 3.0) == (3, 6, 18, 54, 162)  # log ratio 5.000000000000001 -> R = 6
    rounds = U.dus_skip_run(
        8, lambda step, cand: [0.95 if c % 4 == 0 else 0.5 for c in cand], threshold=0.9
    )
    assert rounds == [[0, 4], [], []]  # 2, 6 deferred to round 3, then dropped with 1, 3, 5, 7


def test_flexible_round_half_even():
    # mask counts round(10 * (1, .75, .5, .25, 0)) = (10, 8, 5, 2, 0): 7.5 -> 8, 2.5 -> 2
    assert U.flexible_counts(10, 4, "linear") == (2, 3, 3, 2)
    assert sum(U.flexible_counts(37, 9, "exponential")) == 37
    # 3 (1 - r)^3 at r = 0, .2, .4, .6, .8 is 3, 1.536, .648, .192, .024 -> 3, 2, 1, 0, 0
    assert U.flexible_counts(3, 5, "cubic") == (1, 1, 1, 0, 0)


def test_dllm_alpha_counts():
    # p = (.25, 1/3, .5, 1) on the current masked count, rounded half to even: 2.5 -> 2
    assert U.dllm_counts(10, 4, "linear") == (2, 3, 2, 3)
    assert U.dllm_counts(4, 4, "cosine") == (0, 1, 1, 2)
    assert U.dllm_counts(4, 4, "cosine", compact=True) == (1, 1, 2)


def test_dream_and_llada_counts():
    assert U.llada_counts(10, 4) == (3, 3, 2, 2)
    assert U.dream_counts(16, 4) == (3, 4, 4, 5)
    ts = U.torch_linspace32(1.0, 1e-3, 5)
    assert ts[0] == np.float32(1.0) and ts[-1] == np.float32(1e-3)
    assert U.dream_origin_probs(4)[-1] == 1.0


def test_ancestral_eps_and_expected_calls():
    p = U.md4_reveal_probs(128)
    assert p[-1] < 1 and abs(U.md4_leftover(128) - 1e-4) < 2e-6  # eps goes to the final argmax
    assert abs(U.mdlm_reveal_probs(128)[-1] - 0.99872) < 1e-4
    assert abs(U.mdlm_expected_calls(128, 128) - 82.462) < 1e-3
    # every step reveals: calls = T + 1 (noise removal) when n is huge
    assert abs(U.mdlm_expected_calls(10**9, 16) - 17.0) < 1e-9


def test_adaptive_rules():
    assert U.llada_threshold_count([0.5, 0.95, 0.91, 0.2][::1], 0.9) == 3
    assert U.factor_count([0.99, 0.1], 1.0) == 2  # failure at the last rank still reveals all
    assert U.factor_count([0.99, 0.1, 0.1], 1.0) == 1
    assert U.factor_count([0.99, 0.9, 0.7], 1.0) == 3  # 0.9 >= 1 - 1/3, 0.7 < 1 - 1/4 (last)
    assert U.fastdllm_dream_threshold_run(4, 2, lambda i, m: [0.5] * m) == [1, 1, 1, 1]
    h = [0.05, 0.3, 0.02, 0.04]
    # entropy order .02, .04, .05, .3: sum - max = 0, .02, .06, .11 -> the 3 lowest
    assert U.eb_count(h, [-x for x in h], 0.1) == ((2, 3, 0), 3)
    # confidence order .3, .04, .02, .05: sum - max = 0, .04, .06, .11 -> a different set
    assert U.eb_count(h, [0.1, 0.9, 0.2, 0.5], 0.1) == ((1, 3, 2), 3)
