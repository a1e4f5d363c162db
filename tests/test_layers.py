"""course_lib.layers against torch's layers: parameters, initialisation, outputs, gradients, state_dicts.
Also smoke tests for lesson 09's figures in course_lib.plots."""
import pytest
import torch
from torch import nn

from course_lib import layers, plots

CONV_CASES = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=3, out_channels=6, kernel_size=(3, 2), stride=2, padding=1, bias=False),
    dict(in_channels=4, out_channels=6, kernel_size=3, stride=(2, 1), padding=(2, 0), dilation=2, groups=2),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", groups=4, padding_mode="reflect"),
    dict(in_channels=2, out_channels=3, kernel_size=(1, 4), padding="valid", padding_mode="circular"),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="replicate"),
]
TRANSPOSE_CASES = [
    dict(in_channels=3, out_channels=4, kernel_size=3),
    dict(in_channels=4, out_channels=2, kernel_size=4, stride=2, padding=1),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
         groups=2, bias=False),
    dict(in_channels=2, out_channels=2, kernel_size=3, stride=2, dilation=2, output_padding=1),
]
PAIRS = [(layers.Conv2d, nn.Conv2d, case) for case in CONV_CASES] + \
        [(layers.ConvTranspose2d, nn.ConvTranspose2d, case) for case in TRANSPOSE_CASES]
IDS = [f"{ours.__name__}-{i}" for i, (ours, _, _) in enumerate(PAIRS)]


def make_pair(ours, theirs, case, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    a = ours(**case, dtype=dtype)
    torch.manual_seed(seed)
    b = theirs(**case, dtype=dtype)
    return a, b


@pytest.mark.parametrize("ours, theirs, case", PAIRS, ids=IDS)
def test_same_parameter_names_shapes_and_initialisation(ours, theirs, case):
    a, b = make_pair(ours, theirs, case)
    assert [(n, p.shape, p.dtype) for n, p in a.named_parameters()] == \
           [(n, p.shape, p.dtype) for n, p in b.named_parameters()]
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert torch.equal(p, q)  # torch's initialisation, random numbers drawn in torch's order
    assert list(a.state_dict()) == list(b.state_dict())
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "padding_mode"):
        assert getattr(a, name) == getattr(b, name), name
    assert repr(a).split("(", 1)[1] == repr(b).split("(", 1)[1]


@pytest.mark.parametrize("ours, theirs, case", PAIRS, ids=IDS)
def test_same_outputs_and_gradients_as_torch_in_float64(ours, theirs, case):
    a, b = make_pair(ours, theirs, case, seed=1)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, case["in_channels"], 7, 8, dtype=torch.float64, generator=g)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_a, out_b = a(xa), b(xb)
    torch.testing.assert_close(out_a, out_b, atol=1e-12, rtol=0)
    upstream = torch.randn(out_b.shape, dtype=torch.float64, generator=g)
    (out_a * upstream).sum().backward()
    (out_b * upstream).sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, atol=1e-12, rtol=0)
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-12, rtol=0, msg=name)


@pytest.mark.parametrize("ours, theirs, case", PAIRS, ids=IDS)
def test_state_dict_loads_both_ways(ours, theirs, case):
    a, b = make_pair(ours, theirs, case, seed=3)
    c, d = make_pair(ours, theirs, case, seed=4)
    c.load_state_dict(b.state_dict())       # torch's -> ours
    d.load_state_dict(a.state_dict())       # ours -> torch's
    x = torch.randn(1, case["in_channels"], 6, 6, dtype=torch.float64)
    torch.testing.assert_close(c(x), b(x), atol=1e-12, rtol=0)
    torch.testing.assert_close(d(x), a(x), atol=1e-12, rtol=0)


def test_a_network_of_our_layers_matches_one_of_torchs():
    def net(L):
        return nn.Sequential(L.Conv2d(1, 4, 3, padding=1), nn.ReLU(), L.Conv2d(4, 8, 3, stride=2, padding=1), nn.ReLU(),
                             L.ConvTranspose2d(8, 4, 2, stride=2), nn.ReLU(), L.Conv2d(4, 1, 1))
    ours, theirs = net(layers).double(), net(nn).double()
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(3, 1, 12, 12, dtype=torch.float64)
    ours(x).square().sum().backward()
    theirs(x).square().sum().backward()
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-12, rtol=0)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-12, rtol=0, msg=name)


def test_forward_uses_the_course_functions_not_torchs(monkeypatch):
    import torch.nn.functional as F

    def refuse(*args, **kwargs):
        raise AssertionError("torch's own convolution was called")

    for name in ("conv2d", "conv_transpose2d"):
        monkeypatch.setattr(F, name, refuse)
        monkeypatch.setattr(torch, name, refuse)
    layers.Conv2d(2, 3, 3)(torch.randn(1, 2, 5, 5)).sum().backward()
    layers.ConvTranspose2d(2, 3, 3, stride=2)(torch.randn(1, 2, 5, 5)).sum().backward()


def test_transposed_output_size_like_torch():
    a, b = make_pair(layers.ConvTranspose2d, nn.ConvTranspose2d, dict(in_channels=2, out_channels=3, kernel_size=3, stride=2, padding=1))
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    for size in [(9, 9), (10, 9), (10, 10)]:
        torch.testing.assert_close(a(x, output_size=size), b(x, output_size=size), atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="output_size"):
        a(x, output_size=(12, 12))


@pytest.mark.parametrize("call, message", [
    (lambda: layers.Conv2d(3, 4, 3, groups=2), "in_channels=3 is not divisible by groups=2"),
    (lambda: layers.Conv2d(2, 4, 3, stride=2, padding="same"), "padding='same' needs stride 1"),
    (lambda: layers.Conv2d(2, 4, 3, padding="full"), "padding must be one of"),
    (lambda: layers.Conv2d(2, 4, (3, 3, 3)), "kernel_size needs one value per spatial axis"),
    (lambda: layers.ConvTranspose2d(2, 4, 3, padding_mode="reflect"), "only 'zeros'"),
])
def test_bad_arguments_say_what_to_do(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_lesson09_figures():
    masks = torch.zeros(3, 1, 8, 8)
    masks[:, :, 2:6, 3:5] = 1
    predictions = masks.clone()
    predictions[:, :, 0] = 1                      # one wrong row: 8 of 64 pixels
    figure = plots.segmentation_figure(torch.randn(3, 1, 8, 8), masks, predictions, title="t")
    assert len(figure.axes) == 10 and figure.axes[2].get_title() == "prediction: 87.5% right"
    assert len(plots.segmentation_figure(torch.randn(2, 8, 8), masks[:2, 0]).axes) == 5
    with pytest.raises(ValueError, match="one shape"):
        plots.segmentation_figure(torch.randn(2, 1, 8, 8), masks)
    figure = plots.kernels_figure(torch.randn(2, 3, 3, 3))
    assert [ax.get_title() for ax in figure.axes[:2]] == ["out 0, in 0", "out 0, in 1"]
    assert figure.axes[0].images[0].get_clim()[0] == -figure.axes[0].images[0].get_clim()[1]
    figure = plots.training_figure([1, 2], [0.5, 0.4])
    assert len(figure.axes) == 1
    for f in (figure,):
        assert f._repr_png_()[:4] == b"\x89PNG"
