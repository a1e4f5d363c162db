"""Tests of the channel-separated (CSN) block and its counts (course_lib.video and course_lib.shapes, lesson 06)."""
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from course_lib import shapes, video

pytestmark = pytest.mark.lesson06


def torch_block(c_in, mid, c_out, kernel, kind, stride=1, padding=0, dilation=1):
    """The same block made of nn.Conv3d layers (no biases), float64."""
    layers = [nn.Conv3d(c_in, mid, 1, bias=False)]
    if kind == "ip":
        layers.append(nn.Conv3d(mid, mid, 1, bias=False))
    layers.append(nn.Conv3d(mid, mid, kernel, stride, padding, dilation, groups=mid, bias=False))
    layers.append(nn.Conv3d(mid, c_out, 1, bias=False))
    return nn.Sequential(*layers).double()


def weights_of(block, kind):
    w = [layer.weight for layer in block]
    if kind == "ip":
        reduce, interaction, depthwise, expand = w
    else:
        (reduce, depthwise, expand), interaction = w, None
    return dict(reduce_weight=reduce, depthwise_weight=depthwise, expand_weight=expand, interaction_weight=interaction)


@pytest.mark.parametrize("kind", ["ip", "ir"])
@pytest.mark.parametrize("stride, padding, dilation", [(1, 1, 1), (2, 0, 1), ((1, 2, 2), (1, 2, 2), (1, 2, 2)), (1, "same", 1)])
def test_matches_torch_layers(kind, stride, padding, dilation):
    torch.manual_seed(0)
    block = torch_block(6, 4, 10, (3, 3, 3), kind, stride, padding, dilation)
    x = torch.randn(2, 6, 5, 9, 9, dtype=torch.float64, requires_grad=True)
    expected = block(x)
    ours = video.csn_block(x, **weights_of(block, kind), kind=kind, stride=stride, padding=padding, dilation=dilation)
    torch.testing.assert_close(ours, expected)
    grad = torch.randn_like(expected)
    inputs = [x] + [layer.weight for layer in block]
    torch.testing.assert_close(torch.autograd.grad(ours, inputs, grad), torch.autograd.grad(expected, inputs, grad))


def test_activation_and_unbatched():
    torch.manual_seed(1)
    block = torch_block(3, 4, 5, (3, 1, 3), "ip", padding=(1, 0, 1))
    x = torch.randn(3, 4, 6, 6, dtype=torch.float64)
    w = weights_of(block, "ip")
    h = torch.relu(block[0](x[None]))
    h = torch.relu(block[1](h))
    expected = block[3](torch.relu(block[2](h)))[0]
    ours = video.csn_block(x, **w, kind="ip", padding=(1, 0, 1), activation=torch.relu)
    torch.testing.assert_close(ours, expected)


@pytest.mark.parametrize("kind", ["ip", "ir"])
@pytest.mark.parametrize("c_in, mid, c_out, kernel, size, stride, padding", [
    (256, 64, 256, 3, (8, 56, 56), 1, 1),
    (6, 4, 10, (3, 1, 3), (5, 9, 7), (1, 2, 1), 0),
])
def test_counts_match_torch(kind, c_in, mid, c_out, kernel, size, stride, padding):
    counts = shapes.csn_counts(c_in, mid, c_out, kernel, size, kind, stride, padding)
    block = torch_block(c_in, mid, c_out, kernel, kind, stride, padding).to("meta")
    assert counts["separable"]["params"] == sum(p.numel() for p in block.parameters())
    with FlopCounterMode(display=False) as flops:
        block(torch.empty(1, c_in, *size, device="meta", dtype=torch.float64))
    assert counts["separable"]["macs"] == flops.get_total_flops() // 2
    full = nn.Sequential(nn.Conv3d(c_in, mid, 1, bias=False), nn.Conv3d(mid, mid, kernel, stride, padding, bias=False),
                         nn.Conv3d(mid, c_out, 1, bias=False)).to("meta")
    assert counts["full"]["params"] == sum(p.numel() for p in full.parameters())
    with FlopCounterMode(display=False) as flops:
        full(torch.empty(1, c_in, *size, device="meta"))
    assert counts["full"]["macs"] == flops.get_total_flops() // 2
    assert ("interaction" in counts) == (kind == "ip")
    assert counts["ratio"]["params"] == counts["separable"]["params"] / counts["full"]["params"]


def test_counts_bias():
    with_bias = shapes.csn_counts(8, 4, 8, 3, (4, 6, 6), "ip", bias=True)["separable"]["params"]
    without = shapes.csn_counts(8, 4, 8, 3, (4, 6, 6), "ip")["separable"]["params"]
    assert with_bias - without == 4 + 4 + 4 + 8


def test_errors():
    x = torch.randn(1, 6, 4, 5, 5)
    r, i, d, e = torch.randn(4, 6, 1, 1, 1), torch.randn(4, 4, 1, 1, 1), torch.randn(4, 1, 3, 3, 3), torch.randn(8, 4, 1, 1, 1)
    with pytest.raises(ValueError, match="kind must be one of 'ip', 'ir'"):
        video.csn_block(x, r, d, e, i, kind="full")
    with pytest.raises(ValueError, match="needs interaction_weight"):
        video.csn_block(x, r, d, e, kind="ip")
    with pytest.raises(ValueError, match="drop interaction_weight"):
        video.csn_block(x, r, d, e, i, kind="ir")
    with pytest.raises(ValueError, match=r"reduce_weight must be \(M, C_in, 1, 1, 1\) = \(M, 6"):
        video.csn_block(x, torch.randn(4, 5, 1, 1, 1), d, e, i)
    with pytest.raises(ValueError, match="depthwise_weight must be"):
        video.csn_block(x, r, torch.randn(4, 4, 3, 3, 3), e, i)
    with pytest.raises(ValueError, match="expand_weight must be"):
        video.csn_block(x, r, d, torch.randn(8, 3, 1, 1, 1), i)
    with pytest.raises(ValueError, match="interaction_weight must be"):
        video.csn_block(x, r, d, e, torch.randn(4, 4, 3, 3, 3))
    with pytest.raises(ValueError, match="input must be 5-D"):
        video.csn_block(torch.randn(6, 5, 5), r, d, e, i)
    with pytest.raises(TypeError):
        video.csn_block(x, r.numpy(), d, e, i)
    with pytest.raises(ValueError, match="kind must be one of"):
        shapes.csn_counts(8, 4, 8, 3, (4, 6, 6), "xy")
    with pytest.raises(ValueError, match="mid_channels"):
        shapes.csn_counts(8, 0, 8, 3, (4, 6, 6))
    with pytest.raises(ValueError, match="kernel larger than the padded input"):
        shapes.csn_counts(8, 4, 8, 3, (2, 6, 6))
