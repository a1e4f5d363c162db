"""PyTorch's own test inputs: every OpInfo sample of the operations the course builds, run through ours.

PyTorch describes each operator's test inputs once, as an OpInfo (in
``torch.testing._internal.common_methods_invocations``); its test suite runs
every operator on them. Here the same samples, in float64, go through every
implementation in conftest's table (and through ``upsample``), and the results
and gradients must match torch's: the edges torch's own tests reach
(unbatched input, empty batches, output_padding up to the dilation, ...) are
ours to reach too.
"""
import pytest
import torch
from torch.testing._internal.common_methods_invocations import op_db

from conftest import ATOL, CONV_IMPLEMENTATIONS, TRANSPOSE_IMPLEMENTATIONS
from course_lib import upsample

pytestmark = [getattr(pytest.mark, f"lesson{i:02d}") for i in (1, 2, 3, 4, 7, 8)]

OPS = {(op.name.removeprefix("nn.functional."), op.variant_test_name): op for op in op_db}


def ours_for(name: str):
    """(id, function) pairs of our implementations of torch's ``nn.functional.<name>``."""
    if name.startswith("conv_transpose"):
        return [(impl.name, impl.functions(int(name[-2]))[0]) for impl in TRANSPOSE_IMPLEMENTATIONS]
    if name.startswith("conv"):
        return [
            (impl.name, impl.functions(int(name[-2]))[0])
            for impl in CONV_IMPLEMENTATIONS
            if impl.function is None or impl.function == name
        ]
    return [("upsample", getattr(upsample, name))]


CASES = [
    (name, variant, label, function)
    for (name, variant) in sorted(OPS)
    if name.startswith(("conv1d", "conv2d", "conv3d", "conv_transpose", "interpolate", "pixel_", "max_unpool"))
    for label, function in ours_for(name)
]


def _takes(fixed: dict, sample) -> bool:
    """Whether a conv sample has the kernel, stride, dilation and groups an implementation is fixed to."""
    n = fixed["n"]
    given = {"kernel": tuple(sample.args[0].shape[2:]), "groups": sample.kwargs.get("groups", 1)}
    for key in ("stride", "dilation"):
        value = sample.kwargs.get(key, 1)
        given[key] = (value,) * n if isinstance(value, int) else tuple(value)
    return all(given[key] == fixed[key] for key in ("kernel", "stride", "dilation", "groups"))


def tensors_in(sample):
    return [t for t in (sample.input, *sample.args, *sample.kwargs.values()) if isinstance(t, torch.Tensor) and t.requires_grad]


# The loop implementations on 3-D transposed samples take tens of seconds: make test runs them, test-fast does not.
SLOW_CASES = {("conv_transpose3d", "naive"), ("conv_transpose3d", "zero insertion")}


@pytest.mark.parametrize("name, variant, label, function", [
    pytest.param(n, v, l, f, id=f"{n}-{v or 'default'}-{l}", marks=pytest.mark.slow if (n, l) in SLOW_CASES else ())
    for n, v, l, f in CASES])
def test_every_opinfo_sample_matches_torch(name, variant, label, function):
    op = OPS[(name, variant)]
    samples = list(op.sample_inputs("cpu", torch.float64, requires_grad=True))
    assert samples, f"torch has no samples for {name}"
    implementation = next((i for i in CONV_IMPLEMENTATIONS if i.name == label), None)
    if implementation is not None and implementation.fixed:  # e.g. Winograd: only the 3x3, stride-1 samples
        samples = [s for s in samples if _takes(implementation.fixed, s)]
        assert samples, f"none of torch's {name} samples suits {label}"
    for index, sample in enumerate(samples):
        expected = op.op(sample.input, *sample.args, **sample.kwargs)
        got = function(sample.input, *sample.args, **sample.kwargs)
        where = f"{name} sample {index}: input {tuple(sample.input.shape)}, args {sample.args}, kwargs {sample.kwargs}"
        assert got.shape == expected.shape, where
        torch.testing.assert_close(got, expected, atol=ATOL, rtol=0, msg=where)
        inputs = tensors_in(sample)
        if not inputs or expected.numel() == 0 or not got.requires_grad:
            continue
        upstream = torch.randn(expected.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(index))
        want = torch.autograd.grad(expected, inputs, upstream, allow_unused=True)
        have = torch.autograd.grad(got, inputs, upstream, allow_unused=True)
        for a, b in zip(have, want):
            if b is None:
                continue
            torch.testing.assert_close(a, b, atol=1e-9, rtol=0, msg=f"gradient, {where}")
