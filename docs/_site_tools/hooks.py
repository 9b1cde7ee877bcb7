"""MkDocs hooks: the pages generated at build time (mkdocs.yml ``hooks:``).

* ``cli/<command>.md``: each command's ``mdmjax <command> --help`` text (the parser the
  ``mdmjax`` console script runs, formatted at 100 columns), so the pages cannot diverge from it.
* ``experiments/<eNN>.md``: one page per ``results/e*/`` folder that exists, from its
  ``summary.json`` through ``experiments/make_readme_results.py`` (claim, result, tables, figure,
  reproduce command); a folder without a summary gets its CSV tables and ``figures/eNN_*.png``.
* ``figures/*.png`` and ``notebooks/*.ipynb`` from the repository root (rendered by
  mkdocs-jupyter, executed at build time).
* Links of ``docs/*.md`` that leave ``docs/``: to ``figures/`` they are re-pointed at the copies in
  the site; to other repository files they become the file's path in code font.
* ``assets/mathjax/``: MathJax 3 from the ``django-static-mathjax`` package, so the mathematics
  renders without a network; the offline plugin's iframe-worker shim (search from ``file://``)
  is served from ``javascripts/vendor/``.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import posixpath
import re
import shutil
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
HELP_COLUMNS = "100"
CLI_INTRO = """# The command line

Every page below is generated at build time from the command's own `--help` (the parser that
the `mdmjax` console script runs), so the pages and the program cannot diverge. Every command
takes the same law flags (`--family NAME --n N --q Q --param KEY=VALUE --seed S`, or
`--from-npy FILE`, or where a curve is enough `--z-npy FILE`) and the same output flags
(`--json PATH`, `--plot PATH`, `--quiet`). Bad input exits with code 2 and one line naming the
flag.

| command | what it does |
|---|---|
"""


# ------------------------------------------------------------------------------------------------
# The command line
# ------------------------------------------------------------------------------------------------
def cli_help() -> dict[str, tuple[str, str]]:
    """``{command: (help text, one-line summary)}`` for ``mdmjax --help`` (key ``""``) and every
    sub-command."""
    import argparse

    from mdmjax.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS  # argparse wraps to $COLUMNS
    try:
        parser = build_parser()
        out = {"": (parser.format_help(), parser.description or "")}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                summaries = {a.dest: a.help or "" for a in action._choices_actions}
                seen = set()
                for name, sub in action.choices.items():
                    if id(sub) in seen:  # an alias of a command already listed
                        continue
                    seen.add(id(sub))
                    summary = summaries.get(name) or (sub.description or "").split("\n")[0]
                    out[name] = (sub.format_help(), summary)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return out


def cli_pages() -> dict[str, str]:
    helps = cli_help()
    pages = {}
    rows = []
    for name, (text, summary) in helps.items():
        title = f"mdmjax {name}".strip()
        uri = f"cli/{name or 'mdmjax'}.md"
        summary = summary.replace("|", "\\|").replace("[", "\\[").replace("\n", " ")
        rows.append(f"| [`{title}`]({posixpath.basename(uri)}) | {summary} |")
        pages[uri] = (
            f"# `{title}`\n\nGenerated at build time from `{title} --help`.\n\n"
            f"```text\n{text.rstrip()}\n```\n"
        )
    pages["cli/index.md"] = CLI_INTRO + "\n".join(rows) + "\n"
    return pages


# ------------------------------------------------------------------------------------------------
# Experiments
# ------------------------------------------------------------------------------------------------
def _results_module():
    spec = importlib.util.spec_from_file_location(
        "_mdmjax_make_readme_results", ROOT / "experiments" / "make_readme_results.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def experiment_dirs() -> list[Path]:
    return sorted(p for p in (ROOT / "results").glob("e[0-9]*") if p.is_dir())


def _title(folder: Path, summary: dict | None) -> str:
    if summary and summary.get("title"):
        return summary["title"]
    return f"E{int(folder.name[1:])}" if folder.name[1:].isdigit() else folder.name


def _fallback_page(folder: Path, mrr) -> str:
    """A results folder without ``summary.json``: its CSV tables, figures and script."""
    lines = [f"# {_title(folder, None)}", ""]
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        if rows:
            lines += [f"`results/{folder.name}/{path.name}`:", ""]
            lines += mrr._table(rows[0], rows[1:51])
            if len(rows) > 51:
                lines.append(f"\n({len(rows) - 51} more rows in the file)")
            lines.append("")
    for fig in sorted((ROOT / "figures").glob(f"{folder.name}_*.png")):
        lines += [f"![{folder.name}](../figures/{fig.name})", ""]
    for script in sorted((ROOT / "experiments").glob(f"{folder.name}_*.py")):
        lines += [f"Reproduce: `python experiments/{script.name}` (add `--quick` for the CI mode)."]
    return "\n".join(lines) + "\n"


def experiment_pages() -> dict[str, str]:
    mrr = _results_module()
    pages = {}
    overview = []
    for folder in experiment_dirs():
        path = folder / "summary.json"
        summary = json.loads(path.read_text()) if path.exists() else None
        uri = f"experiments/{folder.name}.md"
        if summary is None:
            text = _fallback_page(folder, mrr)
            overview.append([f"[{_title(folder, None)}]({folder.name}.md)", "—", "—"])
        else:
            # figure links relative to a file one folder below the root: ../figures/...
            text = mrr.render([summary], ROOT, ROOT / "site-page" / "page.md")
            section = text[text.index("\n### ") + 1 :]
            section = "# " + section[len("### ") :]
            text = section
            overview.append(
                [
                    f"[{summary['title']}]({folder.name}.md)",
                    mrr.VERDICT.get(summary.get("held")),
                    summary.get("headline", ""),
                ]
            )
        pages[uri] = text
    index = [
        "# Experiments",
        "",
        "Each experiment checks one claim of the papers on exact numbers. Its page shows the",
        "claim, the result of the last full run (from `results/eNN/`), its tables and figure, and",
        "the command that reproduces it; `experiments/README.md` describes the scripts.",
        "",
    ]
    index += mrr._table(["experiment", "verdict", "headline"], overview)
    pages["experiments/index.md"] = "\n".join(index) + "\n"
    return pages


# ------------------------------------------------------------------------------------------------
# Notebooks
# ------------------------------------------------------------------------------------------------
def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def notebook_index() -> str:
    lines = [
        "# Notebooks",
        "",
        "The notebooks of `notebooks/`, executed when the site is built (so the outputs shown are",
        "those of the code in the repository). `paper_figures` displays the figures of the last",
        "full run of the experiments (`MDMJAX_NOTEBOOK_REGENERATE=0`).",
        "",
    ]
    lines += [f"* [{p.stem}]({p.name})" for p in notebooks()]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------
# MkDocs events
# ------------------------------------------------------------------------------------------------
def _generated_nav():
    cli = [{"Overview": "cli/index.md"}]
    cli += [{f"mdmjax {n}".strip(): f"cli/{n or 'mdmjax'}.md"} for n in cli_help()]
    exps = [{"Overview": "experiments/index.md"}]
    for folder in experiment_dirs():
        path = folder / "summary.json"
        summary = json.loads(path.read_text()) if path.exists() else None
        exps.append({_title(folder, summary): f"experiments/{folder.name}.md"})
    nbs = [{"Overview": "notebooks/index.md"}] + [
        {p.stem: f"notebooks/{p.name}"} for p in notebooks()
    ]
    return {"cli/index.md": cli, "experiments/index.md": exps, "notebooks/index.md": nbs}


def _expand_nav(items, generated):
    out = []
    for item in items:
        if isinstance(item, dict):
            ((key, value),) = item.items()
            if isinstance(value, list):
                out.append({key: _expand_nav(value, generated)})
            elif value in generated:
                out.append({key: generated[value]})
            else:
                out.append(item)
        elif item in generated:
            out.extend(generated[item])
        else:
            out.append(item)
    return out


def on_config(config):
    # The notebooks run in a kernel that inherits this environment: no progress bars, and
    # paper_figures shows the results of the full runs instead of regenerating them.
    os.environ.setdefault("MDMJAX_NO_PROGRESS", "1")
    os.environ.setdefault("MDMJAX_NOTEBOOK_REGENERATE", "0")
    os.environ.setdefault("MDMJAX_NOTEBOOK_OUT", str(ROOT))
    config["nav"] = _expand_nav(config["nav"], _generated_nav())
    return config


@event_priority(100)  # before mkdocs-jupyter, which turns the .ipynb files into pages
def on_files(files, config):
    pages = {**cli_pages(), **experiment_pages(), "notebooks/index.md": notebook_index()}
    for uri, content in pages.items():
        files.append(File.generated(config, uri, content=content))
    for fig in sorted((ROOT / "figures").glob("*.png")):
        files.append(File.generated(config, f"figures/{fig.name}", abs_src_path=str(fig)))
    for nb in notebooks():
        # a real file under the root (mkdocs-jupyter reads abs_src_path, which a generated file
        # backed by a path does not set on its wrapper)
        files.append(
            File(
                f"notebooks/{nb.name}",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files


_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")
_CODE_SPAN = re.compile(
    r"(?<![`\[])`((?:mdm|mdmjax)\.[A-Za-z_][\w.]*|[A-Za-z_]\w*)(\(\))?`(?![`\]])"
)
_FENCE = re.compile(r"^(\s*)(```|~~~)")


def api_entries() -> tuple[dict[str, str], dict[str, str]]:
    """From docs/api/*.md: ``{"mdm.kl.exact_kl" and "mdmjax.kl.exact_kl": entry}`` (shortcuts
    such as ``mdm.exact_kl`` included) and ``{bare name: entry}`` for the names that are unique."""
    qualified, bare = {}, {}
    api = ROOT / "docs" / "api"
    for page in sorted(api.glob("*.md")):
        module = "mdmjax" if page.stem == "mdmjax" else f"mdmjax.{page.stem}"
        text = page.read_text()
        for path in re.findall(r"^::: (mdmjax(?:\.\w+)+)\s*$", text, re.M):
            if path == module:
                continue
            qualified[path] = path
            bare.setdefault(path.rsplit(".", 1)[1], set()).add(path)
        for name, target in re.findall(r"^\| `(\w+)` \| \[`[\w.]+`\]\[([\w.]+)\] \|", text, re.M):
            qualified[f"{module}.{name}"] = target
    qualified.update({"mdm." + k[len("mdmjax.") :]: v for k, v in list(qualified.items())})
    return qualified, {k: next(iter(v)) for k, v in bare.items() if len(v) == 1}


def link_names(markdown: str, qualified: dict[str, str], bare: dict[str, str]) -> str:
    """Code spans naming a public object (``mdm.kl.exact_kl``, ``exact_kl()``) become links to
    its API entry; fenced code blocks are left alone."""

    def fix(match):
        name, call = match.group(1), match.group(2) or ""
        target = qualified.get(name) if "." in name else bare.get(name)
        return f"[`{name}{call}`][{target}]" if target else match.group(0)

    out, fenced = [], None
    for line in markdown.split("\n"):
        fence = _FENCE.match(line)
        if fence and (fenced is None or fence.group(2) == fenced):
            fenced = fence.group(2) if fenced is None else None
            out.append(line)
        elif fenced is None and not line.startswith("    "):
            out.append(_CODE_SPAN.sub(fix, line))
        else:
            out.append(line)
    return "\n".join(out)


def display_math_paragraphs(markdown: str) -> str:
    """A ``$$ ... $$`` block that starts a line inside a paragraph (GitHub renders it; arithmatex
    wants a paragraph of its own) gets blank lines around it; fenced code is left alone."""
    lines = markdown.split("\n")
    out, fenced, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence and (fenced is None or fence.group(2) == fenced):
            fenced = fence.group(2) if fenced is None else None
        stripped = line.strip()
        if fenced is None and stripped.startswith("$$"):
            end = i
            if not (len(stripped) > 2 and stripped.endswith("$$")):  # not a one-line block
                end = i + 1
                while end < len(lines) - 1 and not lines[end].rstrip().endswith("$$"):
                    end += 1
            if out and out[-1].strip():
                out.append("")
            out += lines[i : end + 1]
            if end + 1 < len(lines) and lines[end + 1].strip():
                out.append("")
            i = end + 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    """Links that leave docs/: figures/ to the site's copies, other files to their path; on the
    prose pages (not the API reference), code spans naming a public object link to its entry."""
    here = posixpath.dirname(page.file.src_uri)
    if not page.file.src_uri.startswith(("api/", "cli/")):
        markdown = link_names(markdown, *api_entries())
    markdown = display_math_paragraphs(markdown)

    def fix(match):
        bang, text, target = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(here, path))
        if not resolved.startswith("../"):
            return match.group(0)
        repo_path = resolved[len("../") :]
        if repo_path.startswith("figures/"):
            return f"{bang}[{text}]({posixpath.relpath(repo_path, here or '.')})"
        if bang:
            return f"`{repo_path}`"
        return f"{text} (`{repo_path}`)" if text.strip("`") != repo_path else f"`{repo_path}`"

    return _LINK.sub(fix, markdown)


def on_post_build(config):
    """Copy MathJax 3 (single-file SVG build with every TeX extension) into the site."""
    import mathjax  # the django-static-mathjax package

    es5 = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    dest = Path(config["site_dir"]) / "assets" / "mathjax"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(es5 / "tex-svg-full.js", dest / "tex-svg-full.js")
    for sub in ("a11y", "ui", "input", "output", "adaptors"):
        if (es5 / sub).is_dir():
            shutil.copytree(es5 / sub, dest / sub, dirs_exist_ok=True)


IFRAME_WORKER_CDN = "https://unpkg.com/iframe-worker/shim"
IFRAME_WORKER = "javascripts/vendor/iframe-worker-shim.js"


def on_post_page(output, page, config):
    """The offline plugin's iframe-worker shim (search from file://) from the site's own copy
    instead of a CDN. Notebook pages: mkdocs-jupyter's table of contents slugs a heading with code
    in it (``## 6. A trained model's curve (`mdm.model_curve`)``) differently from the heading's
    id; point such a link at the heading whose id it begins."""
    from mkdocs.utils import get_relative_url

    output = output.replace(
        f'src="{IFRAME_WORKER_CDN}"', f'src="{get_relative_url(IFRAME_WORKER, page.url)}"'
    )
    if not page.file.src_uri.endswith(".ipynb"):
        return output
    ids = set(re.findall(r'\bid="([^"]+)"', output))

    def fix(match):
        target = match.group(1)
        if target in ids:
            return match.group(0)
        found = sorted(i for i in ids if i.startswith(target))
        return f'href="#{found[0]}"' if len(found) == 1 else match.group(0)

    return re.sub(r'href="#([^"]+)"', fix, output)


def on_post_template(output_content, template_name, config):
    """404.html (a template, not a page) links from the site's root."""
    return output_content.replace(f'src="{IFRAME_WORKER_CDN}"', f'src="/{IFRAME_WORKER}"')
