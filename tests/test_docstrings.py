"""The examples in the library's docstrings run and print what they say: every module of course_lib."""
import doctest
import importlib
import pathlib
import pkgutil

import pytest

import course_lib

MODULES = sorted(m.name for m in pkgutil.iter_modules(course_lib.__path__, "course_lib."))
# with the modules of sub-packages (course_lib.checks.conv1d, ...)
ALL_MODULES = sorted(m.name for m in pkgutil.walk_packages(course_lib.__path__, "course_lib."))


@pytest.mark.parametrize("name", [pytest.param(m, marks=pytest.mark.slow) if m == "course_lib.offline" else m
                                  for m in ALL_MODULES])  # offline draws every frame of its examples
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0


def test_every_module_is_listed_in_the_package_docstring():
    for name in MODULES:
        assert f"``{name.split('.')[-1]}``" in course_lib.__doc__, f"{name} is missing from course_lib/__init__.py's list"


@pytest.mark.parametrize("name", ["course_lib.naive", "course_lib.vectorised", "course_lib.shapes"])
def test_public_functions_have_an_example_and_a_lesson(name):
    """Each public function of naive, vectorised and shapes shows a worked example and says where it is taught."""
    module = importlib.import_module(name)
    for attribute in dir(module):
        function = getattr(module, attribute)
        if attribute.startswith("_") or not callable(function) or getattr(function, "__module__", None) != name:
            continue
        doc = function.__doc__ or ""
        assert ">>>" in doc, f"{name}.{attribute} has no worked example"
        assert "lesson" in doc.lower(), f"{name}.{attribute} does not say which lesson teaches it"


def test_no_module_imports_one_that_imports_it_back():
    """The import graph of course_lib is acyclic (utils is the leaf)."""
    root = pathlib.Path(course_lib.__file__).parent
    graph = {}
    for path in root.glob("*.py"):
        text = path.read_text()
        imported = set()
        for line in text.splitlines():
            if line.startswith("from course_lib import "):
                imported |= {part.split(" as ")[0].strip() for part in line[len("from course_lib import "):].split(",")}
            elif line.startswith("from course_lib."):
                imported.add(line.split()[1].split(".")[1])
        graph[path.stem] = imported
    assert graph["utils"] == set(), "utils is the leaf: it imports nothing from course_lib"
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", "import cycle: " + " -> ".join(trail + [node])
        state[node] = "open"
        for other in graph.get(node, ()):
            visit(other, trail + [node])
        state[node] = "done"

    for node in graph:
        visit(node, [])
