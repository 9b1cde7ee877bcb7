"""Hostile inputs found by an audit of the public API: each is now a one-line ValueError that
names the argument, where it used to return a number, hang, or raise something else."""

from __future__ import annotations

import numpy as np
import pytest

import mdmjax as mdm

D = mdm.Distribution.from_probs(np.full((2, 2, 2, 2), 1 / 16))
Z = np.log(np.arange(1, 9)) / np.log(8)

CASES = {
    # partition_kl truncated 0.5 to position 0 and took a string as blocks (KL -5.9e-16)
    "blocks-float": (lambda: mdm.partition_kl(D, [[0.5, 1], [2, 3]]), "blocks"),
    "blocks-bool": (lambda: mdm.partition_kl(D, [[True, False], [2, 3]]), "blocks"),
    "blocks-string": (lambda: mdm.partition_kl(D, "0123"), "blocks"),
    "max_partitions-nan": (
        lambda: mdm.exact_kl(D, (2, 2), max_partitions=float("nan")),
        "max_partitions",
    ),
    "max_partitions-none": (lambda: mdm.exact_kl(D, (2, 2), max_partitions=None), "max_partitions"),
    "kind-array": (lambda: mdm.exact_kl(D, (2, 2), kind=np.array(["a", "b"])), "kind"),
    # from_z dropped an imaginary part, took strings, and overflowed to inf/NaN totals
    "z-complex": (lambda: mdm.InformationCurve.from_z(np.array([0, 0.1 + 1j])), "z"),
    "z-strings": (lambda: mdm.InformationCurve.from_z("abc"), "z"),
    "z-overflow": (lambda: mdm.InformationCurve.from_z([0.0, 1e308, 1e308]), "z"),
    "h1-overflow": (lambda: mdm.InformationCurve.from_z(Z, h1=1e308), "h1"),
    "h1-string": (lambda: mdm.InformationCurve.from_z(Z, h1="0.1"), "h1"),
    "h1-array": (lambda: mdm.InformationCurve.from_z(Z, h1=np.array([0.1, 0.2])), "h1"),
    "stderr-strings": (lambda: mdm.InformationCurve.from_z(Z, stderr="x"), "stderr"),
    # numbers given as bools or strings were accepted
    "eps-bool": (lambda: mdm.min_steps(mdm.InformationCurve.from_z(Z), True), "eps"),
    "eps-string": (lambda: mdm.schedules.dream(8, 3, eps="0.1"), "eps"),
    "coupling-string": (lambda: mdm.curves.ising_chain(5, coupling="0.1"), "coupling"),
    "coupling-huge-int": (lambda: mdm.curves.ising_chain(5, coupling=10**400), "coupling"),
    # families built a shape tuple of length n before the memory guard (n = 10**9 hung)
    "n-huge": (lambda: mdm.families.by_name("repetition", 10**9), "n"),
    "n-2**63": (lambda: mdm.families.by_name("markov", 2**63), "n"),
    "q-huge": (lambda: mdm.families.by_name("repetition", 4, 10**9), "q"),
    # large-n curves were killed for memory midway (or aborted inside XLA) instead of refused
    "curve-n-huge": (lambda: mdm.curves.family_curve("repetition", 10**9), "n"),
    "curve-q-huge": (lambda: mdm.curves.family_curve("product", 4, 10**9), "q"),
    "curve-markov-q-huge": (lambda: mdm.curves.family_curve("markov", 4, 10**9), "q"),
    # practice schedules accept steps > n, and allocated O(steps) (steps = 10**9: 8 GiB or a hang)
    "steps-constant": (lambda: mdm.schedules.constant(4, 10**9), "steps"),
    "steps-2**63": (lambda: mdm.schedules.constant(4, 2**63), "steps"),
    "steps-alpha_rounded": (lambda: mdm.schedules.alpha_rounded(4, 10**9), "steps"),
    "steps-ancestral": (lambda: mdm.schedules.ancestral(4, 10**9), "steps"),
    "n-maskgit-int32": (lambda: mdm.schedules.maskgit(2**31, 2), "n"),
    # keys: an int past 64 bits overflowed, a float array failed inside jax.random
    "key-huge-seed": (lambda: mdm.families.by_name("markov", 4, key=2**70), "key"),
    "key-float-array": (lambda: mdm.families.by_name("product", 4, key=np.zeros(3)), "key"),
    # other arguments
    "steps_range-fraction": (lambda: mdm.policy_frontier(D, ["confidence"], [1.5]), "steps_range"),
    "breakpoints-string": (lambda: mdm.schedules.from_breakpoints(8, "x"), "breakpoints"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_is_a_named_one_line_value_error(case):
    call, argument = CASES[case]
    with pytest.raises(ValueError, match=rf"^{argument}: ") as err:
        call()
    assert "\n" not in str(err.value)


def test_partition_kl_of_one_position_per_block_is_exactly_zero():
    """Revealing one position at a time is exact: the KL is 0, not a rounding-level negative."""
    p = np.random.default_rng(3).dirichlet(np.ones(16)).reshape(2, 2, 2, 2)
    d = mdm.Distribution.from_probs(p)
    assert mdm.partition_kl(d, [[0], [1], [2], [3]]) == 0.0
    assert mdm.partition_kl(d, [[3], [1], [0], [2]]) >= 0.0


def test_theorem4_computes_a_concrete_float32_curve_in_float64():
    """x64 off (as in a user's process): a float32 z is computed on in float64, as documented."""
    import jax.numpy as jnp

    z32 = jnp.asarray(Z, dtype=jnp.float32)
    kl = mdm.kl.theorem4(z32, jnp.asarray([4, 4]))
    assert kl.dtype == np.float64
    want = sum(float(z) - float(z32[0]) for z in z32[:4]) + sum(
        float(z) - float(z32[4]) for z in z32[4:]
    )
    assert abs(float(kl) - want) < 1e-12


@pytest.mark.parametrize(
    "argv,flag",
    [
        (["report", "--family", "ising", "--n", str(10**9)], "--n"),
        (["report", "--family", "ising", "--n", str(2**63)], "--n"),
        (["report", "--family", "product", "--n", "4", "--q", str(10**9)], "--q"),
        (["report", "--family", "markov", "--n", "10", "--seed", str(10**23)], "--seed"),
    ],
)
def test_cli_refuses_huge_laws_naming_the_flag(capsys, argv, flag):
    from tests.cli._util import run_error

    assert run_error(capsys, argv).startswith(f"mdmjax report: error: {flag}: ")


@pytest.mark.parametrize("fn,argument", [("tc_schedule", "tc_hat"), ("dtc_schedule", "dtc_hat")])
def test_theorem9_schedules_name_their_own_estimate(fn, argument):
    with pytest.raises(ValueError, match=rf"^{argument}: "):
        getattr(mdm.schedules, fn)(20, -1.0, 0.5)
    with pytest.raises(ValueError, match=r"^n: "):
        getattr(mdm.schedules, fn)(2**63, 1.0, 0.5)


def test_corollary34_past_the_float_range():
    """``dtc / delta^2`` past the float range used to raise OverflowError (``delta**2``)."""
    assert mdm.schedules.corollary34(8, 1e308, 0.1) == (1,) * 8  # k = n: every step of size 1
    assert mdm.schedules.corollary34(8, 1.0, 1e308) == (8,)  # k = 1: one block
    assert mdm.bounds.corollary34_bound(8, 1e308, 0.1) == 0.0
    with pytest.raises(ValueError, match=r"^delta: "):
        mdm.bounds.corollary34_bound(8, 1.0, 1e308)
