"""nbgrader's executor, run in the sandbox and judged outside it: `SandboxedExecute` takes the place of nbgrader's
`Execute` among the autograde preprocessors (nbgrader_config.py).

For each cell of a submitted notebook it
  1. runs the cell in the notebook's kernel, which `grading.sandbox.SandboxKernelManager` starts under bubblewrap;
  2. for a graded test cell, replaces the outputs the kernel produced with the grader's own verdict
     (`grading.judge.verdict`: the cell's check calls replayed here on what the sandbox recorded), so the score that
     nbgrader's SaveAutoGrades then records is decided outside the student's process;
  3. keeps going whatever the student's code does: a cell that runs too long is interrupted (and scores 0), a kernel
     that dies leaves the later cells marked "not run" (and scored 0), output beyond a limit is dropped.
What happened to each notebook is written as JSON to `status_directory/<student>/<assignment>/<notebook>.json`,
for the run report of `make grade`.
"""
from __future__ import annotations

import json
import os

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Integer, Unicode

from course_lib.checks import record
from grading import judge
from grading.sandbox import SandboxKernelManager

class SandboxedExecute(Execute):
    """nbgrader's Execute with the kernel in the sandbox and the test cells judged outside it."""

    status_directory = Unicode("", help="Where to write what happened to each notebook (JSON)").tag(config=True)
    max_output = Integer(1_000_000, help="Characters of output kept per cell").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self.status = {"timed_out": [], "kernel_stopped": None, "not_run": [], "not_judgeable": [], "judged": []}
        self.stopped_in = None
        self.offset = 0
        self.output_sizes: dict[int, int] = {}
        self.scratch_manager = None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self.scratch_manager is not None:
                self.scratch_manager.remove_scratch()
            self._write_status(resources)

    def create_kernel_manager(self):
        manager = super().create_kernel_manager()
        self.scratch_manager = manager
        return manager

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"
        graded = utils.is_grade(cell)
        if self.stopped_in is not None:
            cell.outputs = [judge.error_output("NotRun", f"not run: the kernel stopped in {self.stopped_in}")] \
                if graded else []
            self.status["not_run"].append(name)
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            return self._stopped(cell, resources, name, "KernelStopped", "the kernel stopped while this cell ran (the "
                                 "code exited, crashed or ran out of memory); the cells after it were not run")
        except CellTimeoutError:
            self.status["timed_out"].append(name)
            return self._stopped(cell, resources, name, "CellTimeoutError", f"the cell ran longer than {self.timeout} s "
                                 f"and did not stop when interrupted; the cells after it were not run")
        runs, self.offset = record.read_from(self.scratch_manager.record_path, self.offset)
        timed_out = any(o.output_type == "error" and o.get("ename") == "CellTimeoutError" for o in cell.outputs)
        if timed_out:
            self.status["timed_out"].append(name)
        if graded:
            self._judge(cell, name, runs, timed_out)
        return cell, resources

    def _stopped(self, cell, resources, name: str, error: str, message: str):
        """The kernel cannot go on: this cell scores 0 and the later ones are not run (the kernel is shut down when
        the notebook ends)."""
        self.stopped_in = name
        self.status["kernel_stopped"] = name
        cell.outputs.append(judge.error_output(error, message))
        return cell, resources

    def _judge(self, cell, name: str, runs: list[dict], timed_out: bool) -> None:
        if timed_out:
            cell.outputs = [judge.error_output("CellTimeoutError", f"the cell ran longer than {self.timeout} s and "
                                                                   f"was stopped")]
            return
        try:
            cell.outputs, _ = judge.verdict(cell.source, runs)
            self.status["judged"].append(name)
        except judge.NotJudgeable as error:
            cell.outputs = [judge.error_output("NotJudgeable", f"the grader cannot judge this cell: {error}")]
            self.status["not_judgeable"].append(name)

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most `max_output` characters of a cell's outputs; note once that the rest was dropped."""
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return out
        size = self.output_sizes.get(cell_index, 0) + len(json.dumps(out, default=str))
        self.output_sizes[cell_index] = size
        if size > self.max_output:
            outs.remove(out)
            if size - len(json.dumps(out, default=str)) <= self.max_output:
                outs.append(new_output("stream", name="stdout",
                                       text=f"\n[the grader kept the first {self.max_output} characters of this "
                                            f"cell's output]\n"))
            return None
        return out

    def _write_status(self, resources) -> None:
        info = (resources or {}).get("nbgrader", {})
        if not self.status_directory or not info:
            return
        folder = os.path.join(self.status_directory, str(info.get("student")), str(info.get("assignment")))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{info.get('notebook')}.json"), "w") as f:
            json.dump(self.status, f)
