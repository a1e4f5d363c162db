"""The checks against what a learner's code can do to them (issue 16, parts 4 and 5): change its inputs in place,
hand in the course's own implementations, reach a correct answer by a route the worked solution does not take, or
get a wrong answer that no known mistake explains. Each verdict comes from the call's Outcome alone, so the grader
reaches the same one from a record (tests/test_exercise_checks.py replays every notebook's checks).
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_lib import checks, naive, shapes, vectorised
from course_lib.checks import calls, core
from course_lib.checks.cases import Case, CheckFailed, randn, seeded
from course_lib.checks.record import Outcome, decode_outcome, encode_outcome


def failure(check, fn, **kwargs) -> str:
    """The message of the CheckFailed `check(fn)` raises (the test fails when it passes)."""
    with pytest.raises(CheckFailed) as raised, contextlib.redirect_stdout(io.StringIO()):
        check(fn, **kwargs)
    return str(raised.value)


def passes(check, fn, **kwargs) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        check(fn, **kwargs)
    assert printed.getvalue().startswith("✓"), printed.getvalue()
    return printed.getvalue()


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """A correct conv1d that builds on x's device (windows by Tensor.unfold, one einsum)."""
    windows = F.pad(x, (padding, padding)).unfold(-1, dilation * (weight.shape[-1] - 1) + 1, stride)[..., ::dilation]
    out = torch.einsum("...clk,ock->...ol", windows, weight)
    return out if bias is None else out + bias[:, None]


def test_a_correct_conv1d_passes():
    passes(checks.check_conv1d, conv1d)


# --- inputs changed in place ------------------------------------------------------------------------------------

def test_an_input_zeroed_in_place_is_named_and_the_reference_is_untouched():
    def zeroes_x(x, weight, bias=None, stride=1, padding=0, dilation=1):
        x.zero_()
        return conv1d(x, weight, bias, stride, padding, dilation)  # the conv of zeros: the bias alone

    message = failure(checks.check_conv1d, zeroes_x)
    assert message.startswith("`conv1d_loops` changed its input `x` in place:"), message
    assert "x.clone()" in message and "Case (one channel)" in message


def test_a_correct_result_with_an_input_changed_afterwards_still_fails():
    def correct_then_scribbles(x, weight, bias=None, stride=1, padding=0, dilation=1):
        out = conv1d(x, weight, bias, stride, padding, dilation)
        weight.mul_(2)
        return out

    assert "changed its input `weight` in place" in failure(checks.check_conv1d, correct_then_scribbles)


def test_the_learners_function_gets_private_copies():
    g = seeded(0)
    x, w = randn(g, 1, 2, 5), randn(g, 3, 2, 2)
    case = Case("a case", (x, w, None), {"padding": 1})
    before = x.clone(), w.clone()

    def scribbles(x, weight, bias=None, padding=0):
        x.fill_(7)
        weight.transpose_(0, 1)  # a change of shape and strides
        return x

    outcome = calls.invoke(scribbles, case)
    assert torch.equal(x, before[0]) and torch.equal(w, before[1])  # the case is untouched
    assert outcome.changed == ["x", "weight"]
    assert outcome.result.shape == (1, 2, 5) and bool((outcome.result == 7).all())


def test_a_shape_changed_in_place_is_seen_on_meta_too():
    case = Case("meta", (torch.empty(2, 3, device="meta"),), device_only=True)

    def unsqueezes(x):
        x.unsqueeze_(0)
        return x

    assert calls.invoke(unsqueezes, case).changed == ["x"]
    assert calls.invoke(lambda x: x + 1, case).changed == []


def test_a_list_changed_in_place_is_named():
    def reverses(kernel_sizes, strides):
        kernel_sizes.reverse()
        return 1 + sum(k - 1 for k in kernel_sizes)

    assert "changed its input `kernel_sizes` in place" in failure(checks.check_receptive_field, reverses)


def test_arguments_beyond_the_signature_are_named_by_position():
    def takes_any(*args, **kwargs):
        args[0].zero_()
        return args[0]

    case = Case("a case", (torch.ones(2),), {"stride": 1})
    assert calls.invoke(takes_any, case).changed == ["argument 1"]


# --- the course's own implementations -----------------------------------------------------------------------------

REFUSED = "this task asks you to compute the result yourself. The course's own implementations"


@pytest.mark.parametrize("handed_in, says", [
    (naive.conv1d, "calls course_lib.naive.conv1d"),
    (lambda x, w, b=None, stride=1, padding=0, dilation=1: vectorised.conv1d(x, w, b, stride, padding, dilation),
     "calls course_lib.vectorised.conv1d"),
    (functools.partial(vectorised.convnd), "calls course_lib.vectorised.convnd"),
], ids=["the function itself", "a wrapper", "a partial"])
def test_the_course_implementations_are_refused_by_name(handed_in, says):
    message = failure(checks.check_conv1d, handed_in)
    assert says in message and REFUSED in message, message


def test_a_course_layer_is_refused():
    from course_lib import layers

    def by_layer(x, weight, bias=None, stride=1, padding=0, groups=1, dilation=1):
        layer = layers.Conv2d(weight.shape[1] * groups, weight.shape[0], tuple(weight.shape[2:]), stride=stride,
                              padding=padding, dilation=dilation, groups=groups, bias=bias is not None)
        return layer(x)

    assert "calls course_lib.layers.Conv2d" in failure(checks.check_conv2d, by_layer)


def test_every_course_implementation_module_is_refused():
    """Each of calls.COURSE_MODULES exists (a renamed module would silently drop out), and video's is refused."""
    import importlib
    from course_lib import video
    for module in calls.COURSE_MODULES:
        importlib.import_module(f"course_lib.{module}")

    def per_frame(clip, weight2d, bias=None, padding=0):
        return video.conv2plus1d(clip, weight2d, weight2d)  # whatever it returns: the call itself is refused

    assert "calls course_lib.video.conv2plus1d" in failure(checks.check_per_frame_conv2d, per_frame)


def test_the_course_helpers_and_arithmetic_tasks_are_not_refused():
    # conv2d_params has no forbidden functions: computing it with course_lib.shapes is fine
    passes(checks.check_conv2d_params,
           lambda c_in, c_out, k, groups=1, bias=True: shapes.conv_params(c_in, c_out, k, groups, bias, dims=2))


def test_importing_a_course_module_inside_the_function_is_not_a_call():
    def imports(x, weight, bias=None, stride=1, padding=0, dilation=1):
        import importlib
        importlib.reload(importlib.import_module("course_lib.winograd"))  # runs the module's code, calls nothing
        return conv1d(x, weight, bias, stride, padding, dilation)

    passes(checks.check_conv1d, imports)


def test_allowing_course_lib_lets_the_library_check_itself():
    with calls.allowing_course_lib():
        passes(checks.check_conv1d, naive.conv1d, name="naive.conv1d")
    assert REFUSED in failure(checks.check_conv1d, naive.conv1d)  # and only inside the block


def test_the_profile_hook_in_place_before_is_put_back():
    def profile(frame, event, arg):
        pass

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        failure(checks.check_conv1d, naive.conv1d)
        with contextlib.suppress(CheckFailed), contextlib.redirect_stdout(io.StringIO()):
            checks.check_conv1d(lambda *a, **k: 1 / 0)
        assert sys.getprofile() is profile
    finally:
        sys.setprofile(previous)


# --- the 'meta' device case ----------------------------------------------------------------------------------------

def conv1d_by_lists(x, weight, bias=None, stride=1, padding=0, dilation=1):
    values = torch.tensor(x.tolist(), dtype=x.dtype).reshape(x.shape)
    out = conv1d(values, weight.cpu(), None if bias is None else bias.cpu(), stride, padding, dilation)
    return torch.tensor(out.tolist(), dtype=x.dtype).reshape(out.shape)


def conv1d_by_numpy(x, weight, bias=None, stride=1, padding=0, dilation=1):
    out = conv1d(torch.from_numpy(np.asarray(x)), torch.from_numpy(weight.numpy()),
                 None if bias is None else torch.from_numpy(bias.numpy()), stride, padding, dilation)
    return torch.from_numpy(out.numpy().copy())


def conv1d_by_item(x, weight, bias=None, stride=1, padding=0, dilation=1):
    out = conv1d(x, weight, bias, stride, padding, dilation)
    return out if float(x.abs().sum()) >= 0 else out  # reads a value: cannot run on 'meta'


@pytest.mark.parametrize("fn", [conv1d_by_lists, conv1d_by_numpy, conv1d_by_item], ids=["lists", "numpy", "item"])
def test_code_that_reads_values_is_not_given_a_device_message(fn):
    passes(checks.check_conv1d, fn)


def test_a_result_built_on_the_cpu_from_meta_inputs_gets_the_device_message():
    def builds_on_cpu(x, weight, bias=None, stride=1, padding=0, dilation=1):
        out = conv1d(x, weight, bias, stride, padding, dilation)
        result = torch.zeros(out.shape, dtype=out.dtype)  # on the CPU whatever x's device
        result += out
        return result

    message = failure(checks.check_conv1d, builds_on_cpu)
    assert message.startswith("your result is not created on the input's device"), message
    assert "torch.Tensor.add_ (cpu and meta)" in message and "x.new_zeros" in message


def test_a_cpu_result_returned_for_meta_inputs_gets_the_device_message():
    def ignores_the_device(x, weight, bias=None, stride=1, padding=0, dilation=1):
        if x.device.type == "meta":
            return torch.zeros(2, 3, 7, dtype=x.dtype)
        return conv1d(x, weight, bias, stride, padding, dilation)

    assert "returned a tensor on 'cpu'" in failure(checks.check_conv1d, ignores_the_device)


def test_a_wrong_dtype_on_meta_is_said_without_a_device_message():
    def float32_on_meta(x, weight, bias=None, stride=1, padding=0, dilation=1):
        out = conv1d(x, weight, bias, stride, padding, dilation)
        return out.float() if x.device.type == "meta" else out

    message = failure(checks.check_conv1d, float32_on_meta)
    assert "the result has dtype torch.float32" in message and "not created on the input's device" not in message


def test_indexing_a_device_tensor_with_a_cpu_index_is_not_mixing():
    with calls.TorchCalls({}, devices=True) as recorded:
        _ = torch.empty(2, 5, device="meta")[:, torch.tensor([0, 3])]
        _ = torch.empty(2, 5, device="meta") * torch.tensor(2.0)  # a 0-dim CPU tensor mixes with any device
    assert recorded.mixed == []


# --- diagnosis by reproduction ------------------------------------------------------------------------------------

def test_a_batch_only_bug_shows_values_that_differ():
    def sample_zero_only(x, weight, bias=None, stride=1, padding=0, dilation=1):
        out = conv1d(x, weight, bias, stride, padding, dilation)
        return out[:1].expand_as(out).clone() if out.dim() == 3 and out.shape[0] > 1 else out

    message = failure(checks.check_conv1d, sample_zero_only)
    assert "Looks like" not in message  # no known mistake reproduces it
    assert "a batch of 2" in message and "the first at [1, 0, 0]" in message
    torch_row, your_row = [line for line in message.splitlines() if line.strip().startswith(("torch:", "yours:"))]
    assert torch_row.split(":")[1] != your_row.split(":")[1]


def test_first_difference_shows_enough_digits_to_tell_values_apart():
    expected = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float32)
    got = expected.clone()
    got[1] = 2.0001  # beyond float32's tolerance of 1e-5, equal to 4 digits
    text = core.first_difference(got, expected)
    assert "the first at [1]" in text
    assert "2.0001" in text.splitlines()[2] and "2.0001" not in text.splitlines()[1]


def test_first_difference_reaches_past_the_first_values():
    expected = torch.arange(40, dtype=torch.float64).reshape(2, 20)
    got = expected.clone()
    got[1, 17] = -1.0
    lines = core.first_difference(got, expected).splitlines()
    assert lines[0] == "1 of 40 values differ; the first at [1, 17]. Along the last axis there, [1, 14:20]:"
    assert lines[1].endswith("37, 38, 39]") and lines[2].endswith("-1, 38, 39]")


def test_a_hint_is_only_shown_for_what_its_case_adds():
    """A crash on a case shows that case's hint: the hint must be about what the case adds (the bias is not blamed
    for a padding case, as it once was for conv2d_im2col)."""
    from course_lib.checks import conv1d as c1, conv2d as c2, conv3d as c3, convnd as cn, grouped, transposed
    from course_lib.checks import upsampling, vectorising
    batteries = [c1.conv1d_cases(), c2.conv2d_cases(), c3.conv3d_cases(), cn.convnd_cases(),
                 vectorising.im2col_cases(), vectorising.conv2d_cases(), grouped.depthwise_cases(),
                 grouped.separable_cases(), transposed.transposed_cases(), upsampling.linear_cases(),
                 upsampling.bilinear_cases()]
    for cases in batteries:
        for case in cases:
            if "+ bias" in case.hint or "bias[co] is added" in case.hint:
                assert "bias" in case.adds, f"{case.adds!r} has a bias hint: {case.hint}"


def test_the_first_batched_case_says_it_adds_a_batch():
    from course_lib.checks import conv1d as c1, conv2d as c2, conv3d as c3, convnd as cn, grouped, transposed
    from course_lib.checks import vectorising
    for cases in [c1.conv1d_cases(), c2.conv2d_cases(), c3.conv3d_cases(), cn.convnd_cases(),
                  vectorising.im2col_cases(), vectorising.conv2d_cases(), grouped.depthwise_cases(),
                  grouped.separable_cases(), transposed.transposed_cases()]:
        first = next(c for c in cases if not c.device_only and c.args[0].dim() > 2 and c.args[0].shape[0] > 1)
        assert "batch" in first.adds or "samples" in first.adds, first.adds


def length(L, k, stride=1, padding=0, dilation=1) -> int:
    return (L + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def test_an_int_answer_by_numpy_counts_and_a_tensor_does_not():
    passes(checks.check_output_length, lambda *args, **kwargs: np.int64(length(*args, **kwargs)))
    message = failure(checks.check_output_length, lambda *args, **kwargs: torch.tensor(length(*args, **kwargs)))
    assert "returned tensor of shape () (int64, cpu); it should return an int" in message


# --- the record carries what the verdicts need ----------------------------------------------------------------------

def test_the_outcome_round_trips_through_json():
    outcome = Outcome(result=(np.int64(3), np.float32(0.5), torch.ones(2)), used=["course_lib.naive.conv1d"],
                      changed=["x"], mixed=["torch.Tensor.add_ (cpu and meta)"])
    back = decode_outcome(json.loads(json.dumps(encode_outcome(outcome))))
    assert back.result[0] == 3 and type(back.result[0]) is int
    assert back.result[1] == 0.5 and type(back.result[1]) is float
    assert torch.equal(back.result[2], torch.ones(2))
    assert (back.used, back.changed, back.mixed) == (outcome.used, outcome.changed, outcome.mixed)


def test_a_wrong_empty_batch_is_explained_even_where_a_mistake_cannot_run():
    """The mistakes of im2col reshape the columns, which cannot be done on an empty batch: the explanation passes
    over them and says what is wrong (it once raised torch's RuntimeError from inside the check)."""
    def im2col(x, kernel_size, stride=1, padding=0, dilation=1):  # right, except for an empty batch
        (ph, pw), batched = (padding, padding) if isinstance(padding, int) else padding, x.dim() == 4
        xb = F.pad(x if batched else x[None], (pw, pw, ph, ph))
        if xb.shape[0] == 0:
            return xb.new_zeros(0, 1, 1)
        k, s, d = ((v, v) if isinstance(v, int) else v for v in (kernel_size, stride, dilation))
        columns = vectorised.im2col(xb, k, s, d)[:, 0]
        return columns if batched else columns[0]

    with calls.allowing_course_lib():
        message = failure(checks.check_im2col, im2col)
    assert message.startswith("the result has shape (0, 1, 1), torch's has (0, 8, 12)."), message
    assert "Smallest failing case (an empty batch (0, C, H, W))" in message


# --- the checks' own layout ------------------------------------------------------------------------------------------

LESSON_MODULES = ["conv1d", "conv2d", "conv3d", "convnd", "vectorising", "grouped", "transposed", "upsampling"]


def test_no_lesson_module_of_the_checks_imports_another():
    """A lesson's checks import only the shared modules (cases, calls, core, mistakes, reference, record)."""
    import ast
    import pathlib
    folder = pathlib.Path(checks.__file__).parent
    assert sorted(p.stem for p in folder.glob("*.py")) == sorted(
        LESSON_MODULES + ["__init__", "cases", "calls", "core", "mistakes", "reference", "record"])
    for path in folder.glob("*.py"):
        if path.stem == "__init__":
            continue
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib.checks"):
                imported.add(node.module.removeprefix("course_lib.checks").lstrip("."))
                imported.update(alias.name for alias in node.names if node.module == "course_lib.checks")
            if isinstance(node, ast.Import):
                imported.update(a.name.removeprefix("course_lib.checks.") for a in node.names
                                if a.name.startswith("course_lib.checks."))
        assert not imported & set(LESSON_MODULES), f"{path.name} imports {sorted(imported & set(LESSON_MODULES))}"


def test_importing_the_checks_changes_nothing_and_a_failure_shows_as_its_explanation_in_ipython():
    """In a Jupyter kernel (an IPython shell) the first check installs the display of a CheckFailed as its message
    alone, without the traceback through the checks; importing them installs nothing. Other errors keep theirs."""
    import subprocess
    script = '''
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("from course_lib import checks")
print("after import:", shell.custom_exceptions)
shell.run_cell("checks.check_same_padding(lambda k, dilation=1: (dilation * (k - 1) - dilation * (k - 1) // 2, dilation * (k - 1) // 2))")
shell.run_cell("1 / 0")
'''
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert "after import: ()" in out, out + done.stderr
    failure_part, error_part = out.split("ZeroDivisionError", 1)[0], out
    assert "CheckFailed\x1b[0m: Looks like the extra cell on the wrong side" in failure_part, out
    assert "Traceback" not in failure_part and "core.py" not in failure_part, out
    assert "Traceback" in error_part.split("extra cell on the wrong side", 1)[1], out


def test_a_cell_that_reaches_into_the_checks_machinery_is_flagged_for_review():
    """Whatever module of the checks a cell patches, or the switch that lets the course's own functions through, the
    grader's report flags it (grading.grade.review_flags)."""
    import nbformat
    from grading import grade
    cells = ["from course_lib.checks import calls\ncalls.invoke = lambda *a, **k: None",
             "import course_lib.checks.reference as reference\nreference.torch_conv = print",
             "from course_lib.checks.calls import _COURSE_ALLOWED\n_COURSE_ALLOWED[0] = True",
             "from course_lib.checks import calls\nwith calls.allowing_course_lib():\n    pass"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    flags = grade.review_flags(nb)
    assert [any(f.startswith(f"review: cell {i + 1} ") for f in flags) for i in range(len(cells))] == [True] * 4, flags
