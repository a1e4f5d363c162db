"""The course's website (``make site`` -> ``build/site/``): complete, offline, linked, searchable and readable on a
phone, checked in Chromium.

The browser tests read the site that ``make site`` built (CI builds it before ``make test``; it takes minutes, so
the tests do not build it again). Without ``build/site`` they skip, saying so, unless ``REQUIRE_BROWSER=1`` (CI)
makes them fail where the site can be built (Python >= 3.11: Sphinx 9). The site is served from 127.0.0.1; every
request that would leave the machine is aborted and recorded. ``SITE_SHOTS=/some/folder`` keeps screenshots of
the home page, a lesson's widget before and after a drag, the API page of ``vectorised.conv2d``, the questions page
and a page at 375 px.
"""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest
from browser_support import browser_required, console_errors, guard_network, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SITE = Path(os.environ.get("SITE_DIR", ROOT / "build" / "site"))
SHOTS = os.environ.get("SITE_SHOTS")
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("[0-9][0-9]_*/*_exercises.ipynb"))
SEARCH_WORDS = ["output_padding", "align_corners", "groups"]
PHONE = 375


def _load_build_script():
    spec = importlib.util.spec_from_file_location("site_build", ROOT / "site" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["site_build"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build_script():
    pytest.importorskip("sphinx", reason="the site extra is not installed (make site installs it)")
    return _load_build_script()


@pytest.fixture(scope="module")
def site() -> Path:
    """The built site; skip (or fail under REQUIRE_BROWSER=1 where it can be built) when there is none."""
    if not (SITE / "index.html").is_file():
        reason = f"{SITE} has no index.html: build the site first with  make site"
        if browser_required() and sys.version_info >= (3, 11):
            pytest.fail(f"{reason} (REQUIRE_BROWSER=1: CI builds it before make test)", pytrace=False)
        pytest.skip(reason)
    return SITE


def _pages(site: Path) -> list[str]:
    """Every HTML page of the site, as a path relative to its root."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "_static" not in p.parts)


def _modules() -> list[str]:
    """Every module of course_lib, from its files (not from the build's own list)."""
    names = []
    for path in (ROOT / "course_lib").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if not any(part.startswith("_") for part in parts):
            names.append(".".join(parts))
    return sorted(names)


# ------------------------------------------------------------------------------ the build, without a browser


def test_the_build_scripts_examples(build_script):
    import doctest

    result = doctest.testmod(build_script, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_the_build_refuses_an_asset_from_the_network_but_not_a_link(build_script, tmp_path):
    (tmp_path / "page.html").write_text('<p><a href="https://pytorch.org/docs">PyTorch</a></p>')
    build_script.check_offline(tmp_path)  # a link the reader may follow is not an asset
    for name, text in [("a.html", '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">'
                                  "</script>"),
                       ("b.html", '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Lato">'),
                       ("c.css", "@font-face { src: url(https://example.org/font.woff2); }")]:
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        (folder / name).write_text(text)
        with pytest.raises(build_script.BuildError, match="would load from the network"):
            build_script.check_offline(folder)


def test_every_lesson_exercise_and_module_has_a_page(site):
    pages = set(_pages(site))
    for path in LESSONS:
        assert f"lessons/{path.stem}.html" in pages, path.name
    for path in EXERCISES:
        assert f"exercises/{path.stem}.html" in pages, path.name
    for module in _modules():
        assert f"api/{module}.html" in pages, module
    assert {"index.html", "questions.html", "api/index.html", "search.html"} <= pages


def test_the_site_loads_nothing_from_the_network(site, build_script):
    build_script.check_offline(site)
    for page in _pages(site):
        text = (site / page).read_text(encoding="utf-8")
        assert not re.search(r"""<script[^>]+src=["']https?:""", text), page
        assert "cdn." not in text.lower() or not re.search(r"""(src|href)=["']https?://[^"']*cdn""", text), page


def test_figures_have_descriptions_and_widgets_are_players(site):
    for path in LESSONS:
        html = (site / "lessons" / f"{path.stem}.html").read_text(encoding="utf-8")
        nb = nbformat.read(path, as_version=4)
        outputs = [o for c in nb.cells for o in c.get("outputs", [])]
        specs = sum("application/vnd.course-widget+json" in o.get("data", {}) for o in outputs)
        assert html.count('class="course-widget"') == specs, path.stem
        for tag in re.findall(r"<img\b[^>]*>", html):
            alt = re.search(r'\balt="([^"]*)"', tag)
            assert alt and alt.group(1).strip(), f"{path.stem}: a picture without a description: {tag[:120]}"
        assert "application/vnd.jupyter.widget-state+json" not in html, f"{path.stem}: a widget manager state"


def _imports(path: Path) -> set[str]:
    """The course_lib modules a notebook imports, read with a regular expression (the build uses ast)."""
    found = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for names in re.findall(r"^\s*from course_lib import ([\w, ]+)", cell.source, re.M):
            found |= {f"course_lib.{n.strip()}" for n in names.split(",")}
        found |= set(re.findall(r"^\s*from (course_lib\.[\w.]+) import", cell.source, re.M))
    return found & set(_modules())


def test_lessons_and_the_reference_link_both_ways(site):
    for path in LESSONS:
        lesson = (site / "lessons" / f"{path.stem}.html").read_text(encoding="utf-8")
        for module in _imports(path):
            assert f'href="../api/{module}.html"' in lesson, f"{path.stem} does not link to {module}'s reference"
            reference = (site / "api" / f"{module}.html").read_text(encoding="utf-8")
            assert f'href="../lessons/{path.stem}.html"' in reference, f"{module}'s reference does not name {path.stem}"
            assert "Taught in" in reference, module


def test_the_questions_page_answers_each_question_with_a_link_to_its_cell(site):
    html = (site / "questions.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section id="q-answer-[^"]+">(.*?)</section>', html, re.S)
    assert len(sections) == 6, f"{len(sections)} answers"
    for section in sections:
        links = re.findall(r'href="(lessons/[^"#]+\.html)#([^"]+)"', section)
        assert links, f"an answer without a link to a lesson's cell: {section[:200]}"
        page, anchor = links[-1]
        target = (site / page).read_text(encoding="utf-8")
        found = re.search(rf'<div[^>]*\bid="{re.escape(anchor)}"[^>]*>', target)
        assert found and "cell" in found.group(0), f"{page}#{anchor} is not a cell of the lesson"
        last = re.findall(r'<a [^>]*href="([^"]+)"', section)[-1]
        assert last.startswith("lessons/") and "#" in last, f"the answer does not end with its cell's link: {last}"


def _lesson_text(stem: str) -> str:
    """What a lesson shows: its markdown and the text of its stored outputs."""
    parts = []
    for cell in nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_every_number_in_an_answer_is_shown_by_the_lessons_it_links_to(build_script):
    """The answers quote the lessons: each number with three digits or more, or a decimal point, appears in the
    stored outputs or the text of a lesson the answer links to (so an answer cannot drift from its lesson)."""
    text = (ROOT / "site" / "pages" / "questions.md").read_text(encoding="utf-8")
    sections = re.split(r"^\(q-answer-[^)]+\)=$", text, flags=re.M)[1:]
    assert len(sections) == 6
    for section in sections:
        labels = re.findall(r"\{ref\}`[^`<]*<([^>]+)>`", section)
        assert labels, section[:100]
        shown = "\n".join(_lesson_text(build_script.ANCHORS[label][0]) for label in labels)
        numbers = re.findall(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+\.\d+|\d{3,})(?![\w])", section)
        missing = [n for n in numbers if n not in shown]
        assert missing == [], f"{section.splitlines()[1]}: {missing} appear in no linked lesson"


# ------------------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def server(site):
    with serve(site) as url:
        yield url


def _shot(page, name: str, full_page: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS, f"{name}.png")), full_page=full_page)


class Visit:
    """A browser context at one width that records blocked requests, console errors and failed loads."""

    def __init__(self, browser, width: int, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.blocked = guard_network(self.context)
        self.page = self.context.new_page()
        self.errors = console_errors(self.page)
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))
        self.page.on("response",
                     lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def close(self):
        self.context.close()


MATHJAX_DONE = """() => !document.querySelector('.math') ||
    (window.MathJax && MathJax.startup && MathJax.startup.promise &&
     document.querySelectorAll('mjx-container').length > 0)"""

SIDEWAYS = """(width) => {
    // what sticks out to the right of the window, outside a box that scrolls (code scrolls in its own box)
    const out = [];
    const codeLike = (el) => el.closest('pre, .highlight, .output, .cell_output');
    for (const el of document.querySelectorAll('article *')) {  // Furo's closed drawers wait off-screen
        if (el.closest('mjx-assistive-mml')) continue;  // MathJax's copy for screen readers, clipped to nothing
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.right <= width + 1) continue;
        let clipped = false;
        for (let p = el.parentElement; p; p = p.parentElement) {
            const s = getComputedStyle(p);
            if (['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && p.getBoundingClientRect().right <= width + 1) {
                clipped = codeLike(p) ? 'code' : p.tagName + '.' + p.className;
                break;
            }
        }
        // one line per element that sticks out, not one per descendant of it
        if (out.some(([other]) => other.contains(el))) continue;
        if (!clipped) out.push([el, el.tagName + '.' + el.className + ': right ' + Math.round(r.right)]);
        else if (clipped !== 'code') out.push([el, el.tagName + '.' + el.className + ' scrolls inside ' + clipped]);
    }
    return {scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,
            out: out.slice(0, 5).map(([el, what]) => what)};
}"""


def test_every_page_loads_offline_without_errors_links_resolve_and_fits_a_phone(browser, server, site):
    """Every page at desktop width: no console error, no failed or outside request, MathJax typeset; every internal
    link points at a page (and an element, for a #fragment) that exists. Every page at 375 px: nothing but code
    sticks out sideways."""
    desktop, phone = Visit(browser, 1280), Visit(browser, PHONE, 740)
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []
    overflow = {}
    try:
        for page_path in _pages(site):
            url = urljoin(server, page_path)
            desktop.open(url)
            desktop.page.wait_for_function(MATHJAX_DONE, timeout=30_000)
            found = desktop.page.evaluate(
                """() => ({ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
                          links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href)})""")
            ids[page_path] = set(found["ids"])
            links += [(page_path, link) for link in found["links"]]
            phone.open(url)
            phone.page.wait_for_function("document.documentElement.hasAttribute('data-math-fitted')",
                                         timeout=30_000)
            measured = phone.page.evaluate(SIDEWAYS, PHONE)
            if measured["scroll"] > measured["inner"] or measured["out"]:
                overflow[page_path] = measured
        assert desktop.blocked == [] and phone.blocked == [], desktop.blocked + phone.blocked
        assert desktop.errors == [] and phone.errors == [], desktop.errors + phone.errors
    finally:
        desktop.close()
        phone.close()
    broken = []
    for page_path, link in links:
        parts = urlsplit(link)
        if not link.startswith(server):
            continue  # mailto:, or a link to the outside the reader may follow (never loaded by a page)
        target = unquote(parts.path[len(urlsplit(server).path):]) or "index.html"
        if target.endswith("/"):
            target += "index.html"
        if not (site / target).exists():
            broken.append(f"{page_path}: {link} (no such file)")
        elif parts.fragment and target.endswith(".html") and parts.fragment not in ids.get(target, set()):
            broken.append(f"{page_path}: {link} (no element with that id)")
    assert (broken, overflow) == ([], {}), (f"{len(broken)} broken internal links: {broken[:10]}; "
                                            f"pages that scroll sideways at {PHONE} px: {overflow}")


def test_search_finds_the_words_offline(browser, server, site):
    visit = Visit(browser, 1280)
    try:
        for word in SEARCH_WORDS:
            visit.open(urljoin(server, f"search.html?q={word}"))
            visit.page.wait_for_function(
                "document.querySelector('#search-results') && "
                "document.querySelectorAll('#search-results ul.search li').length > 0", timeout=30_000)
            results = visit.page.evaluate(
                "Array.from(document.querySelectorAll('#search-results ul.search li a')).map(a => a.href)")
            assert any("/lessons/" in r or "/api/" in r for r in results), f"{word}: {results[:5]}"
            if word == "output_padding":
                assert any("07_transposed" in r for r in results), results[:10]
                _shot(visit.page, "search_output_padding")
        assert visit.blocked == [] and visit.errors == [], visit.blocked + visit.errors
    finally:
        visit.close()


def test_short_table_cells_stay_whole_on_a_wide_page(browser, server, site):
    """At 1280 px the home page's lesson numbers (00 ... 09) each sit on one line (they once read 0 / 0)."""
    visit = Visit(browser, 1280)
    try:
        visit.open(urljoin(server, "index.html"))
        cells = visit.page.evaluate("""Array.from(document.querySelectorAll('article td:first-child')).map(td => {
            const walker = document.createTreeWalker(td, NodeFilter.SHOW_TEXT), tops = [];
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const range = document.createRange(); range.selectNodeContents(node);
                for (const r of range.getClientRects()) if (r.width > 0) tops.push(Math.round(r.top)); }
            return [td.innerText.trim(), tops]; })""")
        numbers = [(text, sorted(set(tops))) for text, tops in cells if text.isdigit()]
        assert len(numbers) >= 10, cells
        assert [text for text, tops in numbers if len(tops) > 1] == [], numbers
    finally:
        visit.close()


def test_a_widget_on_a_lesson_page_moves_when_dragged(browser, server, site):
    pages = [p for p in _pages(site) if p.startswith("lessons/")
             and 'class="course-widget"' in (site / p).read_text(encoding="utf-8")]
    assert pages, "no lesson page has a widget player"
    visit = Visit(browser, 1280)
    try:
        visit.open(urljoin(server, pages[0]))
        page = visit.page
        widget = page.locator(".course-widget").first
        widget.scroll_into_view_if_needed()
        picture = widget.locator("img.course-widget-picture")
        slider = widget.locator("input[type=range]").first
        before = (widget.get_attribute("data-shown"), picture.get_attribute("src"), slider.input_value())
        _shot(page, "lesson_widget_before")
        box = slider.bounding_box()
        low, high = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
        value = float(before[2])
        # start on the thumb, drag to the far end (the left end when the thumb sits at the right one)
        thumb = box["x"] + 8 + (box["width"] - 16) * (value - low) / max(1.0, high - low)
        target = box["x"] + 2 if value == high else box["x"] + box["width"] - 2
        y = box["y"] + box["height"] / 2
        page.mouse.move(thumb, y)
        page.mouse.down()
        page.mouse.move(target, y, steps=8)
        page.mouse.up()
        after = (widget.get_attribute("data-shown"), picture.get_attribute("src"), slider.input_value())
        _shot(page, "lesson_widget_after")
        assert after[2] != before[2], f"{pages[0]}: the slider did not move ({before[2]})"
        assert after[0] != before[0] and after[1] != before[1], f"{pages[0]}: the picture did not change"
        assert page.evaluate("(i) => i.complete && i.naturalWidth > 0", picture.element_handle())
        assert visit.blocked == [] and visit.errors == [], visit.blocked + visit.errors
    finally:
        visit.close()


def test_screenshots_of_the_main_pages(browser, server, site):
    """The pages people open first render with content (kept under $SITE_SHOTS to look at)."""
    visit, phone = Visit(browser, 1280), Visit(browser, PHONE, 740)
    try:
        for name, path in [("home", "index.html"), ("questions", "questions.html"),
                           ("api_vectorised_conv2d", "api/course_lib.vectorised.html#course_lib.vectorised.conv2d")]:
            visit.open(urljoin(server, path))
            assert visit.page.evaluate("document.querySelector('article').innerText.length") > 200, path
            _shot(visit.page, name)
        assert visit.page.locator("[id='course_lib.vectorised.conv2d']").count() == 1
        phone.open(urljoin(server, "lessons/07_transposed.html"))
        _shot(phone.page, "phone_lesson07")
        phone.open(urljoin(server, "questions.html"))
        _shot(phone.page, "phone_questions", full_page=True)
        assert visit.errors == [] and phone.errors == [], visit.errors + phone.errors
    finally:
        visit.close()
        phone.close()
