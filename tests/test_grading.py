"""The grader: full marks for solutions, zero for untouched exercises, and bad or cheating work.

Learner notebooks are made from the chapter 01 exercise by replacing answer cells, the way a
learner would edit them in JupyterLab.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_lib.grading import cells as C
from course_lib.grading import grade
from course_lib.grading.grader import GradingError

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*_exercises.ipynb"))
EXERCISE_01 = ROOT / "exercises" / "01_neurons_exercises.ipynb"
SOLUTION_01 = ROOT / "solutions" / "01_neurons_exercises.ipynb"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def learner_copy(tmp_path, answers: dict[str, str], start_from=SOLUTION_01, edit=None, name="01_neurons_exercises.ipynb"):
    """A learner notebook: `start_from` with the answer cells in `answers` replaced (by grade id)."""
    nb = C.read(start_from)
    for cell in nb.cells:
        if C.grade_id(cell) in answers:
            cell.source = answers[C.grade_id(cell)]
    if edit:
        edit(nb)
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def points(report) -> dict[str, float]:
    return {q.id: q.points for q in report.questions}


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_solutions_score_full_marks_and_exercises_zero(solution, tmp_path):
    exercise = ROOT / "exercises" / solution.name
    before = digest(exercise), digest(solution)
    full = grade(solution, timeout=120, results_dir=tmp_path)
    assert full.max_score > 0 and full.score == full.max_score, full.table()
    assert len(full.questions) >= 4
    zero = grade(exercise, timeout=120, results_dir=tmp_path)
    assert zero.score == 0 and zero.max_score == full.max_score, zero.table()
    assert all(q.message for q in zero.questions)
    assert (digest(exercise), digest(solution)) == before


WRONG_SIGMOID = "def sigmoid(z):\n    return torch.zeros_like(z)\n"
WRONG_NEURON = "def neuron(x, w, b, activation):\n    return x @ w\n"


def test_cheating_does_not_change_the_verdict(tmp_path):
    """Redefining a check, monkeypatching course_lib, editing or deleting check cells: no effect."""
    answers = {
        # redefine the check function the check cell calls, and the module name it uses
        "q1_sigmoid_answer": WRONG_SIGMOID + (
            "from course_lib.checks import ch01\n"
            "ch01.check_sigmoid = lambda *a, **k: print('✓ q1 sigmoid passed (2/2 points)')\n"
            "def check_sigmoid(*a, **k):\n    pass\n"),
        # monkeypatch course_lib modules from the learner's notebook
        "q2_derivatives_answer": (
            "import course_lib.checks, course_lib.checks.ch01 as _c\n"
            "course_lib.checks.fail = lambda message: None\n"
            "_c.fail = lambda message: None\n"
            "_c.check_derivatives = lambda *a: None\n"
            "def sigmoid_grad(z):\n    return z\n"
            "def tanh_grad(z):\n    return z\n"),
        "q3_neuron_answer": WRONG_NEURON,
        "q4_gd_step_answer": "def gd_step(w, b, X, y, lr):\n    return w, b\n",
    }

    def tamper(nb):
        for cell in nb.cells:
            if C.grade_id(cell) == "q3_neuron":
                cell.source = "pass  # edited check"
        nb.cells = [c for c in nb.cells if C.grade_id(c) != "q4_gd_step"]   # deleted check

    path = learner_copy(tmp_path, answers, edit=tamper)
    before = digest(path)
    report = grade(path, timeout=120, results_dir=tmp_path)
    assert points(report) == {"q1_sigmoid": 0, "q2_derivatives": 0, "q3_neuron": 0, "q4_gd_step": 0,
                              "q5_train_neuron": 0}, report.table()
    messages = {q.id: q.message for q in report.questions}
    assert "sigmoid(0) returned 0" in messages["q1_sigmoid"]
    assert "sigmoid_grad" in messages["q2_derivatives"]
    assert "neuron" in messages["q3_neuron"]
    assert "unchanged" in messages["q4_gd_step"]
    assert digest(path) == before


def test_bad_notebook_is_reported_and_other_questions_still_graded(tmp_path):
    """A syntax error, a crash that kills the kernel, and loops that never end."""
    answers = {
        # kills the kernel: q1 is lost, the rest continues in a new kernel
        "q1_sigmoid_answer": "import os\nos._exit(1)\n",
        # an endless loop, interrupted by the per-cell time limit
        "q2_derivatives_answer": "while True:\n    pass\n",
        # a syntax error
        "q3_neuron_answer": "def neuron(x, w, b, activation)\n    return activation(x @ w + b)\n",
    }

    def add_stubborn_loop(nb):
        # a learner's extra cell that swallows the interrupt: the kernel must be replaced
        idx = next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == "q4_gd_step_answer")
        nb.cells.insert(idx + 1, nbformat.v4.new_code_cell(
            "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass\n"))
        # q4 and q5 need a sigmoid although q1's answer crashed: the learner defines one here
        nb.cells.insert(idx, nbformat.v4.new_code_cell("sigmoid = torch.sigmoid"))

    path = learner_copy(tmp_path, answers, edit=add_stubborn_loop)
    before = digest(path)
    report = grade(path, timeout=12, results_dir=tmp_path)
    got = points(report)
    assert got == {"q1_sigmoid": 0, "q2_derivatives": 0, "q3_neuron": 0, "q4_gd_step": 2,
                   "q5_train_neuron": 2}, report.table()
    messages = {q.id: q.message for q in report.questions}
    assert "interrupted" in messages["q2_derivatives"] and "answer cell" in messages["q2_derivatives"]
    assert "SyntaxError" in messages["q3_neuron"] or "neuron" in messages["q3_neuron"]
    problems = " ".join(report.problems)
    assert "kernel died" in problems and "SyntaxError" in problems and "interrupted" in problems
    assert digest(path) == before


def test_learner_helper_cells_run_and_copied_checks_do_not_score(tmp_path):
    def add_cells(nb):
        idx = next(i for i, c in enumerate(nb.cells) if C.grade_id(c) == "q3_neuron_answer")
        helper = nbformat.v4.new_code_cell("def affine(x, w, b):\n    return x @ w + b")
        fake = nbformat.v4.new_code_cell("print('fake check')", metadata={"nbgrader": {
            "grade": True, "solution": False, "grade_id": "q9_bonus", "points": 100}})
        nb.cells[idx:idx] = [helper, fake]

    path = learner_copy(tmp_path, {"q3_neuron_answer": "def neuron(x, w, b, activation):\n    return activation(affine(x, w, b))\n"},
                        edit=add_cells)
    report = grade(path, timeout=120, results_dir=tmp_path)
    assert report.score == report.max_score == 10, report.table()


def test_grader_finds_the_source_of_a_renamed_copy(tmp_path):
    path = learner_copy(tmp_path, {}, start_from=EXERCISE_01, name="my attempt.ipynb")
    assert grade(path, timeout=120, results_dir=tmp_path).source == "01_neurons_exercises.ipynb"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "course_lib", "grade", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_cli_json_output_and_exit_codes(tmp_path):
    path = learner_copy(tmp_path, {"q3_neuron_answer": WRONG_NEURON})   # no other answer uses it
    out = run_cli(path, "--json", "--timeout", "120")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)   # stdout holds only the JSON object
    assert set(report) >= {"score", "max_score", "questions"}
    assert report["score"] == 8 and report["max_score"] == 10
    assert {"id", "points", "max_points", "message"} <= set(report["questions"][0])

    table = run_cli(path, "--timeout", "120")
    assert table.returncode == 0 and "q3_neuron" in table.stdout and "total" in table.stdout

    missing = run_cli(tmp_path / "nope.ipynb")
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0
    assert "no such notebook" in missing.stderr and "Traceback" not in missing.stderr

    not_nb = tmp_path / "notes.ipynb"
    not_nb.write_text("this is not json")
    bad = run_cli(not_nb)
    assert bad.returncode == 2 and "not a readable Jupyter notebook" in bad.stderr and "Traceback" not in bad.stderr

    stranger = tmp_path / "stranger.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), str(stranger))
    unknown = run_cli(stranger)
    assert unknown.returncode == 2 and "matches no exercise" in unknown.stderr

    assert run_cli(path, "--timeout", "0").returncode == 2


def test_grading_error_for_a_folder(tmp_path):
    with pytest.raises(GradingError, match="not a file"):
        grade(tmp_path)
