"""Test-run configuration (at the root, so it applies when only notebooks are collected too):
no network, private results and cache folders, and notebook wall times."""
from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

NONET = Path(__file__).resolve().parent / "tests" / "nonet"

# Set before any kernel starts, so notebook kernels (nbval, grader) inherit them.
os.environ["COURSE_NO_NETWORK"] = "1"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(NONET), os.environ.get("PYTHONPATH")]))
os.environ.setdefault("MPLBACKEND", "agg")
os.environ.setdefault("COURSE_RESULTS_DIR", tempfile.mkdtemp(prefix="course-results-"))
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
# two test workers share two cores: one thread each keeps them from fighting
os.environ.setdefault("COURSE_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

# this process too (the unit tests)
import sys  # noqa: E402

sys.path.insert(0, str(NONET))
import importlib  # noqa: E402

importlib.import_module("sitecustomize")

_times: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _times[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    tr = terminalreporter
    from course_lib.timing import BUDGET_S

    tr.section("notebook wall times (kernel start included; run in parallel, so slower than alone)")
    for path, seconds in sorted(_times.items()):
        flag = f"  over the {BUDGET_S:g} s budget" if seconds > BUDGET_S else ""
        tr.write_line(f"{seconds:7.1f} s  {path}{flag}")
    tr.write_line("Time a notebook alone with `make times` (the budget's definition).")


@pytest.fixture
def tmp_results(tmp_path, monkeypatch):
    """A private results folder for this test."""
    folder = tmp_path / "results"
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory):
    """Generated data goes to a cache private to the test module, never the user's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def world(private_cache):
    """The tiny shop world (seed 0), built into the module's private cache."""
    from course_lib.shop import load_world

    return load_world("tiny", 0)
