"""The examples in the library's docstrings run and print what they say."""
import doctest

import pytest

from course_lib import args, padding, shapes


@pytest.mark.parametrize("module", [args, padding, shapes], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0, f"{module.__name__} has no examples"
    assert result.failed == 0
