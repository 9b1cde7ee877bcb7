"""A griffe extension: the reST of mdmjax's docstrings, as the site's Markdown.

The docstrings are Google style with a few reST constructs. Before mkdocstrings parses them:

* ``.. math::`` blocks (one line or indented) become ``$$ ... $$`` display maths (MathJax via
  ``pymdownx.arithmatex``), ``:math:`x``` inline ``$x$``;
* ``:func:``, ``:class:``, ``:meth:``, ``:mod:``, ``:attr:``, ``:data:`` roles become links to
  the object's entry when the name resolves in the package (relative to the subpackage, the module
  or the class of the docstring; ``~`` keeps the last component), else the name in code font;
* ``docs/theory.md §N.M`` becomes a link to that section of the theory page;
* a line ending in reST's literal-block marker ``::`` ends in ``:``.

Double backticks are already Markdown code spans. The strict build and the browser test of
tests/test_docs_site.py check the result.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import griffe

ROLE = re.compile(r":(func|class|meth|mod|attr|data|obj|exc):`([^`]+)`")
MATH_ROLE = re.compile(r":math:`([^`]+)`")
API_DIR = Path(__file__).resolve().parents[1] / "api"
# a public module's page: mdmjax -> mdmjax.md, mdmjax.kl -> kl.md
API_PAGES = {
    ("mdmjax" if p.stem == "mdmjax" else f"mdmjax.{p.stem}"): p.name
    for p in API_DIR.glob("*.md")
    if p.stem != "index"
}
THEORY = re.compile(r"docs/theory\.md\s+§\s?(\d+(?:\.\d+)?)")


def _theory_slugs() -> dict[str, str]:
    """``{"2.3": "23-theorem-4", ...}``: the anchors of docs/theory.md's numbered headings."""
    from markdown.extensions.toc import slugify

    text = (Path(__file__).resolve().parents[1] / "theory.md").read_text()
    out = {}
    for m in re.finditer(r"^#{2,4} §(\d+(?:\.\d+)?)\s+(.*)$", text, re.M):
        out[m.group(1)] = slugify(f"§{m.group(1)} {m.group(2)}", "-")
    return out


def _math_blocks(text: str) -> str:
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)\.\. math::\s*(.*)$", line)
        if not m:
            out.append(line)
            i += 1
            continue
        indent, inline = m.groups()
        body = [inline] if inline.strip() else []
        i += 1
        while i < len(lines):
            nxt = lines[i]
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= len(indent):
                break
            body.append(nxt.strip())
            i += 1
        while body and not body[-1]:
            body.pop()
        while body and not body[0]:
            body.pop(0)
        out += ["", f"{indent}$$", *[f"{indent}{b}" for b in body if b], f"{indent}$$", ""]
    return "\n".join(out)


class RestRoles(griffe.Extension):
    """Rewrite the reST roles and math blocks of every docstring of the package."""

    def __init__(self) -> None:
        super().__init__()
        self._slugs = _theory_slugs()

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs) -> None:
        collection = loader.modules_collection
        for obj in self._walk(pkg, set()):
            if obj.docstring is not None:
                obj.docstring.value = self._convert(obj, obj.docstring.value, collection)

    def _walk(self, obj, seen):
        if obj.is_alias or obj.path in seen:
            return
        seen.add(obj.path)
        yield obj
        for member in obj.members.values():
            if not member.is_alias:
                yield from self._walk(member, seen)

    def _resolve(self, obj, target: str, collection):
        parts = obj.path.split(".")
        scopes = []
        if obj.is_class:
            scopes.append(obj.path)
        if obj.parent is not None and obj.parent.is_class:
            scopes.append(obj.parent.path)
        module = obj if obj.is_module else obj.module
        scopes += [module.path, ".".join(parts[:2]), "mdmjax", ""]
        for scope in scopes:
            path = f"{scope}.{target}" if scope else target
            try:
                found = collection[path]
            except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
            try:
                return found.final_target.path if found.is_alias else found.path
            except (griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
        return None

    def _convert(self, obj, text: str, collection) -> str:
        text = _math_blocks(text)
        # reST's "text::" introduces a literal (indented) block: Markdown shows "text:"
        # (not inside an open ``code span``, e.g. a pytest id ``file.py::name`` broken over lines)
        text = re.sub(
            r"(?m)^(?!\s*>>>)(.*\S)::[ \t]*$",
            lambda m: m.group(0) if m.group(1).count("``") % 2 else m.group(1) + ":",
            text,
        )
        text = MATH_ROLE.sub(lambda m: f"${m.group(1)}$", text)

        def role(m):
            raw = m.group(2).strip()
            short = raw.startswith("~")
            target = raw.lstrip("~").removesuffix("()")
            title = target.rsplit(".", 1)[-1] if short else target
            if m.group(1) in ("func", "meth"):
                title += "()"
            path = self._resolve(obj, target, collection)
            code = f"<code>{html.escape(title)}</code>"
            if path is None:
                return code
            page = API_PAGES.get(path)
            if page is not None:  # a public module: its page (the docstrings render in api/)
                return f"[{code}]({page})"
            return f'<autoref identifier="{html.escape(path)}" optional>{code}</autoref>'

        text = ROLE.sub(role, text)

        def theory(m):
            slug = self._slugs.get(m.group(1))
            if slug is None:
                return m.group(0)
            return f"[docs/theory.md §{m.group(1)}](../theory.md#{slug})"

        return THEORY.sub(theory, text)
