"""Hostile probability tables at every public entry that takes one.

Every entry refuses them with a ``ValueError`` whose message starts with the argument's name, and
a table normalized in float32 (or float16) is accepted and renormalized in float64.
"""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from mdmjax._src.tolerances import MASS_TOLERANCE, MASS_TOLERANCE_CAP, mass_tolerance
from tests import reference as ref
from tests.x64 import with_x64

UNIFORM = np.full((2, 2), 0.25)


def _reference_entropies(p: np.ndarray) -> np.ndarray:
    """``H(X_S)`` for every mask (bit ``i`` set iff ``i in S``), by direct marginalization."""
    n = p.ndim
    subsets = [[i for i in range(n) if mask >> i & 1] for mask in range(2**n)]
    return np.array([ref.subset_entropy(p, s) if s else 0.0 for s in subsets])


def _random_law(rng, shape) -> np.ndarray:
    return rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)


# (label, value, what the message says after the argument name)
HOSTILE = [
    ("string", "0.5 0.5", r"expected a numeric probability table, got str"),
    ("bytes", b"\x00\x01", r"expected a numeric probability table, got bytes"),
    ("ragged list", [[0.5, 0.25], [0.25]], r"expected a rectangular numeric array"),
    ("object array", np.array([0.5, None], dtype=object), r"expected a rectangular numeric"),
    ("None", None, r"expected a rectangular numeric array, got objects"),
    ("dict", {"a": 1.0}, r"expected a rectangular numeric array, got objects"),
    ("bool", np.array([[True, False], [False, False]]), r"got dtype bool"),
    ("complex", np.array([0.5 + 0j, 0.5]), r"complex tables are not probabilities"),
    ("complex64", np.array([0.5, 0.5 + 1e-3j], np.complex64), r"complex tables are not"),
    ("datetime", np.array(["2026-01-01"], dtype="datetime64[D]"), r"got dtype datetime64"),
    ("str array", np.array(["0.5", "0.5"]), r"got dtype <U3"),
    ("0-d array", np.array(1.0), r"a law needs at least 1 position"),
    ("python float", 1.0, r"a law needs at least 1 position"),
    ("empty", np.zeros((0,)), r"every axis needs at least one value"),
    ("empty axis", np.zeros((2, 0)), r"every axis needs at least one value"),
    ("empty list", [], r"every axis needs at least one value"),
    ("negative", np.array([1.5, -0.5]), r"1 entries are negative"),
    ("nan", np.array([[0.5, np.nan], [0.25, 0.25]]), r"1 entries are NaN or infinite"),
    ("inf", np.array([np.inf, 0.0]), r"1 entries are NaN or infinite"),
    ("-inf", np.array([0.5, 0.5, -np.inf]), r"1 entries are NaN or infinite"),
    ("ones", np.ones((2, 2)), r"total mass is 4.0, not 1"),
    ("float64 off by 2e-9", np.array([0.5, 0.5 + 2e-9]), r"total mass is 1.000000002"),
    ("float32 off by 1e-3", np.array([0.5, 0.501], np.float32), r"total mass is 1.00099"),
    ("float16 off by 5%", np.array([0.5, 0.55], np.float16), r"total mass is 1.04"),
    ("int counts", np.array([3, 1]), r"total mass is 4.0, not 1"),
    ("overflowing mass", np.array([1e308, 1e308]), r"total mass is inf"),
]
MASS_ONLY = {"ones", "float64 off by 2e-9", "float32 off by 1e-3", "float16 off by 5%"}
MASS_ONLY |= {"int counts", "overflowing mass"}


def _from_probs(x):
    return mdm.Distribution.from_probs(x)


def _curve(x):
    return mdm.information_curve(x)


def _entropies(x):
    return mdm.subset_entropies(x)


def _bare(x):
    return mdm.Distribution(x)


ENTRIES = [(_from_probs, "p"), (_curve, "d"), (_entropies, "probs")]


def _raises_naming(fn, value, argument, message):
    with pytest.raises(ValueError) as err:
        fn(value)
    text = str(err.value)
    assert text.startswith(f"{argument}: "), text
    assert re.search(message, text), text
    return text


@pytest.mark.parametrize("label, value, message", HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize(
    "fn, argument", ENTRIES, ids=["from_probs", "information_curve", "subset_entropies"]
)
def test_every_table_entry_refuses_hostile_input(fn, argument, label, value, message):
    _raises_naming(fn, value, argument, message)


@pytest.mark.parametrize("label, value, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_bare_constructor_refuses_what_no_table_or_batch_can_be(label, value, message):
    """``Distribution(probs)`` takes batches, so only the total mass goes unchecked."""
    if label in MASS_ONLY:
        assert mdm.Distribution(value).shape == np.shape(value)
        return
    if label == "negative":
        message = r"1 entries are negative"
    _raises_naming(_bare, value, "probs", message)


@pytest.mark.parametrize("label, value, message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_kl_entries_refuse_raw_tables_naming_the_argument(label, value, message):
    """``expected_kl`` and ``exact_kl`` take no raw table: any array is refused by name."""
    _raises_naming(lambda v: mdm.expected_kl(v, (1, 1)), value, "curve_or_dist", "expected an")
    _raises_naming(lambda v: mdm.exact_kl(v, (1, 1)), value, "d", "expected a Distribution")


def test_kl_entries_refuse_even_a_valid_raw_table():
    _raises_naming(lambda v: mdm.expected_kl(v, (1, 1)), UNIFORM, "curve_or_dist", "expected an")
    _raises_naming(lambda v: mdm.exact_kl(v, (1, 1)), UNIFORM, "d", "expected a Distribution")
    d = mdm.Distribution.from_probs(UNIFORM)
    assert mdm.expected_kl(d, (1, 1)) == 0.0 and abs(mdm.exact_kl(d, (2,))) < 1e-15


def test_from_logits_refuses_non_real_logits():
    _raises_naming(mdm.Distribution.from_logits, np.array([0.0 + 1j, 0.0]), "logits", "complex")
    _raises_naming(mdm.Distribution.from_logits, "abc", "logits", "got str")
    _raises_naming(mdm.Distribution.from_logits, [[0.0], [0.0, 1.0]], "logits", "rectangular")
    _raises_naming(mdm.Distribution.from_logits, np.array([True]), "logits", "dtype bool")


@pytest.mark.parametrize(
    "fn, argument", ENTRIES, ids=["from_probs", "information_curve", "subset_entropies"]
)
def test_device_arrays_are_checked_on_their_device(fn, argument):
    _raises_naming(fn, jnp.ones((2, 2)), argument, r"total mass is 4.0")
    _raises_naming(fn, jnp.array([0.5, jnp.nan, 0.5]), argument, r"1 entries are NaN")
    _raises_naming(fn, jnp.array([1.5, -0.5]), argument, r"1 entries are negative")
    _raises_naming(fn, jnp.array([True, False]), argument, r"dtype bool")
    _raises_naming(fn, jnp.array([0.5 + 0j, 0.5]), argument, r"complex")
    _raises_naming(fn, jnp.zeros((3, 0)), argument, r"every axis")


@with_x64
def test_traced_tables_are_checked_for_dtype_and_shape():
    z = jax.jit(lambda p: mdm.information_curve(p).z)(jnp.asarray(UNIFORM))
    np.testing.assert_allclose(z, [0.0, 0.0], atol=1e-15)
    with pytest.raises(ValueError, match=r"^d: complex tables"):
        jax.jit(lambda p: mdm.information_curve(p).z)(jnp.asarray(UNIFORM, jnp.complex128))
    with pytest.raises(ValueError, match=r"^probs: expected real numbers .* dtype bool"):
        jax.jit(mdm.subset_entropies)(jnp.ones((2, 2), bool))
    with pytest.raises(ValueError, match=r"^p: a law needs at least 1 position"):
        jax.jit(lambda p: mdm.Distribution.from_probs(p).probs)(jnp.float64(1.0))


def test_raw_table_gives_the_curve_of_its_distribution(rng):
    p = _random_law(rng, (2, 3, 2))
    a = mdm.information_curve(p)
    b = mdm.information_curve(mdm.Distribution.from_probs(p))
    np.testing.assert_array_equal(np.asarray(a.z), np.asarray(b.z))
    np.testing.assert_allclose(a.z, ref.z_curve(p), atol=1e-12)
    h = np.asarray(mdm.subset_entropies(p.tolist()))  # a nested list is a table too
    np.testing.assert_allclose(h, _reference_entropies(p), atol=1e-12)


def test_integer_and_list_tables_are_accepted():
    d = mdm.Distribution.from_probs(np.array([[0, 1], [0, 0]], dtype=np.uint8))
    assert d.probs.dtype == jnp.float64 and float(d.probs[0, 1]) == 1.0
    assert mdm.information_curve([[0.25, 0.25], [0.25, 0.25]]).tc == pytest.approx(0, abs=1e-15)


def test_mass_tolerance_scales_with_the_dtype():
    assert mass_tolerance(np.float64, 10**8) == MASS_TOLERANCE == 1e-9
    assert mass_tolerance(np.int32) == MASS_TOLERANCE
    assert mass_tolerance(np.float32, 4) == pytest.approx(64 * 2 * 2.0**-23)
    assert mass_tolerance(np.float32, 2**40) == MASS_TOLERANCE_CAP
    assert mass_tolerance(np.float16, 4) == MASS_TOLERANCE_CAP
    assert mass_tolerance(jnp.bfloat16, 4) == MASS_TOLERANCE_CAP
    # A float64 table off by 2e-9 is refused, the same values in float32 are accepted.
    off = np.array([0.5, 0.5 + 2e-9])
    _raises_naming(_from_probs, off, "p", "tolerance 1e-09 for float64 input")
    assert mdm.Distribution.from_probs(off.astype(np.float32)).n == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float16, jnp.bfloat16])
@pytest.mark.parametrize("where", ["numpy", "jax"])
def test_table_normalized_in_low_precision_is_renormalized_in_float64(dtype, where):
    x = np.random.default_rng(7).random((2, 3, 4)) + 0.1
    if where == "numpy":
        p = x.astype(dtype)
        p = p / p.sum(dtype=np.float32).astype(dtype)
    else:
        p = jnp.asarray(x, dtype)
        p = p / jnp.sum(p)
    stored = mdm.Distribution.from_probs(p).probs
    assert stored.dtype == np.float64 and abs(float(np.sum(stored)) - 1.0) < 1e-15
    exact = np.asarray(p, np.float64) / np.asarray(p, np.float64).sum()
    np.testing.assert_allclose(np.asarray(stored), exact, rtol=1e-15, atol=0)  # device sums
    np.testing.assert_allclose(mdm.information_curve(p).z, ref.z_curve(exact), atol=1e-12)
    np.testing.assert_allclose(mdm.subset_entropies(p), _reference_entropies(exact), atol=1e-12)


SHAPES = [(2, 2), (3, 2), (2, 2, 2), (2, 3, 2), (3, 3), (2, 2, 2, 2)]


@st.composite
def positive_tables(draw):
    shape = draw(st.sampled_from(SHAPES))
    size = int(np.prod(shape))
    values = draw(st.lists(st.floats(1e-3, 1e3), min_size=size, max_size=size))
    return np.asarray(values).reshape(shape)


@settings(max_examples=30, deadline=None)
@given(positive_tables())
def test_any_table_normalized_in_float32_is_accepted_with_the_float64_curve(x):
    p32 = x.astype(np.float32)
    p32 = p32 / p32.sum()  # normalized in float32: its float64 mass is 1 only to ~1e-7
    p64 = x / x.sum()
    c32 = mdm.information_curve(p32)
    c64 = mdm.information_curve(mdm.Distribution.from_probs(p64))
    np.testing.assert_allclose(np.asarray(c32.z), np.asarray(c64.z), atol=1e-6)
    np.testing.assert_allclose(np.asarray(c32.hbar), np.asarray(c64.hbar), atol=1e-6)
    h32 = np.asarray(mdm.subset_entropies(p32))
    np.testing.assert_allclose(h32, np.asarray(mdm.subset_entropies(p64)), atol=1e-6)
    assert abs(float(np.sum(mdm.Distribution.from_probs(p32).probs)) - 1.0) < 1e-15
