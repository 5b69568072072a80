"""`python -m course_lib COMMAND ...`: the command line the Makefile calls.

Each command lives in the module that does its job; that module has `register(subparsers)`,
which adds its parser and sets `func(args) -> int` (the exit code).
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = [
    "course_lib.grading.cli",      # grade
    "course_lib.exercises",        # exercises, start
    "course_lib.shop.cli",         # world, data
    "course_lib.datasets.cli",     # datasets
    "course_lib.timing",           # times
]


class CourseError(Exception):
    """An error for the user: printed as one line, no traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_lib",
                                     description="Deep Learning for E-commerce: course tools")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue  # that part of the course is not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CourseError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
