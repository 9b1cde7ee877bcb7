"""``with_x64``: run a test's own JAX code in float64, as a user composing mdmjax kernels would.

The suite runs with x64 off (tests/conftest.py). A test that builds float64 JAX arrays itself, or
traces a kernel under its own ``jit``/``vmap``/``grad``, does so inside ``jax.enable_x64(True)``
(docs/theory.md §10): this decorator is that scope for a whole test function.
"""

import functools

import jax


def with_x64(test):
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        with jax.enable_x64(True):
            return test(*args, **kwargs)

    return wrapper
