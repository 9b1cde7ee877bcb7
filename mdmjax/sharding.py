"""Sharding the state axis of the exact kernels over devices, with JAX's own ``jax.sharding``.

The subset-entropy kernel (:mod:`mdmjax.curves`) and the mixture-KL DP (:mod:`mdmjax.kl`)
both loop over many independent pieces of one law: rows of the partly extended marginal table,
or outcomes ``x``. Those pieces form the *state axis*. Here it is laid out over a one-dimensional
:class:`jax.sharding.Mesh` whose single axis is named :data:`STATE_AXIS`; the kernels split it with
``jax.shard_map`` and gather the per-piece results, so a sharded run adds the same numbers in the
same order as a single-device run.

Several hosts: call ``jax.distributed.initialize()`` in every process before anything else; then
``jax.devices()`` lists the devices of all hosts, :func:`state_mesh` spans them, and every process
runs the same program on the same law (see ``docs/scaling.md``; ``tests/test_multiprocess.py``
runs two processes on one machine with gloo CPU collectives). Nothing here is home-made
multiprocessing.

Examples:
  >>> import mdmjax as mdm
  >>> mesh = mdm.sharding.state_mesh()
  >>> mesh.axis_names
  ('states',)
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import numpy as np
from jax.sharding import Mesh

from mdmjax._src.precision import scoped_x64

__all__ = ["STATE_AXIS", "state_mesh", "resolve_mesh", "num_shards", "device_memory_limit"]

STATE_AXIS = "states"


@scoped_x64
def state_mesh(devices: Sequence[jax.Device] | None = None) -> Mesh:
    """A one-dimensional mesh over ``devices`` (default: all of ``jax.devices()``).

    Its single axis is named :data:`STATE_AXIS`.

    Args:
      devices: the devices, in order (default: all of ``jax.devices()``).

    Returns:
      a :class:`jax.sharding.Mesh`.

    Raises:
      ValueError: ``devices`` is empty.

    Examples:
      >>> import jax, mdmjax as mdm
      >>> mesh = mdm.sharding.state_mesh(jax.devices()[:1])
      >>> mesh.axis_names == (mdm.sharding.STATE_AXIS,), mesh.devices.size
      (True, 1)
      >>> mdm.sharding.state_mesh().devices.size == jax.device_count()
      True
    """
    devs = list(jax.devices() if devices is None else devices)
    if not devs:
        raise ValueError("devices: expected at least one device")
    return Mesh(np.asarray(devs, dtype=object), (STATE_AXIS,))


@scoped_x64
def resolve_mesh(mesh, *, traced: bool) -> Mesh | None:
    """The mesh a kernel should shard over, or ``None`` for the plain single-device path.

    Args:
      mesh: ``None`` (automatic: every device when there is more than one), ``False`` (never
        shard), or a one-dimensional :class:`jax.sharding.Mesh`.
      traced: ``True`` when the kernel is being traced by ``jit``/``vmap``; sharding is then left
        to the caller and the plain path is used.

    Returns:
      the mesh to shard over, or ``None``.

    Raises:
      ValueError: ``mesh`` is neither ``None``, ``False`` nor a one-dimensional ``Mesh``.

    Examples:
      >>> import jax, mdmjax as mdm
      >>> mesh = mdm.sharding.state_mesh(jax.devices()[:1])
      >>> mdm.sharding.resolve_mesh(mesh, traced=False) is mesh
      True
      >>> resolve = mdm.sharding.resolve_mesh
      >>> resolve(False, traced=False), resolve(mesh, traced=True)  # the plain path
      (None, None)
      >>> (mdm.sharding.resolve_mesh(None, traced=False) is None) == (jax.device_count() == 1)
      True
      >>> mdm.sharding.resolve_mesh("gpu", traced=False)
      Traceback (most recent call last):
        ...
      ValueError: mesh: expected None, False or a jax.sharding.Mesh, got 'gpu'
    """
    if mesh is False or traced:
        return None
    if mesh is None:
        return state_mesh() if jax.device_count() > 1 else None
    if not isinstance(mesh, Mesh):
        raise ValueError(f"mesh: expected None, False or a jax.sharding.Mesh, got {mesh!r}")
    if len(mesh.axis_names) != 1:
        raise ValueError(
            f"mesh: expected a one-dimensional mesh, got axes {mesh.axis_names}; build one with "
            "mdmjax.sharding.state_mesh()"
        )
    return mesh


@scoped_x64
def num_shards(mesh: Mesh | None) -> int:
    """Number of devices along the state axis (1 without a mesh).

    Args:
      mesh: a mesh or ``None``.

    Returns:
      the number of shards, an int.

    Examples:
      >>> import jax, mdmjax as mdm
      >>> mdm.sharding.num_shards(None)
      1
      >>> mdm.sharding.num_shards(mdm.sharding.state_mesh()) == len(jax.devices())
      True
    """
    return 1 if mesh is None else int(mesh.devices.size)


@scoped_x64
def device_memory_limit(mesh: Mesh | None = None) -> int | None:
    """Bytes an accelerator lets one program allocate (``memory_stats()["bytes_limit"]``).

    The smallest over the mesh's devices (default: the first device); ``None`` on backends that
    do not report it (the CPU, whose limit is the host's: :func:`mdmjax._src.memory.memory_limit`).

    Args:
      mesh: a mesh, or ``None`` for the first device.

    Returns:
      bytes, or ``None``.

    Examples:
      The default is the first device's limit, whatever the backend:

      >>> import jax, mdmjax as mdm
      >>> limit = mdm.sharding.device_memory_limit()
      >>> limit is None or limit > 0
      True
      >>> mdm.sharding.device_memory_limit(mdm.sharding.state_mesh(jax.devices()[:1])) == limit
      True
    """
    devices = [jax.devices()[0]] if mesh is None else list(mesh.devices.flat)
    limits = []
    for dev in devices:
        try:
            stats = dev.memory_stats()
        except Exception:  # noqa: BLE001  (backend-specific; absence means "not reported")
            stats = None
        if stats and "bytes_limit" in stats:
            limits.append(int(stats["bytes_limit"]))
    return min(limits) if limits else None
