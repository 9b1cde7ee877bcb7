"""Warm starts: JAX's persistent compilation cache in a per-user folder, switched on on request.

Most of a short ``mdmjax`` run is XLA compilation (dozens of small kernels, each compiled once per
process). JAX can keep the compiled executables on disk and reload them in the next process
(``jax_compilation_cache_dir``); :func:`enable_compilation_cache` turns that on, in

1. the folder given as ``path``, else
2. ``$MDMJAX_CACHE_DIR`` (the value ``off`` disables the cache), else
3. ``$XDG_CACHE_HOME/mdmjax/jax``, else ``~/.cache/mdmjax/jax``.

Importing mdmjax does not enable it (importing changes no global JAX setting); the ``mdmjax``
command does, unless given ``--no-cache`` or ``MDMJAX_CACHE_DIR=off``. A cached executable is the
very executable a fresh compilation produces, so the cache never changes a number (the test suite
compares the ``--json`` output of a cold and a warm run bit for bit).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import jax

from mdmjax._src.precision import scoped_x64

__all__ = ["CACHE_ENV", "default_cache_dir", "enable_compilation_cache"]

CACHE_ENV = "MDMJAX_CACHE_DIR"
_OFF = "off"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """The folder :func:`enable_compilation_cache` uses when given no ``path``.

    Args:
      environ: the environment to read (default: ``os.environ``).

    Returns:
      ``$MDMJAX_CACHE_DIR`` if set and not empty, ``None`` if it is ``off`` (any case);
      otherwise ``$XDG_CACHE_HOME/mdmjax/jax``, or ``~/.cache/mdmjax/jax`` when
      ``XDG_CACHE_HOME`` is unset or empty.

    Examples:
      >>> from mdmjax._src.compilation_cache import default_cache_dir
      >>> default_cache_dir({"XDG_CACHE_HOME": "/tmp/xdg"})
      '/tmp/xdg/mdmjax/jax'
      >>> default_cache_dir({"MDMJAX_CACHE_DIR": "/tmp/jaxcache", "XDG_CACHE_HOME": "/tmp/xdg"})
      '/tmp/jaxcache'
      >>> default_cache_dir({"MDMJAX_CACHE_DIR": "off"}) is None
      True
    """
    env = os.environ if environ is None else environ
    chosen = env.get(CACHE_ENV, "").strip()
    if chosen.lower() == _OFF:
        return None
    if chosen:
        return os.path.abspath(os.path.expanduser(chosen))
    base = env.get("XDG_CACHE_HOME", "").strip()
    if not base:
        home = env.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".cache")
    return os.path.join(os.path.abspath(os.path.expanduser(base)), "mdmjax", "jax")


@scoped_x64  # like every public function (it creates no arrays)
def enable_compilation_cache(path: str | os.PathLike | None = None) -> str | None:
    """Keep compiled XLA executables on disk so that later processes skip compilation.

    Sets exactly three JAX settings, for the whole process, and no other:

    * ``jax_compilation_cache_dir`` to the cache folder (created, mode ``0o700``);
    * ``jax_persistent_cache_min_compile_time_secs`` to ``0``: JAX's default (1 s) caches only
      slow compilations, but a short mdmjax run compiles dozens of kernels of 0.05-0.5 s each
      (Theorem 4 evaluations, DP layers, curve builders), which together are most of its time;
    * ``jax_persistent_cache_min_entry_size_bytes`` to ``-1``: no size threshold, so small
      executables are cached too (``0``, JAX's default, lets JAX pick a filesystem-dependent
      minimum).

    It does not touch ``jax_enable_x64`` or ``jax_enable_compilation_cache`` (if you set the
    latter to ``False``, the cache stays off). Calling it again with another folder moves the
    cache there. The cache is keyed by the program, the compile options, the device and the
    jax/jaxlib versions; a hit loads the executable a fresh compilation would produce, so results
    are bitwise identical. It works on CPU, GPU and TPU backends. JAX warns that a compilation
    cache is trusted code: do not point it at a folder others can write to.

    Args:
      path: the cache folder; ``None`` chooses it from the environment
        (:func:`default_cache_dir`: ``$MDMJAX_CACHE_DIR``, ``$XDG_CACHE_HOME/mdmjax/jax`` or
        ``~/.cache/mdmjax/jax``). With ``path=None`` and ``MDMJAX_CACHE_DIR=off`` nothing is
        changed.

    Returns:
      The absolute path of the cache folder, or ``None`` when ``MDMJAX_CACHE_DIR=off`` disabled
      it.

    Raises:
      ValueError: ``path`` is empty, or the folder cannot be created.

    Examples:
      >>> import mdmjax as mdm
      >>> mdm.enable_compilation_cache()  # doctest: +SKIP
      '/home/me/.cache/mdmjax/jax'
      >>> mdm.enable_compilation_cache("/scratch/jax-cache")  # doctest: +SKIP
      '/scratch/jax-cache'

    See docs/scaling.md ("Warm starts") for the measured effect on the ``mdmjax`` command.
    """
    if path is None:
        folder = default_cache_dir()
        if folder is None:
            return None
    else:
        text = os.fspath(path)
        if not str(text).strip():
            raise ValueError("path: expected a folder, got an empty string")
        folder = os.path.abspath(os.path.expanduser(text))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as err:
        raise ValueError(f"path: cannot create the cache folder {folder!r}: {err}") from err
    if not os.access(folder, os.W_OK):
        raise ValueError(f"path: the cache folder {folder!r} is not writable")

    previous = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_compilation_cache_dir", folder)
    if previous is not None and previous != folder:
        # JAX opens its cache once per process; re-open it in the new folder.
        from jax.experimental.compilation_cache import compilation_cache

        compilation_cache.reset_cache()
    return folder
