"""The course in a real browser: JupyterLab opens the start notebook from the URL `make lab` prints, and the
lessons' widgets answer a real slider drag or key press (headless Debian Chromium driven by Playwright).

JupyterLab serves a temporary copy of notebooks/ on 127.0.0.1 (autosave never touches the repository), with the
command line of the Makefile's `lab` target plus settings that keep it off the network (no news, no update
check, no PyPI extension manager) and `expose_app_in_browser` (the tests run a lesson's cells through
`window.jupyterapp`). The widget tests open the real lessons (lesson 01 once for its two widgets) and run only
the cells the widget cells need: those that define the names they read, found by parsing the lesson's code (a
whole lesson takes 8-32 s to run). Each test then drags a slider handle with the mouse or presses ArrowRight
on it, and checks that within
REACTION_LIMIT_S the slider's readout shows the new index, the widget's text follows and its picture is a new
PNG. Every page may reach only 127.0.0.1 and must log no console error.

Screenshots go to $BROWSER_SHOTS when set (e.g. BROWSER_SHOTS=build/lab_shots), else to pytest's temporary
directory. Without Chromium or Playwright these tests skip, unless REQUIRE_BROWSER=1 (CI): then they fail.
"""
from __future__ import annotations

import ast
import builtins
import json
import os
import pathlib
import re
import time

import pytest
from browser_support import console_errors, guard_network, jupyterlab_on_a_copy, require_browser

pytestmark = [pytest.mark.lesson00, pytest.mark.lesson01, pytest.mark.lesson03, pytest.mark.slow]

ROOT = pathlib.Path(__file__).resolve().parents[1]
START = "notebooks/00_start_here.ipynb"
REACTION_LIMIT_S = 5.0
"""Most seconds from releasing the slider (or the key) until the widget shows the new index, text and picture."""
LAB_START_S = 60
VIEWPORT = {"width": 1400, "height": 900}


# ----------------------------------------------------------------------------
# Which cells a widget cell needs (pure: tested without a browser below)
# ----------------------------------------------------------------------------

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda,
           ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _module_level(node):
    """The nodes in a cell's own scope: not inside a function, class, lambda or comprehension."""
    yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child  # its name is bound in the cell's scope, its body is not
        elif not isinstance(child, _SCOPES):
            yield from _module_level(child)


def _bound(nodes) -> set[str]:
    names = set()
    for node in nodes:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def cell_names(source: str) -> tuple[set[str], set[str]]:
    """``(defines, reads)``: the names a code cell leaves defined for later cells, and those it reads from earlier ones."""
    tree = ast.parse(source)
    everywhere = list(ast.walk(tree))
    loads = {n.id for n in everywhere if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return _bound(_module_level(tree)), loads - _bound(everywhere) - set(dir(builtins))


def cells_needed(sources: list[str], target: int) -> list[int]:
    """Indices of the cells to run, in order, so that cell ``target`` finds every name it reads: for each name, the
    last earlier cell that defines it (as after running the notebook top to bottom), and what that cell needs.
    ``sources`` holds every cell's source, "" for markdown cells."""
    names = [cell_names(source) for source in sources]
    needed, todo = {target}, [target]
    while todo:
        i = todo.pop()
        for name in sorted(names[i][1]):
            j = next((j for j in range(i - 1, -1, -1) if name in names[j][0]), None)
            if j is None:
                raise LookupError(f"cell {i} reads {name!r}, which no earlier code cell defines")
            if j not in needed:
                needed.add(j)
                todo.append(j)
    return sorted(needed)


def code_sources(notebook: pathlib.Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) if c["cell_type"] == "code" else "" for c in cells]


def widget_cell(notebook: pathlib.Path, call: str) -> int:
    """The index of the first code cell of ``notebook`` whose source contains ``call``."""
    found = [i for i, source in enumerate(code_sources(notebook)) if call in source]
    if not found:
        raise LookupError(f"no code cell of {notebook.name} calls {call!r}: has the lesson changed?")
    return found[0]


def test_cells_needed_follows_the_names_read():
    sources = [
        "import torch\nfrom course_lib import widgets",
        "",  # a markdown cell
        "x = torch.ones(3)\nw = torch.ones(2)",
        "def f(x, w):\n    window = x[:2]\n    return (window * w).sum()",  # its arguments define nothing outside
        "x = torch.zeros(4)  # redefined: the later cell wins",
        "unused = [k for k in range(3)]",
        "widgets.kernel_stepper(x, w)",
    ]
    assert cells_needed(sources, 6) == [0, 2, 4, 6]
    assert cell_names(sources[3]) == ({"f"}, set())
    assert cell_names(sources[5]) == ({"unused"}, set())
    with pytest.raises(LookupError, match="'y'"):
        cells_needed(["print(y)"], 0)


# ----------------------------------------------------------------------------
# JupyterLab on a copy of the notebooks, and Chromium
# ----------------------------------------------------------------------------


def browser_fixtures(request, *names):
    """The named fixtures, set up inside the test: a missing browser then skips the test, or under REQUIRE_BROWSER=1
    fails it (a fixture that fails at setup would be reported as an error instead)."""
    require_browser()
    return [request.getfixturevalue(name) for name in names]


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> pathlib.Path:
    folder = pathlib.Path(os.environ.get("BROWSER_SHOTS") or tmp_path_factory.mktemp("lab_shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab as `make lab` starts it, serving a temporary copy of notebooks/; yields the URL it prints."""
    home = tmp_path_factory.mktemp("lab")
    with jupyterlab_on_a_copy(home, "notebooks", START, LAB_START_S) as url:
        yield url


@pytest.fixture
def new_page(browser):
    """Make pages in fresh contexts that may reach only 127.0.0.1; after the test, none may have reached
    anything else or logged a console error."""
    made = []

    def make():
        context = browser.new_context(viewport=VIEWPORT)
        blocked = guard_network(context)
        page = context.new_page()
        made.append((context, blocked, console_errors(page)))
        return page

    yield make
    for context, blocked, errors in made:
        context.close()
        assert blocked == [], f"the page tried to reach beyond 127.0.0.1: {blocked}"
        assert errors == [], f"the page logged errors: {errors}"


# ----------------------------------------------------------------------------
# The start notebook
# ----------------------------------------------------------------------------


def test_start_notebook_opens_from_the_url_make_lab_prints(request):
    lab, new_page, shots = browser_fixtures(request, "lab", "new_page", "shots")
    assert f"--LabApp.default_url=/lab/tree/{START}" in (ROOT / "Makefile").read_text()
    assert f"/lab/tree/{START}?token=" in lab, f"`make lab` prints {lab!r}"
    title = json.loads((ROOT / START).read_text())["cells"][0]["source"][0].strip()
    assert title.startswith("# "), f"the start notebook should open with its title heading, not {title!r}"
    page = new_page()
    page.goto(lab)
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
    heading = page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h1").first
    heading.wait_for(timeout=LAB_START_S * 1000)
    assert tab.inner_text() == pathlib.Path(START).name
    assert heading.inner_text().rstrip("¶").strip() == title[2:]
    page.screenshot(path=shots / "start_notebook.png")


# ----------------------------------------------------------------------------
# The widgets
# ----------------------------------------------------------------------------

RUN_CELLS = """async ([path, indices, target]) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    if (!panel || panel.context.path !== path) throw new Error(`the open document is not ${path}`);
    await panel.sessionContext.ready;
    const notebook = panel.content;
    for (const i of indices) {
        notebook.activeCellIndex = i;
        await app.commands.execute('notebook:run-cell');
    }
    notebook.widgets[target].node.dataset.widgetCell = String(target);
    notebook.activeCellIndex = target;
    await notebook.scrollToItem(target, 'start');
}"""


@pytest.fixture(scope="module")
def lessons(browser):
    """Open a lesson in JupyterLab once per module and run what its widget cells need; yields ``open(lesson, cells)``."""
    opened = {}

    def open_lesson(lab_url: str, lesson: str, calls: list[str]):
        if lesson not in opened:
            context = browser.new_context(viewport=VIEWPORT)
            blocked = guard_network(context)
            page = context.new_page()
            errors = console_errors(page)
            base, token = lab_url.split("/lab/")[0], lab_url.split("token=")[1]
            page.goto(f"{base}/lab/workspaces/{lesson}/tree/notebooks/{lesson}.ipynb?token={token}")
            page.locator(".jp-NotebookPanel:visible .jp-RenderedMarkdown h1").first.wait_for(
                timeout=LAB_START_S * 1000)
            notebook = ROOT / "notebooks" / f"{lesson}.ipynb"
            targets = [widget_cell(notebook, call) for call in calls]
            run = sorted({i for t in targets for i in cells_needed(code_sources(notebook), t)})
            started = time.perf_counter()
            page.evaluate(RUN_CELLS, [f"notebooks/{lesson}.ipynb", run, targets[0]])
            opened[lesson] = dict(page=page, blocked=blocked, errors=errors, ran=run,
                                  seconds=time.perf_counter() - started)
        return opened[lesson]

    yield open_lesson
    for lesson in opened.values():
        lesson["page"].context.close()


def show_cell(page, lesson: str, call: str):
    """The live widget of the lesson's cell that calls ``call``, scrolled into view."""
    index = widget_cell(ROOT / "notebooks" / f"{lesson}.ipynb", call)
    page.evaluate("""async (i) => {
        const notebook = window.jupyterapp.shell.currentWidget.content;
        notebook.widgets[i].node.dataset.widgetCell = String(i);
        await notebook.scrollToItem(i, 'start');
    }""", index)
    widget = page.locator(f'[data-widget-cell="{index}"] .jp-OutputArea-output .widget-vbox').first
    widget.locator(".noUi-handle").first.wait_for(timeout=60_000)
    return widget


def slider(widget, description: str):
    """The slider whose label is ``description``."""
    label = widget.page.locator("label.widget-label", has_text=re.compile(f"^{re.escape(description)}$"))
    found = widget.locator(".widget-slider").filter(has=label)
    assert found.count() == 1, f"one slider labelled {description!r} expected, found {found.count()}"
    return found


def picture_digest(widget) -> str:
    """The widget picture's src and the SHA-256 of the PNG it shows."""
    return widget.locator("img.widget-image").evaluate("""async (img) => {
        const bytes = await (await fetch(img.src)).arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        return img.src + ' ' + Array.from(digest, b => b.toString(16).padStart(2, '0')).join('');
    }""")


def drag_to(page, control, value: int) -> None:
    """Drag the slider's handle with the mouse to where ``value`` sits on its track."""
    handle = control.locator(".noUi-handle")
    low, high = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax"))
    track = control.locator(".noUi-base").bounding_box()
    start = handle.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    target = track["x"] + track["width"] * (value - low) / (high - low)
    page.mouse.move(target, start["y"] + start["height"] / 2, steps=8)
    page.mouse.up()


def press_right(control) -> None:
    """Focus the slider's handle and press the right arrow key once."""
    control.locator(".noUi-handle").focus()
    control.page.keyboard.press("ArrowRight")


WIDGETS = [  # lesson, the widget cell's call, slider, how it is moved, the new index, text the widget then shows
    ("01_conv1d", "widgets.kernel_stepper(", "out L", "drag", 3, "out[3] = "),
    ("01_conv1d", "widgets.output_size_explorer(", "size i", "ArrowRight", 9, "(9 + 2·1"),
    ("03_conv3d", "widgets.dimension_slicer(", "H (dim 3)", "drag", 24, None),
]


@pytest.mark.parametrize("lesson, call, label, move, index, text", WIDGETS,
                         ids=[f"{w[1].split('.')[1].rstrip('(')}-{w[3]}" for w in WIDGETS])
def test_widget_answers_a_real_slider_move(request, lesson, call, label, move, index, text):
    lab, lessons, shots = browser_fixtures(request, "lab", "lessons", "shots")
    calls = [w[1] for w in WIDGETS if w[0] == lesson]
    state = lessons(lab, lesson, calls)
    page = state["page"]
    widget = show_cell(page, lesson, call)
    control = slider(widget, label)
    name = call.split(".")[1].rstrip("(")
    readout = control.locator(".widget-readout")
    before_picture, before_text = picture_digest(widget), widget.inner_text()
    assert readout.inner_text().strip() != str(index), "the slider already shows the index the test moves it to"
    assert text is None or text not in before_text, f"the widget already shows {text!r}"
    widget.screenshot(path=shots / f"{name}_before.png")

    started = time.perf_counter()
    if move == "drag":
        drag_to(page, control, index)
    else:
        press_right(control)
    readout_then = readout.inner_text().strip()
    page.wait_for_function(
        """([img, old]) => img.src !== old""", arg=[widget.locator("img.widget-image").element_handle(),
                                                  before_picture.split(" ")[0]],
        timeout=REACTION_LIMIT_S * 1000, polling="raf")
    if text is not None:
        widget.get_by_text(text, exact=False).first.wait_for(timeout=REACTION_LIMIT_S * 1000)
    latency = time.perf_counter() - started
    print(f"{name}: {move} to {index}: widget answered in {latency * 1000:.0f} ms "
          f"(cells {state['ran']} ran in {state['seconds']:.1f} s)")
    widget.screenshot(path=shots / f"{name}_after.png")

    assert readout.inner_text().strip() == str(index), f"readout right after the {move}: {readout_then!r}"
    assert control.locator(".noUi-handle").get_attribute("aria-valuenow") in (str(index), f"{index}.0")
    after_picture = picture_digest(widget)
    assert after_picture.split(" ")[1] != before_picture.split(" ")[1], "the picture's PNG did not change"
    assert latency <= REACTION_LIMIT_S
    assert state["blocked"] == [], f"the page tried to reach beyond 127.0.0.1: {state['blocked']}"
    assert state["errors"] == [], f"the page logged errors: {state['errors']}"
