"""The documentation site (mkdocs.yml, docs/): complete, strict, linked, and working in a browser.

* Default job: the API reference (``docs/api/*.md``) documents exactly the names the package
  exports, each object once; the link checker used below finds a broken link.
* Slow job: ``mkdocs build --strict`` (any warning fails), then every internal ``href``/``src``
  of the built HTML resolves (file and anchor) and nothing is loaded from another host, then
  headless Chromium opens four pages and checks console errors, typeset mathematics, images and
  the search box. Without mkdocs or Chromium these skip locally and fail when ``CI`` is set.

The public names of a module are its ``__all__`` when it has one, else its explicit re-exports
``from x import name as name`` (the package's convention; helpers imported plainly, such as
``attribute``, are not public). The command line is documented by the generated ``cli/`` pages.
"""

from __future__ import annotations

import ast
import html.parser
import importlib
import importlib.util
import os
import posixpath
import re
import shutil
import socket
import subprocess
import sys
import time
import types
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
PACKAGE = ROOT / "mdmjax"
# The name the browser test types into the search box: a public name that must be found.
SEARCH_NAME = "sampler_kl"
# Pages the browser test opens (relative to the site root) and what each must show.
BROWSER_PAGES = {
    "index.html": {},
    "concepts/theorem4.html": {"math": True},
    "api/kl.html": {"math": True},
    "experiments/e01.html": {"images": True},
    "theory.html": {"math": True},
    "notebooks/paper_figures.html": {"images": True},
}
FULL_ENTRY = re.compile(r"^::: (mdmjax(?:\.\w+)*)\s*$", re.M)
SHORTCUT_ROW = re.compile(r"^\| `(\w+)` \| \[`[\w.]+`\]\[(mdmjax(?:\.\w+)+)\] \|\s*$", re.M)


def _public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        tree = ast.parse(Path(module.__file__).read_text())
        names = [
            alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
            if alias.asname == alias.name
        ]
    return [n for n in names if not isinstance(getattr(module, n), types.ModuleType)]


def _documented_modules() -> list[str]:
    """``mdmjax`` and every public subpackage or top-level module (the CLI aside)."""
    out = ["mdmjax"]
    for path in sorted(PACKAGE.iterdir()):
        name = path.stem if path.suffix == ".py" else path.name
        is_module = path.suffix == ".py" or (path / "__init__.py").exists()
        if is_module and not name.startswith("_") and name != "cli":
            out.append(f"mdmjax.{name}")
    return out


def _page(module_name: str) -> Path:
    return API / f"{module_name.rsplit('.', 1)[-1]}.md"


def _resolve(path: str):
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def test_api_reference_documents_every_exported_name_once():
    modules = _documented_modules()
    missing_pages = [m for m in modules if not _page(m).exists()]
    assert not missing_pages, f"no API page docs/api/<name>.md for: {missing_pages}"
    full = {}  # entry path -> page
    exported = {}  # (module, name) -> object
    documented = {}  # (module, name) -> how
    for module_name in modules:
        text = _page(module_name).read_text()
        module = importlib.import_module(module_name)
        for name in _public_names(module_name):
            exported[(module_name, name)] = getattr(module, name)
        for path in FULL_ENTRY.findall(text):
            if path == module_name:  # the module's own docstring, members off
                continue
            assert path not in full, f"{path} has two entries ({full[path]}, {_page(module_name)})"
            full[path] = _page(module_name).name
            owner, _, name = path.rpartition(".")
            assert owner == module_name, f"{path} is documented on the page of {module_name}"
            documented[(module_name, name)] = "entry"
        for name, target in SHORTCUT_ROW.findall(text):
            documented[(module_name, name)] = target
    not_documented = sorted(f"{m}.{n}" for m, n in exported.keys() - documented.keys())
    not_exported = sorted(f"{m}.{n}" for m, n in documented.keys() - exported.keys())
    assert not not_documented, f"exported but not in the API reference: {not_documented}"
    assert not not_exported, f"in the API reference but not exported: {not_exported}"
    # a shortcut row points at a full entry of the same object; each object has one full entry
    for (module_name, name), how in documented.items():
        if how != "entry":
            assert how in full, f"{module_name}.{name} points at {how}, which has no entry"
            assert _resolve(how) is exported[(module_name, name)], (module_name, name, how)
    homes = {}
    for path in full:
        obj = _resolve(path)
        if callable(obj):
            assert id(obj) not in homes, f"{path} and {homes[id(obj)]} document one object"
            homes[id(obj)] = path
    assert len(exported) > 250 and len(full) > 230


# ------------------------------------------------------------------------------------------------
# The internal link check
# ------------------------------------------------------------------------------------------------
class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (tag.attr, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        for attr in ("href", "src"):
            url = attrs.get(attr)
            if url is not None and tag in ("a", "img", "link", "script", "source", "iframe"):
                self.links.append((f"{tag}.{attr}", url))


def check_links(site: Path) -> list[str]:
    """Every broken internal link of the built site, as ``page: tag.attr url (why)``.

    A link to another host from ``a`` is allowed (and not followed); one from ``img``, ``link``,
    ``script``, ``source`` or ``iframe`` is a problem (the site must work offline)."""
    parsed = {}
    for page in sorted(site.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(errors="replace"))
        parsed[page] = parser
    problems = []
    for page, parser in parsed.items():
        rel = page.relative_to(site).as_posix()
        for what, url in parser.links:
            parts = urlsplit(url)
            if parts.scheme in ("mailto", "javascript", "data") or url.startswith("about:"):
                continue
            if parts.scheme or parts.netloc:
                if not what.startswith("a."):
                    problems.append(f"{rel}: {what} {url} (loaded from another host)")
                continue
            if not parts.path:
                target = page
            elif parts.path.startswith("/"):  # 404.html links from the site's root
                target = site / unquote(parts.path.lstrip("/"))
                if parts.path.endswith("/") or target.is_dir():
                    target = target / "index.html"
            else:
                joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), parts.path))
                target = site / unquote(joined)
                if parts.path.endswith("/") or target.is_dir():
                    target = target / "index.html"
            if joined_outside(site, target):
                problems.append(f"{rel}: {what} {url} (outside the site)")
            elif not target.exists():
                problems.append(f"{rel}: {what} {url} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else set()
                if unquote(parts.fragment) not in ids:
                    problems.append(f"{rel}: {what} {url} (no anchor #{parts.fragment})")
    return problems


def joined_outside(site: Path, target: Path) -> bool:
    try:
        target.resolve().relative_to(site.resolve())
        return False
    except ValueError:
        return True


def test_link_check_finds_broken_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(b"")
    (tmp_path / "index.html").write_text(
        '<a href="a/page.html#there">ok</a> <a href="https://example.org">out</a>'
        '<a href="#top" id="top">self</a> <img src="a/x.png">'
    )
    (tmp_path / "a" / "page.html").write_text('<h2 id="there">t</h2><a href="../index.html">up</a>')
    assert check_links(tmp_path) == []
    (tmp_path / "a" / "page.html").write_text(
        '<a href="../missing.html">m</a> <a href="../index.html#nowhere">n</a>'
        '<img src="../../outside.png"> <script src="https://cdn.example/x.js"></script>'
    )
    problems = check_links(tmp_path)
    assert len(problems) == 5, problems  # index.html's #there is gone too
    assert any("missing.html (no such file)" in p for p in problems)
    assert any("#nowhere" in p for p in problems)
    assert any("outside the site" in p for p in problems)
    assert any("another host" in p for p in problems)


# ------------------------------------------------------------------------------------------------
# The slow job: build, links, browser
# ------------------------------------------------------------------------------------------------
def _require(condition: bool, why: str):
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (required when CI is set)")
        pytest.skip(why)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        mkdocs = None
    _require(mkdocs is not None, "mkdocs is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("docs") / "site"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-6000:]}"
    print(f"mkdocs build --strict: {elapsed:.1f} s")
    return out


@pytest.mark.slow
def test_site_builds_strict_with_every_section(site):
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    for required in [
        "index.html",
        "getting-started.html",
        "theory.html",
        "cli/index.html",
        "experiments/index.html",
        "notebooks/explore.html",
        "api/index.html",
    ]:
        assert required in pages
    # one experiment page per results folder; one command page per sub-command
    for folder in (ROOT / "results").glob("e[0-9]*"):
        assert f"experiments/{folder.name}.html" in pages
    from mdmjax.cli import build_parser

    commands = next(a for a in build_parser()._actions if hasattr(a, "choices") and a.choices)
    for name in commands.choices:
        assert f"cli/{name}.html" in pages
    help_text = commands.choices["report"].format_help().split("\n")[0]
    assert help_text.split()[1] in (site / "cli" / "report.html").read_text()
    # the notebooks ran at build time: their pages show outputs
    assert "Theorem 4 =" in (site / "notebooks" / "explore.html").read_text()
    # the API reference's objects inventory names the documented entries
    assert (site / "objects.inv").exists()


@pytest.mark.slow
def test_experiment_page_without_summary(tmp_path):
    """A results folder that has no summary.json yet (an experiment being written) still gets a
    page: its CSV tables."""
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        mkdocs = None
    _require(mkdocs is not None, "mkdocs is not installed (pip install -e '.[docs]')")
    spec = importlib.util.spec_from_file_location("_hooks", ROOT / "docs/_site_tools/hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    folder = tmp_path / "e12"
    folder.mkdir()
    (folder / "table.csv").write_text("law,kl\nmarkov,0.25\nising,0.5\n")
    page = hooks._fallback_page(folder, hooks._results_module())
    assert page.startswith("# E12\n")
    assert "| law | kl |" in page and "| ising | 0.5 |" in page
    assert "results/e12/table.csv" in page


@pytest.mark.slow
def test_site_internal_links_resolve(site):
    problems = check_links(site)
    assert not problems, f"{len(problems)} broken links:\n" + "\n".join(problems[:50])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(site):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    _require(chromium is not None and driver_path is not None, "chromium/chromedriver missing")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _require(False, "selenium is not installed (pip install -e '.[docs]')")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(predicate, timeout=30.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.parametrize("page", list(BROWSER_PAGES))
def test_site_in_a_browser(served, browser, page, tmp_path):
    _check_page(browser, f"{served}/{page}", BROWSER_PAGES[page], tmp_path / page.replace("/", "_"))


@pytest.mark.slow
def test_site_from_a_file_url(site, browser, tmp_path):
    """Opened from disk without a server (file://): maths, images and search still work."""
    page = "concepts/theorem4.html"
    _check_page(browser, (site / page).as_uri(), BROWSER_PAGES[page], tmp_path / "file")


def _check_page(browser, url, want, shot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(url)
    _wait(lambda: browser.execute_script("return document.readyState") == "complete", what="load")
    # the mathematics: MathJax (served by the site) finished and left no raw TeX
    ready = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) { done(false); }"
        "else { MathJax.startup.promise.then(() => done(true), () => done(false)); }"
    )
    assert ready, "MathJax did not load"
    maths = browser.find_elements(By.CSS_SELECTOR, ".arithmatex")
    if want.get("math"):
        assert maths, "no mathematics on the page"
    for element in maths:
        assert element.find_elements(By.CSS_SELECTOR, "mjx-container"), element.text
        assert not re.search(r"\\\(|\\\[|\$", element.text), f"raw TeX left: {element.text!r}"
    body = browser.find_element(By.TAG_NAME, "article").text
    assert "\\(" not in body and "$$" not in body
    # the images load
    images = browser.find_elements(By.CSS_SELECTOR, "article img")
    if want.get("images"):
        assert images, "no image on the page"
    for image in images:
        loaded = browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0;", image
        )
        assert loaded, f"image did not load: {image.get_attribute('src')}"
    browser.save_screenshot(f"{shot}.png")
    # the search box finds a public name
    field = browser.find_element(By.CSS_SELECTOR, "input.md-search__input")
    if field.is_displayed():  # a wide window shows the field in the header
        field.click()
    else:  # a narrow one a button that opens it
        browser.find_element(By.CSS_SELECTOR, "label.md-header__button[for='__search']").click()
    box = _wait(
        lambda: [
            b
            for b in browser.find_elements(By.CSS_SELECTOR, "input.md-search__input")
            if b.is_displayed()
        ],
        what="the search box",
    )[0]
    box.send_keys(SEARCH_NAME)
    hits = _wait(  # read in one script: the list is re-rendered as the query is typed
        lambda: [
            text
            for text in browser.execute_script(
                "return [...document.querySelectorAll('.md-search-result__item')]"
                ".map(e => e.textContent);"
            )
            if SEARCH_NAME in text
        ],
        what=f"a search result for {SEARCH_NAME}",
    )
    assert hits
    browser.save_screenshot(f"{shot}_search.png")
    box.send_keys(Keys.ESCAPE)
    # no console errors (a missing file, a script error, a blocked request)
    severe = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, severe
