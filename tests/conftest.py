"""Shared test settings: float64 comparisons with torch, hypothesis profiles,
the table of implementations every property test runs, and one marker per lesson.
"""
from __future__ import annotations

import os
import pathlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable

import matplotlib
import pytest
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from course_lib import fourier, matrix, naive, vectorised, winograd

matplotlib.use("Agg")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

settings.register_profile(
    "course", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], derandomize=False
)
# make test-fast sets COURSE_TESTS=fast: every property test draws at most FAST_EXAMPLES cases.
FAST = os.environ.get("COURSE_TESTS") == "fast"
FAST_EXAMPLES = 10
settings.register_profile("fast", parent=settings.get_profile("course"), max_examples=FAST_EXAMPLES)
settings.load_profile("fast" if FAST else "course")


def examples(n: int) -> int:
    """A test's own number of hypothesis examples, capped at FAST_EXAMPLES under make test-fast.

    >>> examples(300) == (FAST_EXAMPLES if FAST else 300)
    True
    """
    return min(n, FAST_EXAMPLES) if FAST else n

ATOL = 1e-10  # float64 results of the same sums in a different order differ by ~1e-14


def draw_conv_axes(draw, n, max_groups=3, groups=None, kernel=None, stride=None, dilation=None):
    """The draws the property tests' random convolutions share (`draw` from a `@st.composite`): groups,
    in and out channels (1 or 2 per group), and per-axis kernel (1-3), stride (1-3) and dilation (1-2) for `n`
    sliding axes; a value given is kept. Returns (groups, c_in, c_out, kernel, stride, dilation)."""
    groups = draw(st.integers(1, max_groups)) if groups is None else groups
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n)) if kernel is None else kernel
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n)) if stride is None else stride
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n)) if dilation is None else dilation
    return groups, c_in, c_out, kernel, stride, dilation


# ----------------------------------------------------------------------------
# The table of implementations. The property, gradient, signature and bad-input
# tests iterate over it: a new implementation is tested by adding one line.
# ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Implementation:
    """One implementation of the convolutions, as the tests see it.

    ``module`` exposes ``conv1d/2d/3d/convnd`` (``kind="conv"``) or
    ``conv_transpose1d/2d/3d/conv_transposend`` (``kind="transpose"``) with the
    signatures of ``course_lib.naive``; or, with ``function`` set, one N-d function
    of that signature (the teaching views of the transposed convolution).
    """

    name: str
    module: ModuleType
    kind: str = "conv"
    function: str | None = None  # a single N-d function instead of the per-rank names
    max_size: int = 7  # largest spatial size the property tests draw (loops are slow)
    gradients: bool = True  # compare gradients with torch's (autograd through the implementation)
    supports: Callable[[dict], bool] = lambda case: True  # e.g. a 3x3-only algorithm says which cases it takes
    fixed: dict = field(default_factory=dict)  # case arguments it needs fixed, e.g. {"n": 2, "kernel": (3, 3)}

    def functions(self, n: int) -> list[Callable]:
        """The functions to test on an ``n``-d case: the rank's own name and the N-d one."""
        if self.function is not None:
            return [getattr(self.module, self.function)]
        prefix = "conv" if self.kind == "conv" else "conv_transpose"
        names = ([f"{prefix}{n}d"] if n <= 3 else []) + [f"{prefix}nd"]
        return [getattr(self.module, name) for name in names]

    def __str__(self) -> str:
        return self.name


IMPLEMENTATIONS = [
    Implementation("naive", naive, gradients=False),  # loops: differentiable, but too slow to test that way
    Implementation("vectorised", vectorised, max_size=12),
    Implementation("fourier", fourier, max_size=12),
    Implementation("winograd", winograd, function="conv2d", max_size=12,
                   fixed={"n": 2, "kernel": (3, 3), "stride": (1, 1), "dilation": (1, 1), "groups": 1}),
    Implementation("naive", naive, kind="transpose", max_size=4, gradients=False),
    Implementation("vectorised", vectorised, kind="transpose", max_size=6),
    Implementation("zero insertion", vectorised, kind="transpose", function="conv_transpose_zero_insertion", max_size=5),
    Implementation("matrix", matrix, kind="transpose", function="conv_transpose_by_matrix", max_size=4),
    Implementation("gradient", matrix, kind="transpose", function="conv_transpose_by_gradient", max_size=5),
]
CONV_IMPLEMENTATIONS = [i for i in IMPLEMENTATIONS if i.kind == "conv"]
TRANSPOSE_IMPLEMENTATIONS = [i for i in IMPLEMENTATIONS if i.kind == "transpose"]
MODULES = {i.module.__name__: i.module for i in IMPLEMENTATIONS if i.function is None}  # the full-API modules


# ----------------------------------------------------------------------------
# One marker per lesson: `pytest -m lesson02` runs the tests of chapter 02. Each test file names its own lessons
# (`pytestmark = pytest.mark.lesson02`); a lesson notebook gets its lesson from its name (02_conv2d.ipynb).
# Notebooks also get `slow`, as the browser and grading test files mark themselves: `make test-fast` leaves them out.
# ----------------------------------------------------------------------------

LESSONS = {f"lesson{i:02d}": title for i, title in enumerate([
    "start here", "conv1d", "conv2d", "conv3d", "one N-d convolution", "vectorising",
    "grouped and separable", "transposed convolution", "upsampling", "capstone",
])}


def pytest_configure(config):
    for marker, title in LESSONS.items():
        config.addinivalue_line("markers", f"{marker}: tests of lesson {marker[-2:]} ({title})")


def pytest_collection_modifyitems(config, items):
    """Mark each notebook's nbval items with the notebook's lesson and `slow`."""
    for item in items:
        path = pathlib.Path(str(item.fspath))
        if path.suffix == ".ipynb":
            item.add_marker("slow")
            if path.name[:2].isdigit():
                item.add_marker(f"lesson{path.name[:2]}")


# Grading tests (`@pytest.mark.nbgrader`) need the instructor extra: skip them, saying why, where it is not installed.
def pytest_runtest_setup(item):
    if item.get_closest_marker("nbgrader") is not None:
        import pytest
        from grading_support import nbgrader_skip_reason

        if (reason := nbgrader_skip_reason()) is not None:
            pytest.skip(reason)


# The browser tests' Chromium (tests/browser_support.py): one per test module; without it the test skips, or fails
# under REQUIRE_BROWSER=1.
@pytest.fixture(scope="module")
def browser():
    from browser_support import launch, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
