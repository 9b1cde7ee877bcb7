"""Conventions that hold across the package: tolerances in one file, the README's example runs.

docs/theory.md §10.3 (tolerances); README "Worked example". The docstring-example rule has its
own file, tests/test_docstring_examples.py.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mdmjax"

# A float literal at or below this (1e-5 and smaller, ``1e-k`` with k >= 5) reads as a
# tolerance and must be a named constant in mdmjax/_src/tolerances.py, with its reason.
TOLERANCE_LIKE = 1e-5

# (file, literal) pairs that are not tolerances, each with why. Keep this list short.
ALLOWED = {
    # the LayerNorm epsilon of the shipped network: a model parameter its weights were trained with
    ("calibrate/_word_mdm.py", "1e-5"),
    # MDLM's upstream default eps of the ancestral time grid (a schedule parameter, not a tolerance)
    ("schedules/_random_sizes.py", "1e-5"),
    # MaskGIT's upstream clip of gamma(r) (transcribed from upstream, docs/theory.md §7.2)
    ("schedules/_practice.py", "1e-6"),
    # owned by cli (flags and display), being moved to _src/tolerances.py there
    ("cli/policies.py", "1e-9"),
    ("cli/policies.py", "1e-12"),
    ("cli/report.py", "1e-12"),
    ("cli/schedules.py", "1e-12"),
}


def _float_literals(path: Path):
    src = path.read_text()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            if 0 < abs(node.value) <= TOLERANCE_LIKE:
                yield node.lineno, ast.get_source_segment(src, node)


def test_tolerance_literals_live_in_tolerances_py():
    """No ``1e-k``-style literal (k >= 5) outside ``_src/tolerances.py`` but the allowed ones.

    Docstrings and comments are text, not literals, and may quote a tolerance's value.
    """
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "_src/tolerances.py":
            continue
        for line, literal in _float_literals(path):
            if (rel, literal) not in ALLOWED:
                bad.append(f"mdmjax/{rel}:{line}: {literal}")
    assert not bad, "tolerance literals outside mdmjax/_src/tolerances.py:\n" + "\n".join(bad)


def test_tolerance_check_sees_a_literal(tmp_path):
    """The scan above finds a literal in code and skips one in a docstring."""
    f = tmp_path / "x.py"
    f.write_text('"""Within 1e-12."""\nTOL = 1e-12\nbig = 1e-3\n')
    assert list(_float_literals(f)) == [(2, "1e-12")]


def test_every_tolerance_has_a_reason():
    """Each constant in tolerances.py is preceded by a ``#:`` comment (its reason)."""
    lines = (PACKAGE / "_src" / "tolerances.py").read_text().splitlines()
    names = [i for i, s in enumerate(lines) if re.match(r"^[A-Z][A-Z0-9_]* = ", s)]
    assert len(names) >= 10
    bare = [lines[i] for i in names if not lines[i - 1].startswith("#:")]
    assert not bare, f"constants without a '#:' reason: {bare}"


def _worked_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Worked example\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the worked example is one ```python block"
    return blocks[0]


def test_readme_worked_example_runs():
    """The README's worked example runs as written, and its commented values hold."""
    import numpy as np

    scope: dict = {}
    exec(compile(_worked_example(), "README.md:worked-example", "exec"), scope)  # noqa: S102
    c, d, s, mc = scope["c"], scope["d"], scope["s"], scope["mc"]
    mdm = scope["mdm"]
    log5 = np.log(5)
    assert np.round(c.z / log5, 12).tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert (round(c.tc / log5, 12), round(c.dtc / log5, 12)) == (3.0, 2.0)
    assert abs(mdm.expected_kl(c, (2, 3))) < 1e-12
    assert abs(mdm.exact_kl(d, (3, 2), kind="expected") - log5) < 1e-10
    assert s.sizes == (2, 3) and abs(s.kl) < 1e-12
    assert mc.cross_entropy.shape == (4,)
