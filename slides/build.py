"""Build the lesson slide decks: every ``notebooks/NN_*.ipynb`` as a reveal.js deck that needs no network.

    python slides/build.py [--out build/slides] [notebook.ipynb ...]

``make slides`` runs it after ``npm ci --prefix slides``, which installs the browser assets (reveal.js 4, require.js,
jQuery and MathJax 2, pinned in ``slides/package-lock.json``) from the npm registry. The build copies the files the
decks use into ``<out>/assets/`` and writes ``<out>/<name>.slides.html`` with nbconvert's
:class:`~nbconvert.exporters.SlidesExporter`, every URL pointing at those copies by a relative path, so the folder
opens from ``file://`` or any static server, with no network.

A deck is a talk made from the notebook, which stays the single source: ``deck_notebook`` turns the notebook into the
deck's cells before nbconvert sees them, following the conventions of ``docs/decks.md``:

- a title slide (the lesson's ``# `` title, the one-sentence goal of the notebook's ``deck`` metadata and its
  length in minutes) and an outline slide (``deck.outline``, notes from ``deck.outline_notes``) open every deck;
- cell tags shape a cell's part: ``deck-hide-input`` (output only), ``deck-hide-output`` (code only),
  ``deck-code-lines=3-8+12`` (only those lines of code, the rest folded into a "lines in the notebook" marker),
  ``deck-own-slide`` (the output on a vertical slide of its own after the code), ``deck-nowrap`` (printed lines
  kept whole: a table); an unknown ``deck-`` tag fails the build;
- a widget becomes a player that moves without a kernel (``course_lib.offline``: its pictures for its slider
  settings, drawn here from the spec its display data stores, cached in ``build/slides-cache/``), or, when the
  notebook stores no spec, its still picture with the note that it is one (never a dead control);
- a picture whose metadata gives its smallest text (``text_px``, as ``course_lib.draw.show`` stores it) is shown
  wide enough for that text to be ``PLOT_PX`` pixels on a 1280x720 slide, as far as the slide is wide.

nbconvert's own template (``reveal``) is used through ``slides/templates/course_reveal``, which replaces what
cannot be configured: a fixed 1280x720 slide with the deck's text sizes, no mermaid (loaded from a CDN
unconditionally, used by no lesson), no widget manager, and the pictures' alternative text. That text comes from
the output's metadata (``{"image/png": {"alt": ...}}``, which ``course_lib.draw`` stores: the figure's title); for a
pyplot figure shown with ``plt.show()`` it is the title its cell's code gives (``suptitle``, ``title=``,
``set_title``).

The build fails, naming the deck, when a deck keeps a URL that would leave the machine, refers to an asset
that is not there, shows a picture without a description, or has a malformed ``deck-`` tag.
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import math
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.exporters import SlidesExporter

from course_lib import offline, widgets
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # course_lib, when run as a script from anywhere
NOTEBOOKS = ROOT / "notebooks"
NODE_MODULES = ROOT / "slides" / "node_modules"
TEMPLATES = ROOT / "slides" / "templates"
DEFAULT_OUT = ROOT / "build" / "slides"
CACHE = ROOT / "build" / "slides-cache"
ASSETS = "assets"

COPIES = [
    # (source under slides/node_modules, destination under <out>/assets): only what the decks load.
    ("reveal.js/dist/reveal.js", "reveal.js/dist/reveal.js"),
    ("reveal.js/dist/reveal.css", "reveal.js/dist/reveal.css"),
    ("reveal.js/dist/theme/white.css", "reveal.js/dist/theme/white.css"),
    ("reveal.js/dist/theme/fonts/source-sans-pro", "reveal.js/dist/theme/fonts/source-sans-pro"),
    ("reveal.js/plugin/notes/notes.js", "reveal.js/plugin/notes/notes.js"),
    ("reveal.js/LICENSE", "reveal.js/LICENSE"),
    ("requirejs/require.js", "require.js"),
    ("jquery/dist/jquery.min.js", "jquery.min.js"),
    ("mathjax/MathJax.js", "mathjax/MathJax.js"),
    ("mathjax/LICENSE", "mathjax/LICENSE"),
    ("mathjax/config/TeX-AMS_CHTML-full.js", "mathjax/config/TeX-AMS_CHTML-full.js"),
    ("mathjax/config/Safe.js", "mathjax/config/Safe.js"),
    ("mathjax/extensions", "mathjax/extensions"),
    ("mathjax/jax/input/TeX", "mathjax/jax/input/TeX"),
    ("mathjax/jax/element", "mathjax/jax/element"),
    ("mathjax/jax/output/CommonHTML", "mathjax/jax/output/CommonHTML"),
    ("mathjax/fonts/HTML-CSS/TeX/woff", "mathjax/fonts/HTML-CSS/TeX/woff"),
    ("mathjax/localization/en", "mathjax/localization/en"),
]

EXPORTER_SETTINGS = {
    "template_name": "course_reveal",
    "extra_template_basedirs": [str(TEMPLATES)],
    "reveal_url_prefix": f"{ASSETS}/reveal.js",
    "reveal_theme": "white",  # reveal's 'simple' (nbconvert's default) and several others import Google fonts
    "require_js_url": f"{ASSETS}/require.js",
    "jquery_url": f"{ASSETS}/jquery.min.js",
    "mathjax_url": f"{ASSETS}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "reveal_width": "1280",
    "reveal_height": "720",
    "reveal_number": "c/t",
}

WIDTH, HEIGHT = 1280, 720
"""The slide, in CSS pixels: reveal.js scales it to the screen (1.5 times on a 1920x1080 projector)."""
PADDING_X, PADDING_Y = 24, 16
CONTENT_WIDTH = WIDTH - 2 * PADDING_X
BODY_PX, CODE_PX = 26, 18
"""Text sizes the template sets: prose (markdown) and code (cells, printed output, widgets' text)."""
PLOT_PX = 14.5
"""A picture whose smallest text is known is shown wide enough for it to be this many pixels (the rule: 14)."""
WIDGET_HEIGHT = HEIGHT - 2 * PADDING_Y - 88
"""CSS pixels a widget's player may take: the slide under a ``##`` heading (or two lines of code)."""
CODE_CHARS = math.floor(CONTENT_WIDTH / (0.6 * CODE_PX))
"""Characters of code per line on a slide (monospace glyphs are about 0.6 em wide): longer lines wrap."""

TAG_PREFIX = "deck-"
TAGS = {
    "deck-hide-input": "show the cell's output only",
    "deck-hide-output": "show the cell's code only",
    "deck-code-lines=": "show only these lines of the code (1-based, e.g. deck-code-lines=3-8+12), fold the rest",
    "deck-own-slide": "put the cell's output on a vertical slide of its own, after the code",
    "deck-nowrap": "keep printed lines whole (a table): the build checks that they fit",
}
"""The cell tags the build understands (the notebook's tags; JupyterLab's property inspector edits them)."""

URL = re.compile(r"https?://[^\s\"'<>()\\]+")
XML_NAMESPACES = {  # names, never fetched
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/1998/Math/MathML",
}
LOCAL_ASSET = re.compile(rf"""["'(]({ASSETS}/[^"'?#)\s]+)""")
STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
NO_ALT = "No description has been provided for this image"  # what nbconvert writes on an <img> without alt


class BuildError(RuntimeError):
    """A deck that would not open offline, or not fully (the message names the deck and the fix)."""


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _literal_text(node: ast.AST) -> str | None:
    """The text of a string literal. An f-string's fields that name a value (``{k}``, ``{shape[0]}``) read as
    their source (``f"k={k}"`` gives ``k=k``); computed ones (``{'s' if n > 1 else ''}``) are left out."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        named = (ast.Name, ast.Attribute, ast.Subscript)
        return "".join(
            part.value if isinstance(part, ast.Constant)
            else ast.unparse(part.value) if isinstance(part.value, named) else ""
            for part in node.values
        )
    return None


def titles_in_source(source: str) -> str:
    """The title(s) a cell's code gives its figure: the ``suptitle``, else ``title=`` arguments, else the
    ``set_title`` calls, joined by "; " ("" when there are none or the code does not parse).

    >>> titles_in_source('fig.suptitle("Edges")\\nax.set_title("x")')
    'Edges'
    >>> titles_in_source('for ax, name in zip(axes, names):\\n    ax.set_title(f"{name} filter")\\nplt.show()')
    'name filter'
    """
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    found: dict[str, list[str]] = {"suptitle": [], "title": [], "set_title": []}
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        name = _call_name(call)
        if name in ("suptitle", "set_title") and call.args:
            found[name].append(_literal_text(call.args[0]))
        found["title"] += [_literal_text(k.value) for k in call.keywords if k.arg == "title"]
    for kind in ("suptitle", "title", "set_title"):
        texts = [" ".join(t.split()) for t in found[kind] if t and t.strip()]
        if texts:
            return "; ".join(dict.fromkeys(texts))
    return ""


class FigureAltText(Preprocessor):
    """Gives every PNG output a description in its metadata (``alt``): the one the kernel stored, else the title
    the cell's code gives the figure. A figure with neither fails the build, naming the notebook and the cell."""

    def preprocess_cell(self, cell, resources, index):
        """Fill in ``outputs[i].metadata["image/png"]["alt"]`` where it is missing."""
        for output in cell.get("outputs", []):
            if "image/png" not in output.get("data", {}):
                continue
            if "application/vnd.jupyter.widget-view+json" in output.data:
                continue  # a widget: the deck shows the live view (its picture comes from the stored state)
            metadata = output.setdefault("metadata", {}).setdefault("image/png", {})
            if not metadata.get("alt"):
                metadata["alt"] = titles_in_source(cell.source)
            if not metadata["alt"]:
                raise BuildError(
                    f"{resources.get('metadata', {}).get('name')}: cell {index} shows a figure with no description. "
                    "Give the figure a title (fig.suptitle(...) or title=...), or display it with metadata "
                    '{"image/png": {"alt": "..."}}.'
                )
        return cell, resources


def make_exporter() -> SlidesExporter:
    """nbconvert's slides exporter, set up for local assets, the course template and the figures' descriptions."""
    # each line of code in its own span, so that a line wider than the slide wraps with a hanging indent
    config = Config({"SlidesExporter": dict(EXPORTER_SETTINGS),
                     "Highlight2HTML": {"extra_formatter_options": {"linespans": "deck-line"}}})
    exporter = SlidesExporter(config=config)
    exporter.register_preprocessor(FigureAltText(), enabled=True)
    return exporter


def lesson_title(nb) -> str | None:
    """The text of the notebook's first level-1 heading (the lesson's title), or None."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def strip_css_comments(html: str) -> str:
    """The page with the comments of its inline style sheets removed (nbconvert's carry documentation links)."""
    return STYLE.sub(lambda m: m.group(1) + CSS_COMMENT.sub("", m.group(2)) + m.group(3), html)


def check_deck(name: str, html: str, out: Path) -> None:
    """Fail when the deck keeps a URL that leaves the machine, names a missing asset, or has a picture
    without a description."""
    urls = sorted(set(URL.findall(html)) - XML_NAMESPACES)
    if urls:
        raise BuildError(f"{name}: the deck still refers to the network: {urls}. Point it at a copy under {ASSETS}/.")
    missing = sorted({a for a in LOCAL_ASSET.findall(html) if not a.endswith("/") and not (out / a).exists()})
    if missing:
        raise BuildError(f"{name}: the deck refers to assets the build did not copy: {missing}. Add them to COPIES.")
    if NO_ALT in html:
        raise BuildError(f"{name}: a picture has no description (nbconvert wrote {NO_ALT!r}).")


# ------------------------------------------------------------------------------------- the deck's cells


def slide_type(cell) -> str:
    """The cell's ``slideshow.slide_type`` ("-" when it has none)."""
    return cell.metadata.get("slideshow", {}).get("slide_type", "-") or "-"


def _deck_tags(cell, index: int, name: str) -> dict[str, str]:
    """The cell's ``deck-`` tags as ``{tag: value}`` (value "" for a flag); an unknown one fails the build."""
    found = {}
    for tag in cell.metadata.get("tags", []):
        if not tag.startswith(TAG_PREFIX):
            continue
        key, _, value = tag.partition("=")
        known = key + ("=" if _ else "")
        if known not in TAGS:
            raise BuildError(
                f"{name}: cell {index} has the tag {tag!r}, which the deck build does not know. "
                f"The deck tags are: {', '.join(TAGS)}."
            )
        found[key] = value
    return found


def code_lines(spec: str, count: int, where: str) -> list[int]:
    """The 1-based line numbers a ``deck-code-lines=`` value names (ranges joined by ``+``: a notebook's tags cannot
    hold commas), checked against the cell's ``count`` lines.

    >>> code_lines("2-4+7", 8, "cell 3")
    [2, 3, 4, 7]
    >>> try:
    ...     code_lines("5-9", 6, "cell 3")
    ... except BuildError as error:
    ...     print(error)
    cell 3: deck-code-lines=5-9 names lines outside the cell's 6 lines; use 1-6.
    """
    lines = []
    try:
        for part in spec.split("+"):
            first, _, last = part.strip().partition("-")
            lines += range(int(first), int(last or first) + 1)
    except ValueError:
        raise BuildError(f"{where}: deck-code-lines={spec} is not a list of line ranges such as 3-8+12 "
                         "(tags cannot hold commas).") from None
    if not lines or min(lines) < 1 or max(lines) > count:
        raise BuildError(f"{where}: deck-code-lines={spec} names lines outside the cell's {count} lines; "
                         f"use 1-{count}.")
    return sorted(set(lines))


def fold_code(source: str, keep: list[int]) -> str:
    """``source`` with only the lines ``keep`` (1-based); each run of left-out lines becomes one comment line
    saying how many lines the notebook has there.

    >>> print(fold_code("a = 1\\nb = 2\\nc = 3\\nprint(a + c)", [1, 4]))
    a = 1
    # ⋯ 2 lines in the notebook
    print(a + c)
    >>> fold_code("a = 1\\n\\nb = 2", [1, 3])  # a left-out blank line stays blank
    'a = 1\\n\\nb = 2'
    """
    lines = source.splitlines()
    shown, hidden = [], []
    for number, line in enumerate(lines, start=1):
        if number in keep:
            if hidden:
                indent = line[: len(line) - len(line.lstrip())]
                shown += _marker(hidden, indent, "")
                hidden = []
            shown.append(line)
        else:
            hidden.append(line)
    if hidden:
        shown += _marker(hidden, "", "more ")
    return "\n".join(shown)


def _marker(hidden: list[str], indent: str, more: str) -> list[str]:
    """What stands for left-out lines: blank lines stay blank, anything else is one comment line."""
    if not any(line.strip() for line in hidden):
        return [""] * len(hidden)
    return [f"{indent}# ⋯ {len(hidden)} {more}line{'s' * (len(hidden) != 1)} in the notebook"]


def _notes_cell(text: str):
    return nbformat.v4.new_markdown_cell(text, metadata={"slideshow": {"slide_type": "notes"}})


def title_cells(nb, name: str) -> list:
    """The generated title slide and outline slide (with their notes cells) from the notebook's ``deck``
    metadata: ``goal`` (one sentence), ``outline`` (a list of section names), ``minutes``, ``outline_notes``."""
    deck = nb.metadata.get("deck", {})
    title = lesson_title(nb) or name
    number = name.split("_")[0]
    lines = [f"# {title}", ""]
    if deck.get("goal"):
        lines += [str(deck["goal"]), ""]
    meta = f"Lesson {number}" + (f" · about {deck['minutes']} minutes" if deck.get("minutes") else "")
    lines.append(f"*{meta}*")
    cells = [nbformat.v4.new_markdown_cell("\n".join(lines), metadata={
        "slideshow": {"slide_type": "slide"}, "tags": ["deck-title"]})]
    if deck.get("outline"):
        items = "\n".join(f"{i}. {item}" for i, item in enumerate(deck["outline"], start=1))
        cells.append(nbformat.v4.new_markdown_cell(f"## Outline\n\n{items}", metadata={
            "slideshow": {"slide_type": "slide"}, "tags": ["deck-outline"]}))
        if deck.get("outline_notes"):
            cells.append(_notes_cell(str(deck["outline_notes"])))
    return cells


def _widget_output(output, cache: Path | None, name: str, index: int):
    """A widget's output made kernel-free: the player of ``course_lib.offline`` when it stores a spec, else its
    still picture (the ``text/html`` the widget stores for viewers without a kernel, which says it is one)."""
    data = output.get("data", {})
    if widgets.SPEC_MIME in data:
        fragment = widget_fragment(data[widgets.SPEC_MIME], cache)
        return nbformat.v4.new_output("display_data", data={"text/html": fragment})
    if "application/vnd.jupyter.widget-view+json" in data:
        still = data.get("text/html") or ""
        return nbformat.v4.new_output("display_data", data={
            "text/html": f'<div class="deck-still-widget">{still}</div>'})
    return output


def widget_fragment(spec: dict, cache: Path | None = CACHE) -> str:
    """The player fragment for a widget spec, drawn by ``course_lib.offline`` (a few seconds per widget), or read
    from ``cache``: keyed by the spec and the source of the drawing code, so a change to either draws it again."""
    drawing = [offline.__file__, offline.draw.__file__, *sorted(Path(widgets.__file__).parent.glob("*.py"))]
    sources = b"".join(Path(path).read_bytes() for path in drawing)
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode() + sources
                         + f"{PLOT_PX} {CONTENT_WIDTH} {WIDGET_HEIGHT} {CODE_CHARS}".encode()).hexdigest()[:32]
    cached = cache / f"{key}.html" if cache else None
    if cached and cached.exists():
        return cached.read_text(encoding="utf-8")
    fragment = offline.html(offline.frames(offline.from_spec(spec)), min_text_px=PLOT_PX, max_width=CONTENT_WIDTH,
                            max_height=WIDGET_HEIGHT, chars_per_line=CODE_CHARS)
    if cached:
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(fragment, encoding="utf-8")
    return fragment


def _deck_picture(output) -> None:
    """Show a picture whose smallest text is known (``text_px``) wide enough for that text to be ``PLOT_PX``
    pixels, up to the slide's width; its original CSS width is kept as ``css_width``."""
    metadata = output.get("metadata", {}).get("image/png", {})
    if "image/png" not in output.get("data", {}) or not metadata.get("text_px") or not metadata.get("width"):
        return
    width = metadata.get("css_width", metadata["width"])
    metadata["css_width"] = width
    metadata["width"] = min(CONTENT_WIDTH, max(width, math.ceil(width * PLOT_PX / metadata["text_px"])))


def deck_notebook(nb, name: str, cache: Path | None = CACHE):
    """The notebook the deck is exported from (a copy; ``nb`` is left alone): the title and outline slides first,
    the ``deck-`` tags applied, widgets made kernel-free and pictures sized for the slide."""
    nb = copy.deepcopy(nb)
    cells = []
    titled = False
    for index, cell in enumerate(nb.cells):
        tags = _deck_tags(cell, index, name)
        where = f"{name}: cell {index}"
        if not titled and cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            cells += title_cells(nb, name)[:1]  # the title slide replaces the title cell; notes follow it
            titled = True
            continue
        if titled is True and slide_type(cell) != "notes":
            cells += title_cells(nb, name)[1:]  # the outline slide, after the title slide's notes
            titled = "done"
        if cell.cell_type == "code":
            if "deck-code-lines" in tags:
                cell.source = fold_code(cell.source, code_lines(tags["deck-code-lines"], len(cell.source.splitlines()),
                                                                where))
            if "deck-hide-input" in tags:
                cell.metadata["transient"] = {"remove_source": True}
            if "deck-hide-output" in tags:
                cell.outputs = []
            cell.outputs = [_widget_output(o, cache, name, index) for o in cell.get("outputs", [])]
            for output in cell.outputs:
                _deck_picture(output)
            if "deck-own-slide" in tags and cell.outputs:
                alone = nbformat.v4.new_code_cell("", metadata={
                    "slideshow": {"slide_type": "subslide"}, "transient": {"remove_source": True},
                    "tags": [t for t in cell.metadata.get("tags", []) if t == "deck-nowrap"]})
                alone.outputs, cell.outputs = cell.outputs, []
                cells += [cell, alone]
                continue
        cells.append(cell)
    if titled is True:
        cells += title_cells(nb, name)[1:]
    nb.cells = cells
    nb.metadata.pop("widgets", None)  # no widget manager: every widget is a player or a still picture now
    return nb


def deck_resources() -> dict:
    """What the course template needs besides the notebook: the sizes and the widget player."""
    return {
        "body_px": BODY_PX, "code_px": CODE_PX, "padding_x": PADDING_X, "padding_y": PADDING_Y,
        "title_height": HEIGHT - 2 * PADDING_Y, "widget_css": offline.PLAYER_CSS, "widget_js": offline.PLAYER_JS,
    }


def build_deck(path: Path, out: Path, exporter: SlidesExporter, cache: Path | None = CACHE) -> Path:
    """Write ``<out>/<stem>.slides.html`` for the notebook at ``path`` and check it; return its path."""
    nb = nbformat.read(path, as_version=4)
    title = lesson_title(nb)
    if title:
        nb.metadata["title"] = title
    nb = deck_notebook(nb, path.stem, cache)
    resources = {"metadata": {"name": path.stem, "path": str(path.parent)}, "deck": deck_resources()}
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    html = strip_css_comments(html)
    check_deck(path.name, html, out)
    deck = out / f"{path.stem}.slides.html"
    deck.write_text(html, encoding="utf-8")
    return deck


def copy_assets(out: Path, node_modules: Path = NODE_MODULES) -> None:
    """Copy the browser assets the decks load from ``node_modules`` into ``<out>/assets`` (replacing any old copy)."""
    if not (node_modules / "reveal.js").is_dir():
        raise BuildError(
            f"{node_modules} has no reveal.js: install the slide assets first with  npm ci --prefix slides  "
            "(make slides does)."
        )
    target = out / ASSETS
    shutil.rmtree(target, ignore_errors=True)
    for source, destination in COPIES:
        src, dst = node_modules / source, target / destination
        if not src.exists():
            raise BuildError(f"{src} is missing: run  npm ci --prefix slides  again (slides/package-lock.json).")
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)


def lesson_notebooks() -> list[Path]:
    """Every lesson notebook, ``notebooks/NN_*.ipynb``, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def build(out: Path = DEFAULT_OUT, notebooks=None, log=print, cache: Path | None = CACHE) -> list[Path]:
    """Copy the assets and build a deck for each notebook (default: every lesson) into ``out``; return the decks.
    Widgets' pictures are cached in ``cache`` (None: drawn every time)."""
    notebooks = [Path(p) for p in notebooks] if notebooks else lesson_notebooks()
    if not notebooks:
        raise BuildError(f"no notebooks to build: none given and none match {NOTEBOOKS}/NN_*.ipynb")
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    exporter = make_exporter()
    decks = []
    for path in notebooks:
        start = time.perf_counter()
        decks.append(build_deck(path, out, exporter, cache))
        log(f"{decks[-1].relative_to(out.parent) if out.parent in decks[-1].parents else decks[-1]}"
            f"  ({time.perf_counter() - start:.1f} s)")
    return decks


def main(argv=None) -> int:
    """Command line: ``python slides/build.py [--out DIR] [NOTEBOOK ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to build (default: every notebooks/NN_*.ipynb)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        decks = build(args.out, args.notebooks)
    except BuildError as error:
        print(f"make slides: {error}", file=sys.stderr)
        return 1
    print(f"{len(decks)} decks in {args.out}: open one in a browser (file:// works), or serve the folder with\n"
          f"  python -m http.server -d {args.out} --bind 127.0.0.1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
