"""Binary Ising models on named graphs (chain, cycle, grid, complete) or explicit edges."""

from __future__ import annotations

import math

import numpy as np

from mdmjax._src.precision import scoped_x64
from mdmjax._src.validate import as_per_item, as_positive_int
from mdmjax.distribution import Distribution
from mdmjax.families._common import (
    as_int_array,
    as_table_positions,
    guard_uniform_table,
)

__all__ = ["ISING_GRAPHS", "ising"]

ISING_GRAPHS = ("chain", "cycle", "grid", "complete")


def _grid_shape(n, rows, cols) -> tuple[int, int]:
    if rows is None and cols is None:
        if n is None:
            raise ValueError("rows: a grid needs rows and cols (or n)")
        n = as_positive_int(n, "n")
        rows = max(r for r in range(1, math.isqrt(n) + 1) if n % r == 0)
        return rows, n // rows
    if rows is None or cols is None:
        if n is None:
            missing = "rows" if rows is None else "cols"
            raise ValueError(f"{missing}: a grid needs both rows and cols (or n)")
        n = as_positive_int(n, "n")
        known_name, known = ("rows", rows) if cols is None else ("cols", cols)
        known = as_positive_int(known, known_name)
        if n % known:
            raise ValueError(f"{known_name}: {known} does not divide n = {n}")
        return (known, n // known) if cols is None else (n // known, known)
    rows = as_positive_int(rows, "rows")
    cols = as_positive_int(cols, "cols")
    if n is not None and as_positive_int(n, "n") != rows * cols:
        raise ValueError(f"n: a {rows} x {cols} grid has {rows * cols} nodes, got n = {n}")
    return rows, cols


def _ising_edges(graph, n, rows, cols, edges) -> tuple[int, np.ndarray]:
    """``(n, E)`` with ``E`` an ``(m, 2)`` int array of edges ``i < j`` (0-indexed nodes)."""
    if edges is not None:
        if graph is not None:
            raise ValueError("graph: give either a named graph or explicit edges, not both")
        e = as_int_array(edges, "edges", 2) if np.size(edges) else np.zeros((0, 2), np.int64)
        if e.shape[1] != 2:
            raise ValueError(f"edges: expected pairs (shape (m, 2)), got shape {e.shape}")
        if np.any(e < 0):
            raise ValueError("edges: node indices must be >= 0")
        if np.any(e[:, 0] == e[:, 1]):
            raise ValueError("edges: self-loops (i, i) are not allowed")
        if n is None and e.size == 0:
            raise ValueError("n: required when edges is empty")
        n = int(e.max()) + 1 if n is None else as_positive_int(n, "n")
        if e.size and e.max() >= n:
            raise ValueError(f"edges: node {int(e.max())} is out of range for n = {n}")
        return n, np.sort(e, axis=1)
    if graph not in ISING_GRAPHS:
        raise ValueError(f"graph: expected one of {ISING_GRAPHS} (or edges=...), got {graph!r}")
    if graph == "grid":
        rows, cols = _grid_shape(n, rows, cols)
        node = np.arange(rows * cols).reshape(rows, cols)
        right = np.stack([node[:, :-1].ravel(), node[:, 1:].ravel()], axis=1)
        down = np.stack([node[:-1, :].ravel(), node[1:, :].ravel()], axis=1)
        return rows * cols, np.concatenate([right, down]).reshape(-1, 2)
    if n is None:
        raise ValueError(f"n: required for graph={graph!r}")
    n = as_table_positions(n)
    i = np.arange(n)
    if graph == "chain":
        return n, np.stack([i[:-1], i[1:]], axis=1)
    if graph == "cycle":
        if n < 3:
            raise ValueError(f"n: a cycle needs n >= 3 nodes, got {n}")
        return n, np.concatenate([np.stack([i[:-1], i[1:]], axis=1), [[0, n - 1]]])
    a, b = np.triu_indices(n, k=1)  # complete graph
    return n, np.stack([a, b], axis=1)


@scoped_x64
def ising(
    graph: str | None = None,
    n: int | None = None,
    rows: int | None = None,
    cols: int | None = None,
    coupling=1.0,
    field=0.0,
    edges=None,
) -> Distribution:
    """An Ising model ``p(x) ∝ exp(sum_{ij in E} J_ij s_i s_j + sum_i h_i s_i)``, ``s = 2x - 1``.

    Position ``i`` takes ``x_i in {0, 1}`` (spin ``s_i = -1, +1``). The normalization uses a
    stable log-sum-exp, so large couplings do not overflow.

    Args:
      graph: ``"chain"`` (``i ~ i+1``), ``"cycle"`` (chain plus ``0 ~ n-1``, ``n >= 3``),
        ``"grid"`` (``rows x cols``, node ``r * cols + c``, right and down neighbours) or
        ``"complete"``. Leave ``None`` and pass ``edges`` for any other graph.
      n: number of nodes (for a grid, inferred from ``rows * cols``; with ``edges``, defaults to
        the largest index + 1).
      rows, cols: grid dimensions; with ``n``, one of them may be left out (or both: then
        ``rows`` is the largest divisor of ``n`` that is ``<= sqrt(n)``).
      coupling: ``J``, a scalar or one value per edge, in the graph's edge order: chain
        ``(i, i+1)``; cycle the chain then ``(0, n-1)``; grid the horizontal edges row by row,
        then the vertical ones; complete ``(i, j)``, ``i < j``, lexicographic; else ``edges``.
      field: ``h``, a scalar or one value per node.
      edges: explicit ``(m, 2)`` integer pairs ``(i, j)``, ``i != j``.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.families.ising("grid", rows=2, cols=3, coupling=0.5).shape
      (2, 2, 2, 2, 2, 2)
    """
    n, e = _ising_edges(graph, n, rows, cols, edges)
    j = as_per_item(coupling, e.shape[0], "coupling", "edge")
    h = as_per_item(field, n, "field", "node")
    guard_uniform_table(2, n, "Ising", copies=2 + n)
    # Spins of every state, C order (position 0 most significant), shape (2^n, n).
    bits = (np.arange(2**n)[:, None] >> (n - 1 - np.arange(n))[None, :]) & 1
    spins = 2.0 * bits - 1.0
    coupling_matrix = np.zeros((n, n))
    np.add.at(coupling_matrix, (e[:, 0], e[:, 1]), j)  # repeated edges add up
    energy = np.sum((spins @ coupling_matrix) * spins, axis=1) + spins @ h
    # Stable log-sum-exp: shift by the largest energy before exponentiating.
    top = energy.max()
    log_p = energy - (top + np.log(np.sum(np.exp(energy - top))))
    return Distribution.from_probs(np.exp(log_p).reshape((2,) * n))
