"""Markov-chain pieces shared by the table constructor (``families``) and the exact curve."""

from __future__ import annotations

from mdmjax._src.validate import as_positive_int


def chain_length(n, stack: int | None) -> int:
    """The number of positions ``n`` of a chain given ``stack`` transitions (``None``: homogeneous).

    A stack ``T_1..T_{n-1}`` describes ``n = stack + 1`` positions: ``n`` is inferred from it, or
    checked against it. A homogeneous ``(q, q)`` transition needs ``n``.
    """
    if stack is not None:
        inferred = stack + 1
        if n is None:
            n = inferred
        elif as_positive_int(n, "n") != inferred:
            raise ValueError(
                f"n: a stack of {inferred - 1} transitions describes n = {inferred} positions, "
                f"got n = {n}"
            )
    if n is None:
        raise ValueError("n: required for a homogeneous (q, q) transition")
    return as_positive_int(n, "n")


def solve_stationary(trans, xp):
    """The solution ``pi`` of ``pi (I - T + 1 1^T) = 1^T`` (``xp``: ``numpy`` or ``jax.numpy``).

    It is the stationary law ``pi = pi T`` when ``T`` has a single recurrent class; round-off may
    leave tiny negative entries, which :func:`clip_normalize` removes.
    """
    q = trans.shape[0]
    a = xp.eye(q) - trans + xp.ones((q, q))
    return xp.linalg.solve(a.T, xp.ones(q))


def clip_normalize(pi, xp):
    """``pi`` clipped at 0 (round-off only: ``pi >= 0`` in exact arithmetic) and summing to 1."""
    pi = xp.clip(pi, 0.0, None)
    return pi / xp.sum(pi)
