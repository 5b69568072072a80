"""Score a learner's exercise notebook with the grader's own copy of the checks.

The notebook that runs is built from the solution notebook in solutions/ (the grader's copy):
its check cells and context cells come from there; only the learner's answer cells (matched by
nbgrader grade_id) and any code cells the learner added after them come from the learner. So
editing, deleting or redefining checks in the learner's notebook changes nothing, and each
check cell re-imports course_lib fresh from disk, so monkeypatching course_lib changes nothing.

Each cell runs with a time limit; a cell that runs out is interrupted and grading goes on. After
a timeout or a dead kernel, a new kernel replays the cells that had succeeded, so the cells that
follow see the state they expect. The learner's file is only read.
"""
from __future__ import annotations

import copy
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from ..paths import repo_root
from . import cells as C

DEFAULT_TIMEOUT = 300
# Drop course_lib from sys.modules so the next import reads it from disk again: a learner's
# monkeypatch of a course_lib module cannot reach the check that follows.
FRESH_IMPORT = ("import sys as _grader_sys\n"
                "[_grader_sys.modules.pop(_m) for _m in list(_grader_sys.modules)\n"
                " if _m == 'course_lib' or _m.startswith('course_lib.')]\n"
                "del _grader_sys\n")


class GradingError(Exception):
    """The notebook could not be graded at all (missing, not a notebook, no matching exercise)."""


@dataclass
class QuestionResult:
    id: str
    points: float
    max_points: float
    message: str


@dataclass
class GradeReport:
    notebook: str
    source: str
    questions: list[QuestionResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # cells that raised, timed out, killed the kernel

    @property
    def score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_score(self) -> float:
        return sum(q.max_points for q in self.questions)

    def to_dict(self) -> dict:
        return {"notebook": self.notebook, "source": self.source, "score": self.score,
                "max_score": self.max_score, "questions": [asdict(q) for q in self.questions],
                "problems": self.problems}

    def table(self) -> str:
        width = max([len("question")] + [len(q.id) for q in self.questions])
        lines = [f"{'question':<{width}}  points   max  message", "-" * (width + 40)]
        for q in self.questions:
            lines.append(f"{q.id:<{width}}  {q.points:>6g}  {q.max_points:>4g}  {q.message}")
        lines.append("-" * (width + 40))
        lines.append(f"{'total':<{width}}  {self.score:>6g}  {self.max_score:>4g}")
        if self.problems:
            lines.append("")
            lines.extend(f"note: {p}" for p in self.problems)
        return "\n".join(lines)


# ---------------------------------------------------------------------------- finding the source
def _load_learner(path: Path) -> nbformat.NotebookNode:
    if not path.exists():
        raise GradingError(f"no such notebook: {path}")
    if not path.is_file():
        raise GradingError(f"not a file: {path}")
    try:
        return C.read(path)
    except Exception as e:  # nbformat raises several types for bad JSON / schema
        raise GradingError(f"{path} is not a readable Jupyter notebook ({e.__class__.__name__})") from None


def find_source(learner: nbformat.NotebookNode, path: Path, solutions_dir: Path | None = None) -> Path:
    """The solution notebook this exercise came from: metadata, else file name, else grade ids."""
    solutions_dir = solutions_dir or repo_root() / "solutions"
    candidates = sorted(solutions_dir.glob("*_exercises.ipynb"))
    by_name = {p.name: p for p in candidates}
    stamped = learner.metadata.get("course", {}).get("source")
    if stamped and Path(stamped).name in by_name:
        return by_name[Path(stamped).name]
    if path.name in by_name:
        return by_name[path.name]
    ids = {C.grade_id(c) for c in learner.cells if C.grade_id(c)}
    best, overlap = None, 0
    for p in candidates:
        n = len(ids & {C.grade_id(c) for c in C.read(p).cells if C.grade_id(c)})
        if n > overlap:
            best, overlap = p, n
    if best is None:
        raise GradingError(f"{path.name} matches no exercise in {solutions_dir} "
                           "(expected a copy of an exercises/NN_*_exercises.ipynb notebook)")
    return best


# ---------------------------------------------------------------------------- building what runs
def build_graded_notebook(learner, source) -> tuple[nbformat.NotebookNode, dict[str, str]]:
    """The notebook the grader executes, and a note per answer cell the learner's notebook lacks.

    Cells are matched by nbgrader grade_id, else by cell id. Code cells the learner added (ids
    the exercise does not have) run right after the exercise cell they follow, without any
    nbgrader metadata, so a copied check cell never scores.
    """
    source_ids = {c.get("id") for c in source.cells}
    answers_by_gid, answers_by_id, extras = {}, {}, {}
    anchor = None  # id of the last exercise cell seen in the learner's notebook
    for cell in learner.cells:
        if cell.get("id") in source_ids:
            anchor = cell.get("id")
            if C.is_answer(cell) or C.grade_id(cell) is None:
                answers_by_id[cell.get("id")] = cell
        if C.is_answer(cell) and C.grade_id(cell):
            answers_by_gid[C.grade_id(cell)] = cell
        elif cell.cell_type == "code" and cell.get("id") not in source_ids:
            extras.setdefault(anchor, []).append(cell.source)

    graded = copy.deepcopy(source)
    graded.cells = []
    missing = {}

    def add_extras(key):
        for text in extras.get(key, []):
            graded.cells.append(nbformat.v4.new_code_cell(text, metadata={"learner_extra": True}))

    add_extras(None)
    for cell in source.cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            gid = C.grade_id(cell)
            if C.is_answer(cell):
                theirs = answers_by_gid.get(gid) or answers_by_id.get(cell.get("id"))
                if theirs is not None:
                    cell.source = theirs.source
                else:
                    cell.source = C.strip_solution(cell.source)
                    missing[gid] = f"answer cell {gid} is missing from the notebook (deleted, or its metadata removed?)"
            elif C.is_check(cell):
                cell.source = FRESH_IMPORT + cell.source
            else:
                cell.source = C.strip_solution(cell.source)
            graded.cells.append(cell)
        add_extras(cell.get("id"))
    return graded, missing


# ---------------------------------------------------------------------------- running it
class _Kernel:
    """A kernel that runs cells one by one with a time limit, and can be replaced."""

    def __init__(self, nb, timeout: int, cwd: Path, env: dict):
        self.nb, self.timeout, self.cwd, self.env = nb, timeout, cwd, env
        self.client = None

    def start(self):
        self.client = NotebookClient(
            self.nb, timeout=self.timeout, kernel_name="python3", allow_errors=True,
            interrupt_on_timeout=False, record_timing=False, shutdown_kernel="immediate",
            on_cell_executed=self._keep_reply, resources={"metadata": {"path": str(self.cwd)}})
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel(env=self.env)
        self.client.start_new_kernel_client()

    def _keep_reply(self, cell=None, cell_index=None, execute_reply=None):
        self.reply = execute_reply

    def stop(self):
        if self.client is not None and self.client.km is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:  # a dead kernel may fail to clean up; nothing to keep
                pass

    def run(self, cell, index: int, timeout: int | None = None) -> str:
        """Execute one cell: 'ok', 'error', 'timeout' (interrupted) or 'dead'.

        Only an execute reply with status ok counts as ok: a cell whose reply never came
        (the kernel was busy with an earlier cell) is a timeout, never a pass.
        """
        self.reply = None
        if timeout is not None:
            self.client.timeout = timeout
        try:
            self.client.execute_cell(cell, index)
        except DeadKernelError:
            return "dead"
        except CellTimeoutError:
            limit = self.client.timeout
            cell.outputs = [nbformat.v4.new_output(
                "error", ename="CellTimeoutError", traceback=[],
                evalue=f"cell ran longer than {limit} s and was interrupted")]
            run_sync(self.client.km.interrupt_kernel)()
            return "timeout"
        finally:
            self.client.timeout = self.timeout
        if self.reply is None:
            return "error"
        return "ok" if self.reply.get("content", {}).get("status") == "ok" else "error"


def _error_message(cell) -> str:
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            ename, evalue = o.get("ename", "Error"), (o.get("evalue") or "").strip()
            first = evalue.splitlines()[0] if evalue else ""
            if ename == "NotImplementedError":
                return "not answered yet (the answer cell still raises NotImplementedError)"
            if ename == "NameError":
                return f"{first}: run or finish the answer cell that defines it"
            if ename == "CellTimeoutError":
                return first
            return f"{ename}: {first}" if first else ename
    return "failed"


def grade(path, timeout: int = DEFAULT_TIMEOUT, solutions_dir=None, results_dir=None) -> GradeReport:
    """Execute the learner's notebook at `path` in a fresh kernel and score it.

    Raises GradingError only when it cannot grade at all; any failure inside the notebook
    becomes part of the report.
    """
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise GradingError(f"timeout must be a positive number of seconds, got {timeout!r}")
    path = Path(path)
    learner = _load_learner(path)
    source_path = find_source(learner, path, Path(solutions_dir) if solutions_dir else None)
    graded, missing = build_graded_notebook(learner, C.read(source_path))
    report = GradeReport(notebook=str(path), source=source_path.name)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)  # nbclient logs timeouts as errors

    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        env = dict(os.environ, COURSE_RESULTS_DIR=str(Path(results_dir or tmp) / "results"),
                   MPLBACKEND="agg", PYTHONPATH=os.pathsep.join(filter(None, [str(repo_root()), os.environ.get("PYTHONPATH")])))
        kernel = _Kernel(graded, int(timeout), path.resolve().parent, env)
        kernel.start()
        succeeded: list[int] = []
        failed_answers = dict(missing)   # answer grade_id -> why it did not run
        try:
            for i, cell in enumerate(graded.cells):
                status = kernel.run(cell, i)
                if C.is_check(cell):
                    _score(report, cell, status, failed_answers)
                elif status == "ok":
                    succeeded.append(i)
                else:
                    problem = _problem(cell, i, status)
                    report.problems.append(problem)
                    if C.is_answer(cell):
                        failed_answers.setdefault(C.grade_id(cell), "your answer cell failed: " + problem.split(": ", 1)[1])
                if status in ("dead", "timeout"):
                    # A fresh kernel is the only state we can trust after a crash or an
                    # interrupt (a cell may swallow KeyboardInterrupt and keep running).
                    kernel.stop()
                    kernel.start()
                    for j in succeeded:   # rebuild the state the later cells expect
                        kernel.run(copy.deepcopy(graded.cells[j]), j)
        finally:
            kernel.stop()
    return report


def _score(report: GradeReport, cell, status: str, failed_answers: dict) -> None:
    gid, max_points = C.grade_id(cell), C.points(cell)
    if status == "ok":
        report.questions.append(QuestionResult(gid, max_points, max_points, "ok"))
        return
    message = ("the kernel died while checking (out of memory, or a crash in your code?)"
               if status == "dead" else _error_message(cell))
    if status == "error" and "is not defined" in message:   # the cause is upstream: say which
        message = failed_answers.get(f"{gid}_answer", message)
    report.questions.append(QuestionResult(gid, 0.0, max_points, message))


def _problem(cell, index: int, status: str) -> str:
    who = C.grade_id(cell) or ("your extra cell" if cell.metadata.get("learner_extra") else f"cell {index}")
    if status == "dead":
        return f"{who}: the kernel died (a new kernel replayed the cells that had run)"
    return f"{who}: {_error_message(cell)}"
