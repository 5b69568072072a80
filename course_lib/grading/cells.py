"""nbgrader cell metadata: which cells are answers, which are checks, and their points."""
from __future__ import annotations

import re

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_answer(cell) -> bool:
    """A cell the learner writes (nbgrader `solution: true`)."""
    return cell.cell_type == "code" and bool(nbgrader(cell).get("solution"))


def is_check(cell) -> bool:
    """An autograded check cell (nbgrader `grade: true`, not a solution cell)."""
    meta = nbgrader(cell)
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def grade_id(cell) -> str | None:
    return nbgrader(cell).get("grade_id")


def points(cell) -> float:
    return float(nbgrader(cell).get("points", 0))


def strip_solution(source: str) -> str:
    """Replace each `### BEGIN SOLUTION` ... `### END SOLUTION` block by nbgrader's stub.

    The stub keeps the indentation of the BEGIN line, so a solution inside a function body
    becomes `raise NotImplementedError()` inside that function.
    """
    out, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError("nested ### BEGIN SOLUTION")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + s for s in STUB.splitlines())
        elif stripped == END:
            if not inside:
                raise ValueError("### END SOLUTION without a BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("### BEGIN SOLUTION without an END")
    return "\n".join(out)


def questions(nb) -> list[dict]:
    """The graded questions of a notebook: id, points, and the check cell's index."""
    return [{"id": grade_id(c), "points": points(c), "index": i}
            for i, c in enumerate(nb.cells) if is_check(c)]


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


_CHAPTER = re.compile(r"^(\d\d)_")


def chapter_of(name: str) -> str | None:
    m = _CHAPTER.match(name)
    return m.group(1) if m else None
