"""The package's shape: no import cycles, no private imports across subpackages, no global flags.

docs/theory.md §10; README "Architecture".
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mdmjax"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Every ``mdmjax`` import in the file (module level and inside functions)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mdmjax" or node.module.startswith("mdmjax."):
                out.append((node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            out += [(a.name, ()) for a in node.names if a.name.startswith("mdmjax")]
    return out


def _unit(module: str) -> str:
    """The subpackage (or top-level module) a module belongs to: ``mdmjax.kl._x`` -> ``kl``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _graph():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for mod, names in _imports(path):
            if mod == "mdmjax":  # from mdmjax import kl, curves, ...
                targets |= {f"mdmjax.{n}" for n in names if f"mdmjax.{n}" in modules}
            else:
                targets.add(mod)
        edges[name] = targets
    return modules, edges


def _find_cycle(nodes, succ):
    state, stack = {}, []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(succ(u)):
            if state.get(v) == 1:
                return stack[stack.index(v) :] + [v]
            if v not in state:
                found = visit(v)
                if found:
                    return found
        state[u] = 2
        stack.pop()
        return None

    for u in sorted(nodes):
        if u not in state:
            found = visit(u)
            if found:
                return found
    return None


def test_find_cycle_detects_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _find_cycle(graph, lambda u: graph[u]) == ["a", "b", "c", "a"]
    graph["c"] = set()
    assert _find_cycle(graph, lambda u: graph[u]) is None


def test_no_import_cycle_between_subpackages():
    """Lazy (function-level) imports count too: the subpackages form a DAG."""
    _, edges = _graph()
    units = {}
    for src, targets in edges.items():
        for t in targets:
            a, b = _unit(src), _unit(t)
            if a and b and a != b:
                units.setdefault(a, set()).add(b)
    cycle = _find_cycle(set(units), lambda u: units.get(u, set()))
    assert cycle is None, f"import cycle between subpackages: {' -> '.join(cycle)}"


def test_no_module_level_import_cycle():
    modules, edges = _graph()

    def succ(u):
        return {t for t in edges.get(u, ()) if t in modules and t != u}

    # a subpackage's __init__ importing its own private modules is not a cycle by itself; a
    # private module importing its own package's __init__ back is
    cycle = _find_cycle(set(modules), succ)
    assert cycle is None, f"module import cycle: {' -> '.join(cycle)}"


def test_no_private_imports_across_subpackages():
    modules, _ = _graph()
    bad = []
    for name, path in modules.items():
        home = _unit(name)
        for mod, names in _imports(path):
            unit = _unit(mod)
            if unit in ("", "_src") or unit == home:
                continue
            private_module = any(p.startswith("_") for p in mod.split(".")[2:])
            private_names = [n for n in names if n.startswith("_")]
            if private_module or private_names:
                bad.append(f"{name}: from {mod} import {', '.join(names)}")
    assert not bad, "private imports across subpackages:\n" + "\n".join(bad)


def test_library_never_imports_the_cli():
    modules, edges = _graph()
    bad = [
        name
        for name, targets in edges.items()
        if _unit(name) not in ("cli", "__main__") and any(_unit(t) == "cli" for t in targets)
    ]
    assert not bad, f"library modules importing mdmjax.cli: {bad}"


def test_import_changes_no_global_jax_setting():
    code = (
        "import jax, jax.numpy as jnp; before = dict(jax.config.values);"
        "import mdmjax as mdm;"
        "assert not jax.config.jax_enable_x64;"
        "assert jnp.zeros(3).dtype == jnp.float32, jnp.zeros(3).dtype;"
        "changed = {k for k in before if jax.config.values.get(k) != before[k]};"
        "assert not changed, changed;"
        "c = mdm.information_curve(mdm.families.repetition(4));"
        "assert c.z.dtype == 'float64' and not jax.config.jax_enable_x64;"
        "assert jnp.ones(2).dtype == jnp.float32; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
