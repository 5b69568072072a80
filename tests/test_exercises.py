"""Exercise generation from solutions/, the sync check, and `start` (never overwrites)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.cli import CourseError
from course_lib.exercises import make_exercise, out_of_sync, start, write_exercises
from course_lib.grading import cells as C

ROOT = Path(__file__).resolve().parent.parent


def test_strip_solution_keeps_indentation_and_code_around_it():
    source = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n\nz = 2"
    assert C.strip_solution(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\nz = 2")
    assert C.strip_solution("a = 1") == "a = 1"


@pytest.mark.parametrize("bad", ["### BEGIN SOLUTION\nx = 1",
                                 "x = 1\n### END SOLUTION",
                                 "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_unbalanced_markers_are_refused(bad):
    with pytest.raises(ValueError):
        C.strip_solution(bad)


def test_exercise_has_no_solution_text_and_keeps_cell_ids():
    for solution in sorted((ROOT / "solutions").glob("*_exercises.ipynb")):
        sol = C.read(solution)
        ex = make_exercise(sol, solution.name)
        assert [c.id for c in ex.cells] == [c.id for c in sol.cells]
        assert ex.metadata["course"]["source"] == f"solutions/{solution.name}"
        for s_cell, e_cell in zip(sol.cells, ex.cells):
            assert C.BEGIN not in e_cell.source and C.END not in e_cell.source
            if C.is_answer(s_cell):
                assert "raise NotImplementedError()" in e_cell.source
            if C.is_check(s_cell):
                assert e_cell.source == s_cell.source


def make_solution(folder: Path, name="09_demo_exercises.ipynb", answer="x = 1", before=""):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"{before}### BEGIN SOLUTION\n{answer}\n### END SOLUTION",
                                          metadata={"nbgrader": {"solution": True, "grade_id": "q1_x_answer"}})]
    nb.cells[0].id = "answer-1"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / name))
    return folder / name


def test_out_of_sync_detects_missing_stale_and_orphaned_exercises(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    make_solution(sol)
    ex.mkdir()
    assert out_of_sync(sol, ex) == ["09_demo_exercises.ipynb"]          # missing
    write_exercises(sol, ex)
    assert out_of_sync(sol, ex) == []
    make_solution(sol, answer="x = 2")                                      # solution changed ...
    assert out_of_sync(sol, ex) == []                                       # ... but not the stub
    make_solution(sol, before="z = 0\n")                                   # the text around it changed
    assert out_of_sync(sol, ex) == ["09_demo_exercises.ipynb"]          # stale
    write_exercises(sol, ex)
    shutil.copy(ex / "09_demo_exercises.ipynb", ex / "10_orphan_exercises.ipynb")
    assert out_of_sync(sol, ex) == ["10_orphan_exercises.ipynb"]        # no solution


def test_start_copies_once_and_never_overwrites(tmp_path):
    ex, work = tmp_path / "exercises", tmp_path / "work"
    make_solution(tmp_path / "solutions")
    write_exercises(tmp_path / "solutions", ex)
    target, copied = start("9", ex, work)
    assert copied and target == work / "09_demo_exercises.ipynb"
    target.write_text("my precious work")
    again, copied = start("09", ex, work)
    assert not copied and again.read_text() == "my precious work"
    assert not list(work.glob("*.part")) and not list(work.glob(".*.part"))
    with pytest.raises(CourseError, match="chapters with exercises: 09"):
        start("42", ex, work)
    with pytest.raises(CourseError):
        start("ab", ex, work)


def test_exercises_check_cli_reports_sync():
    out = subprocess.run([sys.executable, "-m", "course_lib", "exercises", "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "in sync" in out.stdout


def test_start_cli_refuses_an_unknown_chapter_in_one_line():
    out = subprocess.run([sys.executable, "-m", "course_lib", "start", "99"], capture_output=True, text=True)
    assert out.returncode == 2 and "no exercise for chapter '99'" in out.stderr and "Traceback" not in out.stderr
