"""Sharding over 4 host devices gives the one-device results (subset kernel and mixture DP)."""

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import mdmjax as mdm
from mdmjax.sharding import (
    STATE_AXIS,
    device_memory_limit,
    num_shards,
    resolve_mesh,
    state_mesh,
)

SCRIPT = textwrap.dedent(
    """
    import numpy as np, jax
    import mdmjax as mdm
    from mdmjax.curves import plan_subset_entropies, subset_entropies
    from mdmjax.kl import mixture_kl, mixture_log_ratio
    from mdmjax.sharding import state_mesh

    assert jax.device_count() == 4, jax.devices()
    rng = np.random.default_rng(0)
    mesh = state_mesh()
    for shape in [(2,) * 9, (3, 2, 2, 3, 2), (5,)]:
        p = rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)
        one = np.asarray(subset_entropies(p, mesh=False))
        auto = subset_entropies(p)  # all 4 devices by default
        assert len(auto.sharding.device_set) == 4
        assert np.array_equal(np.asarray(auto), one), (shape, np.abs(np.asarray(auto) - one).max())
        for m in {1, len(shape) - 1}:  # 3 and 3^8 or 4 and 4*3*3*4 rows: padding to 4 devices
            plan = plan_subset_entropies(shape, outer_axes=m, rows_per_step=1, num_devices=4)
            four = np.asarray(subset_entropies(p, mesh=mesh, plan=plan))
            ref = np.asarray(subset_entropies(
                p, mesh=False, plan=plan_subset_entropies(shape, outer_axes=m, rows_per_step=1)))
            assert np.array_equal(four, ref), (shape, m, np.abs(four - ref).max())
    for shape, sizes in [((2,) * 7, (2, 3, 2)), ((3, 2, 3, 2), (1, 3))]:
        d = mdm.Distribution.from_probs(
            rng.dirichlet(np.ones(int(np.prod(shape)))).reshape(shape))
        a = mixture_kl(d, sizes, mesh=False)
        b = mixture_kl(d, sizes)
        assert a == b, (shape, sizes, a, b)
    ra = mixture_log_ratio(d, sizes, mesh=False)
    rb = mixture_log_ratio(d, sizes, mesh=mesh)
    assert np.array_equal(ra, rb)
    print("SHARDING-OK")
    """
)


@pytest.mark.slow
def test_four_host_devices_match_one_device():
    env = dict(os.environ)
    env["XLA_FLAGS"] = env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
    env["JAX_PLATFORMS"] = "cpu"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SHARDING-OK" in proc.stdout


def test_mesh_helpers():
    mesh = state_mesh()
    assert mesh.axis_names == (STATE_AXIS,)
    assert num_shards(mesh) == jax.device_count()
    assert num_shards(None) == 1
    assert resolve_mesh(False, traced=False) is None
    assert resolve_mesh(mesh, traced=True) is None
    assert resolve_mesh(mesh, traced=False) is mesh
    if jax.device_count() == 1:
        assert resolve_mesh(None, traced=False) is None
    with pytest.raises(ValueError, match="mesh"):
        resolve_mesh("all", traced=False)
    two_d = jax.sharding.Mesh(np.asarray(jax.devices()[:1]).reshape(1, 1), ("a", "b"))
    with pytest.raises(ValueError, match="one-dimensional"):
        resolve_mesh(two_d, traced=False)
    with pytest.raises(ValueError, match="devices"):
        state_mesh([])
    limit = device_memory_limit()
    assert limit is None if jax.default_backend() == "cpu" else limit > 0


def test_explicit_one_device_mesh_matches_plain_path(rng):
    p = rng.dirichlet(np.ones(2**6)).reshape((2,) * 6)
    a = np.asarray(mdm.subset_entropies(p, mesh=state_mesh(jax.devices()[:1])))
    b = np.asarray(mdm.subset_entropies(p, mesh=False))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)
