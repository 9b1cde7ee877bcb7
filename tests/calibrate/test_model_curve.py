"""mdm.model_curve and the model-curve paths of expected_kl / optimal_schedule / min_steps.

Oracles: brute-force enumeration over orders and strings (numpy loops, tests/reference.py),
the exact curve of the law (information_curve, markov_chain), and brute force over compositions.
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mdmjax as mdm
from tests import reference as ref


def _law(seed: int, n: int, q: int, alpha: float = 0.7) -> mdm.Distribution:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(q**n, alpha)).reshape((q,) * n)
    return mdm.Distribution.from_probs(np.maximum(p, 1e-9) / np.maximum(p, 1e-9).sum())


def _support(d):
    p = np.asarray(d.probs)
    rows = np.stack(np.unravel_index(np.arange(p.size), p.shape), -1)
    return rows, p.ravel()


# Models are pytrees: one compilation per model type and shape, shared by every parameter value.
_conditionals = jax.jit(lambda model, y: model.conditionals(y))


def _model_table(model, d) -> dict:
    """``logc[(S, x, i)] = log p̂(x_i | x_S)`` by calling the model on one y at a time (numpy)."""
    n, q = d.n, d.shape[0]
    out = {}
    ys, keys = [], []
    for r in range(n):
        for s in itertools.combinations(range(n), r):
            for x in itertools.product(range(q), repeat=n):
                ys.append([x[j] if j in s else q for j in range(n)])
                keys.append((s, x))
    with jax.enable_x64(True):  # the documented scope for tracing a model ourselves
        cond = np.asarray(_conditionals(model, jnp.asarray(np.asarray(ys))))
    for (s, x), c in zip(keys, cond, strict=True):
        for i in range(n):
            if i not in s:
                out[(s, x, i)] = math.log(c[i, x[i]])
    return out


def _brute_expected_kl(d, logc, sizes) -> float:
    """E_B KL(p || nu_B) over all n! orders cut into blocks of ``sizes`` (no identity used)."""
    p = np.asarray(d.probs)
    n, q = d.n, d.shape[0]
    total = 0.0
    for order in itertools.permutations(range(n)):
        for x in itertools.product(range(q), repeat=n):
            log_nu, start = 0.0, 0
            for s in sizes:
                revealed = tuple(sorted(order[:start]))
                log_nu += sum(logc[(revealed, x, i)] for i in order[start : start + s])
                start += s
            total += p[x] * (math.log(p[x]) - log_nu)
    return total / math.factorial(n)


def _brute_mixture_kl(d, logc, sizes) -> float:
    p = np.asarray(d.probs)
    n, q = d.n, d.shape[0]
    parts = ref.all_ordered_partitions(sizes)
    kl = 0.0
    for x in itertools.product(range(q), repeat=n):
        nu = 0.0
        for blocks in parts:
            val, revealed = 1.0, ()
            for block in blocks:
                for i in block:
                    val *= math.exp(logc[(tuple(sorted(revealed)), x, i)])
                revealed = revealed + tuple(block)
            nu += val
        kl += p[x] * (math.log(p[x]) - math.log(nu / len(parts)))
    return kl


# ------------------------------------------------------------------------------------------------
# Exactness
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed,n,q", [(0, 3, 3), (1, 4, 2), (2, 4, 3)])
def test_exact_conditionals_give_g(seed, n, q):
    d = _law(seed, n, q)
    rows, w = _support(d)
    mc = mdm.model_curve(mdm.models.from_distribution(d), rows, weights=w, masks="all")
    c = mdm.information_curve(d)
    np.testing.assert_allclose(mc.cross_entropy, np.asarray(c.g), atol=1e-10, rtol=0)
    np.testing.assert_allclose(mc.predictive_entropy, np.asarray(c.g), atol=1e-10, rtol=0)
    np.testing.assert_allclose(mc.calibration_gap, 0.0, atol=1e-10)
    np.testing.assert_allclose(mc.raw_z, np.asarray(c.z), atol=1e-10)
    assert abs(mc.nll_bound - d.entropy()) < 1e-10
    for sizes in ref.all_compositions(n):
        want = mdm.expected_kl(c, sizes)
        assert abs(mdm.expected_kl(mc, sizes) - want) < 1e-10
        got = mdm.expected_kl(mc, sizes, entropy_of_data=d.entropy())
        assert abs(got - want) < 1e-10


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 3),
    q=st.integers(2, 3),
    kind=st.sampled_from(["tempered", "noisy"]),
    param=st.floats(0.3, 2.5),
)
def test_identity_against_enumeration(seed, n, q, kind, param):
    d = _law(seed, n, q)
    model = (
        mdm.models.tempered(d, param) if kind == "tempered" else mdm.models.noisy(d, param, seed)
    )
    rows, w = _support(d)
    mc = mdm.model_curve(model, rows, weights=w, masks="all")
    logc = _model_table(model, d)
    h = d.entropy()
    for sizes in ref.all_compositions(n):
        want = _brute_expected_kl(d, logc, sizes)
        assert abs(mc.expected_kl(sizes, entropy_of_data=h) - want) < 1e-10
        assert abs(mdm.kl.model_expected_kl(d, model, sizes) - want) < 1e-10
        # excess over one token per step = absolute - absolute(1, .., 1)
        ones = (1,) * n
        excess = want - _brute_expected_kl(d, logc, ones)
        assert abs(mdm.expected_kl(mc, sizes) - excess) < 1e-10


@pytest.mark.parametrize("kind", ["exact", "tempered", "noisy"])
def test_model_mixture_kl_against_enumeration(kind):
    d = _law(3, 3, 3)
    model = {
        "exact": mdm.models.from_distribution(d),
        "tempered": mdm.models.tempered(d, 0.6),
        "noisy": mdm.models.noisy(d, 0.8, 1),
    }[kind]
    logc = _model_table(model, d)
    batch = np.array([[1, 2, 0], [3, 0, 0], [1, 1, 1], [2, 1, 0]])
    got = mdm.kl.model_mixture_kl(d, model, batch)
    for sizes, g in zip(batch, got, strict=True):
        sz = tuple(int(s) for s in sizes if s)
        assert abs(g - _brute_mixture_kl(d, logc, sz)) < 1e-10
        if kind == "exact":
            assert abs(g - mdm.mixture_kl(d, sz)) < 1e-10
        # mixture <= expected (Jensen)
        assert g <= mdm.kl.model_expected_kl(d, model, sz) + 1e-12


# ------------------------------------------------------------------------------------------------
# Sampled data
# ------------------------------------------------------------------------------------------------
def _exact_ce(d, model):
    rows, w = _support(d)
    return mdm.model_curve(model, rows, weights=w, masks="all")


def test_sampled_estimates_within_four_stderr():
    d = _law(5, 4, 3)
    model = mdm.models.tempered(d, 0.7)
    exact = _exact_ce(d, model)
    x = np.asarray(d.sample(jax.random.key(1), 3000))
    mc = mdm.model_curve(model, x, key=2)
    for est, se, want in (
        (mc.cross_entropy, mc.cross_entropy_stderr, exact.cross_entropy),
        (mc.predictive_entropy, mc.predictive_entropy_stderr, exact.predictive_entropy),
        (mc.raw_z[1:], mc.raw_z_stderr[1:], exact.raw_z[1:]),
    ):
        assert np.all(se > 0)
        assert np.all(np.abs(est - want) <= 4 * se + 1e-12), (est, want, se)
    assert abs(mc.nll_bound - exact.nll_bound) <= 4 * mc.nll_bound_stderr
    for sizes in [(2, 2), (1, 3), (4,), (1, 2, 1)]:
        iv_se = mc.expected_kl_stderr(sizes)
        assert abs(mc.expected_kl(sizes) - exact.expected_kl(sizes)) <= 4 * iv_se
    # the isotonic curve is a valid InformationCurve, with standard errors
    assert isinstance(mc.curve, mdm.InformationCurve) and mc.curve.stderr is not None
    assert np.all(np.diff(np.asarray(mc.curve.z)) >= 0)


@pytest.mark.slow
def test_interval_coverage_over_seeds():
    d = _law(6, 4, 3)
    model = mdm.models.noisy(d, 0.6, 3)
    exact = _exact_ce(d, model)
    scheds = [(2, 2), (1, 3), (4,), (1, 2, 1), (3, 1)]
    hits, total = 0, 0
    for seed in range(60):
        x = np.asarray(d.sample(jax.random.key(100 + seed), 400))
        mc = mdm.model_curve(model, x, key=seed)
        for s in scheds:
            iv = mc.expected_kl_interval(s, 0.9)
            hits += iv.lower <= exact.expected_kl(s) <= iv.upper
            total += 1
    assert 0.84 <= hits / total <= 0.96, hits / total


def test_levels_grid_interpolates_and_always_revealed():
    d = _law(7, 5, 2)
    rows, w = _support(d)
    model = mdm.models.from_distribution(d)
    g = np.asarray(mdm.information_curve(d).g)
    mc = mdm.model_curve(model, rows, weights=w, masks="all", levels=[2])
    np.testing.assert_array_equal(mc.levels, [0, 2, 4])
    np.testing.assert_allclose(mc.cross_entropy[[0, 2, 4]], g[[0, 2, 4]], atol=1e-10)
    np.testing.assert_allclose(mc.cross_entropy[1], 0.5 * (g[0] + g[2]), atol=1e-10)
    np.testing.assert_allclose(mc.cross_entropy[3], 0.5 * (g[2] + g[4]), atol=1e-10)
    # prompt = positions 0, 1: the curve of the conditional law of positions 2..4
    prompt = np.array([True, True, False, False, False])
    mc = mdm.model_curve(model, rows, weights=w, masks="all", always_revealed=prompt)
    p = np.asarray(d.probs)
    gen = [2, 3, 4]
    want = np.zeros(3)
    for m in range(3):
        vals = []
        for s in itertools.combinations(gen, m):
            for i in gen:
                if i in s:
                    continue
                given = sorted({0, 1, *s})
                vals.append(
                    ref.subset_entropy(p, sorted({*given, i})) - ref.subset_entropy(p, given)
                )
        want[m] = np.mean(vals)
    np.testing.assert_allclose(mc.cross_entropy, want, atol=1e-10)
    h_cond = ref.entropy(p) - ref.subset_entropy(p, [0, 1])
    # the identity on the conditional law: one step costs TC(X_G | X_P)
    tc = sum(ref.subset_entropy(p, [0, 1, i]) - ref.subset_entropy(p, [0, 1]) for i in gen)
    assert abs(mc.expected_kl((3,), entropy_of_data=h_cond) - (tc - h_cond)) < 1e-10


def test_long_markov_chain_with_levels():
    mu, tr = [0.6, 0.3, 0.1], [[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]
    small = mdm.families.markov_chain(mu, tr, 5)
    exact = mdm.models.from_distribution(small)
    chain = mdm.calibrate.markov_chain_model(mu, tr, 5)
    rows, w = _support(small)
    a = mdm.model_curve(chain, rows, weights=w, masks="all")
    b = mdm.model_curve(exact, rows, weights=w, masks="all")
    np.testing.assert_allclose(a.cross_entropy, b.cross_entropy, atol=1e-10)
    n = 64
    x = mdm.calibrate.sample_markov_chain(mu, tr, n, 300, seed=1)
    lv = [1, 2, 4, 8, 16, 32]
    mc = mdm.model_curve(mdm.calibrate.markov_chain_model(mu, tr, n), x, key=0, levels=lv)
    g = np.asarray(mdm.curves.markov_chain_curve(mu, tr, n).g)
    at = mc.levels
    assert np.all(np.abs(mc.cross_entropy[at] - g[at]) <= 4 * mc.cross_entropy_stderr[at])


# ------------------------------------------------------------------------------------------------
# Optimizing on a model curve
# ------------------------------------------------------------------------------------------------
def _synthetic_curve(n: int, seed: int) -> mdm.ModelCurve:
    """A non-monotone CE (an inconsistent model) from synthetic per-row values."""
    rng = np.random.default_rng(seed)
    base = 2.0 - np.linspace(0, 1.5, n) + 0.4 * np.sin(np.arange(n) * 1.7 + seed)
    rows = base[None, :] + 0.3 * rng.standard_normal((50, n))
    return mdm.ModelCurve(rows, rows - 0.1, np.full(50, 1 / 50))


@pytest.mark.parametrize("n,seed", [(6, 0), (8, 1), (10, 2)])
def test_optimal_schedule_brute_force_non_monotone(n, seed):
    mc = _synthetic_curve(n, seed)
    ce = mc.cross_entropy
    assert np.any(np.diff(mc.raw_z) < 0)  # Z^CE dips: the monotone solver would not apply

    def value(sizes):
        starts = np.cumsum(sizes) - np.asarray(sizes)
        return float(np.sum(np.asarray(sizes) * ce[starts]) - ce.sum())

    comps = ref.all_compositions(n)
    best = {}
    for s in comps:
        v = value(s)
        if len(s) not in best or v < best[len(s)]:
            best[len(s)] = v
    for k in range(1, n + 1):
        got = mdm.optimal_schedule(mc, k)
        assert len(got.sizes) == k and sum(got.sizes) == n
        assert abs(got.kl - best[k]) < 1e-10 and abs(value(got.sizes) - best[k]) < 1e-10
        h = 1.0
        got_abs = mdm.optimal_schedule(mc, k, entropy_of_data=h)
        assert abs(got_abs.kl - (best[k] + ce.sum() - h)) < 1e-10
        si = mdm.optimal_schedule_interval(mc, k)
        assert si.optimum.lower <= best[k] + 1e-12 and si.schedule.kl == got.kl
    for eps in (0.0, 0.2, 1.0, 3.0):
        want = min(k for k in best if best[k] <= eps + 1e-12)
        assert len(mdm.min_steps(mc, eps).sizes) == want
    with pytest.raises(ValueError, match="method"):
        mdm.optimal_schedule(mc, 2, method="monotone")
    with pytest.raises(ValueError, match="eps"):
        mdm.min_steps(mc, 0.0, entropy_of_data=0.0)
    with pytest.raises(ValueError, match="entropy_of_data"):
        mdm.optimal_schedule(mdm.information_curve(_law(0, 3, 2)), 2, entropy_of_data=1.0)


def test_cross_fit_model_and_monte_carlo():
    d = _law(8, 4, 3)
    model = mdm.models.noisy(d, 0.5, 2)
    x = np.asarray(d.sample(jax.random.key(3), 600))
    mc = mdm.model_curve(model, x, key=4)
    exact = _exact_ce(d, model)
    cf = mdm.calibrate.cross_fit(mc, 2, key=0)
    assert cf.lower <= cf.estimate <= cf.upper
    for sizes, iv in zip(cf.chosen, cf.held_out, strict=True):
        assert len(sizes) == 2 and iv.lower <= iv.estimate <= iv.upper
    # held-out values are the half-curves' values of the chosen schedules (unbiased, checked
    # here against the exact value within 4 standard errors)
    se = (cf.upper - cf.estimate) / 1.959963984540054
    truth = 0.5 * sum(exact.expected_kl(s) for s in cf.chosen)
    assert abs(cf.estimate - truth) <= 4 * se
    h = d.entropy()
    cfa = mdm.calibrate.cross_fit(mc, 2, key=0, entropy_of_data=h)
    assert abs(cfa.estimate - cf.estimate - (mc.nll_bound - h)) < 0.2  # offsets per half
    mixture = mdm.curves.MixtureOfProducts([0.5, 0.5], [[[0.9, 0.1]] * 6, [[0.1, 0.9]] * 6])
    cfm = mdm.calibrate.cross_fit_monte_carlo(mixture, 3, key=0, num_samples=64)
    assert cfm.lower <= cfm.estimate <= cfm.upper and len(cfm.plug_in.sizes) == 3
    with pytest.raises(ValueError, match="mc"):
        mdm.calibrate.cross_fit(mdm.information_curve(d), 2)


# ------------------------------------------------------------------------------------------------
# Models: JAX and NumPy callables, checks
# ------------------------------------------------------------------------------------------------
def _softmax_np(y, table):
    """A toy model: p̂(x_i | y) from the count of revealed tokens equal to 0 (numpy)."""
    k = (y == 0).sum(axis=1)  # (B,)
    logits = table[np.minimum(k, table.shape[0] - 1)]  # (B, V)
    logits = np.broadcast_to(logits[:, None, :], (*y.shape, table.shape[1]))
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_jnp(y, table):
    k = jnp.sum(y == 0, axis=1)
    logits = jnp.asarray(table)[jnp.minimum(k, table.shape[0] - 1)]
    logits = jnp.broadcast_to(logits[:, None, :], (*y.shape, table.shape[1]))
    return jax.nn.softmax(logits, axis=-1)


def test_numpy_and_jax_callables_agree():
    rng = np.random.default_rng(0)
    table = rng.standard_normal((6, 3))
    x = rng.integers(0, 3, size=(200, 5))
    m_np = mdm.models.from_callable(
        lambda y: _softmax_np(y, table), num_values=3, output="probs", traceable=False
    )
    m_jx = mdm.models.from_callable(
        lambda y: _softmax_jnp(y, table), num_values=3, output="probs", traceable=True
    )
    m_row = mdm.models.from_callable(
        lambda y: _softmax_jnp(y[None], table)[0],
        num_values=3,
        output="probs",
        traceable=True,
        batched=False,
    )
    m_log = mdm.models.from_callable(
        lambda y: np.log(_softmax_np(y, table)), num_values=3, output="log_probs", traceable=False
    )
    curves = [mdm.model_curve(m, x, key=7, batch_size=64) for m in (m_np, m_jx, m_row, m_log)]
    for c in curves[1:]:
        np.testing.assert_allclose(c.cross_entropy, curves[0].cross_entropy, atol=1e-12)
        np.testing.assert_allclose(c.predictive_entropy, curves[0].predictive_entropy, atol=1e-12)
        np.testing.assert_allclose(
            c.cross_entropy_stderr, curves[0].cross_entropy_stderr, atol=1e-12
        )

    # a scored model computing the same numbers
    def scored(y, xx):
        p = _softmax_np(y, table)
        lp = np.log(np.take_along_axis(p, xx[..., None], axis=-1)[..., 0])
        return lp, -(p * np.log(p)).sum(axis=-1)

    m_sc = mdm.models.from_callable(scored, num_values=3, output="scored", traceable=False)
    c = mdm.model_curve(m_sc, x, key=7, batch_size=64)
    np.testing.assert_allclose(c.cross_entropy, curves[0].cross_entropy, atol=1e-12)
    # float32 outputs are accepted (accumulated in float64)
    m32 = mdm.models.from_callable(
        lambda y: _softmax_np(y, table).astype(np.float32),
        num_values=3,
        output="probs",
        traceable=False,
    )
    c32 = mdm.model_curve(m32, x, key=7, batch_size=64)
    np.testing.assert_allclose(c32.cross_entropy, curves[0].cross_entropy, atol=1e-6)


def _uniform(y, v=3):
    return np.full((*y.shape, v), 1.0 / v)


@pytest.mark.parametrize(
    "fn,output,match",
    [
        (lambda y: np.full((*y.shape, 4), 0.25), "probs", "shape"),
        (lambda y: np.where(np.isnan(_uniform(y)), 0, np.nan), "probs", "NaN"),
        (lambda y: np.full((*y.shape, 3), np.inf), "log_probs", r"\+inf"),
        (lambda y: np.full((*y.shape, 3), 0.5), "probs", "sums to"),
        (lambda y: np.zeros((*y.shape, 3)), "log_probs", "logits"),
        (
            lambda y: _uniform(y) * (1 + 0.1 * y.sum(axis=0, keepdims=True)[..., None] % 2),
            "probs",
            "sums to|OTHER",
        ),
        (
            lambda y: _uniform(y) + 0.01 * np.array([1, -1, 0]) * y.mean(),
            "probs",
            "OTHER",
        ),
    ],
)
def test_model_checks(fn, output, match):
    x = np.random.default_rng(0).integers(0, 3, size=(20, 4))
    m = mdm.models.from_callable(fn, num_values=3, output=output, traceable=False, name="bad")
    with pytest.raises(ValueError, match=f"^model: bad.*({match})"):
        mdm.model_curve(m, x, key=0, batch_size=16)


def test_peeking_scored_model_is_caught():
    def peeking(y, x):
        # the score at i reads the hidden token of the NEXT position
        nxt = np.roll(x, -1, axis=1)
        lp = np.where(nxt == x, np.log(0.6), np.log(0.2))
        return lp, np.full(y.shape, 0.9)

    def honest(y, x):
        return np.full(y.shape, np.log(1 / 3)), np.full(y.shape, np.log(3))

    x = np.random.default_rng(1).integers(0, 3, size=(40, 5))
    m = mdm.models.from_callable(peeking, num_values=3, output="scored", traceable=False)
    with pytest.raises(ValueError, match="PEEKS"):
        mdm.model_curve(m, x, key=0)
    ok = mdm.models.from_callable(honest, num_values=3, output="scored", traceable=False)
    mc = mdm.model_curve(ok, x, key=0)
    np.testing.assert_allclose(mc.cross_entropy, np.log(3), atol=1e-12)
    np.testing.assert_allclose(mc.calibration_gap, 0.0, atol=1e-12)


def test_minus_inf_for_observed_token_names_row_and_position():
    def fn(y):
        p = np.full((*y.shape, 3), 0.5)
        p[..., 2] = 0.0
        return p

    x = np.zeros((10, 4), dtype=np.int64)
    x[7, 2] = 2
    m = mdm.models.from_callable(fn, num_values=3, output="probs", traceable=False)
    with pytest.raises(ValueError, match="row 7, position 2"):
        mdm.model_curve(m, x, masks="all")


# ------------------------------------------------------------------------------------------------
# Bad input
# ------------------------------------------------------------------------------------------------
def test_bad_input():
    m = mdm.models.from_callable(_uniform, num_values=3, output="probs", traceable=False, n=4)
    x = np.zeros((10, 4), dtype=np.int64)
    cases = [
        (dict(data=x.astype(float)), "^data: expected an integer"),
        (dict(data=x[0]), "^data: expected a 2-D"),
        (dict(data=np.where(np.eye(10, 4) > 0, 5, x)), "^data: token 5 .* outside"),
        (dict(data=np.where(np.eye(10, 4) > 0, 3, x)), "^data: token 3 .* mask value"),
        (dict(data=np.where(np.eye(10, 4) > 0, -1, x)), "^data: token -1"),
        (dict(data=np.zeros((10, 5), dtype=np.int64)), "^data: .*n = 4"),
        (dict(data=x[:1]), "^data: need at least 2 rows"),
        (dict(weights=np.full(10, -0.1)), "^weights: must be >= 0"),
        (dict(weights=np.full(10, 0.2)), "^weights: must sum to 1"),
        (dict(weights=np.full(9, 1 / 9)), "^weights: expected shape"),
        (dict(levels=[5]), "^levels: values must lie in 0..n-1"),
        (dict(levels=[-1]), "^levels"),
        (dict(always_revealed=np.ones(4, bool)), "^always_revealed: reveals every position"),
        (dict(always_revealed=[0, 1]), "^always_revealed"),
        (dict(masks="some"), "^masks"),
        (dict(masks_per_row=0), "^masks_per_row"),
        (dict(key=None), "^key"),
    ]
    for kwargs, match in cases:
        args = dict(data=x, key=0)
        args.update(kwargs)
        with pytest.raises(ValueError, match=match):
            mdm.model_curve(m, args.pop("data"), **args)
    with pytest.raises(ValueError, match="^model"):
        mdm.model_curve(lambda y: y, x, key=0)
    with pytest.raises(ValueError, match="^output"):
        mdm.models.from_callable(_uniform, num_values=3, output="logits")
    with pytest.raises(ValueError, match="^num_values"):
        mdm.models.from_callable(_uniform, num_values=0)
    with pytest.raises(ValueError, match="^fn"):
        mdm.models.from_callable(3, num_values=3)
    mc = mdm.model_curve(m, x, key=0)
    with pytest.raises(ValueError, match="^sizes"):
        mdm.expected_kl(mc, (2, 1))
    with pytest.raises(ValueError, match="^entropy_of_data"):
        mdm.expected_kl(mc, (2, 2), entropy_of_data=-1.0)
    with pytest.raises(ValueError, match="^steps"):
        mdm.optimal_schedule(mc, 5)


def test_shipped_word_model_runs():
    m = mdm.calibrate.word_mdm(4)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 26, size=(64, 4))
    mc = mdm.model_curve(m, x, key=0)
    assert mc.n == 4 and np.all(np.isfinite(mc.cross_entropy))
    assert np.all(mc.cross_entropy_stderr > 0)
    with pytest.raises(ValueError, match="^length"):
        mdm.calibrate.word_mdm(6)
