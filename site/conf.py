"""Sphinx configuration of the course's website (``make site``; ``site/build.py`` stages the sources and runs
Sphinx with ``-c site``). Sphinx + MyST-NB render the stored notebooks without running them; Furo is the theme
(its pages reflow to a phone's width); MathJax 3 is served from ``_static/mathjax`` (site/package-lock.json)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "Convolutions in PyTorch, built by hand"
author = "the course's authors"
copyright = "the course's authors"
language = "en"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",  # the library's docstrings use Google-style Args:/Returns: sections
    "sphinx.ext.mathjax",
]

exclude_patterns = ["downloads/**", "_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header"]  # a lesson's sections may skip a heading level

# MyST-NB: the notebooks are stored executed; never run them.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# autodoc: one page per module (site/build.py writes them by walking course_lib)
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "description"
add_module_names = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# MathJax 3 from the site itself (no CDN)
mathjax_path = "mathjax/tex-mml-chtml.js"
mathjax3_config = {"options": {"enableMenu": False}, "loader": {"load": []}}

html_theme = "furo"
html_title = "Convolutions in PyTorch, built by hand"
html_static_path: list[str] = []  # the staged sources' _static (site/build.py copies site/_static there)
html_css_files = ["player.css", "site.css"]  # site.css after the player's: it sizes the player for a page
html_js_files = ["player.js", "fit-math.js"]
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {"top_of_page_buttons": []}


_TAUGHT = re.compile(r"Taught in lessons? ((?:\d\d(?:\s*(?:,|and)\s*)?)+)")


def _lesson_links(app, what, name, obj, options, lines):
    """A docstring's "Taught in lesson NN" becomes a link to that lesson's page."""
    stems = {p.stem[:2]: p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}

    def link(match):
        numbers = re.findall(r"\d\d", match.group(1))
        if not all(n in stems for n in numbers):
            return match.group(0)
        links = ", ".join(f":doc:`{n} </lessons/{stems[n]}>`" for n in numbers)
        return f"Taught in lesson{'s' if len(numbers) > 1 else ''} {links}"

    lines[:] = [_TAUGHT.sub(link, line) for line in lines]


def _only_the_course(app, what, name, obj, skip, options):
    """Leave out members a class inherits or gets from elsewhere (matplotlib's generated ``Figure.set``)."""
    module = getattr(obj, "__module__", None)
    if callable(obj) and isinstance(module, str) and not module.startswith("course_lib"):
        return True
    return None


def _static_of_the_stage(app, config):
    """Static files come from the staged sources (``build/site-src/_static``: site.css, the widget player, MathJax),
    not from next to this file: Sphinx reads ``html_static_path`` relative to the configuration's folder."""
    config.html_static_path = [str(Path(app.srcdir) / "_static")]


def _unlink_problematic(app, doctree, docname):
    """A docstring that does not read as reST leaves a "problematic" link to a system message the page does not show
    (a dead ``#id1``): keep its text, drop the link. The build lists those docstrings."""
    from docutils import nodes

    for node in doctree.findall(nodes.problematic):
        node.attributes.pop("refid", None)  # the HTML writer links a problematic node only through its refid


def setup(app):
    app.connect("doctree-resolved", _unlink_problematic)
    app.connect("config-inited", _static_of_the_stage)
    app.connect("autodoc-process-docstring", _lesson_links)
    app.connect("autodoc-skip-member", _only_the_course)
    _alt_text_from_output_metadata()


def _alt_text_from_output_metadata():
    """MyST-NB takes an image's width from its output's metadata but not its description: take ``alt`` too
    (course_lib's figures store it there, as ``{"image/png": {"alt": ...}}``)."""
    from myst_nb.core.render import NbElementRenderer

    if getattr(NbElementRenderer.render_image, "_course_alt", False):
        return
    original = NbElementRenderer.render_image

    def render_image(self, data):
        nodes = original(self, data)
        alt = data.output_metadata.get(data.mime_type, {}).get("alt")
        if alt and nodes:
            nodes[0]["alt"] = str(alt)
        return nodes

    render_image._course_alt = True
    NbElementRenderer.render_image = render_image
