"""The lesson slide decks (``make slides``): built offline, opened offline in Chromium, every part rendering.

The decks are built once per session into a temporary folder with ``slides/build.py`` (about 15 s for the ten
lessons), from the assets that ``npm ci --prefix slides`` installed in ``slides/node_modules``; without them the
tests skip, unless ``REQUIRE_BROWSER=1`` (CI) makes them fail. The browser tests serve that folder from 127.0.0.1,
abort and record every request that would leave the machine, and fail on any console error, page error, failed
request or missing file. Screenshots are checked for content; ``SLIDES_SHOTS=/some/folder`` keeps a copy of them.
"""
from __future__ import annotations

import functools
import http.server
import importlib.util
import io
import os
import re
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser_support import browser_required, console_errors, guard_network, require_browser

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "slides" / "build.py"
NODE_MODULES = ROOT / "slides" / "node_modules"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SHOTS = os.environ.get("SLIDES_SHOTS")


def _build_module():
    spec = importlib.util.spec_from_file_location("slides_build", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_script = _build_module()


def _notebook(name: str):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def _has_math(nb) -> bool:
    """Whether the lesson's visible markdown has TeX ($...$ or $$...$$)."""
    return any(
        c.cell_type == "markdown" and c.metadata.get("slideshow", {}).get("slide_type") != "skip"
        and re.search(r"\$[^$\s][^$]*\$", c.source) for c in nb.cells
    )


def _has_widgets(nb) -> bool:
    return "widgets" in nb.metadata and any(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


NOTES_LESSON = "zz_notes_check"
"""A two-slide notebook with a speaker-notes cell, built with the lessons."""


def _write_notes_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Notes check", metadata={"slideshow": {"slide_type": "slide"}}),
        nbformat.v4.new_markdown_cell("Say this out loud.", metadata={"slideshow": {"slide_type": "notes"}}),
        nbformat.v4.new_markdown_cell("## Second slide", metadata={"slideshow": {"slide_type": "slide"}}),
    ]
    path = folder / f"{NOTES_LESSON}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def decks(tmp_path_factory) -> Path:
    """The folder the decks are built into (once per session): the ten lessons and the notes check."""
    if not (NODE_MODULES / "reveal.js").is_dir():
        reason = "slides/node_modules is missing: run  npm ci --prefix slides  (or make slides)"
        if browser_required():
            pytest.fail(f"{reason}; REQUIRE_BROWSER=1 needs the slide assets", pytrace=False)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("slides")
    notebooks = [ROOT / "notebooks" / f"{name}.ipynb" for name in LESSONS]
    notebooks.append(_write_notes_notebook(tmp_path_factory.mktemp("notes")))
    build_script.build(out, notebooks, log=lambda line: None)
    return out


def test_every_lesson_has_a_deck_with_no_network_address(decks):
    """Static scan: no http(s) address at all (XML namespace names aside), every picture described."""
    for name in LESSONS:
        html = (decks / f"{name}.slides.html").read_text(encoding="utf-8")
        urls = set(re.findall(r"https?://[^\s\"'<>()\\]+", html)) - build_script.XML_NAMESPACES
        assert not urls, f"{name}: addresses that would leave the machine: {sorted(urls)}"
        assert build_script.NO_ALT not in html, f"{name}: a picture without a description"
        assert "assets/reveal.js/plugin/notes/notes.js" in html


def test_the_build_refuses_a_deck_that_needs_the_network(decks):
    with pytest.raises(build_script.BuildError, match="refers to the network.*cdn.example"):
        build_script.check_deck("x.ipynb", '<script src="https://cdn.example/x.js"></script>', decks)
    with pytest.raises(build_script.BuildError, match="did not copy.*assets/nothing.js"):
        build_script.check_deck("x.ipynb", '<script src="assets/nothing.js"></script>', decks)
    with pytest.raises(build_script.BuildError, match="no description"):
        build_script.check_deck("x.ipynb", f'<img alt="{build_script.NO_ALT}">', decks)


def test_figure_descriptions_come_from_the_code_when_the_output_has_none():
    cell = nbformat.v4.new_code_cell('fig.suptitle("Edges")\nplt.show()')
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo="})]
    build_script.FigureAltText().preprocess_cell(cell, {}, 0)
    assert cell.outputs[0].metadata["image/png"]["alt"] == "Edges"
    cell.source = "plt.plot([1, 2])\nplt.show()"
    cell.outputs[0].metadata = {}
    with pytest.raises(build_script.BuildError, match="cell 3 shows a figure with no description"):
        build_script.FigureAltText().preprocess_cell(cell, {}, 3)


# ---------------------------------------------------------------------------------------------- in Chromium


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(decks):
    """``decks`` served on 127.0.0.1 (a free port) by Python's http.server, in a thread."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(decks)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


class Deck:
    """One deck open in a fresh page, with everything that went wrong recorded."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.blocked = guard_network(self.context)
        self.page = self.context.new_page()
        self.errors = console_errors(self.page)
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        self.page.goto(url)
        self.page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)

    def go_to(self, selector: str) -> bool:
        """Show the slide holding the first element matching ``selector``, scrolled to it; False when there is none."""
        found = self.page.evaluate(
            """(selector) => {
                const element = document.querySelector(selector);
                if (!element) return false;
                const slide = element.closest('.slides section:not(.stack)');
                const at = Reveal.getIndices(slide);
                const fragment = element.closest('.fragment');  // shown once the presenter steps to it
                Reveal.slide(at.h, at.v, fragment ? Number(fragment.dataset.fragmentIndex) : undefined);
                // a tall slide scrolls (the course's template): bring the element near its top
                const offset = element.getBoundingClientRect().top - slide.getBoundingClientRect().top;
                slide.scrollTop = Math.max(0, offset / Reveal.getScale() - 60);
                return true;
            }""",
            selector,
        )
        self.page.wait_for_timeout(900)  # the slide transition
        return found

    def screenshot(self, name: str) -> np.ndarray:
        """The window as RGB pixels (saved under $SLIDES_SHOTS when set)."""
        from PIL import Image

        png = self.page.screenshot()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            Path(SHOTS, f"{name}.png").write_bytes(png)
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))

    def close(self):
        self.context.close()


def assert_not_blank(pixels: np.ndarray, what: str, min_colours: int = 16) -> None:
    """More than a handful of colours, and at least 1 % of the pixels differ from the most common colour."""
    flat = pixels.reshape(-1, 3).astype(np.uint32)
    colours, counts = np.unique(flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2], return_counts=True)
    assert len(colours) >= min_colours, f"{what}: only {len(colours)} colours: looks blank"
    assert 1 - counts.max() / len(flat) >= 0.01, f"{what}: {counts.max() / len(flat):.1%} one colour: looks blank"


@pytest.fixture
def open_deck(browser, server):
    opened = []

    def open_(name: str) -> Deck:
        opened.append(Deck(browser, f"{server}/{name}.slides.html"))
        return opened[-1]

    yield open_
    for deck in opened:
        deck.close()


def _visible_text(deck: Deck) -> str:
    return deck.page.evaluate("Reveal.getCurrentSlide().innerText")


@pytest.mark.parametrize("name", LESSONS)
def test_deck_opens_offline_and_every_part_renders(open_deck, name):
    nb = _notebook(name)
    deck = open_deck(name)
    page = deck.page

    # Reveal runs, with the speaker-notes plugin from the local reveal.js, and navigates.
    assert page.evaluate("!!Reveal.getPlugin('notes') && typeof RevealNotes === 'function'")
    total = page.evaluate("Reveal.getTotalSlides()")
    assert total > 1, f"{name}: {total} slide(s)"
    title = build_script.lesson_title(nb)
    assert title and title.casefold() in _visible_text(deck).casefold(), f"{name}: the first slide lacks {title!r}"
    # The lesson's notes cells are the speaker notes of the slide they follow (the title slide's, in every lesson).
    for cell in (c for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") == "notes"):
        assert cell.source.split(":")[0] in page.evaluate("Reveal.getSlideNotes(Reveal.getSlide(0)) || ''"), name
    assert any(c.metadata.get("slideshow", {}).get("slide_type") == "notes" for c in nb.cells), f"{name}: no notes"
    assert_not_blank(deck.screenshot(f"{name}_first"), f"{name}: first slide")
    before = page.evaluate("JSON.stringify(Reveal.getIndices())")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(300)
    assert page.evaluate("JSON.stringify(Reveal.getIndices())") != before, f"{name}: ArrowRight did not move on"

    # A plot: a loaded picture with a description.
    assert deck.go_to(".jp-RenderedImage img"), f"{name}: no plot in the deck"
    image = page.evaluate(
        """() => { const i = Reveal.getCurrentSlide().querySelector('.jp-RenderedImage img');
                   return {loaded: i.complete && i.naturalWidth > 0, alt: i.alt}; }"""
    )
    assert image["loaded"], f"{name}: the plot did not load"
    assert image["alt"] and image["alt"] != build_script.NO_ALT, f"{name}: the plot has no description"
    assert_not_blank(deck.screenshot(f"{name}_plot"), f"{name}: plot slide")

    # LaTeX: typeset by MathJax, no raw TeX left.
    if _has_math(nb):
        page.wait_for_function("window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 && "
                               "document.querySelector('.MathJax_CHTML')", timeout=30_000)
        assert deck.go_to(".MathJax_CHTML"), f"{name}: no typeset math"
        text = page.evaluate("document.querySelector('.reveal .slides').innerText")
        assert "$$" not in text, f"{name}: raw $$ TeX left in the deck"
        assert_not_blank(deck.screenshot(f"{name}_math"), f"{name}: LaTeX slide")

    # Widgets: every stored view rendered from the notebook's widget state, with its picture.
    if _has_widgets(nb):
        views = page.evaluate(f"document.querySelectorAll('script[type=\"{WIDGET_VIEW}\"]').length")
        page.wait_for_function(
            "(n) => Array.from(document.querySelectorAll('.widget-subarea img'))"
            ".filter(i => i.complete && i.naturalWidth > 0).length === n", arg=views, timeout=30_000)
        assert deck.go_to(".widget-subarea img")
        assert_not_blank(deck.screenshot(f"{name}_widget"), f"{name}: widget slide")

    page.wait_for_timeout(300)
    assert deck.blocked == [], f"{name}: requests that would leave the machine: {deck.blocked}"
    assert deck.errors == [], f"{name}: errors: {deck.errors}"


def test_notes_cells_become_speaker_notes(open_deck):
    deck = open_deck(NOTES_LESSON)
    assert deck.page.evaluate("Reveal.getTotalSlides()") == 2
    assert "Say this out loud." in deck.page.evaluate("Reveal.getSlideNotes(Reveal.getSlide(0))")
    assert "Say this out loud." not in deck.page.evaluate("Reveal.getSlide(0).innerText")  # not on the slide
    assert deck.page.evaluate("!!Reveal.getPlugin('notes')")
    assert deck.blocked == [] and deck.errors == []


def test_a_deck_also_opens_from_a_file_url(browser, decks):
    """No server: file:// works too (lesson 01: math and widgets)."""
    deck = Deck(browser, (decks / "01_conv1d.slides.html").as_uri())
    try:
        deck.page.wait_for_function("document.querySelectorAll('.widget-subarea img').length === 2 && "
                                    "!!document.querySelector('.MathJax_CHTML')", timeout=30_000)
        assert deck.page.evaluate("Reveal.getTotalSlides()") > 1
        assert deck.blocked == [] and deck.errors == [], (deck.blocked, deck.errors)
    finally:
        deck.close()
