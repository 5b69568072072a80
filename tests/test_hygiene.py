"""Static checks of the course's files: notebook anatomy, clean storage, sync, paths, sizes."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest

from course_lib.exercises import out_of_sync
from course_lib.grading import cells as C
from course_lib.syllabus import CHAPTERS

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_NBS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTION_NBS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISE_NBS = sorted((ROOT / "exercises").glob("*.ipynb"))
ALL_NBS = CHAPTER_NBS + SOLUTION_NBS + EXERCISE_NBS
MAX_NOTEBOOK_BYTES = 150_000
SETUP = re.compile(r"""\bsetup\(\s*["']([^"']+)["']""")
MACHINE_PATH = re.compile(r"(?<![\w.])/(work|tmp|root|opt|farm|home|Users)/")


def read(path):
    return nbformat.read(str(path), as_version=4)


def test_there_is_something_to_check():
    assert CHAPTER_NBS and SOLUTION_NBS and EXERCISE_NBS


@pytest.mark.parametrize("path", ALL_NBS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_valid_clean_and_small(path):
    nb = read(path)
    nbformat.validate(nb)
    stored = [i for i, c in enumerate(nb.cells) if c.get("outputs") or c.get("execution_count")]
    assert not stored, f"{path.name} is stored with outputs in cells {stored}: run `make strip`"
    assert path.stat().st_size <= MAX_NOTEBOOK_BYTES, f"{path.name} is {path.stat().st_size} bytes"
    assert len({c.get("id") for c in nb.cells}) == len(nb.cells), "cell ids must be unique"


@pytest.mark.parametrize("path", CHAPTER_NBS + SOLUTION_NBS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_setup_names_the_notebook(path):
    nb = read(path)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    names = SETUP.findall(code)
    assert names, f"{path.name} never calls course_lib.setup('<name>')"
    assert names[0] == path.stem, f"{path.name} calls setup({names[0]!r}); expected setup({path.stem!r})"


@pytest.mark.parametrize("path", CHAPTER_NBS, ids=lambda p: p.name)
def test_chapter_anatomy(path):
    nb = read(path)
    cells = nb.cells
    first = cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.stem[:2]}"), \
        "the first cell is the title, '# NN · ...'"
    intro = first.source.lower()
    for words in ("learn", "prerequisite", "run time"):
        assert words in intro, f"the title cell should state the {words!r} (objectives, prerequisites, run time)"
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", "exactly one code cell tagged 'parameters'"
    headings = [c for c in cells if c.cell_type == "markdown" and re.match(r"#{1,2} ", c.source)]
    unslided = [c.source.splitlines()[0] for c in headings if "slideshow" not in c.metadata]
    assert not unslided, f"section headings without slide metadata: {unslided}"
    last = cells[-1]
    assert last.cell_type == "markdown" and "next" in last.source.lower(), "the last cell says what comes next"
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    if path.stem != "00_welcome":
        assert "record(" in code, "a chapter records its headline numbers with cl.record"
        assert "assert" in code, "a chapter guards its headline numbers with asserts"
        assert any(re.search(r"make start CH=\d\d", c.source) for c in cells if c.cell_type == "markdown"), \
            "the chapter says where its exercises are"


@pytest.mark.parametrize("path", [p for p in CHAPTER_NBS if not p.name.startswith("00_")], ids=lambda p: p.name)
def test_chapter_has_exercises_solutions_and_glossary_terms(path):
    number = path.name[:2]
    assert list((ROOT / "solutions").glob(f"{number}_*_exercises.ipynb")), f"no solutions for chapter {number}"
    assert list((ROOT / "exercises").glob(f"{number}_*_exercises.ipynb")), f"no exercises for chapter {number}"
    glossary = (ROOT / "notebooks" / "GLOSSARY.md").read_text()
    rows = [line for line in glossary.splitlines() if re.search(rf"\|\s*{number}\s*\|\s*$", line)]
    assert len(rows) >= 3, f"chapter {number} should add its key terms to notebooks/GLOSSARY.md"


@pytest.mark.parametrize("path", SOLUTION_NBS, ids=lambda p: p.name)
def test_solution_notebooks_are_well_formed(path):
    nb = read(path)
    questions = C.questions(nb)
    assert len(questions) >= 4, "at least 4 graded questions per chapter"
    assert all(q["points"] > 0 for q in questions), "every check cell carries its points"
    ids = [C.grade_id(c) for c in nb.cells if C.grade_id(c)]
    assert len(ids) == len(set(ids)), "grade ids are unique"
    answers = {C.grade_id(c) for c in nb.cells if C.is_answer(c)}
    for q in questions:
        assert f"{q['id']}_answer" in answers, f"check {q['id']} has no answer cell {q['id']}_answer"
    for c in nb.cells:
        if C.is_answer(c):
            assert C.BEGIN in c.source and C.END in c.source, f"{C.grade_id(c)} has no solution markers"
        if C.is_check(c):
            assert c.metadata["nbgrader"].get("locked"), f"check {C.grade_id(c)} should be locked"


def test_exercises_are_in_sync_with_solutions():
    assert out_of_sync() == [], "run `make exercises`"


def test_glossary_rows_are_complete():
    lines = [l for l in (ROOT / "notebooks" / "GLOSSARY.md").read_text().splitlines() if l.startswith("| ")][2:]
    for line in lines:
        cols = [c.strip() for c in line.strip("|").split("|")]
        assert len(cols) == 4 and all(cols), f"glossary row needs term | 中文 | definition | chapter: {line}"
        assert re.fullmatch(r"\d\d", cols[3]), f"chapter column should be two digits: {line}"


def tracked_files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    return [ROOT / f for f in out.stdout.split()]


def test_no_absolute_machine_paths_outside_tests():
    bad = []
    for path in tracked_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("tests/") or not path.is_file():
            continue
        if path.suffix in {".py", ".ipynb", ".md", ".yml", ".yaml", ".toml", ".cfg", ".txt"} or rel in {"Makefile", ".ci/run"}:
            if MACHINE_PATH.search(path.read_text(errors="replace")):
                bad.append(rel)
    assert not bad, f"absolute machine paths in {bad}"


def test_no_large_or_data_files_committed():
    for path in tracked_files():
        if path.is_file():
            assert path.stat().st_size < 5_000_000, f"{path} is large: generated data belongs in the cache"
        assert "datasets/cache" not in path.as_posix()


def test_readme_shows_the_two_commands_and_the_chapter_map():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    for number, stem, title, *_ in CHAPTERS:
        if (ROOT / "notebooks" / f"{stem}.ipynb").exists():
            assert title in readme, f"README's chapter map lacks chapter {number} ({title})"
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_lock_pins_torch_and_environment_uses_the_lock():
    lock = (ROOT / "requirements.lock").read_text().splitlines()
    assert "torch==2.13.0" in lock
    assert not any(line.startswith(("torchvision", "torchaudio")) for line in lock)
    env = (ROOT / "environment.yml").read_text()
    assert "python=3.11" in env and "-r requirements.lock" in env
