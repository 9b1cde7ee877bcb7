"""The chunked subset-entropy kernel against a plain per-subset reference, for every chunking."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax.curves import (
    SubsetEntropyPlan,
    average_subset_entropy,
    plan_subset_entropies,
    subset_entropies,
)
from tests.reference import random_table as random_law
from tests.x64 import with_x64


def reference_entropies(p: np.ndarray) -> np.ndarray:
    """H(X_S) for every mask by marginalizing each subset separately (plain Python + numpy)."""
    n = p.ndim
    h = np.zeros(2**n)
    for mask in range(2**n):
        axes = tuple(i for i in range(n) if not (mask >> i) & 1)
        m = p.sum(axis=axes) if axes else p
        m = m[m > 0]
        h[mask] = -math.fsum((m * np.log(m)).tolist())
    return h


# A fixed menu of shapes keeps the number of compilations small; the laws themselves are random.
SHAPES = [(1,), (3,), (2, 3), (4, 1, 2), (2, 2, 2, 2), (3, 2, 3, 2), (2,) * 6, (2, 3, 4, 2, 2)]


@st.composite
def laws(draw, shapes=tuple(SHAPES)):
    shape = draw(st.sampled_from(shapes))
    seed = draw(st.integers(0, 2**31 - 1))
    zeros = draw(st.sampled_from([0.0, 0.3]))
    return random_law(np.random.default_rng(seed), shape, zeros)


@settings(max_examples=25)
@given(laws())
def test_auto_plan_matches_reference(p):
    h = np.asarray(subset_entropies(p))
    assert h.dtype == np.float64
    np.testing.assert_allclose(h, reference_entropies(p), rtol=0, atol=1e-12)


@settings(max_examples=25)
@given(laws(shapes=((3,), (2, 3), (4, 1, 2), (3, 2, 3, 2))), st.data())
def test_every_chunking_matches_reference(p, data):
    """Any number of leading axes, any rows per step (padding included), any number of fused
    trailing axes: same numbers."""
    m = data.draw(st.integers(0, p.ndim))
    b = data.draw(st.sampled_from([1, 3]))
    f = data.draw(st.integers(0, p.ndim - m))
    plan = plan_subset_entropies(p.shape, outer_axes=m, rows_per_step=b, fused_axes=f)
    assert plan.padded_rows % b == 0 and plan.padded_rows >= plan.rows
    assert plan.fused_axes == f
    kept = math.prod(p.shape[m : m + f]) * math.prod(q + 1 for q in p.shape[m + f :])
    assert plan.materialized_entries == kept
    h = np.asarray(subset_entropies(p, plan=plan))
    np.testing.assert_allclose(h, reference_entropies(p), rtol=0, atol=1e-12)


def test_accelerator_chunking_runs_exactly_on_the_cpu(rng):
    """The accelerator's plan (fused trailing blocks, many rows per step) on this CPU: the same
    code path as on the device, same numbers as the per-subset reference."""
    backend = "gpu"
    for shape, m in [((2,) * 9, 3), ((3, 3, 2, 3, 3), 1)]:
        assert plan_subset_entropies(shape, backend="tpu") == plan_subset_entropies(
            shape, backend="gpu"
        )
        p = random_law(rng, shape, zeros=0.2)
        auto = plan_subset_entropies(shape, backend=backend)
        plan = plan_subset_entropies(shape, backend=backend, outer_axes=m)
        assert auto.fused_axes == plan.fused_axes >= 3  # fused blocks of up to 256 marginals
        fused = shape[plan.outer_axes : plan.outer_axes + plan.fused_axes]
        assert math.prod(q + 1 for q in fused) <= 256
        for chosen in (auto, plan):
            h = np.asarray(subset_entropies(p, plan=chosen))
            np.testing.assert_allclose(h, reference_entropies(p), rtol=0, atol=1e-12)
    big = plan_subset_entropies((2,) * 24, backend=backend, limit=70 * 10**9)
    assert big.fused_axes == 5 and big.materialized_entries * 3**5 == big.inner_entries * 2**5
    assert plan_subset_entropies((2,) * 20, backend="cpu").fused_axes == 2


def test_pallas_fused_block_runs_exactly_in_the_interpreter(rng):
    """``fused_impl="pallas"``: the kernel a GPU runs through Triton, run by Pallas' interpreter
    here (several rows per step and padded rows, partial column blocks, the GPU's 5-bit block)."""
    for shape, m, f, b in [((2,) * 6, 1, 3, 2), ((3, 2, 3), 0, 2, 1), ((2,) * 9, 2, 5, 2)]:
        p = random_law(rng, shape, zeros=0.3)
        plan = plan_subset_entropies(
            shape, outer_axes=m, rows_per_step=b, fused_axes=f, fused_impl="pallas"
        )
        assert plan.fused_impl == "pallas" and plan.fused_axes == f
        h = np.asarray(subset_entropies(p, plan=plan))
        np.testing.assert_allclose(h, reference_entropies(p), rtol=0, atol=1e-12)
    gpu = plan_subset_entropies((2,) * 9, backend="gpu", fused_impl="pallas")
    assert gpu.fused_axes == 5 and gpu.fused_impl == "pallas"
    with pytest.raises(ValueError, match="^fused_impl"):
        plan_subset_entropies((2, 2), fused_impl="triton")
    with pytest.raises(ValueError, match="^fused_impl"):
        plan_subset_entropies((2, 2), backend="tpu", fused_impl="pallas")


def test_closed_forms_bits():
    # Repetition of n=4 bits: H(X_S) = 1 bit for every non-empty S.
    p = np.zeros((2,) * 4)
    p[(0,) * 4] = p[(1,) * 4] = 0.5
    h = np.asarray(subset_entropies(p)) / np.log(2)
    np.testing.assert_allclose(h, [0.0] + [1.0] * 15, atol=1e-14)
    assert h[0] == 0.0 and not np.signbit(h[0])
    # Parity of 4 bits: H(X_S) = |S| for |S| < 4, and 3 for S = everything.
    q = np.zeros((2,) * 4)
    for x in itertools.product((0, 1), repeat=4):
        if sum(x) % 2 == 0:
            q[x] = 1 / 8
    h = np.asarray(subset_entropies(q)) / np.log(2)
    sizes = [bin(m).count("1") for m in range(16)]
    np.testing.assert_allclose(h, [min(s, 3) for s in sizes], atol=1e-13)


def test_distribution_input_and_information_curve(rng):
    d = mdm.Distribution.from_probs(random_law(rng, (2, 3, 2, 2)))
    h = np.asarray(subset_entropies(d))
    np.testing.assert_allclose(h, reference_entropies(np.asarray(d.probs)), atol=1e-12)
    hbar = np.asarray(average_subset_entropy(h, 4))
    for j in range(5):
        masks = [m for m in range(16) if bin(m).count("1") == j]
        assert hbar[j] == pytest.approx(np.mean(h[masks]), abs=1e-13)


def test_float32_mode_error_is_small(rng):
    p = random_law(rng, (2,) * 8)
    h64 = np.asarray(subset_entropies(p))
    h32 = subset_entropies(p, dtype=jnp.float32)
    assert h32.dtype == jnp.float32
    err = np.max(np.abs(np.asarray(h32, dtype=np.float64) - h64))
    assert 0 < err < 1e-5  # float32 really was used, and it is close


def test_memory_guard_chunks_automatically(rng, monkeypatch):
    shape = (2,) * 10
    p = random_law(rng, shape)
    unchunked = plan_subset_entropies(shape, outer_axes=0, rows_per_step=1)
    smallest = min(
        plan_subset_entropies(shape, outer_axes=m, rows_per_step=1).bytes for m in range(11)
    )
    assert smallest < unchunked.bytes
    limit = (smallest + unchunked.bytes) // 2
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", str(limit))
    plan = plan_subset_entropies(shape)
    assert plan.outer_axes > 0 and plan.bytes <= limit
    np.testing.assert_allclose(
        np.asarray(subset_entropies(p)), reference_entropies(p), rtol=0, atol=1e-12
    )


def test_memory_guard_refuses_with_estimate_and_limit(monkeypatch):
    monkeypatch.setenv("MDMJAX_MEMORY_LIMIT", "1000")
    with pytest.raises(ValueError, match=r"probs: .*needs at least an estimated .* bytes.*limit"):
        subset_entropies(np.full((2,) * 6, 1 / 64))
    monkeypatch.delenv("MDMJAX_MEMORY_LIMIT")
    with pytest.raises(ValueError, match="1000 bytes"):
        plan_subset_entropies((2,) * 6, limit=1000)


def test_plan_for_large_n_fits_the_issue_budget():
    """n = 20 binary: the estimate stays well below 8 GB; n = 24 on an accelerator fits 80 GB."""
    plan = plan_subset_entropies((2,) * 20, backend="cpu", limit=8 * 10**9)
    assert 0 < plan.outer_axes < 20 and plan.bytes < 4 * 10**9
    assert plan.entries == 3**20
    gpu = plan_subset_entropies((2,) * 24, backend="gpu", limit=70 * 10**9)
    assert gpu.bytes < 30 * 10**9 and gpu.materialized_entries <= 2**27


def test_bad_arguments():
    p = np.full((2, 2), 0.25)
    with pytest.raises(ValueError, match="dtype"):
        subset_entropies(p, dtype=np.int32)
    with pytest.raises(ValueError, match="plan"):
        subset_entropies(p, plan=plan_subset_entropies((2, 2, 2)))
    with pytest.raises(ValueError, match="plan"):
        subset_entropies(p, plan=plan_subset_entropies((2, 2), dtype=jnp.float32))
    with pytest.raises(ValueError, match="outer_axes"):
        plan_subset_entropies((2, 2), outer_axes=3)
    with pytest.raises(ValueError, match="fused_axes"):
        plan_subset_entropies((2, 2), fused_axes=3)
    with pytest.raises(ValueError, match="fused_axes: at most"):
        plan_subset_entropies((2, 2, 2), outer_axes=2, fused_axes=2)
    for kwargs, name in [
        ({"fused_axes": 1.5}, "fused_axes"),
        ({"fused_axes": -1}, "fused_axes"),
        ({"fused_axes": True}, "fused_axes"),
        ({"outer_axes": "1"}, "outer_axes"),
        ({"rows_per_step": 0}, "rows_per_step"),
    ]:
        with pytest.raises(ValueError, match=f"^{name}"):
            plan_subset_entropies((2, 2), **kwargs)
    for shape in [(2, 0), (2, -1), "22", 3, (2.5,)]:
        with pytest.raises(ValueError, match="^shape"):
            plan_subset_entropies(shape)
    with pytest.raises(ValueError, match="probs"):
        subset_entropies(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="mesh"):
        subset_entropies(p, mesh="all")
    assert isinstance(plan_subset_entropies((2, 2)), SubsetEntropyPlan)


@with_x64
def test_jit_and_vmap_information_curve_over_a_family(rng):
    """jax.vmap(mdm.information_curve) over a batch of laws equals the per-law curves."""
    batch = np.stack([random_law(rng, (2,) * 6) for _ in range(16)])
    d = mdm.Distribution(jnp.asarray(batch))
    curves = jax.vmap(mdm.information_curve)(d)
    assert curves.z.shape == (16, 6) and curves.hbar.shape == (16, 7)
    for b in range(16):
        h = reference_entropies(batch[b])
        hbar = [np.mean(h[[m for m in range(64) if bin(m).count("1") == j]]) for j in range(7)]
        z = [hbar[1] + hbar[j - 1] - hbar[j] for j in range(1, 7)]
        np.testing.assert_allclose(np.asarray(curves.hbar[b]), hbar, atol=1e-12)
        np.testing.assert_allclose(np.asarray(curves.z[b]), z, atol=1e-12)
    jitted = jax.jit(lambda probs: subset_entropies(probs))(jnp.asarray(batch[0]))
    np.testing.assert_allclose(np.asarray(jitted), reference_entropies(batch[0]), atol=1e-12)
