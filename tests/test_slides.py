"""The lesson slide decks (``make slides``): built offline, opened offline in Chromium, every part rendering, and
every slide projectable at 1280x720 (``slides/check.py`` measures it).

The decks are built once per session into a temporary folder with ``slides/build.py`` (the widgets' pictures come
from the build's cache, ``build/slides-cache/``, or are drawn: one to three minutes for all lessons the first time), from
the assets that ``npm ci --prefix slides`` installed in ``slides/node_modules``; without them the tests skip, unless
``REQUIRE_BROWSER=1`` (CI) makes them fail. The browser tests serve that folder from 127.0.0.1, abort and record
every request that would leave the machine, and fail on any console error, page error, failed request or missing
file. Screenshots are checked for content; ``SLIDES_SHOTS=/some/folder`` keeps a copy of them.

``test_deck_can_be_projected[NN_name]`` checks one lesson's deck against every rule of the presenter's section of
the README (slides that fit, fragments on the screen, notes, text sizes, widgets that move); run one deck with
``pytest tests/test_slides.py -k "projected and 01_conv1d"``. Two made-up decks show that the check passes on a
deck that keeps the rules and names each break in one that does not.
"""
from __future__ import annotations

import importlib.util
import io
import os
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser_support import browser_required, console_errors, guard_network, require_browser, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BUILD_SCRIPT = ROOT / "slides" / "build.py"
CHECK_SCRIPT = ROOT / "slides" / "check.py"
NODE_MODULES = ROOT / "slides" / "node_modules"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SHOTS = os.environ.get("SLIDES_SHOTS")


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build_script = _load("slides_build", BUILD_SCRIPT)
check_script = _load("slides_check", CHECK_SCRIPT)


def _notebook(name: str):
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


def _has_math(nb) -> bool:
    """Whether the lesson's visible markdown has TeX ($...$ or $$...$$)."""
    return any(
        c.cell_type == "markdown" and c.metadata.get("slideshow", {}).get("slide_type") != "skip"
        and re.search(r"\$[^$\s][^$]*\$", c.source) for c in nb.cells
    )


def _has_widgets(nb) -> bool:
    return any(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


NOTES_LESSON = "zz_notes_check"
"""A two-slide notebook with a speaker-notes cell, built with the lessons."""

GOOD_DECK = "zz_good_deck"
"""A notebook that follows every deck rule, with each of the four widgets: the projection check passes on it."""

BAD_DECK = "zz_bad_deck"
"""A notebook that breaks each deck rule once: the projection check names every break."""


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


def _md(text, kind="-", **metadata):
    return nbformat.v4.new_markdown_cell(text, metadata={"slideshow": {"slide_type": kind}, **metadata})


def _notes(text):
    return _md(text, "notes", jupyter={"source_hidden": True})


def _shown(obj, source="x", kind="-", tags=()):
    """A code cell whose output is ``obj`` (a widget, or ``(data, metadata)``) as a notebook stores it."""
    data, metadata = obj._repr_mimebundle_() if hasattr(obj, "_repr_mimebundle_") else obj
    cell = nbformat.v4.new_code_cell(source, metadata={"slideshow": {"slide_type": kind}, "tags": list(tags)})
    cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
    return cell


def _printed(text, source="print(x)", kind="-", tags=()):
    cell = nbformat.v4.new_code_cell(source, metadata={"slideshow": {"slide_type": kind}, "tags": list(tags)})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    return cell


def _small_figure(title="a sine", width=6.0, height=2.6, fontsize=None):
    import matplotlib.figure

    figure = matplotlib.figure.Figure(figsize=(width, height), layout="constrained")
    ax = figure.add_subplot()
    ax.plot(np.sin(np.linspace(0, 6, 50)))
    ax.set_title(title)
    if fontsize:
        ax.tick_params(labelsize=fontsize)
    return figure


def _write_good_deck(folder: Path) -> Path:
    import torch

    from course_lib import draw, widgets

    nb = nbformat.v4.new_notebook()
    nb.metadata["deck"] = {"goal": "Check that a deck following the rules passes.", "minutes": 5,
                           "outline": ["A figure", "Four widgets"], "outline_notes": "Two parts. 1 minute."}
    nb.cells = [
        _md("# 98 · Good deck\n\nAn introduction the deck leaves to the notebook.", "slide"),
        _notes("Open with the goal. 1 minute."),
        _md("## A figure", "slide"),
        _notes("Point at the peak. Ask: where is the next one? 1 minute."),
        _shown(draw.display_bundle(_small_figure()), "draw.show(fig)"),
        _md("A fragment that fits.", "fragment"),
        _printed("a long line of printed output " * 6, "print(long)\nprint(more)", tags=["deck-code-lines=1"]),
        _md("### Kernel stepper", "slide"),
        _notes("Drag the slider. 2 minutes."),
        _shown(widgets.kernel_stepper(torch.tensor([3.0, 1, 4, 1, 5, 9]), torch.tensor([1.0, 0, -1]), padding=1),
               tags=["deck-hide-input"]),
        _md("### Output-size explorer", "slide"),
        _notes("Move the stride. 2 minutes."),
        _shown(widgets.output_size_explorer(size=6, kernel_size=3, stride=2, padding=1), tags=["deck-hide-input"]),
        _md("### Dimension slicer", "slide"),
        _notes("Move C. 1 minute."),
        _shown(widgets.dimension_slicer(torch.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)), tags=["deck-hide-input"]),
        _md("### Scatter stepper", "slide"),
        _notes("Step through. 2 minutes."),
        _shown(widgets.scatter_stepper(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.ones(2, 2), stride=2),
               tags=["deck-hide-input"]),
    ]
    path = folder / f"{GOOD_DECK}.ipynb"
    nbformat.write(nb, path)
    return path


def _write_bad_deck(folder: Path) -> Path:
    from course_lib import draw

    nb = nbformat.v4.new_notebook()  # no deck metadata: no goal, no outline
    nb.cells = [
        _md("# 99 · Bad deck", "slide"),
        _md("## Too tall, and no notes", "slide"),
        _printed("\n".join(f"line {i}" for i in range(40))),
        _md("A fragment below the screen.", "fragment"),
        _md("## Small plot text", "slide"),
        _notes("Notes here."),
        _shown(draw.display_bundle(_small_figure(width=12.0, fontsize=6))),
        _md("## Small prose", "slide"),
        _notes("Notes here."),
        _md('<p style="font-size: 12px">Tiny</p>'),
    ]
    path = folder / f"{BAD_DECK}.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def decks(tmp_path_factory) -> Path:
    """The folder the decks are built into (once per session): the ten lessons, the notes check, the good and the
    bad deck. Widgets' pictures come from (or go to) the build's cache, build/slides-cache/."""
    if not (NODE_MODULES / "reveal.js").is_dir():
        reason = "slides/node_modules is missing: run  npm ci --prefix slides  (or make slides)"
        if browser_required():
            pytest.fail(f"{reason}; REQUIRE_BROWSER=1 needs the slide assets", pytrace=False)
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("slides")
    made = tmp_path_factory.mktemp("made")
    notebooks = [ROOT / "notebooks" / f"{name}.ipynb" for name in LESSONS]
    notebooks += [_write_notes_notebook(made), _write_good_deck(made), _write_bad_deck(made)]
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


def test_the_build_scripts_examples():
    import doctest

    for module in (build_script, check_script):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
    assert doctest.testmod(build_script).attempted >= 5


def _deck_of(*cells, **deck):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    if deck:
        nb.metadata["deck"] = deck
    return build_script.deck_notebook(nb, "07_example", cache=None)


def test_the_title_cell_becomes_a_title_slide_with_the_goal_then_an_outline_slide():
    made = _deck_of(
        _md("# 07 · Example\n\nA long introduction for readers.", "slide"), _notes("Title notes."),
        _md("## 1. First", "slide"),
        goal="Learn one thing.", minutes=40, outline=["First", "Second"], outline_notes="Outline notes.",
    )
    kinds = [(build_script.slide_type(c), c.metadata.get("tags", [])) for c in made.cells]
    assert kinds == [("slide", ["deck-title"]), ("notes", []), ("slide", ["deck-outline"]), ("notes", []),
                     ("slide", [])]
    assert made.cells[0].source == "# 07 · Example\n\nLearn one thing.\n\n*Lesson 07 · about 40 minutes*"
    assert "long introduction" not in made.cells[0].source
    assert made.cells[2].source == "## Outline\n\n1. First\n2. Second"
    assert made.cells[3].source == "Outline notes."
    without = _deck_of(_md("# 07 · Example", "slide"), _md("## 1. First", "slide"))
    assert [c.metadata.get("tags", []) for c in without.cells] == [["deck-title"], []]  # no outline to show


def test_deck_tags_fold_hide_and_split_cells():
    code = "a = 1\nb = 2\nc = 3\nd = 4\nprint(a + d)"
    folded, hidden, alone = (_printed("5\n", code, tags=[tag]) for tag in
                             ("deck-code-lines=1+4-5", "deck-hide-input", "deck-own-slide"))
    made = _deck_of(_md("# 01 · T", "slide"), folded, hidden, _printed("5\n", code, tags=["deck-hide-output"]), alone)
    assert made.cells[1].source == "a = 1\n# ⋯ 2 lines in the notebook\nd = 4\nprint(a + d)"
    assert made.cells[2].metadata["transient"] == {"remove_source": True} and made.cells[2].outputs
    assert made.cells[3].outputs == [] and made.cells[3].source == code
    assert made.cells[4].outputs == [] and made.cells[4].source == code  # the code stays ...
    assert build_script.slide_type(made.cells[5]) == "subslide" and made.cells[5].outputs[0].text == "5\n"  # ...
    assert made.cells[5].metadata["transient"] == {"remove_source": True}  # ... and its output gets a slide


def test_a_malformed_or_unknown_deck_tag_fails_the_build_naming_the_cell():
    with pytest.raises(build_script.BuildError, match="cell 1 has the tag 'deck-hide-inputs'.*deck-hide-input"):
        _deck_of(_md("# 01 · T", "slide"), _printed("x", "x", tags=["deck-hide-inputs"]))
    with pytest.raises(build_script.BuildError, match="cell 1: deck-code-lines=3-9 names lines outside the cell's 2"):
        _deck_of(_md("# 01 · T", "slide"), _printed("x", "x\ny", tags=["deck-code-lines=3-9"]))
    with pytest.raises(build_script.BuildError, match="cell 1: deck-code-lines=a-b is not a list of line ranges"):
        _deck_of(_md("# 01 · T", "slide"), _printed("x", "x\ny", tags=["deck-code-lines=a-b"]))


def test_a_picture_is_shown_wide_enough_for_its_text_and_no_wider_than_the_slide():
    from course_lib import draw

    data, metadata = draw.display_bundle(_small_figure(width=6.0, fontsize=8))  # 8 pt: 10 px
    made = _deck_of(_md("# 01 · T", "slide"), _shown((data, metadata)))
    shown = made.cells[1].outputs[0].metadata["image/png"]
    assert shown["text_px"] == 10.0 and shown["css_width"] == metadata["image/png"]["width"]
    assert shown["width"] == int(np.ceil(shown["css_width"] * build_script.PLOT_PX / 10.0))
    data, metadata = draw.display_bundle(_small_figure(width=12.0, fontsize=6))
    made = _deck_of(_md("# 01 · T", "slide"), _shown((data, metadata)))
    assert made.cells[1].outputs[0].metadata["image/png"]["width"] == build_script.CONTENT_WIDTH


def test_a_widget_without_a_spec_becomes_its_still_picture_never_a_dead_control():
    import torch

    from course_lib import widgets

    data, metadata = widgets.kernel_stepper(torch.arange(4.0), torch.ones(2))._repr_mimebundle_()
    del data[widgets.SPEC_MIME]  # as a notebook executed before widgets stored their spec
    made = _deck_of(_md("# 01 · T", "slide"), _shown((data, metadata)))
    html = made.cells[1].outputs[0].data["text/html"]
    assert "deck-still-widget" in html and "Run the cell to get the controls" in html and "range" not in html
    assert "widgets" not in made.metadata


# ---------------------------------------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def server(decks):
    """``decks`` served on 127.0.0.1 (a free port), without the trailing slash the deck paths add."""
    with serve(decks) as url:
        yield url.rstrip("/")


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
    # The lesson's first notes cell (right after its title) gives the title slide's speaker notes.
    notes = [c for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") == "notes"]
    assert notes, f"{name}: no notes"
    said = page.evaluate("(() => { const d = document.createElement('div');"
                         " d.innerHTML = Reveal.getSlideNotes(Reveal.getSlide(0)) || ''; return d.innerText; })()")
    first = " ".join(re.sub(r"[*`]", "", notes[0].source).split())[:40]
    assert first in " ".join(said.split()), f"{name}: {first!r} not in the title slide's notes"
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

    # Widgets: each one a player (or, until the notebook stores its spec, a still picture), with its picture.
    if _has_widgets(nb):
        shown = ".course-widget img, .deck-still-widget img"
        count = sum(WIDGET_VIEW in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
        page.wait_for_function(
            "([selector, n]) => Array.from(document.querySelectorAll(selector))"
            ".filter(i => i.complete && i.naturalWidth > 0).length === n", arg=[shown, count], timeout=30_000)
        assert deck.go_to(".course-widget img, .deck-still-widget img")
        assert_not_blank(deck.screenshot(f"{name}_widget"), f"{name}: widget slide")

    page.wait_for_timeout(300)
    assert deck.blocked == [], f"{name}: requests that would leave the machine: {deck.blocked}"
    assert deck.errors == [], f"{name}: errors: {deck.errors}"


def test_notes_cells_become_speaker_notes(open_deck):
    deck = open_deck(NOTES_LESSON)
    assert deck.page.evaluate("Reveal.getTotalSlides()") == 2
    assert "Say this out loud." in deck.page.evaluate("Reveal.getSlideNotes(Reveal.getSlide(0))")
    assert "Say this out loud." not in deck.page.evaluate("Reveal.getSlide(0).innerText")  # not on the slide
    assert deck.page.evaluate("Reveal.getConfig().slideNumber") == "c/t"
    assert deck.page.evaluate("document.querySelector('.slide-number').innerText.replace(/\\s/g, '')") == "1/2"
    assert deck.page.evaluate("!!Reveal.getPlugin('notes')")
    assert deck.blocked == [] and deck.errors == []


def test_a_deck_also_opens_from_a_file_url(browser, decks):
    """No server: file:// works too (lesson 01: math and widgets)."""
    deck = Deck(browser, (decks / "01_conv1d.slides.html").as_uri())
    try:
        deck.page.wait_for_function("document.querySelectorAll('.course-widget img, .deck-still-widget img').length"
                                    " === 2 && !!document.querySelector('.MathJax_CHTML')", timeout=30_000)
        assert deck.page.evaluate("Reveal.getTotalSlides()") > 1
        assert deck.blocked == [] and deck.errors == [], (deck.blocked, deck.errors)
    finally:
        deck.close()


# ------------------------------------------------------------------------------- projectable at 1280x720


@pytest.fixture(scope="module")
def measured(browser, server):
    """Every deck measured by slides/check.py (once per module), by name."""
    found = {}

    def measure(name: str):
        if name not in found:
            found[name] = check_script.measure_deck(browser, f"{server}/{name}.slides.html", name)
        return found[name]

    return measure


@pytest.mark.parametrize("name", LESSONS)
def test_deck_can_be_projected(measured, name):
    """Every slide fits 1280x720, every fragment appears on the screen, every horizontal slide has notes, prose,
    code and plot text are at least 24, 18 and 14 px, every widget moves when dragged (and an arrow key on it
    moves the slider, not the slide), the deck opens with its goal and outline, nothing fails or leaves the
    machine. ``python slides/check.py -v NAME`` prints the same list."""
    report = measured(name)
    problems = report.problems()
    assert not problems, f"{name}: {len(problems)} problems:\n" + "\n".join(problems)


def test_the_projection_check_passes_a_deck_that_keeps_the_rules(measured):
    report = measured(GOOD_DECK)
    assert report.problems() == []
    assert {w.kind for w in report.widgets} == {"DimensionSlicer", "KernelStepper", "OutputSizeExplorer",
                                                "ScatterStepper"}
    assert all(w.moved == w.sliders > 0 for w in report.widgets)  # every slider of every widget changed its picture
    row = report.row()
    assert row["overflowing"] == 0 and row["widgets that move"] == "4/4" and row["notes"] == "7/7"
    assert row["code px"] >= 18 and row["body px"] >= 24 and row["plot px"] >= 14


def test_the_projection_check_names_every_broken_rule(measured):
    problems = "\n".join(measured(BAD_DECK).problems())
    for expected in (
        r"slide 1\.0 \(Too tall, and no notes\): content reaches \d+ px down",
        r"slide 1\.0 \(Too tall, and no notes\): 1 of 1 fragments appear outside the screen",
        r"slide 1\.0 \(Too tall, and no notes\): no speaker notes",
        r"slide 2\.0 \(Small plot text\): plot text of \d+\.\d px \(at least 14\)",
        r"slide 3\.0 \(Small prose\): body text of 12\.0 px \(at least 24\)",
        r"the first slide has no goal", r"no outline slide",
    ):
        assert re.search(expected, problems), f"missing {expected!r} in:\n{problems}"


def test_a_dragged_widget_changes_its_picture_and_keeps_the_slide(open_deck):
    """The kernel stepper of the good deck, driven as a presenter would: drag the slider, then arrow keys."""
    deck = open_deck(GOOD_DECK)
    page = deck.page
    assert deck.go_to('.course-widget[data-widget="KernelStepper"]')
    widget = page.locator('.course-widget[data-widget="KernelStepper"]')
    slider = widget.locator("input[type=range]")
    before, text_before = widget.locator("img").get_attribute("src"), widget.locator("pre").inner_text()
    assert slider.input_value() == "0" and text_before.startswith("out[0] = ")
    box = slider.bounding_box()
    page.mouse.move(box["x"] + 8, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    last = slider.get_attribute("max")
    assert slider.input_value() == last and widget.locator("output").inner_text() == last
    assert widget.locator("pre").inner_text().startswith(f"out[{last}] = ")
    assert widget.locator("img").get_attribute("src") != before
    indices = page.evaluate("JSON.stringify(Reveal.getIndices())")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    assert slider.input_value() == str(int(last) - 1)
    assert widget.locator("pre").inner_text().startswith(f"out[{int(last) - 1}] = ")
    assert page.evaluate("JSON.stringify(Reveal.getIndices())") == indices  # the slide stayed
    assert_not_blank(deck.screenshot("good_deck_widget_dragged"), "dragged widget")
    assert deck.blocked == [] and deck.errors == []


def test_a_deck_scales_to_a_1920x1080_screen(browser, server):
    """The 1280x720 slide is scaled 1.5 times on a 1080p projector, not scrolled or re-flowed."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        guard_network(context)
        page = context.new_page()
        page.goto(f"{server}/{GOOD_DECK}.slides.html")
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
        assert page.evaluate("Reveal.getScale()") == pytest.approx(1.5)
        size = page.evaluate("(() => { const r = document.querySelector('.reveal .slides').getBoundingClientRect();"
                             " return [r.width, r.height]; })()")
        assert size == pytest.approx([1920, 1080], abs=1)
    finally:
        context.close()
