"""Test configuration at the repository root: the numerics rules of the project hold for every
file pytest collects, however it is collected (``pytest tests/...``, or a module's doctests alone,
``pytest --doctest-modules mdmjax/x.py``, which never loads ``tests/conftest.py``).

* x64 stays OFF globally, as in a user's process: the library must scope float64 itself
  (``mdmjax._src.precision``). JAX's warning that a float64 request was truncated to float32 is
  an error here, so any computation that leaks out of the scoped context fails its test.
  Test code that builds its own float64 JAX arrays does so under ``jax.enable_x64(True)``.
* dtype promotion is ``strict`` and rank promotion ``raise`` (STYLE.md), so silent promotion
  and broadcasting bugs surface.
"""

import os
import sys

# Compile fast. Most of the suite's time is XLA compiling small programs (about 300 of its 420
# CPU-seconds, counted with jax_log_compiles), most of that in LLVM's optimizer. At
# --xla_backend_optimization_level=0 XLA runs the same HLO passes (fusion, simplification) and
# skips LLVM's optimizations; neither level uses fast-math. The two levels can round differently
# in the last bits (FMA contraction, vectorized loops), about 1e-15 relative, far inside every
# tolerance here; tests/test_xla_level.py checks a report at XLA's default level against this
# one. MDMJAX_TEST_XLA_LEVEL=default leaves XLA at its default; a level given in XLA_FLAGS is
# kept. Set before JAX starts its CPU backend.
XLA_LEVEL_OPTION = "--xla_backend_optimization_level"
TEST_XLA_LEVEL = os.environ.get("MDMJAX_TEST_XLA_LEVEL", "0")
if TEST_XLA_LEVEL != "default" and XLA_LEVEL_OPTION not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = " ".join(
        [os.environ.get("XLA_FLAGS", ""), f"{XLA_LEVEL_OPTION}={TEST_XLA_LEVEL}"]
    ).strip()

import jax  # noqa: E402
import pytest  # noqa: E402

# In-process calls of the CLI's main() must not switch on the persistent compilation cache for the
# whole test session (nor write to the user's cache): tests that want it set a folder themselves.
os.environ["MDMJAX_CACHE_DIR"] = "off"

# After many hundred compilations in one worker process, JAX's lowering cache compares nested
# jaxprs recursively, deeper than Python's default limit of 1000 frames (seen as a RecursionError
# inside jax/_src/partition_spec.py when the Monte-Carlo tests follow the CLI and calibrate tests
# in one process; each passes alone). The comparison is finite: a higher limit is enough.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))


def _hypothesis_never_lowers_the_recursion_limit() -> None:
    """Hypothesis sets the limit to its caller's frame depth + 2000 around each example and back
    afterwards. After many compilations in one worker, CPython's own depth counter (which also
    counts C-level recursion) can stand above that (seen: 2677 against a new limit of 2041 in the
    slow job), and lowering the limit below the current depth raises RecursionError. Keep
    hypothesis' guarantee of free frames, but never lower the limit set above."""
    try:
        from hypothesis.internal.conjecture import junkdrawer
    except ImportError:  # hypothesis is a test extra; nothing to adjust without it
        return
    limiter = getattr(junkdrawer, "_stackframe_limiter", None)
    if limiter is None or not hasattr(limiter, "_setrecursionlimit"):
        return
    original = limiter._setrecursionlimit

    def set_limit(new_limit: int, *, check: bool = True) -> None:
        original(max(new_limit, 5000), check=check)

    limiter._setrecursionlimit = set_limit


_hypothesis_never_lowers_the_recursion_limit()

# One persistent compilation cache for the test run (JAX's own, mdmjax.enable_compilation_cache's
# three settings): the two xdist workers and the slow job load what another process compiled,
# instead of compiling it again. A hit is the executable a fresh compilation would produce (the
# CLI's cold and warm runs are compared bit for bit in tests/test_compilation_cache.py).
# MDMJAX_TEST_CACHE_DIR=off compiles everything afresh.
_TEST_CACHE = os.environ.get(
    "MDMJAX_TEST_CACHE_DIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache", "jax"),
)


def _writable(folder: str) -> bool:
    try:
        os.makedirs(folder, exist_ok=True)
        return os.access(folder, os.W_OK)
    except OSError:
        return False


if _TEST_CACHE.lower() != "off" and _writable(_TEST_CACHE):  # a read-only checkout compiles
    jax.config.update("jax_compilation_cache_dir", _TEST_CACHE)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

from hypothesis import settings  # noqa: E402

import mdmjax  # noqa: E402,F401  (after the config, like a user would)

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.load_profile("ci")


# Doctests that need PyTorch (mdm.models.from_torch) run in the slow job, which installs the
# [torch] extra (.ci/run); the default job has no torch and deselects them like any slow case.
_TORCH_DOCTEST_MODULES = ("mdmjax/models/_torch.py",)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(_TORCH_DOCTEST_MODULES):
            item.add_marker(pytest.mark.slow)
