"""Build the course's website: ``make site`` -> ``build/site/`` (static HTML that needs no network to view).

    python site/build.py [--out build/site]

Sources, none of them re-executed:

- the lessons ``notebooks/NN_*.ipynb`` as stored (their outputs, figures with their descriptions, and each widget
  as a player that moves without a kernel: ``course_lib.offline`` draws its pictures here, the same mechanism as the
  slide decks; cached in ``build/site-cache/``);
- the exercises ``exercises/NN_*/NN_*_exercises.ipynb``, each with a download link and how to check answers;
- ``course_lib``'s docstrings (Sphinx autodoc): one page per module, found by walking the package (never a hand-kept
  list), each saying which lessons import it ("Taught in lesson NN", from the lessons' own ``import`` lines) and
  each lesson linking back to the modules it imports;
- the pages in ``site/pages/`` (home, "Questions this course answers").

The generator is Sphinx with MyST-NB (notebooks as pages) and the Furo theme (readable on a phone); MathJax 3
comes from the npm registry, pinned in ``site/package-lock.json`` (``npm ci --prefix site``), and is copied into
the site. The sources are staged in ``build/site-src/`` (the notebooks with their widgets turned into players,
anchors and links added), then ``sphinx-build`` writes ``build/site/``. The build fails when Sphinx warns (a
broken cross-reference, a missing anchor), when a figure has no description, or when any page, style sheet or
script of the site would load an ``http(s)://`` asset.
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import importlib
import importlib.util
import json
import os
import pkgutil
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # course_lib, when run as a script from anywhere

import nbformat  # noqa: E402

import course_lib  # noqa: E402
from course_lib import offline, widgets  # noqa: E402

SITE = ROOT / "site"
PAGES = SITE / "pages"
NODE_MODULES = SITE / "node_modules"
DEFAULT_OUT = ROOT / "build" / "site"
STAGE = ROOT / "build" / "site-src"
CACHE = ROOT / "build" / "site-cache"
LESSONS = ROOT / "notebooks"
EXERCISES = ROOT / "exercises"

MATHJAX = [
    # (source under site/node_modules/mathjax, destination under _static/mathjax): what the pages load.
    "es5/tex-mml-chtml.js",
    "es5/output/chtml/fonts/woff-v2",
    "es5/input/tex/extensions",
    "LICENSE",
]

# A widget's player on a page: the pictures as large as the text column allows (Furo's is 46 em = 736 px),
# their smallest text at least 13 px; the player's text is 15 px monospace (site.css).
WIDGET_WIDTH, WIDGET_HEIGHT, WIDGET_TEXT_PX, WIDGET_CHARS = 736, 720, 13.0, 80

ANCHORS = {
    # The cells the questions page (site/pages/questions.md) links to: label -> (lesson, a piece of the cell's
    # source found in exactly one code cell). The build puts the label on that cell and the page links to it with
    # {ref}; a piece found in no cell or in several fails the build, naming it.
    "q-conv2d-vs-conv3d": ("03_conv3d", '"Conv3d (1,3,3) mixes neighbouring frames"'),
    "q-conv3d-5d-input": ("03_conv3d", "three_images = torch.rand(3, 3, 32, 32)"),
    "q-conv1d-2d-kernel": ("04_convnd", "old_behaviour = torch.convolution("),
    "q-parameters": ("06_grouped_separable", '"bottleneck 1x1, 3x3, 1x1 (M=64)"'),
    "q-transposed-views": ("07_transposed", '"4 gradient: matrix.conv_transpose_by_gradient"'),
    "q-transposed": ("07_transposed", 'print(f"conv2d, k=3, s=2, p=1: {size} -> {size_out}")'),
    "q-upsampling": ("08_upsampling", 'print(f"{name:28}  {variance:27.4f}'),
}

HTML_ASSET = re.compile(
    r"""<(?:script|img|iframe|audio|video|source|embed|input)\b[^>]*?\ssrc\s*=\s*["']?(https?:)"""
    r"""|<link\b[^>]*?\shref\s*=\s*["']?(https?:)"""
    r"""|url\(\s*["']?(https?:)|@import\s+["'](https?:)""",
    re.I,
)
LOCAL_ASSET = re.compile(r"""<(?:script|img|source)\b[^>]*?\ssrc\s*=\s*["']([^"']+)|<link\b[^>]*?\shref\s*=\s*["']([^"']+)""",
                         re.I)
CSS_ASSET = re.compile(r"""url\(\s*["']?(https?://[^"')]+)|@import\s+["'](https?://[^"']+)""", re.I)
LINK = re.compile(r"(\[[^\]]*\])\(([^)\s]+)\)")


class BuildError(RuntimeError):
    """A site that would not be complete offline (the message names the page and the fix)."""


# ------------------------------------------------------------------------------------------ sources


def lesson_notebooks() -> list[Path]:
    """Every lesson, ``notebooks/NN_*.ipynb``, in order."""
    return sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))


def exercise_notebooks() -> list[Path]:
    """Every exercise notebook, ``exercises/NN_*/NN_*_exercises.ipynb``, in order."""
    return sorted(EXERCISES.glob("[0-9][0-9]_*/*_exercises.ipynb"))


def library_modules() -> list[str]:
    """Every module of ``course_lib`` (packages and their modules), found by walking the package."""
    names = ["course_lib"]
    for info in pkgutil.walk_packages(course_lib.__path__, prefix="course_lib."):
        if not info.name.rsplit(".", 1)[-1].startswith("_"):
            names.append(info.name)
    return sorted(names)


def imported_modules(nb, modules: list[str]) -> list[str]:
    """The ``course_lib`` modules a notebook's code imports (``from course_lib import a, b``,
    ``from course_lib.a import f``, ``import course_lib.a``), in ``modules``' order.

    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from course_lib import naive, shapes")])
    >>> imported_modules(nb, ["course_lib", "course_lib.naive", "course_lib.shapes", "course_lib.utils"])
    ['course_lib.naive', 'course_lib.shapes']
    """
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "course_lib":
                for alias in node.names:
                    found.add(f"{node.module}.{alias.name}")
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "course_lib"}
    return [m for m in modules if m in found and m != "course_lib"]


def title_of(nb, fallback: str) -> str:
    """The notebook's first ``# `` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def number_of(path: Path) -> str:
    return path.name[:2]


# ------------------------------------------------------------------------------------------ widgets


DRAWING_MODULES = sorted(m.__file__ for name, m in list(sys.modules.items())
                         if name.split(".")[0] == "course_lib" and getattr(m, "__file__", None))
"""The files of every course_lib module that ``offline`` and ``widgets`` load (what draws a widget's pictures),
taken when this script has imported only those two."""


def _source_hash() -> bytes:
    """What a widget's pictures depend on besides its spec: the code of :data:`DRAWING_MODULES`."""
    digest = hashlib.sha256()
    for path in map(Path, DRAWING_MODULES):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return digest.digest()


def widget_fragment(spec: dict, cache: Path | None, sources: bytes) -> str:
    """The player of a widget's spec, drawn by ``course_lib.offline`` (as the decks do), or read from ``cache``."""
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode() + sources + f"{WIDGET_WIDTH} {WIDGET_HEIGHT} "
                         f"{WIDGET_TEXT_PX} {WIDGET_CHARS}".encode()).hexdigest()[:32]
    cached = cache / f"{key}.html" if cache else None
    if cached and cached.exists():
        return cached.read_text(encoding="utf-8")
    fragment = offline.html(offline.frames(offline.from_spec(spec)), min_text_px=WIDGET_TEXT_PX,
                            max_width=WIDGET_WIDTH, max_height=WIDGET_HEIGHT, chars_per_line=WIDGET_CHARS)
    if cached:
        cache.mkdir(parents=True, exist_ok=True)
        cached.write_text(fragment, encoding="utf-8")
    return fragment


def _titles_in_source(source: str) -> str:
    """The title a cell's code gives its figure (the decks' rule: ``slides/build.py``'s ``titles_in_source``)."""
    spec = importlib.util.spec_from_file_location("slides_build_titles", ROOT / "slides" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.titles_in_source(source)


# ------------------------------------------------------------------------------------------ pages


def _rewrite_links(text: str, source: Path, page: Path, published: dict[Path, Path]) -> str:
    """Markdown links between the course's files, pointed at their pages: a link to a published notebook
    becomes a link to its page; a link to another file of the repository becomes its name in code (the site
    does not carry it); anything with a scheme or an anchor only is left alone."""

    def fix(match):
        label, target = match.group(1), match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = (source.parent / path).resolve()
        if resolved in published:
            relative = os.path.relpath(published[resolved], page.parent)
            return f"{label}({Path(relative).as_posix()}{'#' + anchor if anchor else ''})"
        return f"{label[1:-1]} (`{resolved.relative_to(ROOT).as_posix() if ROOT in resolved.parents else path}`)"

    return LINK.sub(fix, text)


def _md(text: str):
    return nbformat.v4.new_markdown_cell(text)


def _api_links(modules: list[str], prefix: str) -> str:
    return ", ".join(f"[`{m}`]({prefix}api/{m}.md)" for m in modules)


def stage_notebook(source: Path, page: Path, published: dict[Path, Path], modules: list[str], header: str,
                   anchors: dict[str, str], cache: Path | None, sources: bytes) -> None:
    """Write the page's notebook: presenter notes left out, widgets as players, figures with their
    descriptions, links rewritten, ``header`` (markdown) after the title and each label of ``anchors``
    (label -> a piece of source) on the one code cell that holds it."""
    nb = nbformat.read(source, as_version=4)
    name = source.relative_to(ROOT).as_posix()
    cells = []
    placed = {label: 0 for label in anchors}
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("slideshow", {}).get("slide_type") == "notes":
            continue  # the presenter's notes belong to the deck
        if cell.cell_type == "markdown":
            cell.source = _rewrite_links(cell.source, source, page, published)
        if cell.cell_type == "code":
            for label, piece in anchors.items():
                if piece in cell.source:
                    placed[label] += 1
                    cells.append(_md(f"({label})="))
            outputs = []
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if widgets.SPEC_MIME in data:
                    fragment = widget_fragment(data[widgets.SPEC_MIME], cache, sources)
                    output = nbformat.v4.new_output("display_data", data={"text/html": fragment})
                elif "application/vnd.jupyter.widget-view+json" in data:
                    still = data.get("text/html") or ""
                    output = nbformat.v4.new_output("display_data", data={"text/html": still})
                elif "image/png" in data:
                    metadata = output.setdefault("metadata", {}).setdefault("image/png", {})
                    if not metadata.get("alt"):
                        metadata["alt"] = _titles_in_source(cell.source)
                    if not metadata["alt"]:
                        raise BuildError(f"{name}: cell {index} shows a figure with no description: give it a "
                                         "title, or display it through course_lib's figures (alt text).")
                outputs.append(output)
            cell.outputs = outputs
        cells.append(cell)
        if len(cells) == 1 and cell.cell_type == "markdown" and header:
            cells.append(_md(header))
    for label, count in placed.items():
        if count != 1:
            raise BuildError(f"{name}: the anchor {label!r} should mark the one code cell holding "
                             f"{anchors[label]!r}; {count} cells hold it. Update ANCHORS in site/build.py.")
    nb.cells = cells
    nb.metadata.pop("widgets", None)  # no widget manager on the site: every widget is a player now
    page.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, page)


def module_page(module: str, lessons: list[tuple[str, str, str]], exercises: list[tuple[str, str, str]]) -> str:
    """The reference page of one module (MyST): where it is taught, then autodoc."""
    lines = [f"# `{module}`", ""]
    if lessons:
        lines.append("Taught in " + ", ".join(f"[lesson {n} ({title})](../lessons/{stem}.ipynb)"
                                              for n, stem, title in lessons) + ".")
    if exercises:
        lines.append("Used in " + ", ".join(f"[exercise {n}](../exercises/{stem}.ipynb)" for n, stem, _ in exercises)
                     + ".")
    if not lessons and not exercises:
        lines.append("No lesson imports it directly: the other modules use it.")
    lines += ["", "```{eval-rst}", f".. automodule:: {module}", "   :members:", "```", ""]
    return "\n".join(lines)


def _first_line(module: str) -> str:
    doc = (importlib.import_module(module).__doc__ or "").strip()
    return " ".join(doc.split("\n\n")[0].split()) if doc else ""


def stage(stage_dir: Path = STAGE, cache: Path | None = CACHE, log=print) -> None:
    """Write every page's source into ``stage_dir``."""
    shutil.rmtree(stage_dir, ignore_errors=True)
    shutil.copytree(PAGES, stage_dir)
    shutil.copytree(SITE / "_static", stage_dir / "_static")
    copy_mathjax(stage_dir / "_static" / "mathjax")
    # the widget player (course_lib.offline), once for every page: its fragments are wired by this script
    (stage_dir / "_static" / "player.css").write_text(offline.PLAYER_CSS, encoding="utf-8")
    (stage_dir / "_static" / "player.js").write_text(offline.PLAYER_JS, encoding="utf-8")
    modules = library_modules()
    lessons, exercises = lesson_notebooks(), exercise_notebooks()
    published = {p.resolve(): stage_dir / "lessons" / p.name for p in lessons}
    published |= {p.resolve(): stage_dir / "exercises" / p.name for p in exercises}
    downloads = stage_dir / "downloads"
    downloads.mkdir()
    sources = _source_hash()

    taught: dict[str, list] = {m: [] for m in modules}
    used: dict[str, list] = {m: [] for m in modules}
    exercise_of = {number_of(p): p for p in exercises}
    lesson_of = {number_of(p): p for p in lessons}
    for path in lessons:
        nb = nbformat.read(path, as_version=4)
        for m in imported_modules(nb, modules):
            taught[m].append((number_of(path), path.stem, title_of(nb, path.stem)))
    for path in exercises:
        nb = nbformat.read(path, as_version=4)
        for m in imported_modules(nb, modules):
            used[m].append((number_of(path), path.stem, title_of(nb, path.stem)))

    for path in lessons:
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        shutil.copy2(path, downloads / path.name)
        header = [f"*Lesson {number_of(path)}.* {{download}}`Download the notebook <../downloads/{path.name}>` "
                  "(it is stored executed: what you read here is what it printed)."]
        mods = imported_modules(nb, modules)
        if mods:
            header.append(f"Library reference for this lesson: {_api_links(mods, '../')}.")
        if number_of(path) in exercise_of:
            header.append(f"Exercises: [exercise {number_of(path)}](../exercises/{exercise_of[number_of(path)].stem}"
                          ".ipynb).")
        anchors = {label: piece for label, (lesson, piece) in ANCHORS.items() if lesson == path.stem}
        stage_notebook(path, stage_dir / "lessons" / path.name, published, modules, "\n\n".join(header), anchors,
                       cache, sources)
        log(f"  lesson {path.stem} ({time.perf_counter() - start:.1f} s)")
    missing = sorted({lesson for lesson, _ in ANCHORS.values()} - {p.stem for p in lessons})
    if missing:
        raise BuildError(f"ANCHORS in site/build.py names lessons that do not exist: {missing}.")

    for path in exercises:
        nb = nbformat.read(path, as_version=4)
        shutil.copy2(path, downloads / path.name)
        number = number_of(path)
        lesson = lesson_of.get(number)
        header = [
            f"{{download}}`Download the exercise notebook <../downloads/{path.name}>` and open it in JupyterLab "
            f"(or take your copy from `make lab`, in `my-work/exercises/{path.parent.name}/`).",
            "**How to check your answers.** Write your code where a cell says `# YOUR CODE HERE` (delete the "
            "`raise NotImplementedError()` line), run that cell, then run the check cell under it: it runs your "
            "function on many cases against PyTorch and prints one ✓ line, or stops with the likely mistake and the "
            "smallest case that shows it. The checks need the course installed (`make lab`): they are "
            f"[`course_lib.checks`](../api/course_lib.checks.md). Worked solutions are in "
            f"`solutions/{path.parent.name}/` of the repository.",
        ]
        if lesson:
            header.append(f"The lesson: [lesson {number}](../lessons/{lesson.stem}.ipynb).")
        stage_notebook(path, stage_dir / "exercises" / path.name, published, modules, "\n\n".join(header), {},
                       cache, sources)

    api = stage_dir / "api"
    api.mkdir()
    rows = ["# Library reference: `course_lib`", "",
            "Every module of the course's library, documented from its docstrings. The lessons import these "
            "modules; each page says which lessons teach it.", "",
            "| module | what it holds | taught in |", "| --- | --- | --- |"]
    for m in modules:
        (api / f"{m}.md").write_text(module_page(m, taught[m], used[m]), encoding="utf-8")
        where = ", ".join(f"[{n}](../lessons/{stem}.ipynb)" for n, stem, _ in taught[m]) or "—"
        rows.append(f"| [`{m}`]({m}.md) | {_first_line(m).replace('|', '/')} | {where} |")
    rows += ["", "```{toctree}", ":hidden:", "", *(f"{m}" for m in modules), "```", ""]
    (api / "index.md").write_text("\n".join(rows), encoding="utf-8")

    toc = ["```{toctree}", ":caption: Lessons", ":maxdepth: 1", "", *(f"lessons/{p.stem}" for p in lessons), "```",
           "", "```{toctree}", ":caption: Exercises", ":maxdepth: 1", "",
           *(f"exercises/{p.stem}" for p in exercises), "```", "",
           "```{toctree}", ":caption: Reference", ":maxdepth: 1", "", "questions", "api/index", "```", ""]
    index = stage_dir / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("<!-- toctree -->", "\n".join(toc)), encoding="utf-8")


def copy_mathjax(target: Path) -> None:
    """Copy the MathJax files the pages load from ``site/node_modules`` (``npm ci --prefix site``)."""
    source = NODE_MODULES / "mathjax"
    if not (source / "es5").is_dir():
        raise BuildError(f"{source} is missing: install the site's assets with  npm ci --prefix site  "
                         "(make site does; site/package-lock.json pins them).")
    for part in MATHJAX:
        src, dst = source / part, target / Path(part).relative_to("es5") if part.startswith("es5/") else target / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)


# ------------------------------------------------------------------------------------------ checks


def check_offline(out: Path) -> None:
    """Fail when a page, style sheet or script of the site would load something from the network."""
    problems = []
    for path in sorted(out.rglob("*")):
        if path.suffix not in (".html", ".css", ".js") or "_sources" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(out).as_posix()
        if path.suffix == ".html":
            for match in HTML_ASSET.finditer(text):
                problems.append(f"{where}: {text[match.start():match.end() + 60]!r}")
        elif path.suffix == ".css":
            problems += [f"{where}: {m.group(1) or m.group(2)}" for m in CSS_ASSET.finditer(text)]
        if path.suffix == ".html":
            for script, link in LOCAL_ASSET.findall(text):
                target = (script or link).split("?")[0].split("#")[0]
                if target and not re.match(r"^([a-z]+:|//)", target) and not (path.parent / target).exists():
                    problems.append(f"{where}: {target} is not in the site")
    if problems:
        raise BuildError("the site would load from the network, or misses a file:\n  " + "\n  ".join(problems[:20])
                         + "\nServe a copy from the site instead (site/package.json, html_static_path).")


def split_warnings(text: str) -> tuple[list[str], list[str]]:
    """Sphinx's warnings, split: markup slips in course_lib's docstrings (docutils' complaints about reST: reported,
    not fatal) and everything else (fatal: a broken reference or link, a missing page, a failed import).

    >>> markup, fatal = split_warnings(
    ...     "/x/course_lib/a.py:docstring of course_lib.a.f:3: ERROR: Unexpected indentation. [docutils]\\n"
    ...     "/x/build/site-src/questions.md:5: WARNING: undefined label: 'q-x' [ref.ref]")
    >>> markup
    ['course_lib.a.f:3: ERROR: Unexpected indentation. [docutils]']
    >>> fatal
    ["/x/build/site-src/questions.md:5: WARNING: undefined label: 'q-x' [ref.ref]"]
    """
    markup, fatal = [], []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        docstring = re.search(r"docstring of (course_lib\.\S+)$", line.split(": ", 1)[0])
        if docstring and line.endswith("[docutils]"):
            markup.append(docstring.group(1) + ": " + line.split(": ", 1)[1])
        else:
            fatal.append(line)
    return markup, fatal


def build(out: Path = DEFAULT_OUT, stage_dir: Path = STAGE, cache: Path | None = CACHE, log=print) -> Path:
    """Stage the sources, run Sphinx into ``out`` and check the result; return ``out``."""
    from sphinx.cmd.build import build_main

    start = time.perf_counter()
    log("staging the pages' sources in " + str(stage_dir))
    stage(stage_dir, cache, log)
    log(f"sphinx-build -> {out}")
    shutil.rmtree(out, ignore_errors=True)
    doctrees = stage_dir.parent / "site-doctrees"
    shutil.rmtree(doctrees, ignore_errors=True)
    warnings = stage_dir.parent / "site-warnings.txt"
    status = build_main(["-b", "html", "-Q", "-w", str(warnings), "-c", str(SITE), "-d", str(doctrees),
                         str(stage_dir), str(out)])
    markup, fatal = split_warnings(warnings.read_text(encoding="utf-8") if warnings.exists() else "")
    if markup:
        log(f"{len(markup)} docstring(s) of course_lib do not read as reStructuredText (the page shows them "
            "anyway):\n  " + "\n  ".join(markup))
    if status or fatal:
        raise BuildError("sphinx-build reported problems: fix them (a broken reference, a missing page, a module "
                         "that does not import):\n  " + "\n  ".join(fatal or [f"exit status {status}"]))
    check_offline(out)
    log(f"built {out} in {time.perf_counter() - start:.0f} s")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    try:
        build(args.out)
    except BuildError as error:
        print(f"make site: {error}", file=sys.stderr)
        return 1
    print(f"Open {args.out}/index.html in a browser (file:// works), or serve the folder with\n"
          f"  python3 -m http.server -d {args.out} --bind 127.0.0.1 8000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
