"""`python -m course_lib times [NOTEBOOK ...]`: run each notebook alone and report its wall time.

The course's budget: every notebook runs top to bottom in at most 60 s on 2 CPU cores, timed
alone, kernel start included, default parameters, data cache already filled (`make data`).
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .paths import repo_root

BUDGET_S = 60.0


def time_notebook(path: Path, timeout: int = 600) -> float:
    """Seconds to execute `path` in a fresh kernel (start included); raises if a cell fails."""
    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory(prefix="course-times-") as tmp:
        env = dict(os.environ, COURSE_RESULTS_DIR=tmp, MPLBACKEND="agg")
        start = time.perf_counter()
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        with client.setup_kernel(env=env):
            for i, cell in enumerate(nb.cells):
                client.execute_cell(cell, i)
        return time.perf_counter() - start


def default_notebooks() -> list[Path]:
    root = repo_root()
    return sorted(root.glob("notebooks/[0-9][0-9]_*.ipynb")) + sorted(root.glob("solutions/*.ipynb"))


def register(sub) -> None:
    p = sub.add_parser("times", help="time each notebook alone against the 60 s budget")
    p.add_argument("notebooks", nargs="*", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    notebooks = args.notebooks or default_notebooks()
    times, over = {}, []
    for path in notebooks:
        seconds = time_notebook(path)
        times[str(path)] = round(seconds, 1)
        if seconds > BUDGET_S:
            over.append(str(path))
        if not args.json:
            print(f"{seconds:6.1f} s  {'OVER BUDGET  ' if seconds > BUDGET_S else ''}{path}", flush=True)
    if args.json:
        print(json.dumps({"budget_s": BUDGET_S, "seconds": times, "over_budget": over}, indent=2))
    return 1 if over else 0
