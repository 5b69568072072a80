"""`python -m course_lib grade PATH [--json] [--timeout S]`."""
from __future__ import annotations

import json

from ..cli import CourseError


def register(sub) -> None:
    p = sub.add_parser("grade", help="score an exercise notebook (executes it in a fresh kernel)")
    p.add_argument("notebook", help="path of the notebook to grade, e.g. work/01_neurons_exercises.ipynb")
    p.add_argument("--json", action="store_true", help="print only one JSON object")
    p.add_argument("--timeout", type=float, default=300, metavar="SECONDS",
                   help="time limit per cell; a cell that runs out is interrupted (default 300)")
    p.set_defaults(func=run)


def run(args) -> int:
    from .grader import GradingError, grade

    if args.timeout <= 0:
        raise CourseError(f"--timeout must be positive, got {args.timeout:g}")
    try:
        report = grade(args.notebook, timeout=args.timeout)
    except GradingError as e:
        raise CourseError(str(e)) from None
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.table())
    return 0
