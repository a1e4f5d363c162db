"""course_lib's modules import each other in one declared order, never upwards, never in a cycle.

Every import counts: those at the top of a module and those inside functions (read from the whole syntax tree,
relative imports resolved). A module may import from its own level or any level below it; the imports within a
level form no cycle. A module is placed by its name (a package's modules by the package's name), so the order holds
whatever is split into packages; a module that no level names fails the test until it is placed.
"""
import ast
import pathlib

import pytest

import course_lib

ROOT = pathlib.Path(course_lib.__file__).parent

LEVELS = [  # lowest first: a module may import only from its own level and the levels before it
    ("the leaf", {"utils"}),
    ("rules and plain tools on the leaf", {"shapes", "padding_modes", "data", "timing"}),
    ("the arguments, checked once", {"args"}),
    ("the implementations", {"naive", "vectorised", "fourier", "winograd", "upsample", "shuffle_unpool"}),
    ("built from the implementations", {"matrix", "separable", "video", "layers"}),
    ("pictures", {"draw", "figures", "plots"}),  # plots: until it is split into draw and figures
    ("widgets", {"widgets"}),
    ("on top: the exercises' checks, the widgets without a kernel", {"checks", "offline"}),
]


def level_of(module: str) -> int | None:
    """The level of a module named ``figures.lesson05`` or ``vectorised``: its first name part decides."""
    head = module.split(".")[0]
    return next((i for i, (_, names) in enumerate(LEVELS) if head in names), None)


def module_name(path: pathlib.Path) -> str:
    """``course_lib/figures/lesson05.py`` -> ``figures.lesson05``; a package's ``__init__.py`` -> the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def course_imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """The course modules that ``source`` (the module ``module``) imports anywhere, functions included."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .core import y
                base = ["course_lib", *package[:len(package) - node.level + 1]]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names = [origin] + [f"{origin}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("course_lib."):
                found.add(name.removeprefix("course_lib."))
    # keep the longest names that are modules or packages (from course_lib.checks.core import run -> checks.core)
    return {name for name in found if _is_module(name)} - {module}


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def import_graph(root: pathlib.Path = ROOT) -> dict[str, set[str]]:
    graph = {}
    for path in sorted(root.rglob("*.py")):
        name = module_name(path)
        if name:  # course_lib/__init__.py itself is only the package's table of contents
            graph[name] = course_imports(path.read_text(), name, is_package=path.name == "__init__.py")
    return graph


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Every import from a higher level than the importer's, in words."""
    found = []
    for module, imported in sorted(graph.items()):
        for other in sorted(imported):
            if level_of(other) is not None and level_of(module) is not None and level_of(other) > level_of(module):
                found.append(f"{module} ({LEVELS[level_of(module)][0]}) imports {other} "
                             f"({LEVELS[level_of(other)][0]})")
    return found


def cycles(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle per strongly connected group of modules, as ``a -> b -> a``."""
    found, state = [], {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        if state.get(node) == "open":
            found.append(" -> ".join(trail[trail.index(node):] + [node]))
            return
        state[node] = "open"
        for other in sorted(graph.get(node, ())):
            visit(other, trail + [node])
        state[node] = "done"

    for node in sorted(graph):
        visit(node, [])
    return found


def test_every_module_has_a_level():
    unplaced = [module for module in import_graph() if level_of(module) is None]
    assert not unplaced, f"place these modules in LEVELS (tests/test_layering.py): {unplaced}"


def test_utils_is_the_leaf():
    assert import_graph()["utils"] == set()


def test_no_module_imports_upwards():
    found = upward_imports(import_graph())
    assert not found, "imports against the declared order:\n" + "\n".join(found)


def test_no_import_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(found)


def test_function_level_and_relative_imports_count():
    source = '''
import torch
from course_lib import utils, shapes as s
def later():
    from course_lib.widgets import kernel_stepper
    import course_lib.checks.core
    from . import lesson02
    from .. import draw
'''
    assert course_imports(source, "figures.lesson01") >= {"utils", "shapes", "widgets", "checks.core",
                                                           "figures.lesson02", "draw"}


@pytest.mark.parametrize("importer, imported, fails", [
    ("vectorised", "widgets", True),     # an implementation reaching up to the widgets
    ("utils", "shapes", True),           # the leaf importing anything
    ("layers", "vectorised", False),     # downwards: fine
    ("separable", "matrix", False),      # within a level: fine
])
def test_the_order_check_can_fail(importer, imported, fails):
    graph = {importer: {imported}, imported: set()}
    assert bool(upward_imports(graph)) == fails
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a -> b -> c -> a"]
