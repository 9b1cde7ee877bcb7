"""Subset entropies and the information curve against direct marginals (docs/theory.md §2.2)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax.curves import subset_entropies
from tests import reference as ref
from tests.reference import random_table as random_law
from tests.x64 import with_x64

shapes = st.lists(st.integers(1, 3), min_size=1, max_size=5).map(tuple)


@given(shape=shapes, seed=st.integers(0, 2**32 - 1), sparse=st.booleans())
def test_subset_entropies_match_direct_marginals(shape, seed, sparse):
    rng = np.random.default_rng(seed)
    p = random_law(rng, shape, 0.4 if sparse else 0.0)
    h = np.asarray(subset_entropies(p))
    n = len(shape)
    assert h.dtype == np.float64 and h.shape == (2**n,)
    for mask in range(2**n):
        subset = [i for i in range(n) if mask >> i & 1]
        assert h[mask] == pytest.approx(ref.subset_entropy(p, subset), abs=1e-12)


@given(shape=shapes, seed=st.integers(0, 2**32 - 1))
def test_information_curve_matches_reference(shape, seed):
    p = random_law(np.random.default_rng(seed), shape)
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    n = len(shape)
    assert c.hbar.shape == (n + 1,) and c.z.shape == (n,)
    assert c.hbar.dtype == jnp.float64 and c.z.dtype == jnp.float64
    np.testing.assert_allclose(c.hbar, ref.hbar(p), atol=1e-12)
    np.testing.assert_allclose(c.z, ref.z_curve(p), atol=1e-12)
    assert float(c.z[0]) == 0.0
    assert np.all(np.diff(np.asarray(c.z)) >= -1e-12)  # Han's inequality
    # g, f conventions
    np.testing.assert_allclose(c.g, np.diff(ref.hbar(p)), atol=1e-12)
    np.testing.assert_allclose(c.f, np.diff(ref.z_curve(p)), atol=1e-12)
    assert c.f.shape == (n - 1,)
    # TC and DTC against direct entropy sums, not the curve
    h_joint = ref.entropy(p)
    tc = sum(ref.subset_entropy(p, [i]) for i in range(n)) - h_joint
    others = [[a for a in range(n) if a != i] for i in range(n)]
    dtc = h_joint - sum(h_joint - ref.subset_entropy(p, o) for o in others)
    assert c.tc == pytest.approx(tc, abs=1e-11)
    assert c.dtc == pytest.approx(dtc, abs=1e-11)
    assert c.tc + c.dtc == pytest.approx(c.mutual_information_sum, abs=1e-11)
    assert isinstance(c.tc, float) and isinstance(c.dtc, float)


def test_repetition_curve_closed_form():
    n, q = 4, 3
    p = np.zeros((q,) * n)
    for v in range(q):
        p[(v,) * n] = 1 / q
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    np.testing.assert_allclose(np.asarray(c.z) / np.log(q), [0, 1, 1, 1], atol=1e-12)
    assert c.tc == pytest.approx((n - 1) * np.log(q))
    assert c.dtc == pytest.approx(np.log(q))


@with_x64
def test_curve_is_a_pytree_through_jit_and_vmap(rng):
    ps = np.stack([random_law(rng, (2, 3, 2)) for _ in range(5)])
    batch = mdm.Distribution(jnp.asarray(ps))
    curves = jax.vmap(mdm.information_curve)(batch)
    assert curves.z.shape == (5, 3)
    for b in range(5):
        np.testing.assert_allclose(curves.z[b], ref.z_curve(ps[b]), atol=1e-12)
    np.testing.assert_allclose(curves.tc, [ref.z_curve(x).sum() for x in ps], atol=1e-12)
    jitted = jax.jit(lambda d: mdm.information_curve(d).z)(mdm.Distribution.from_probs(ps[0]))
    np.testing.assert_allclose(jitted, ref.z_curve(ps[0]), atol=1e-12)


def test_from_z_validates_and_rebuilds_hbar(rng):
    p = random_law(rng, (2, 2, 3, 2))
    c = mdm.information_curve(mdm.Distribution.from_probs(p))
    c2 = mdm.InformationCurve.from_z(np.asarray(c.z), h1=float(c.hbar[1]))
    np.testing.assert_allclose(c2.hbar, c.hbar, atol=1e-12)
    assert c2.tc == pytest.approx(c.tc, abs=1e-12)
    assert c2.dtc == pytest.approx(c.dtc, abs=1e-12)
    assert mdm.InformationCurve.from_z([0.0, 1.0]).hbar is None
    with pytest.raises(ValueError, match="z: Z_1"):
        mdm.InformationCurve.from_z([0.1, 0.2])
    with pytest.raises(ValueError, match="non-decreasing"):
        mdm.InformationCurve.from_z([0.0, 0.5, 0.4])
    with pytest.raises(ValueError, match="z:"):
        mdm.InformationCurve.from_z([0.0, np.nan])
    with pytest.raises(ValueError, match="z:"):
        mdm.InformationCurve.from_z([])
    with pytest.raises(ValueError, match="z:"):
        mdm.InformationCurve.from_z([[0.0, 1.0]])
    # within tolerance is accepted
    mdm.InformationCurve.from_z([1e-13, 0.5, 0.5 - 1e-13])
