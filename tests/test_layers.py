"""course_lib.layers against torch's layers, every rank: parameters, initialisation for the same seed, outputs and
gradients (input, weight, bias) in float64, state_dicts, output_size, bad arguments."""
import re

import pytest
import torch
from torch import nn

from course_lib import layers

pytestmark = pytest.mark.lesson09

RANKS = (1, 2, 3)
SIZES = {1: (9,), 2: (7, 8), 3: (5, 6, 4)}  # the input's spatial sizes for each rank


def rank(value, n):
    """A per-axis argument written for 3 axes, cut to ``n`` (ints and strings as they are)."""
    return value[:n] if isinstance(value, tuple) else value


CONV_CASES = [  # every argument of nn.ConvNd; tuples are cut to the rank
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=3, out_channels=6, kernel_size=(3, 2, 2), stride=2, padding=1, bias=False),
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=(2, 1, 2), padding=(2, 0, 1), dilation=2, groups=2),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", groups=4, padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=(2, 4, 2), padding="same", dilation=(1, 2, 1)),  # even kernel
    dict(in_channels=2, out_channels=3, kernel_size=(1, 4, 3), padding="valid", padding_mode="circular"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=(1, 2, 1), padding_mode="replicate"),
    dict(in_channels=2, out_channels=4, kernel_size=2, stride=(1, 3, 2), padding=1, padding_mode="circular"),
]
TRANSPOSE_CASES = [  # every argument of nn.ConvTransposeNd
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=4, out_channels=2, kernel_size=4, stride=2, padding=1),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2, 2), stride=(2, 3, 2), padding=(1, 0, 1),
         output_padding=(1, 2, 0), groups=2, bias=False),
    dict(in_channels=2, out_channels=2, kernel_size=3, stride=2, dilation=2, output_padding=1),
    dict(in_channels=3, out_channels=3, kernel_size=(2, 3, 2), output_padding=(1, 0, 1), dilation=(2, 1, 3), groups=3),
]


def layer_classes(n, transposed):
    name = f"ConvTranspose{n}d" if transposed else f"Conv{n}d"
    return getattr(layers, name), getattr(nn, name)


PAIRS = [(*layer_classes(n, transposed), {k: rank(v, n) for k, v in case.items()}, n)
         for transposed, cases in ((False, CONV_CASES), (True, TRANSPOSE_CASES))
         for n in RANKS for case in cases]
IDS = [f"{ours.__name__}-{i}" for i, (ours, _, _, _) in enumerate(PAIRS)]


def make_pair(ours, theirs, case, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    a = ours(**case, dtype=dtype)
    torch.manual_seed(seed)
    b = theirs(**case, dtype=dtype)
    return a, b


def compare_forward_backward(a, b, x, **forward):
    """Outputs, then the gradients of input, weight and bias, of two layers on ``x`` in float64."""
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a, out_b = a(xa, **forward), b(xb, **forward)
    torch.testing.assert_close(out_a, out_b, atol=1e-12, rtol=0)
    upstream = torch.randn(out_b.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    (out_a * upstream).sum().backward()
    (out_b * upstream).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, atol=1e-12, rtol=0)
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-12, rtol=0, msg=name)
    return out_a


@pytest.mark.parametrize("ours, theirs, case, n", PAIRS, ids=IDS)
def test_same_parameter_names_shapes_and_initialisation(ours, theirs, case, n):
    a, b = make_pair(ours, theirs, case)
    assert [(n, p.shape, p.dtype) for n, p in a.named_parameters()] == \
           [(n, p.shape, p.dtype) for n, p in b.named_parameters()]
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert torch.equal(p, q)  # torch's initialisation, random numbers drawn in torch's order
    assert list(a.state_dict()) == list(b.state_dict())
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                 "padding_mode", "output_padding", "transposed"):
        assert getattr(a, name) == getattr(b, name), name
    assert repr(a) == repr(b)
    for layer in (a, b):  # reset_parameters draws again as torch's does
        torch.manual_seed(9)
        layer.reset_parameters()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_initialisation_also_matches_in_float32_and_on_the_default_seed_stream():
    torch.manual_seed(7)
    ours = [layers.Conv1d(3, 5, 2), layers.ConvTranspose3d(2, 4, 3, groups=2)]
    torch.manual_seed(7)
    theirs = [nn.Conv1d(3, 5, 2), nn.ConvTranspose3d(2, 4, 3, groups=2)]
    for a, b in zip(ours, theirs, strict=True):
        assert a.weight.dtype == torch.float32
        assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


@pytest.mark.parametrize("ours, theirs, case, n", PAIRS, ids=IDS)
def test_same_outputs_and_gradients_as_torch_in_float64(ours, theirs, case, n):
    a, b = make_pair(ours, theirs, case, seed=1)
    x = torch.randn(2, case["in_channels"], *SIZES[n], dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    compare_forward_backward(a, b, x)


@pytest.mark.parametrize("ours, theirs, case, n", PAIRS[::3], ids=IDS[::3])
def test_unbatched_and_empty_batch_like_torch(ours, theirs, case, n):
    a, b = make_pair(ours, theirs, case, seed=3)
    x = torch.randn(case["in_channels"], *SIZES[n], dtype=torch.float64)
    assert compare_forward_backward(a, b, x).dim() == n + 1
    empty = torch.randn(0, case["in_channels"], *SIZES[n], dtype=torch.float64)
    out = compare_forward_backward(a, b, empty)
    assert out.shape[0] == 0 and out.shape == b(empty).shape


@pytest.mark.parametrize("ours, theirs, case, n", PAIRS[1::4], ids=IDS[1::4])
def test_state_dict_loads_both_ways(ours, theirs, case, n):
    a, b = make_pair(ours, theirs, case, seed=3)
    c, d = make_pair(ours, theirs, case, seed=4)
    c.load_state_dict(b.state_dict())       # torch's -> ours
    d.load_state_dict(a.state_dict())       # ours -> torch's
    x = torch.randn(1, case["in_channels"], *SIZES[n], dtype=torch.float64)
    torch.testing.assert_close(c(x), b(x), atol=1e-12, rtol=0)
    torch.testing.assert_close(d(x), a(x), atol=1e-12, rtol=0)


def test_a_network_of_our_layers_matches_one_of_torchs():
    def net(L):
        return nn.Sequential(L.Conv3d(1, 2, (1, 3, 3), padding=(0, 1, 1)), nn.Flatten(1, 2),
                             L.Conv2d(4, 4, 3, padding=1), nn.ReLU(), L.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
                             L.ConvTranspose2d(8, 4, 2, stride=2), nn.ReLU(), L.Conv2d(4, 3, 1), nn.Flatten(2),
                             L.Conv1d(3, 3, 4, stride=4, groups=3), L.ConvTranspose1d(3, 2, 4, stride=4),
                             nn.Unflatten(2, (12, 12)), nn.Unflatten(1, (1, 2)), L.ConvTranspose3d(1, 1, (2, 1, 1)))
    torch.manual_seed(0)
    ours = net(layers).double()
    torch.manual_seed(0)
    theirs = net(nn).double()
    x = torch.randn(3, 1, 2, 12, 12, dtype=torch.float64)
    out = compare_forward_backward(ours, theirs, x)
    assert out.shape == (3, 1, 3, 12, 12)


@pytest.mark.parametrize("n", RANKS)
def test_transposed_output_size_like_torch(n):
    case = dict(in_channels=2, out_channels=3, kernel_size=3, stride=(2, 3, 2)[:n], padding=1)
    a, b = make_pair(getattr(layers, f"ConvTranspose{n}d"), getattr(nn, f"ConvTranspose{n}d"), case)
    x = torch.randn(1, 2, *SIZES[n], dtype=torch.float64)
    smallest = [(s - 1) * stride - 2 + 3 for s, stride in zip(SIZES[n], case["stride"])]
    for extra in ([0] * n, [1] * n, [stride - 1 for stride in case["stride"]]):
        size = [s + e for s, e in zip(smallest, extra)]
        compare_forward_backward(a, b, x, output_size=size)
        compare_forward_backward(a, b, x, output_size=[1, 3, *size])                    # the whole shape
        compare_forward_backward(a, b, x[0], output_size=torch.Size([3, *size]))      # unbatched, whole shape
    too_big = [s + stride for s, stride in zip(smallest, case["stride"])]
    for output_size in (too_big, [s - 1 for s in smallest]):
        with pytest.raises(ValueError, match="requested an output size"):
            b(x, output_size=output_size)
        with pytest.raises(ValueError, match=re.escape(f"cannot be reached from input size {SIZES[n]}")):
            a(x, output_size=output_size)
    with pytest.raises(ValueError, match=f"output_size needs the {n} spatial sizes"):
        a(x, output_size=[7] * (n + 1))
    with pytest.raises(ValueError, match="output_size must have"):
        b(x, output_size=[7] * (n + 1))


def raises_like_torch(ours, theirs, message, forward=None):
    """Both torch's and our layer refuse; ours says ``message``, a ValueError or TypeError, at construction or in
    ``forward(input)`` when ``forward`` gives an input."""
    for make, expected in ((theirs, Exception), (ours, (ValueError, TypeError))):
        with pytest.raises(expected) as info:
            layer = make()
            if forward is not None:
                layer(forward)
        if make is ours:
            assert message in str(info.value), str(info.value)


BAD = [  # (ours, torch's, the words our message must contain, forward input or None)
    (lambda L: L.Conv2d(3, 4, 3, groups=0), "groups must be >= 1, got 0", None),
    (lambda L: L.Conv1d(3, 4, 3, groups=2), "in_channels=3 is not divisible by groups=2", None),
    (lambda L: L.ConvTranspose3d(4, 3, 3, groups=2), "out_channels=3 is not divisible by groups=2", None),
    (lambda L: L.Conv2d(2, 4, 3, stride=2, padding="same"), "padding='same' needs stride 1", None),
    (lambda L: L.Conv3d(2, 4, 3, padding="full"), "padding must be one of 'valid', 'same'; got 'full'", None),
    (lambda L: L.Conv1d(2, 4, 3, padding_mode="mirror"), "padding_mode must be one of", None),
    (lambda L: L.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), "only 'zeros'", None),
    (lambda L: L.ConvTranspose1d(2, 4, 3, padding="same"), "padding='same' is not defined for ConvTranspose1d",
     torch.randn(1, 2, 5)),
    (lambda L: L.Conv2d(2, 4, (3, 3, 3)), "kernel_size needs one value per spatial axis (2 here)",
     torch.randn(1, 2, 5, 5)),
    (lambda L: L.Conv3d(2, 4, 3, stride=0), "stride must be positive on every axis", torch.randn(1, 2, 5, 5, 5)),
    (lambda L: L.Conv1d(2, 4, 3, padding=-1), "padding must be >= 0 on every axis", torch.randn(1, 2, 5)),
    (lambda L: L.ConvTranspose2d(2, 4, 3, stride=2, output_padding=2),
     "output_padding must be smaller than stride or dilation", torch.randn(1, 2, 4, 4)),
    (lambda L: L.Conv3d(2, 4, 3), "conv3d also needs the D axis", torch.randn(1, 2, 5, 5)),
    (lambda L: L.ConvTranspose1d(2, 4, 3), "conv_transpose1d", torch.randn(1, 3, 5)),  # 3 channels, 2 expected
]


@pytest.mark.parametrize("make, message, forward", BAD, ids=[m for _, m, _ in BAD])
def test_bad_arguments_say_what_to_do(make, message, forward):
    raises_like_torch(lambda: make(layers), lambda: make(nn), message, forward)
