"""Prime-field helpers shared by the code families and their information curves."""

from __future__ import annotations

import math

from mdmjax._src.validate import as_positive_int


def is_prime(q: int) -> bool:
    """Whether the integer ``q`` is prime (trial division; ``q`` is a field size)."""
    if q < 2:
        return False
    if q % 2 == 0:
        return q == 2
    return all(q % f for f in range(3, math.isqrt(q) + 1, 2))


MAX_PRIME = 2**31  # products of two residues must fit in int64


def as_prime(q, argument: str = "q", int64_products: bool = False) -> int:
    """A prime ``q`` (the field ``F_q``), else ``ValueError`` naming ``argument``.

    With ``int64_products``, ``q`` must also lie below ``2^31`` (arithmetic mod ``q`` in int64).
    """
    q = as_positive_int(q, argument)
    if not is_prime(q):
        raise ValueError(f"{argument}: must be a prime (the field F_q), got {q}")
    if int64_products and q >= MAX_PRIME:
        raise ValueError(f"{argument}: primes below 2^31 are supported, got {q}")
    return q


def smallest_prime_above(n: int) -> int:
    """The smallest prime ``> n`` (the default Reed–Solomon field, as ``mdm.families``)."""
    q = n + 1
    while not is_prime(q):
        q += 1
    return q
