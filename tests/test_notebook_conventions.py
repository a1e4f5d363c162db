"""The notebook conventions of docs/design.md that can be read off the files: slide metadata, links, no outputs lost."""
import json
import pathlib
import re

import pytest

pytestmark = [getattr(pytest.mark, f"lesson{i:02d}") for i in range(0, 10)]

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*/*.ipynb")) + sorted((ROOT / "solutions").glob("*/*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_has_slide_metadata(path):
    cells = json.loads(path.read_text())["cells"]
    missing = [i for i, c in enumerate(cells) if c["metadata"].get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]
    assert not missing, f"cells without a slide type: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS + EXERCISES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_lesson_links_a_file_that_does_not_exist(path):
    for i, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for target in re.findall(r"\]\(([^)#\s]+)", "".join(cell["source"])):
            if not re.match(r"[a-z]+://", target):
                assert (path.parent / target).exists(), f"cell {i} links {target}, which does not exist"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_executed_in_order(path):
    """Stored executed (outputs visible on any viewer), in one top-to-bottom run."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in cells]
    assert all(n is not None for n in counts), "some code cells were never run"
    assert counts == sorted(counts) and len(set(counts)) == len(counts), "cells were not run once, top to bottom"


@pytest.mark.parametrize("path", NOTEBOOKS[1:9], ids=lambda p: p.name)
def test_lessons_01_to_08_link_their_exercise_notebook(path):
    target = f"../exercises/{path.stem}/{path.stem}_exercises.ipynb"
    assert f"]({target})" in path.read_text(), f"{path.name} does not link {target}"


def test_the_chapter_map_is_complete():
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{i:02d}" for i in range(10)]
