"""nbgrader's OverwriteCells, saying so in the graded notebook when it restores an edited test cell.

nbgrader 0.9.6 restores every locked cell whose checksum changed, but only logs it ("checksum ... has changed").
This subclass also puts a comment at the top of the restored cell, so the student's feedback shows that the cell
was graded as the instructor wrote it. (A deleted test cell is added back by `add_missing_cells`, which already
writes its own comment.)
"""
from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells

RESTORED = ("# The grader restored this test cell: the submission had changed it. "
            "It was graded as written here.\n")


class OverwriteCellsSayingSo(OverwriteCells):
    def preprocess_cell(self, cell, resources, cell_index):
        edited = utils.is_locked(cell) and utils.is_grade(cell) and \
            cell.metadata.nbgrader.get("checksum") != utils.compute_checksum(cell)
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if edited and cell.cell_type == "code":
            cell.source = RESTORED + cell.source
        return cell, resources
