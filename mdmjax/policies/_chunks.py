"""Chunk and bucket sizes shared by the exact tree walk and the learning-error sums.

Both :mod:`mdmjax.policies._walk` and :mod:`mdmjax.policies._learning` process nodes in chunks
padded up to a few fixed sizes, so that few jitted shapes are compiled.
"""

from __future__ import annotations

# Elements (not bytes) of the largest per-chunk arrays: (nodes, n, q_max) and (nodes, K, n).
_NODE_BUDGET = 2**22
_CHILD_CHUNK = 2**20
_MAX_NODE_CHUNK = 2**16
_DENSE_MERGE = 2**25  # merge random-policy nodes with a dense histogram up to this node space


# Few distinct shapes, so few compilations: every chunk is padded up to one of these sizes.
# Small laws always land on the smallest sizes, so one compilation serves all of them.
_NODE_BUCKETS = (2**8, 2**12, 2**16)
_CHILD_BUCKETS = (2**14, 2**15, 2**16, 2**17, 2**18, 2**19, 2**20)
_WIDTH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


def _bucket(m: int, buckets: tuple[int, ...], cap: int) -> int:
    for b in buckets:
        if b >= m or b >= cap:
            return min(b, cap)
    return cap
