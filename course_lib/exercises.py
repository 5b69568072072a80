"""Exercise notebooks: generated from solutions/, copied to work/ for the learner.

`python -m course_lib exercises [--check]` writes exercises/ from solutions/ (or only checks
that they are in sync); `python -m course_lib start NN` copies chapter NN's exercise into work/
and never overwrites a copy that is already there.
"""
from __future__ import annotations

import copy
import os
import shutil
from pathlib import Path

import nbformat

from .cache import atomic_write_bytes
from .cli import CourseError
from .grading import cells as C
from .paths import repo_root


def make_exercise(solution: nbformat.NotebookNode, source_name: str) -> nbformat.NotebookNode:
    """The exercise version of a solution notebook: solutions stubbed, outputs cleared, ids kept."""
    nb = copy.deepcopy(solution)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = C.strip_solution(cell.source)
            cell.outputs, cell.execution_count = [], None
    nb.metadata["course"] = {"source": f"solutions/{source_name}"}
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + ("" if nbformat.writes(nb).endswith("\n") else "\n")


def expected_exercises(solutions_dir: Path | None = None) -> dict[str, str]:
    """File name -> the text the exercise notebook must have."""
    solutions_dir = solutions_dir or repo_root() / "solutions"
    return {p.name: render(make_exercise(C.read(p), p.name))
            for p in sorted(solutions_dir.glob("*_exercises.ipynb"))}


def out_of_sync(solutions_dir: Path | None = None, exercises_dir: Path | None = None) -> list[str]:
    """Exercise files that are missing, stale, or have no solution."""
    exercises_dir = exercises_dir or repo_root() / "exercises"
    expected = expected_exercises(solutions_dir)
    bad = [name for name, text in expected.items()
           if not (exercises_dir / name).exists() or (exercises_dir / name).read_text() != text]
    bad += [p.name for p in exercises_dir.glob("*.ipynb") if p.name not in expected]
    return sorted(bad)


def write_exercises(solutions_dir: Path | None = None, exercises_dir: Path | None = None) -> list[Path]:
    exercises_dir = exercises_dir or repo_root() / "exercises"
    written = []
    for name, text in expected_exercises(solutions_dir).items():
        target = exercises_dir / name
        if not target.exists() or target.read_text() != text:
            atomic_write_bytes(target, text.encode())
            written.append(target)
    return written


def start(chapter: str, exercises_dir: Path | None = None, work_dir: Path | None = None) -> tuple[Path, bool]:
    """Copy chapter `chapter`'s exercise into work/; returns (path, copied). Never overwrites."""
    exercises_dir = exercises_dir or repo_root() / "exercises"
    work_dir = work_dir or repo_root() / "work"
    chapter = str(chapter).strip().zfill(2)
    matches = sorted(exercises_dir.glob(f"{chapter}_*_exercises.ipynb"))
    if not chapter.isdigit() or not matches:
        known = ", ".join(sorted({p.name[:2] for p in exercises_dir.glob('*_exercises.ipynb')})) or "none yet"
        raise CourseError(f"no exercise for chapter {chapter!r}; chapters with exercises: {known}")
    source = matches[0]
    target = work_dir / source.name
    if target.exists():
        return target, False
    work_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, tmp)
    try:  # os.link creates exclusively: a file that appeared meanwhile is never replaced
        os.link(tmp, target)
    except FileExistsError:
        return target, False
    finally:
        tmp.unlink(missing_ok=True)
    return target, True


def register(sub) -> None:
    p = sub.add_parser("exercises", help="write exercises/ from solutions/ (or --check they are in sync)")
    p.add_argument("--check", action="store_true", help="only check; exit 1 if out of sync")
    p.set_defaults(func=_run_exercises)
    s = sub.add_parser("start", help="copy a chapter's exercise into work/ (never overwrites)")
    s.add_argument("chapter", help="chapter number, e.g. 01")
    s.set_defaults(func=_run_start)


def _run_exercises(args) -> int:
    if args.check:
        bad = out_of_sync()
        if bad:
            print("out of sync with solutions/: " + ", ".join(bad) + " (run `make exercises`)")
            return 1
        print("exercises/ is in sync with solutions/")
        return 0
    written = write_exercises()
    print("\n".join(f"wrote {p.relative_to(repo_root())}" for p in written) or "exercises/ already up to date")
    return 0


def _run_start(args) -> int:
    target, copied = start(args.chapter)
    rel = target.relative_to(repo_root()) if target.is_relative_to(repo_root()) else target
    if copied:
        print(f"copied to {rel}: open it in JupyterLab; grade it with `make grade NB={rel}`")
    else:
        print(f"{rel} already exists; it was left as it is (delete it yourself to start over)")
    return 0
