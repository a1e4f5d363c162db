"""course_lib.padding_modes.pad against torch.nn.functional.pad for every mode."""
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from course_lib.padding_modes import pad

pytestmark = pytest.mark.lesson01

TORCH_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


@pytest.mark.parametrize("mode", list(TORCH_MODE))
@given(data=st.data(), n=st.integers(1, 3))
def test_pad_matches_torch(mode, n, data):
    sizes = [data.draw(st.integers(1, 6)) for _ in range(n)]
    limit = {"reflect": lambda s: s - 1, "circular": lambda s: s}.get(mode, lambda s: 4)
    pads = [(data.draw(st.integers(0, limit(s))), data.draw(st.integers(0, limit(s)))) for s in sizes]
    x = torch.randn(2, 3, *sizes, dtype=torch.float64)
    torch_pads = [p for before_after in reversed(pads) for p in before_after]  # F.pad lists the last axis first
    expected = F.pad(x, torch_pads, mode=TORCH_MODE[mode])
    torch.testing.assert_close(pad(x, pads, mode), expected, atol=0, rtol=0)


def test_pad_is_differentiable():
    x = torch.randn(1, 1, 5, dtype=torch.float64, requires_grad=True)
    pad(x, [(2, 2)], "reflect").sum().backward()
    # reflect copies x[1], x[2] on the left and x[3], x[2] on the right: those get extra gradient
    assert x.grad.flatten().tolist() == [1.0, 2.0, 3.0, 2.0, 1.0]


def test_pad_rejects_unknown_mode():
    with pytest.raises(ValueError, match=r"mode must be one of 'zeros', 'reflect', 'replicate', 'circular'; got 'edge'"):
        pad(torch.zeros(1, 1, 4), [(1, 1)], "edge")
