"""The model-driven random-order sampler, exactly, on small laws (docs/theory.md §8.5).

A sampler driven by a model ``p̂`` with sizes ``s`` outputs the mixture

.. math:: \\hat\\nu(x) = E_B \\prod_t \\prod_{i \\in B_t} \\hat p(x_i \\mid x_{A_t}),

For a fixed ``x`` every factor reads ``x`` only through a sub-assignment ``x_A``, so the model is
queried on the ``2^n`` sub-assignments of ``x`` and nothing else, and one batch of queries serves
every schedule. The sum over ordered partitions is the forward pass over the subset lattice of
:func:`mdmjax.mixture_kl` with the model's conditionals as link factors:

.. math:: F_t(A') = \\sum_{A \\subset A',\\ |A| = N_{t-1}} F_{t-1}(A)
          \\prod_{i \\in A' \\setminus A} \\hat p(x_i \\mid x_A), \\qquad
          \\hat\\nu(x) = F_k([n]) \\Big/ \\frac{n!}{\\prod_t s_t!},

in log space. :func:`model_expected_kl` averages ``KL(p || nu_B)`` over the enumerated ordered
partitions instead (the left side of the identity of §8.2, for checking), and
:func:`model_log_conditionals` exposes the queried table.
"""

from __future__ import annotations

import math

import numpy as np

from mdmjax._src.buckets import MODEL_BATCH_SIZE
from mdmjax._src.numerics import clip_kl, entropy_fsum, kl_fsum
from mdmjax._src.precision import scoped_x64
from mdmjax._src.subsets import subset_bits
from mdmjax._src.validate import as_positive_int, as_sizes
from mdmjax.distribution import Distribution
from mdmjax.kl._enumeration import ordered_partitions
from mdmjax.kl._mixture import _lattice, _log_count
from mdmjax.models import as_scoring_model

__all__ = ["model_log_conditionals", "model_mixture_kl", "model_expected_kl"]

# 2^n queries per outcome: refuse beyond this many positions.
_MAX_N = 16


def _support(d: Distribution) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(d.probs, dtype=np.float64)
    x = np.stack(np.nonzero(p > 0), axis=1).astype(np.int64)
    return x, p[tuple(x.T)]


@scoped_x64
def model_log_conditionals(d: Distribution, model, *, batch_size: int = MODEL_BATCH_SIZE):
    """``log p̂(x_i | x_S)`` for every outcome ``x`` in the support of ``d``, every ``S`` and ``i``.

    Args:
      d: the law (its support is enumerated; ``n <= 16``).
      model: an mdmjax model (:func:`mdmjax.models.from_callable`, a ``ConditionalModel``, ...).
      batch_size: queries per model call.

    Returns:
      ``(x, p, logc)``: support ``(K, n)``, its probabilities ``(K,)`` and float64
      ``(K, 2^n, n)`` with ``logc[k, S, i] = log p̂(x_i | x_S)`` (bit ``j`` of ``S`` set when
      ``j`` is revealed; entries with ``i`` in ``S`` are 0).

    Raises:
      ValueError: ``d`` not a Distribution or too long; ``model`` invalid (its first batch is
        checked as in :func:`mdmjax.model_curve`) or answering for another ``n``/alphabet.

    Examples:
      The exact conditionals of a law: ``p(x_1 | x_0)`` is ``0.8`` on the diagonal, ``0.2``
      off it, and nothing revealed gives the uniform marginal:

      >>> import numpy as np, mdmjax as mdm
      >>> d = mdm.Distribution.from_probs(np.array([[0.4, 0.1], [0.1, 0.4]]))
      >>> x, p, logc = mdm.kl.model_log_conditionals(d, mdm.models.from_distribution(d))
      >>> x.tolist(), np.round(p, 12).tolist(), logc.shape
      ([[0, 0], [0, 1], [1, 0], [1, 1]], [0.4, 0.1, 0.1, 0.4], (4, 4, 2))
      >>> bool(np.allclose(np.exp(logc[:, 0b01, 1]), [0.8, 0.2, 0.2, 0.8]))  # S = {0}, i = 1
      True
      >>> bool(np.allclose(np.exp(logc[:, 0, 0]), 0.5))
      True
    """
    if not isinstance(d, Distribution):
        raise ValueError(f"d: expected a Distribution, got {type(d).__name__}")
    n = d.n
    if n > _MAX_N:
        raise ValueError(f"d: 2^n queries per outcome; n = {n} > {_MAX_N} is too long")
    m = as_scoring_model(model)
    try:
        mask = m.mask_values(n)
    except ValueError as err:
        raise ValueError(f"model: {err}") from err
    if np.any(np.asarray(d.shape) > mask):
        raise ValueError(
            f"model: {m.name} answers for {mask.tolist()} values per position, but the law has "
            f"shape {d.shape}"
        )
    bs = as_positive_int(batch_size, "batch_size")
    x, p = _support(d)
    bits = subset_bits(n)  # (2^n, n)
    k = x.shape[0]
    total = k * 2**n
    logc = np.zeros((total, n))
    for a in range(0, total, bs):
        b = min(a + bs, total)
        idx = np.arange(a, b)
        xs = x[idx // 2**n]
        rev = bits[idx % 2**n]
        y = np.where(rev, xs, mask[None, :])
        lpx, _ = m.score_padded(y, xs, bs, check=a == 0)  # the first batch is also checked
        logc[a:b] = np.where(rev, 0.0, lpx)
    logc = logc.reshape(k, 2**n, n)
    if np.any(np.isnan(logc)):
        raise ValueError(f"model: {m.name} returned NaN log-probabilities")
    return x, p, logc


def _schedules(sizes, n: int) -> tuple[list[tuple[int, ...]], bool]:
    arr = as_sizes(sizes, n)
    if arr.ndim == 1:
        return [tuple(int(s) for s in arr)], True
    return [tuple(int(s) for s in row if s > 0) for row in arr], False


def _kl(p: np.ndarray, log_nu: np.ndarray) -> float:
    if np.any(np.isneginf(log_nu)):
        return math.inf
    return clip_kl(kl_fsum(p, log_nu))


def _mixture_log_nu(logc: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    """``log nu_hat(x)`` for every outcome: the lattice forward pass in log space."""
    n = logc.shape[2]
    log_f = np.zeros((logc.shape[0], 1))
    with np.errstate(invalid="ignore"):
        for pred, amask, bplus in _lattice(n, sizes):
            pos = np.log2(np.bitwise_xor(bplus, amask[..., None])).round().astype(np.int64)
            link = logc[:, amask[..., None], pos].sum(axis=-1)  # (K, M, C)
            terms = log_f[:, pred] + link
            top = terms.max(axis=2, keepdims=True)
            safe = np.where(np.isfinite(top), top, 0.0)
            log_f = safe[..., 0] + np.log(np.exp(terms - safe).sum(axis=2))
    return log_f[:, 0] - _log_count(sizes)


@scoped_x64
def model_mixture_kl(d: Distribution, model, sizes, *, batch_size: int = MODEL_BATCH_SIZE):
    """``KL(p || nu_hat)`` of the sampler driven by ``model`` with ``sizes``, exactly (§8.5).

    ``nu_hat`` is the random-order mixture of the model-driven fixed-order laws (module
    docstring); the model is queried once on the ``2^n`` sub-assignments of every outcome of the
    support, and the subset DP then values every schedule.

    .. math:: KL(p \\| \\hat\\nu) = \\sum_x p(x) \\log \\frac{p(x)}{\\hat\\nu(x)}

    Args:
      d: the law of the data (small: its support times ``2^n`` model queries).
      model: an mdmjax model.
      sizes: a schedule, or a 2-D zero-padded batch of schedules (one query pass for all).
      batch_size: queries per model call.

    Returns:
      a float (nats; ``inf`` if the model gives an outcome of ``p`` zero probability), or a
      float64 array for a batch.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[1, 1, 1] = 0.5
      >>> d = mdm.Distribution.from_probs(p)
      >>> exact = mdm.models.from_distribution(d)
      >>> got = mdm.kl.model_mixture_kl(d, exact, (2, 1))
      >>> round(got, 12) == round(mdm.mixture_kl(d, (2, 1)), 12)
      True
    """
    x, p, logc = model_log_conditionals(d, model, batch_size=batch_size)
    scheds, single = _schedules(sizes, d.n)
    out = np.asarray([_kl(p, _mixture_log_nu(logc, s)) for s in scheds])
    return float(out[0]) if single else out


@scoped_x64
def model_expected_kl(d: Distribution, model, sizes, *, batch_size: int = MODEL_BATCH_SIZE):
    """``E_B KL(p || nu_hat_B)`` by enumerating every ordered partition ``B`` (§8.2, left side).

    ``log nu_hat_B(x) = sum_t sum_{i in B_t} log p̂(x_i | x_{A_t})``, averaged over all
    ``n! / prod_t s_t!`` ordered partitions with sizes ``s`` (no identity used), so it checks
    ``sum_t s_t CE(N_{t-1}) - H(p)`` (:meth:`mdmjax.ModelCurve.expected_kl`).

    Args:
      d: the law (small).
      model: an mdmjax model.
      sizes: a schedule or a 2-D zero-padded batch.
      batch_size: queries per model call.

    Returns:
      a float in nats (``inf`` if some ``nu_hat_B`` gives an outcome zero probability), or an
      array for a batch.

    Examples:
      >>> import numpy as np, mdmjax as mdm
      >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[1, 1, 1] = 0.5
      >>> d = mdm.Distribution.from_probs(p)
      >>> got = mdm.kl.model_expected_kl(d, mdm.models.from_distribution(d), (2, 1))
      >>> round(got, 12) == round(mdm.expected_kl(d, (2, 1)), 12)
      True
    """
    x, p, logc = model_log_conditionals(d, model, batch_size=batch_size)
    n = d.n
    scheds, single = _schedules(sizes, n)
    out = []
    for s in scheds:
        labels = ordered_partitions(s).astype(np.int64)  # (P, n): step of each position
        before = labels[:, None, :] < labels[:, :, None]  # (P, i, j): j revealed before i
        amask = np.sum(before * (1 << np.arange(n))[None, None, :], axis=2)  # (P, n)
        log_nu = logc[:, amask, np.arange(n)[None, :]].sum(axis=-1)  # (K, P)
        if np.any(np.isneginf(log_nu)):
            out.append(math.inf)
            continue
        out.append(_expected(p, log_nu))
    arr = np.asarray(out)
    return float(arr[0]) if single else arr


def _expected(p: np.ndarray, log_nu: np.ndarray) -> float:
    """``mean_B sum_x p(x) (log p(x) - log nu_B(x))``."""
    cross = math.fsum((p * -log_nu.mean(axis=1)).tolist())
    return cross - entropy_fsum(p)
