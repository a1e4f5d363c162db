"""Measure the built decks as a presenter's 1280x720 screen shows them, and print one row per deck.

    python slides/check.py [--out build/slides] [--shots DIR] [NAME ...]     (make deck-check)

Opens each ``<out>/<NAME>.slides.html`` (default: every deck there) in headless Chromium at 1280x720 (Debian's
``chromium`` through Playwright, nothing but the machine reachable), visits every slide and every fragment, drags
every widget's sliders and presses the arrow keys on them, and reports per deck:

- slides, horizontal slides, and those with speaker notes;
- slides whose content is taller or wider than the 1280x720 slide, or cut off inside a box that scrolls;
- fragments that are not wholly on the screen when they appear;
- the smallest prose text, code text (code cells, printed output, widgets' text and controls) and plot text (a
  picture's smallest text, from its ``data-text-px``, times the width it is shown at), in pixels on a 1280x720
  screen, and the pictures whose text size is unknown;
- widgets that move (every slider changes the picture, an arrow key on a focused slider moves the slider and not
  the slide), widgets that do not, and still pictures of widgets;
- whether the deck opens with a title slide carrying a goal and an outline slide;
- console errors and requests that would leave the machine.

``tests/test_slides.py`` runs the same measurement on every deck and fails on any problem :func:`problems` names.
The limits are :data:`LIMITS`.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

LIMITS = {"body": 24.0, "code": 18.0, "plot": 14.0}
"""Smallest text, in pixels on a 1280x720 screen: prose, code, the text in plots."""

VIEWPORT = {"width": 1280, "height": 720}

EDGE = 8
"""CSS pixels every slide's content keeps from the slide's edges: a slide that ends at the very last pixel on this
machine is cut on a screen whose fonts (or formulas) come out a little taller."""

MATH_DONE_JS = r"""
() => {
  if (!window.MathJax) return true;
  if (!MathJax.isReady || MathJax.Hub.queue.pending > 0 || MathJax.Hub.queue.running > 0) return false;
  const text = document.querySelector('.reveal .slides').innerText;
  const scripts = Array.from(document.querySelectorAll('script[type^="math/tex"]'));
  return !text.includes('$$') && scripts.every(s => s.previousElementSibling
      && /MathJax|mjx/.test(String(s.previousElementSibling.className)));
}
"""
"""True once MathJax has typeset every formula (a slide is measured with its formulas at their typeset size)."""

MEASURE_JS = r"""
() => {
  // no transitions while measuring: a fragment fading in is still "hidden" at its first frame
  const still = document.createElement('style');
  still.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
  document.head.appendChild(still);
  const config = Reveal.getConfig();
  const W = config.width, H = config.height, EDGE = %EDGE%;
  const slidesBox = () => document.querySelector('.reveal .slides').getBoundingClientRect();
  const scale = Reveal.getScale();
  const visible = (el) => {
    const style = getComputedStyle(el);
    return el.getClientRects().length > 0 && style.visibility !== 'hidden' && style.display !== 'none';
  };
  const skip = (el) => el.closest('aside.notes, script, style, .MathJax_Preview, .MJX_Assistive_MathML, .MathJax_CHTML .mjx-char');
  const isCode = (el) => !!el.closest('pre, code, .jp-CodeCell .jp-InputArea, .course-widget');
  const slides = [];
  for (const slide of Reveal.getSlides()) {
    const at = Reveal.getIndices(slide);
    const fragments = Array.from(slide.querySelectorAll('.fragment'));
    const last = fragments.length ? Math.max(...fragments.map(f => Number(f.dataset.fragmentIndex || 0))) : undefined;
    Reveal.slide(at.h, at.v, last);
    const box = slidesBox();
    const toSlide = (r) => ({top: (r.top - box.top) / scale, bottom: (r.bottom - box.top) / scale,
                             left: (r.left - box.left) / scale, right: (r.right - box.left) / scale});
    let bottom = 0, right = 0, left = W;
    const cut = [];
    for (const el of slide.querySelectorAll('*')) {
      if (skip(el) || !visible(el)) continue;
      const r = toSlide(el.getBoundingClientRect());
      if (r.bottom - r.top <= 0 && r.right - r.left <= 0) continue;
      bottom = Math.max(bottom, r.bottom); right = Math.max(right, r.right); left = Math.min(left, r.left);
      const style = getComputedStyle(el);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1) cut.push(el.tagName);
      if (['auto', 'scroll', 'hidden'].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1) cut.push(el.tagName);
    }
    // text sizes (every fragment shown)
    let body = null, code = null;
    const walker = document.createTreeWalker(slide, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (!node.textContent.trim()) continue;
      let el = node.parentElement;
      if (skip(el)) continue;
      const math = el.closest('.MathJax_CHTML');
      if (math) el = math;  // MathJax sizes its sub- and superscripts itself: the formula's size counts
      if (!visible(el)) continue;
      const px = parseFloat(getComputedStyle(el).fontSize) * scale;
      if (isCode(el)) code = code === null ? px : Math.min(code, px);
      else body = body === null ? px : Math.min(body, px);
    }
    for (const el of slide.querySelectorAll('input:not([type=range]), select, button')) {  // controls' own text
      if (!visible(el) || skip(el)) continue;
      const px = parseFloat(getComputedStyle(el).fontSize) * scale;
      code = code === null ? px : Math.min(code, px);
    }
    let plot = null, unknownPlots = 0;
    for (const img of slide.querySelectorAll('img')) {
      if (!visible(img) || skip(img)) continue;
      const textPx = parseFloat(img.dataset.textPx), cssWidth = parseFloat(img.dataset.cssWidth || img.width);
      if (!textPx || !cssWidth) { unknownPlots += 1; continue; }
      const px = textPx * (img.getBoundingClientRect().width / scale) / cssWidth * scale;
      plot = plot === null ? px : Math.min(plot, px);
    }
    // fragments: each one, as it appears
    let offscreen = 0;
    const indices = [...new Set(fragments.map(f => Number(f.dataset.fragmentIndex || 0)))].sort((a, b) => a - b);
    for (const index of indices) {
      Reveal.slide(at.h, at.v, index);
      const shown = slidesBox();
      for (const f of fragments.filter(f => Number(f.dataset.fragmentIndex || 0) === index)) {
        const r = f.getBoundingClientRect();
        const top = (r.top - shown.top) / scale, end = (r.bottom - shown.top) / scale;
        const l = (r.left - shown.left) / scale, e = (r.right - shown.left) / scale;
        if (top < -1 || end > H + 1 || l < -1 || e > W + 1) offscreen += 1;
      }
    }
    const horizontal = !at.v;
    const notes = (Reveal.getSlideNotes(slide) || '').replace(/<[^>]*>/g, '').trim();
    slides.push({
      h: at.h, v: at.v || 0, horizontal, bottom: Math.round(bottom), right: Math.round(right),
      left: Math.round(left), cut: cut.length,
      overflowing: bottom > H - EDGE || right > W - EDGE || left < EDGE || cut.length > 0,
      fragments: fragments.length, offscreen, notes: notes.length > 0, body, code, plot, unknownPlots,
      players: slide.querySelectorAll('.course-widget').length,
      stills: slide.querySelectorAll('.deck-still-widget').length,
      deadControls: slide.querySelectorAll('.jupyter-widgets, .widget-slider, .widget-hslider').length,
      title: (slide.querySelector('h1, h2, h3') || {innerText: ''}).innerText.slice(0, 60),
    });
  }
  Reveal.slide(0, 0);
  still.remove();
  const first = Reveal.getSlides()[0], second = Reveal.getSlides()[1];
  const title = first && first.querySelector('.celltag_deck-title');
  return {
    slides,
    scale,
    titleGoal: !!title && title.querySelectorAll('p').length >= 2,
    outline: !!second && !!second.querySelector('.celltag_deck-outline'),
  };
}
"""


@dataclasses.dataclass
class WidgetResult:
    """One widget player after its sliders were dragged and arrow-keyed."""

    slide: str
    kind: str
    sliders: int
    moved: int
    keys_kept_slide: bool
    fits_after: bool

    @property
    def moves(self) -> bool:
        return self.sliders > 0 and self.moved == self.sliders and self.keys_kept_slide and self.fits_after


@dataclasses.dataclass
class DeckReport:
    """What :func:`measure_deck` found in one deck."""

    name: str
    slides: list[dict]
    widgets: list[WidgetResult]
    title_goal: bool
    outline: bool
    scale: float
    errors: list[str] = dataclasses.field(default_factory=list)
    blocked: list[str] = dataclasses.field(default_factory=list)

    def _min(self, key: str) -> float | None:
        values = [s[key] for s in self.slides if s[key] is not None]
        return round(min(values), 1) if values else None

    def row(self) -> dict:
        """The deck's row of the table."""
        horizontal = [s for s in self.slides if s["horizontal"]]
        return {
            "deck": self.name,
            "slides": len(self.slides),
            "overflowing": sum(s["overflowing"] for s in self.slides),
            "fragments off-screen": f"{sum(s['offscreen'] for s in self.slides)}/{sum(s['fragments'] for s in self.slides)}",
            "notes": f"{sum(s['notes'] for s in horizontal)}/{len(horizontal)}",
            "widgets that move": f"{sum(w.moves for w in self.widgets)}/{len(self.widgets) + self.stills}",
            "body px": self._min("body"),
            "code px": self._min("code"),
            "plot px": self._min("plot"),
            "plots unsized": sum(s["unknownPlots"] for s in self.slides),
            "title+outline": "yes" if self.title_goal and self.outline else "no",
            "errors": len(self.errors) + len(self.blocked),
        }

    @property
    def stills(self) -> int:
        return sum(s["stills"] for s in self.slides)

    def problems(self) -> list[str]:
        """Every broken rule, one line each (empty: the deck can be projected)."""
        found = []
        where = lambda s: f"slide {s['h']}.{s['v']} ({s['title'] or 'untitled'})"  # noqa: E731
        for s in self.slides:
            if s["overflowing"]:
                found.append(f"{where(s)}: content reaches {s['bottom']} px down and {s['right']} px across "
                             f"(the slide is 1280x720; content ends {EDGE} px before its edges)"
                             f"{'; a box cuts or scrolls its content' if s['cut'] else ''}")
            if s["offscreen"]:
                found.append(f"{where(s)}: {s['offscreen']} of {s['fragments']} fragments appear outside the screen")
            if s["horizontal"] and not s["notes"]:
                found.append(f"{where(s)}: no speaker notes")
            for key in LIMITS:
                if s[key] is not None and s[key] < LIMITS[key] - 0.05:
                    found.append(f"{where(s)}: {key} text of {s[key]:.1f} px (at least {LIMITS[key]:g})")
            if s["unknownPlots"]:
                found.append(f"{where(s)}: {s['unknownPlots']} picture(s) of unknown text size (display them with "
                             "course_lib.draw.show or a course_lib.figures figure, and re-execute)")
            if s["stills"]:
                found.append(f"{where(s)}: a widget shown as a still picture (re-execute the notebook: its display "
                             "data then holds the spec the deck's player needs)")
            if s["deadControls"]:
                found.append(f"{where(s)}: a widget control that cannot move without a kernel")
        for w in self.widgets:
            if not w.moves:
                found.append(f"slide {w.slide}: the {w.kind} widget: {w.moved} of {w.sliders} sliders change the "
                             f"picture; arrow keys {'keep' if w.keys_kept_slide else 'change'} the slide; "
                             f"{'fits' if w.fits_after else 'overflows'} after a drag")
        if not self.title_goal:
            found.append("the first slide has no goal (notebook metadata deck.goal)")
        if not self.outline:
            found.append("no outline slide after the title (notebook metadata deck.outline)")
        found += [f"error: {e}" for e in self.errors] + [f"request that would leave the machine: {u}" for u in self.blocked]
        return found


def _fits(page) -> bool:
    return page.evaluate(
        """() => { const s = Reveal.getCurrentSlide(), box = document.querySelector('.reveal .slides').getBoundingClientRect();
                   let bottom = 0; for (const el of s.querySelectorAll('*')) {
                     if (el.closest('aside.notes, script, style') || !el.getClientRects().length) continue;
                     bottom = Math.max(bottom, (el.getBoundingClientRect().bottom - box.top) / Reveal.getScale()); }
                   return bottom <= Reveal.getConfig().height + 1; }"""
    )


def drag_widgets(page) -> list[WidgetResult]:
    """Drag every slider of every widget player in the deck with the mouse, then press an arrow key on it; a
    slider counts as moving when the picture changed."""
    results = []
    count = page.evaluate("document.querySelectorAll('.course-widget').length")
    for i in range(count):
        at = page.evaluate(
            """(i) => { const w = document.querySelectorAll('.course-widget')[i];
                        const at = Reveal.getIndices(w.closest('.slides section:not(.stack)'));
                        Reveal.slide(at.h, at.v, Number.MAX_SAFE_INTEGER); return [at.h, at.v || 0, w.dataset.widget]; }""",
            i,
        )
        page.wait_for_timeout(100)
        widget = page.locator(".course-widget").nth(i)
        sliders = widget.locator("input[type=range]")
        moved, keys_kept = 0, True
        for j in range(sliders.count()):
            slider = sliders.nth(j)
            before = widget.evaluate("w => w.querySelector('img.course-widget-picture').src")
            low, high, value = (float(slider.get_attribute(a) or 0) for a in ("min", "max", "value"))
            box = slider.bounding_box()
            if box is None or high <= low:
                continue
            thumb = box["x"] + 8 + (box["width"] - 16) * (value - low) / (high - low)
            target = box["x"] + 4 if value > (low + high) / 2 else box["x"] + box["width"] - 4
            y = box["y"] + box["height"] / 2
            page.mouse.move(thumb, y)
            page.mouse.down()
            page.mouse.move(target, y, steps=6)
            page.mouse.up()
            after = widget.evaluate("w => w.querySelector('img.course-widget-picture').src")
            moved += after != before
            indices = page.evaluate("JSON.stringify(Reveal.getIndices())")
            slider.focus()
            shown = slider.input_value()
            page.keyboard.press("ArrowLeft" if float(shown) > low else "ArrowRight")
            keys_kept &= page.evaluate("JSON.stringify(Reveal.getIndices())") == indices and slider.input_value() != shown
        fits = _fits(page)
        results.append(WidgetResult(f"{at[0]}.{at[1]}", at[2], sliders.count(), moved, keys_kept, fits))
    return results


def save_screenshots(page, folder: Path, name: str) -> None:
    """Save every slide, all its fragments shown, as ``<folder>/<name>_HH_V.png`` (what a 1280x720 screen shows)."""
    folder.mkdir(parents=True, exist_ok=True)
    count = page.evaluate("Reveal.getSlides().length")
    for i in range(count):
        h, v = page.evaluate(
            """(i) => { const at = Reveal.getIndices(Reveal.getSlides()[i]);
                        Reveal.slide(at.h, at.v, Number.MAX_SAFE_INTEGER); return [at.h, at.v || 0]; }""", i)
        page.wait_for_timeout(150)
        page.screenshot(path=str(folder / f"{name}_{h:02d}_{v}.png"))
    page.evaluate("Reveal.slide(0, 0)")


def measure_deck(browser, url: str, name: str, shots: Path | None = None) -> DeckReport:
    """Open the deck at ``url`` in a fresh 1280x720 page of ``browser`` and measure it (see the module's text)."""
    from browser_support import console_errors, guard_network

    context = browser.new_context(viewport=VIEWPORT)
    try:
        blocked = guard_network(context)
        page = context.new_page()
        errors = console_errors(page)
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} {r.failure}"))
        page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        page.goto(url)
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=30_000)
        page.evaluate("Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
        page.wait_for_function(MATH_DONE_JS, timeout=30_000)
        found = page.evaluate(MEASURE_JS.replace("%EDGE%", str(EDGE)))
        if shots:
            save_screenshots(page, shots, name)
        widgets = drag_widgets(page)
        page.wait_for_timeout(200)
        return DeckReport(name, found["slides"], widgets, found["titleGoal"], found["outline"], found["scale"],
                          list(errors), list(blocked))
    finally:
        context.close()


COLUMNS = ["deck", "slides", "overflowing", "fragments off-screen", "notes", "widgets that move", "body px",
           "code px", "plot px", "plots unsized", "title+outline", "errors"]


def table(reports: list[DeckReport]) -> str:
    """The reports as a Markdown table, one row per deck."""
    rows = [[str(r.row()[c]) for c in COLUMNS] for r in reports]
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join(" --- " for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    """Command line: measure the decks in ``--out`` and print the table (and, with ``-v``, every problem)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="decks to measure, e.g. 01_conv1d (default: every deck in --out)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides", help="where make slides put the decks")
    parser.add_argument("--shots", type=Path, help="save every slide of each deck as a PNG in this folder")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every problem under the table")
    args = parser.parse_args(argv)
    from browser_support import browser_skip_reason, launch
    from playwright.sync_api import sync_playwright

    reason = browser_skip_reason()
    if reason:
        print(f"deck check: {reason}", file=sys.stderr)
        return 2
    names = args.names or sorted(p.name.removesuffix(".slides.html") for p in args.out.glob("*.slides.html"))
    if not names:
        print(f"deck check: no decks in {args.out}: run  make slides  first", file=sys.stderr)
        return 2
    reports = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for name in names:
            reports.append(measure_deck(browser, (args.out / f"{name}.slides.html").resolve().as_uri(), name, args.shots))
        browser.close()
    print(table(reports))
    if args.verbose:
        for report in reports:
            for problem in report.problems():
                print(f"{report.name}: {problem}")
    return 0 if all(not r.problems() for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
