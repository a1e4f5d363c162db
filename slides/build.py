"""Build the lesson slide decks: every ``notebooks/NN_*.ipynb`` as a reveal.js deck that needs no network.

    python slides/build.py [--out build/slides] [notebook.ipynb ...]

``make slides`` runs it after ``npm ci --prefix slides``, which installs the browser assets (reveal.js 4, require.js,
jQuery, MathJax 2 and the Jupyter widgets' HTML manager, pinned in ``slides/package-lock.json``) from the npm
registry. The build copies the files the decks use into ``<out>/assets/`` and writes ``<out>/<name>.slides.html``
with nbconvert's :class:`~nbconvert.exporters.SlidesExporter`, every URL pointing at those copies by a relative path,
so the folder opens from ``file://`` or any static server, with no network.

nbconvert's own template (``reveal``) is used through ``slides/templates/course_reveal``, which replaces what
cannot be configured: no mermaid (loaded from a CDN unconditionally, used by no lesson), the widget manager's
module fallback kept local, and the pictures' alternative text. That text comes from the output's metadata
(``{"image/png": {"alt": ...}}``, which ``course_lib.plots.ShownFigure`` stores: its title); for a pyplot figure
shown with ``plt.show()`` it is the title its cell's code gives (``suptitle``, ``title=``, ``set_title``).

The build fails, naming the deck, when a deck keeps a URL that would leave the machine, refers to an asset
that is not there, or shows a picture without a description.
"""
from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.exporters import SlidesExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NODE_MODULES = ROOT / "slides" / "node_modules"
TEMPLATES = ROOT / "slides" / "templates"
DEFAULT_OUT = ROOT / "build" / "slides"
ASSETS = "assets"

HTML_MANAGER = "@jupyter-widgets/html-manager/dist"
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
    (f"{HTML_MANAGER}/embed-amd.js", "html-manager/embed-amd.js"),
    (f"{HTML_MANAGER}/embed.js.LICENSE.txt", "html-manager/LICENSE.txt"),
]
HTML_MANAGER_FONTS = ("*.woff2", "*.woff", "*.ttf", "*.eot", "*.svg")  # Font Awesome, next to embed-amd.js

EXPORTER_SETTINGS = {
    "template_name": "course_reveal",
    "extra_template_basedirs": [str(TEMPLATES)],
    "reveal_url_prefix": f"{ASSETS}/reveal.js",
    "reveal_theme": "white",  # reveal's 'simple' (nbconvert's default) and several others import Google fonts
    "require_js_url": f"{ASSETS}/require.js",
    "jquery_url": f"{ASSETS}/jquery.min.js",
    "mathjax_url": f"{ASSETS}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "widget_renderer_url": f"{ASSETS}/html-manager/embed-amd.js",
}
WIDGET_MODULES = f"{ASSETS}/widget-modules/"
"""Where the widget manager looks for a widget module it does not bundle (the lessons use none): never a CDN."""

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
    config = Config({"SlidesExporter": dict(EXPORTER_SETTINGS)})
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


def build_deck(path: Path, out: Path, exporter: SlidesExporter) -> Path:
    """Write ``<out>/<stem>.slides.html`` for the notebook at ``path`` and check it; return its path."""
    nb = nbformat.read(path, as_version=4)
    title = lesson_title(nb)
    if title:
        nb.metadata["title"] = title
    resources = {"metadata": {"name": path.stem, "path": str(path.parent)}, "widgets_local_cdn": WIDGET_MODULES}
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
    for pattern in HTML_MANAGER_FONTS:
        for font in (node_modules / HTML_MANAGER).glob(pattern):
            shutil.copy2(font, target / "html-manager" / font.name)


def lesson_notebooks() -> list[Path]:
    """Every lesson notebook, ``notebooks/NN_*.ipynb``, in order."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def build(out: Path = DEFAULT_OUT, notebooks=None, log=print) -> list[Path]:
    """Copy the assets and build a deck for each notebook (default: every lesson) into ``out``; return the decks."""
    notebooks = [Path(p) for p in notebooks] if notebooks else lesson_notebooks()
    if not notebooks:
        raise BuildError(f"no notebooks to build: none given and none match {NOTEBOOKS}/NN_*.ipynb")
    out.mkdir(parents=True, exist_ok=True)
    copy_assets(out)
    exporter = make_exporter()
    decks = []
    for path in notebooks:
        start = time.perf_counter()
        decks.append(build_deck(path, out, exporter))
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
