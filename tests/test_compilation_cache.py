"""The persistent compilation cache: off on import, three settings, never a changed number.

Anything that enables the cache runs in a child process, so that this test process keeps its
own JAX configuration.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import jax
import pytest

from mdmjax._src.compilation_cache import CACHE_ENV, default_cache_dir, enable_compilation_cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_SETTINGS = {
    "jax_compilation_cache_dir",
    "jax_persistent_cache_min_compile_time_secs",
    "jax_persistent_cache_min_entry_size_bytes",
}
# A small law with non-trivial numbers: cold + warm run of the CLI in a few seconds.
SMALL_REPORT = ["report", "--family", "dirichlet", "--n", "4", "--q", "3", "--steps", "1", "2"]
SMALL_REPORT += ["4", "--k", "2", "--json", "-"]


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env["JAX_PLATFORMS"] = "cpu"
    for var in ("JAX_COMPILATION_CACHE_DIR", "JAX_ENABLE_COMPILATION_CACHE", CACHE_ENV):
        env.pop(var, None)
    for var in [k for k in env if k.startswith("JAX_PERSISTENT_CACHE")]:
        env.pop(var)
    env.update(extra)
    return env


def _python(code: str, **env) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=_env(**env),
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _cli(args: list[str], **env) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-m", "mdmjax.cli", *args],
        capture_output=True,
        env=_env(**env),
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:].decode()
    return proc.stdout


def _entries(folder) -> set[str]:
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def test_default_cache_dir():
    home = {"HOME": "/home/u"}
    assert default_cache_dir(home) == "/home/u/.cache/mdmjax/jax"
    assert default_cache_dir({**home, "XDG_CACHE_HOME": ""}) == "/home/u/.cache/mdmjax/jax"
    assert default_cache_dir({**home, "XDG_CACHE_HOME": "/x"}) == "/x/mdmjax/jax"
    assert default_cache_dir({**home, CACHE_ENV: "/c", "XDG_CACHE_HOME": "/x"}) == "/c"
    assert default_cache_dir({**home, CACHE_ENV: ""}) == "/home/u/.cache/mdmjax/jax"
    for off in ("off", "OFF", " Off "):
        assert default_cache_dir({**home, CACHE_ENV: off}) is None
    assert default_cache_dir({CACHE_ENV: "rel"}) == os.path.abspath("rel")


def test_bad_path_raises_before_changing_anything(tmp_path):
    before = jax.config.values
    with pytest.raises(ValueError, match=r"^path: expected a folder"):
        enable_compilation_cache("")
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ValueError, match=r"^path: cannot create the cache folder"):
        enable_compilation_cache(blocker / "cache")
    assert jax.config.values == before


def test_import_changes_nothing_and_enable_changes_three_settings(tmp_path):
    out = _python(
        f"""
        import json, os
        import jax
        before = dict(jax.config.values)
        import mdmjax as mdm
        assert dict(jax.config.values) == before, "importing mdmjax changed a setting"
        assert jax.config.jax_compilation_cache_dir is None
        first = mdm.enable_compilation_cache({str(tmp_path / "one")!r})
        changed = sorted(k for k, v in jax.config.values.items() if before.get(k) != v)
        with jax.enable_x64(True):
            float(jax.jit(lambda x: x * 2.5 + 1)(2.0))
        one = sorted(os.listdir(first))
        second = mdm.enable_compilation_cache({str(tmp_path / "two")!r})
        jax.jit(lambda x: x - 3)(1.0).block_until_ready()
        print(json.dumps(dict(first=first, second=second, changed=changed, one=one,
                              two=sorted(os.listdir(second)),
                              values={{k: jax.config.values[k] for k in changed}},
                              mode=os.stat(first).st_mode & 0o777)))
        """
    )
    got = json.loads(out.strip().splitlines()[-1])
    assert got["first"] == str(tmp_path / "one")
    assert got["second"] == str(tmp_path / "two")
    assert set(got["changed"]) == CACHE_SETTINGS
    assert got["values"]["jax_persistent_cache_min_compile_time_secs"] == 0.0
    assert got["values"]["jax_persistent_cache_min_entry_size_bytes"] == -1
    assert got["mode"] == 0o700
    assert got["one"], "a tiny kernel was not cached on this backend"
    assert got["two"], "enabling again with another folder did not move the cache"


def test_cli_cold_and_warm_runs_print_the_same_bytes(tmp_path):
    cache = tmp_path / "cache"
    cold = _cli(SMALL_REPORT, **{CACHE_ENV: str(cache)})
    written = _entries(cache)
    assert written, "the cold run wrote nothing to the cache"
    warm = _cli(SMALL_REPORT, **{CACHE_ENV: str(cache)})
    assert _entries(cache) == written, "the warm run compiled something again"
    assert warm == cold
    assert json.loads(cold)["n"] == 4


def test_cli_no_cache_flag_and_off(tmp_path, monkeypatch):
    """In process (the cache stays off here): ``--no-cache`` anywhere, or MDMJAX_CACHE_DIR=off."""
    from mdmjax.cli import build_parser, main

    parser = build_parser()
    assert parser.parse_args(["report"]).no_cache is False
    assert parser.parse_args(["--no-cache", "report"]).no_cache is True
    assert parser.parse_args(["report", "--no-cache"]).no_cache is True

    before = jax.config.values
    args = [
        "report",
        "--family",
        "parity",
        "--n",
        "3",
        "--steps",
        "1",
        "--json",
        str(tmp_path / "o"),
    ]
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "unused"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert main(["--no-cache", *args]) == 0
    assert main([*args, "--no-cache"]) == 0
    monkeypatch.setenv(CACHE_ENV, "off")
    assert main(args) == 0
    assert not (tmp_path / "unused").exists() and not (tmp_path / "xdg").exists()
    assert jax.config.values == before
